-- Materialised as a table: city_metrics and this model's data tests all
-- read it, and as a view each of them would recompute the chain beneath it.
{{ config(materialized="table") }}

-- Rolling-window metrics (e.g. KSI per 100k over 12 months, as DESIGN.md
-- defines it) per borough, for every window ending in a month with data:
-- the window's numerators summed; its denominator summed for a flow (homes,
-- requests) or taken from the latest month for a stock (population). Built
-- from whatever months are loaded: days_covered says how much of the window
-- that is. region_days_covered carries the days on which any borough of the
-- region delivered in the window, for the region row city_metrics adds.
with

borough_months as (

    select * from {{ ref('int_city_metrics__borough_month') }}

),

rolling_windows as (

    select * from {{ ref('metric_rolling_windows') }}

),

metric_definitions as (

    select * from {{ ref('metric_definitions') }}

),

definitions as (

    select
        rolling_windows.metric_id,
        rolling_windows.rolling_months,
        rolling_windows.denominator_kind,
        metric_definitions.dataset
    from rolling_windows
    inner join metric_definitions
        on rolling_windows.metric_id = metric_definitions.metric_id

),

coverage as (

    select * from {{ ref('int_feed_coverage__by_month') }}
    where area_type = 'region'

),

windows as (

    select distinct
        borough_months.metric_id,
        borough_months.region_code,
        definitions.dataset,
        definitions.denominator_kind,
        'rolling_' || cast(definitions.rolling_months as varchar) || 'm'
            as period_type,
        cast(
            borough_months.period_start
            - to_months(cast(definitions.rolling_months as integer) - 1)
            as date
        ) as period_start,
        cast(last_day(borough_months.period_start) as date) as period_end
    from borough_months
    inner join definitions
        on borough_months.metric_id = definitions.metric_id

),

region_days as (

    select
        windows.metric_id,
        windows.region_code,
        windows.period_start,
        sum(coverage.days_covered) as region_days_covered
    from windows
    inner join coverage
        on
            windows.dataset = coverage.dataset
            and windows.region_code = coverage.area_code
            and coverage.period_start between windows.period_start
            and windows.period_end
    group by windows.metric_id, windows.region_code, windows.period_start

),

windowed as (

    select
        windows.metric_id,
        borough_months.area_code,
        windows.region_code,
        windows.period_type,
        windows.period_start,
        windows.period_end,
        windows.denominator_kind,
        count(*) as months_covered,
        sum(borough_months.days_covered) as days_covered,
        sum(borough_months.numerator) as numerator,
        sum(borough_months.denominator) as flow_denominator,
        count(borough_months.denominator) as denominators_known,
        arg_max(borough_months.denominator, borough_months.period_start)
            as stock_denominator
    from windows
    inner join borough_months
        on
            windows.metric_id = borough_months.metric_id
            and windows.region_code = borough_months.region_code
            and borough_months.period_start between windows.period_start
            and windows.period_end
    group by all

),

final as (

    select
        windowed.metric_id,
        windowed.area_code,
        windowed.region_code,
        windowed.period_type,
        windowed.period_start,
        windowed.period_end,
        cast(windowed.months_covered as bigint) as months_covered,
        cast(windowed.days_covered as bigint) as days_covered,
        cast(windowed.numerator as double) as numerator,
        cast(
            case
                when windowed.denominator_kind = 'stock'
                    then windowed.stock_denominator
                -- a month without a denominator makes the sum unknown
                when windowed.denominators_known = windowed.months_covered
                    then windowed.flow_denominator
            end as double
        ) as denominator,
        cast(region_days.region_days_covered as bigint) as region_days_covered
    from windowed
    left join region_days
        on
            windowed.metric_id = region_days.metric_id
            and windowed.region_code = region_days.region_code
            and windowed.period_start = region_days.period_start

)

select * from final
