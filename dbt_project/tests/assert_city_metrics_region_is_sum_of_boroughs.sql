-- Each region row's numerator, denominator and boroughs_covered are the sums
-- over its borough rows for the same metric and period (ratio of sums), and a
-- region row exists exactly when some borough row does.
with

metrics as (

    select * from {{ ref('city_metrics') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

borough_sums as (

    select
        metrics.metric_id,
        areas.region_code as area_code,
        metrics.period_type,
        metrics.period_start,
        sum(metrics.numerator) as numerator,
        -- unknown when any covered borough's denominator is unknown
        case
            when count(metrics.denominator) = count(*)
                then sum(metrics.denominator)
        end as denominator,
        count(*) as boroughs_covered
    from metrics
    inner join areas
        on metrics.area_code = areas.area_code
    where metrics.area_type = 'borough'
    group by all

),

region_rows as (

    select * from metrics
    where area_type = 'region'

),

final as (

    select
        coalesce(borough_sums.metric_id, region_rows.metric_id) as metric_id,
        coalesce(borough_sums.area_code, region_rows.area_code) as area_code,
        coalesce(borough_sums.period_type, region_rows.period_type)
            as period_type,
        coalesce(borough_sums.period_start, region_rows.period_start)
            as period_start,
        borough_sums.numerator as borough_numerator,
        region_rows.numerator as region_numerator,
        borough_sums.denominator as borough_denominator,
        region_rows.denominator as region_denominator,
        borough_sums.boroughs_covered as borough_rows,
        region_rows.boroughs_covered as region_boroughs_covered
    from borough_sums
    full outer join region_rows
        on
            borough_sums.metric_id = region_rows.metric_id
            and borough_sums.area_code = region_rows.area_code
            and borough_sums.period_type = region_rows.period_type
            and borough_sums.period_start = region_rows.period_start
    where
        borough_sums.metric_id is null
        or region_rows.metric_id is null
        or abs(
            coalesce(borough_sums.numerator, 0)
            - coalesce(region_rows.numerator, 0)
        ) > 1e-6
        or (borough_sums.denominator is null) != (region_rows.denominator is null)
        or abs(
            coalesce(borough_sums.denominator, 0)
            - coalesce(region_rows.denominator, 0)
        ) > 1e-6
        or borough_sums.boroughs_covered != region_rows.boroughs_covered

)

select * from final
