-- The city-wide picture: one row per metric, area (each borough that
-- delivered the metric's dataset in the month, and the region) and calendar
-- month of the data day. Region values are ratios of sums over the covered
-- boroughs, and the region median is pooled over all their requests: never
-- an average of borough values. A metric tied to no dataset (data_scorecard)
-- takes its region coverage from its borough rows.
with

borough_metrics as (

    select * from {{ ref('int_city_metrics__borough_month') }}

),

coverage as (

    select * from {{ ref('int_feed_coverage__by_month') }}

),

requests as (

    select * from {{ ref('fct_service_requests') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

metrics as (

    select * from {{ ref('dim_metrics') }}

),

borough_rows as (

    select
        metric_id,
        area_code,
        period_start,
        numerator,
        denominator,
        median_value,
        days_covered,
        1 as boroughs_covered,
        1 as boroughs_expected
    from borough_metrics

),

region_sums as (

    select
        metric_id,
        region_code as area_code,
        period_start,
        -- summed as exact decimals: a double sum depends on the order DuckDB's
        -- threads add rows in, and a re-run must give the same bits
        cast(sum(cast(numerator as decimal(38, 12))) as double) as numerator,
        -- a covered borough without a denominator (no population or target)
        -- makes the region's denominator unknown, not smaller
        case
            when count(denominator) = count(*)
                then cast(sum(cast(denominator as decimal(38, 12))) as double)
        end as denominator,
        -- coverage of a metric not tied to one dataset (data_scorecard)
        max(days_covered) as days_covered,
        count(*) as boroughs_covered
    from borough_metrics
    group by metric_id, region_code, period_start

),

boroughs_per_region as (

    select
        region_code as area_code,
        count(*) as boroughs_expected
    from areas
    where area_type = 'borough'
    group by region_code

),

covered_requests as (

    select
        borough_metrics.region_code,
        borough_metrics.period_start,
        requests.days_to_resolve
    from requests
    inner join borough_metrics
        on
            requests.area_code = borough_metrics.area_code
            and requests.period_start = borough_metrics.period_start
    where borough_metrics.metric_id = 'median_days_to_resolve'

),

region_medians as (

    select
        region_code as area_code,
        period_start,
        median(days_to_resolve) as median_value
    from covered_requests
    group by region_code, period_start

),

region_rows as (

    select
        region_sums.metric_id,
        region_sums.area_code,
        region_sums.period_start,
        region_sums.numerator,
        region_sums.denominator,
        case
            when metrics.aggregation = 'median' then region_medians.median_value
        end as median_value,
        case
            when metrics.dataset is null then region_sums.days_covered
            else coverage.days_covered
        end as days_covered,
        case
            when metrics.dataset is null then region_sums.boroughs_covered
            else coverage.boroughs_covered
        end as boroughs_covered,
        case
            when metrics.dataset is null
                then boroughs_per_region.boroughs_expected
            else coverage.boroughs_expected
        end as boroughs_expected
    from region_sums
    inner join metrics
        on region_sums.metric_id = metrics.metric_id
    left join boroughs_per_region
        on region_sums.area_code = boroughs_per_region.area_code
    left join coverage
        on
            metrics.dataset = coverage.dataset
            and region_sums.area_code = coverage.area_code
            and region_sums.period_start = coverage.period_start
            and coverage.area_type = 'region'
    left join region_medians
        on
            region_sums.area_code = region_medians.area_code
            and region_sums.period_start = region_medians.period_start

),

unioned as (

    select * from borough_rows
    union all by name
    select * from region_rows

),

final as (

    select
        unioned.metric_id,
        metrics.metric_name,
        metrics.domain,
        unioned.area_code,
        areas.area_name,
        areas.area_type,
        'month' as period_type,
        unioned.period_start,
        cast(last_day(unioned.period_start) as date) as period_end,
        cast(unioned.days_covered as bigint) as days_covered,
        cast(
            case
                when metrics.aggregation = 'median' then unioned.median_value
                else
                    unioned.numerator
                    / nullif(unioned.denominator, 0)
                    * metrics.value_multiplier
            end as double
        ) as value,
        cast(unioned.numerator as double) as numerator,
        cast(unioned.denominator as double) as denominator,
        metrics.unit,
        metrics.direction,
        metrics.target,
        cast(unioned.boroughs_covered as bigint) as boroughs_covered,
        cast(unioned.boroughs_expected as bigint) as boroughs_expected,
        coalesce(
            unioned.days_covered = day(last_day(unioned.period_start))
            and unioned.boroughs_covered = unioned.boroughs_expected,
            false
        ) as is_complete
    from unioned
    left join metrics
        on unioned.metric_id = metrics.metric_id
    left join areas
        on unioned.area_code = areas.area_code

)

select * from final
