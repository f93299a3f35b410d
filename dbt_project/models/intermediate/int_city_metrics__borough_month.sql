-- The numerator and denominator of every metric for every borough and month
-- in which the borough delivered the metric's dataset (no row otherwise). A
-- covered borough with no events counts zero. city_metrics turns these into
-- values and adds the region rows (ratio of sums).
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

-- every borough is covered on every day the pipeline ran, whatever it
-- delivered: feed-days delivered and validated / feed-days owed, all datasets
-- (days_covered = the days the pipeline ran in the month)
data_scorecard as (

    select
        'data_scorecard' as metric_id,
        area_code,
        region_code,
        period_start,
        max(expected_feed_days) as days_covered,
        cast(sum(delivered_feed_days) as double) as numerator,
        cast(sum(expected_feed_days) as double) as denominator,
        cast(null as double) as median_value
    from scorecard
    group by area_code, region_code, period_start

),

final as (

    select * from ksi_per_100k
    union all
    select * from net_completions_vs_target
    union all
    select * from affordable_share
    union all
    select * from service_requests_per_1000
    union all
    select * from median_days_to_resolve
    union all
    select * from digital_channel_share
    union all
    select
        metric_id,
        area_code,
        region_code,
        period_start,
        days_covered,
        numerator,
        denominator,
        median_value
    from data_scorecard

)

select * from final
