-- Materialised as a table: city_metrics and this model's data tests all
-- read it, and as a view each of them would recompute the chain beneath it.
{{ config(materialized="table") }}

-- The numerator and denominator of every monthly metric for every borough and
-- month in which the borough delivered the metric's dataset (no row
-- otherwise). A covered borough with no events counts zero. city_metrics turns
-- these into values and adds the region rows (ratio of sums). A year-on-year
-- metric also needs the borough's month a year earlier: without it the
-- borough's row has no numerator or denominator (value null) and is left out
-- of the region's sums (is_in_region_sum false), so the region compares the
-- same boroughs in both years.
with

coverage as (

    select * from {{ ref('int_feed_coverage__by_month') }}
    where area_type = 'borough'

),

areas as (

    select * from {{ ref('int_areas__joined_to_reference') }}

),

casualties as (

    select * from {{ ref('int_road_casualties__borough_month') }}

),

completions as (

    select * from {{ ref('int_housing_completions__borough_month') }}

),

requests as (

    select * from {{ ref('int_service_requests__borough_month') }}

),

journeys as (

    select * from {{ ref('int_public_transport_journeys__borough_month') }}

),

buses as (

    select * from {{ ref('int_bus_performance__borough_month') }}

),

planning as (

    select * from {{ ref('int_planning_applications__borough_month') }}

),

house_prices as (

    select * from {{ ref('int_house_prices__borough_month') }}

),

scorecard as (

    select * from {{ ref('int_data_scorecard__borough_month') }}

),

covered as (

    select
        coverage.dataset,
        coverage.area_code,
        coverage.region_code,
        coverage.period_start,
        coverage.days_covered,
        coverage.days_in_period,
        areas.population,
        areas.annual_housing_target
    from coverage
    inner join areas
        on coverage.area_code = areas.area_code

),

ksi_per_100k as (

    select
        'ksi_per_100k' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(casualties.ksi_casualties, 0) as double) as numerator,
        cast(covered.population as double) as denominator,
        cast(null as double) as median_value
    from covered
    left join casualties
        on
            covered.area_code = casualties.area_code
            and covered.period_start = casualties.period_start
    where covered.dataset = 'road_casualties'

),

net_completions_vs_target as (

    select
        'net_completions_vs_target' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(completions.net_units, 0) as double) as numerator,
        cast(covered.annual_housing_target as double)
        * covered.days_covered / 365 as denominator,
        cast(null as double) as median_value
    from covered
    left join completions
        on
            covered.area_code = completions.area_code
            and covered.period_start = completions.period_start
    where covered.dataset = 'housing_completions'

),

affordable_share as (

    select
        'affordable_share' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(completions.affordable_net_units, 0) as double)
            as numerator,
        cast(coalesce(completions.net_units, 0) as double) as denominator,
        cast(null as double) as median_value
    from covered
    left join completions
        on
            covered.area_code = completions.area_code
            and covered.period_start = completions.period_start
    where covered.dataset = 'housing_completions'

),

service_requests_per_1000 as (

    select
        'service_requests_per_1000' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(requests.requests, 0) as double) as numerator,
        cast(covered.population as double) as denominator,
        cast(null as double) as median_value
    from covered
    left join requests
        on
            covered.area_code = requests.area_code
            and covered.period_start = requests.period_start
    where covered.dataset = 'service_requests'

),

median_days_to_resolve as (

    select
        'median_days_to_resolve' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        cast(requests.median_days_to_resolve as double) as median_value
    from covered
    left join requests
        on
            covered.area_code = requests.area_code
            and covered.period_start = requests.period_start
    where covered.dataset = 'service_requests'

),

digital_channel_share as (

    select
        'digital_channel_share' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(requests.digital_requests, 0) as double) as numerator,
        cast(coalesce(requests.requests, 0) as double) as denominator,
        cast(null as double) as median_value
    from covered
    left join requests
        on
            covered.area_code = requests.area_code
            and covered.period_start = requests.period_start
    where covered.dataset = 'service_requests'

),

-- minutes of excess wait per observed departure, high-frequency routes
bus_excess_wait_minutes as (

    select
        'bus_excess_wait_minutes' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(buses.excess_wait_departure_minutes, 0) as double)
            as numerator,
        cast(coalesce(buses.high_frequency_departures, 0) as double)
            as denominator,
        cast(null as double) as median_value
    from covered
    left join buses
        on
            covered.area_code = buses.area_code
            and covered.period_start = buses.period_start
    where covered.dataset = 'bus_performance'

),

-- journeys / days in the month; aggregation per_day: the region divides its
-- summed journeys by the days in the month once (city_metrics)
daily_journeys as (

    select
        'daily_journeys' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(journeys.journeys, 0) as double) as numerator,
        cast(covered.days_in_period as double) as denominator,
        cast(null as double) as median_value
    from covered
    left join journeys
        on
            covered.area_code = journeys.area_code
            and covered.period_start = journeys.period_start
    where covered.dataset = 'public_transport_journeys'

),

covered_last_year as (

    select
        dataset,
        area_code,
        cast(period_start + interval 1 year as date) as period_start,
        period_start as period_start_last_year
    from covered

),

-- (journeys - journeys a year earlier) / journeys a year earlier
journeys_change_yoy as (

    select
        'journeys_change_yoy' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        case
            when covered_last_year.area_code is not null
                then cast(
                    coalesce(journeys.journeys, 0)
                    - coalesce(journeys_last_year.journeys, 0) as double
                )
        end as numerator,
        case
            when covered_last_year.area_code is not null
                then cast(coalesce(journeys_last_year.journeys, 0) as double)
        end as denominator,
        cast(null as double) as median_value,
        covered_last_year.area_code is not null as is_in_region_sum
    from covered
    left join covered_last_year
        on
            covered.dataset = covered_last_year.dataset
            and covered.area_code = covered_last_year.area_code
            and covered.period_start = covered_last_year.period_start
    left join journeys
        on
            covered.area_code = journeys.area_code
            and covered.period_start = journeys.period_start
    left join journeys as journeys_last_year
        on
            covered.area_code = journeys_last_year.area_code
            and covered_last_year.period_start_last_year
            = journeys_last_year.period_start
    where covered.dataset = 'public_transport_journeys'

),

-- majors decided within 13 weeks or an agreed extension / major decisions
major_decided_in_time_pct as (

    select
        'major_decided_in_time_pct' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(planning.major_decisions_in_time, 0) as double)
            as numerator,
        cast(coalesce(planning.major_decisions, 0) as double) as denominator,
        cast(null as double) as median_value
    from covered
    left join planning
        on
            covered.area_code = planning.area_code
            and covered.period_start = planning.period_start
    where covered.dataset = 'planning_applications'

),

-- sales value / sales: the mean price of the month's sales
average_house_price as (

    select
        'average_house_price' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(house_prices.sales_value, 0) as double) as numerator,
        cast(coalesce(house_prices.priced_sales, 0) as double) as denominator,
        cast(null as double) as median_value
    from covered
    left join house_prices
        on
            covered.area_code = house_prices.area_code
            and covered.period_start = house_prices.period_start
    where covered.dataset = 'house_prices'

),

-- the month's mean price against the same month's a year earlier;
-- aggregation ratio_change: city_metrics divides the two ratios
house_price_change_yoy as (

    select
        'house_price_change_yoy' as metric_id,
        average_house_price.area_code,
        average_house_price.region_code,
        average_house_price.period_start,
        average_house_price.days_covered,
        case
            when price_last_year.area_code is not null
                then average_house_price.numerator
        end as numerator,
        case
            when price_last_year.area_code is not null
                then average_house_price.denominator
        end as denominator,
        cast(null as double) as median_value,
        price_last_year.numerator as numerator_last_year,
        price_last_year.denominator as denominator_last_year,
        price_last_year.area_code is not null as is_in_region_sum
    from average_house_price
    left join average_house_price as price_last_year
        on
            average_house_price.area_code = price_last_year.area_code
            and average_house_price.period_start
            = cast(price_last_year.period_start + interval 1 year as date)

),

-- requests closed within their category's service level / requests made
resolved_within_service_level_pct as (

    select
        'resolved_within_service_level_pct' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(requests.resolved_within_service_level, 0) as double)
            as numerator,
        cast(coalesce(requests.requests, 0) as double) as denominator,
        cast(null as double) as median_value
    from covered
    left join requests
        on
            covered.area_code = requests.area_code
            and covered.period_start = requests.period_start
    where covered.dataset = 'service_requests'

),

-- every borough is covered on every day the pipeline ran, whatever it
-- delivered: feed-days (and periods) delivered and validated / owed, all
-- datasets (days_covered = the days the pipeline ran in the month)
data_scorecard as (

    select
        'data_scorecard' as metric_id,
        area_code,
        region_code,
        period_start,
        max(run_days) as days_covered,
        cast(sum(delivered_feed_days) as double) as numerator,
        cast(sum(expected_feed_days) as double) as denominator,
        cast(null as double) as median_value
    from scorecard
    group by area_code, region_code, period_start

),

unioned as (

    select * from ksi_per_100k
    union all by name
    select * from net_completions_vs_target
    union all by name
    select * from affordable_share
    union all by name
    select * from service_requests_per_1000
    union all by name
    select * from median_days_to_resolve
    union all by name
    select * from digital_channel_share
    union all by name
    select * from bus_excess_wait_minutes
    union all by name
    select * from daily_journeys
    union all by name
    select * from journeys_change_yoy
    union all by name
    select * from major_decided_in_time_pct
    union all by name
    select * from average_house_price
    union all by name
    select * from house_price_change_yoy
    union all by name
    select * from resolved_within_service_level_pct
    union all by name
    select * from data_scorecard

),

final as (

    select
        metric_id,
        area_code,
        region_code,
        period_start,
        days_covered,
        numerator,
        denominator,
        median_value,
        numerator_last_year,
        denominator_last_year,
        coalesce(is_in_region_sum, true) as is_in_region_sum
    from unioned

)

select * from final
