-- Each region row's numerator, denominator and boroughs_covered are the sums
-- over its borough rows that count in the region (is_in_region_sum: a
-- year-on-year metric's boroughs with both years) for the same metric and
-- period (ratio of sums); a per_day metric's denominator is the days in the
-- period once (the boroughs' shared denominator), not their sum. A region row
-- exists exactly when some borough row does. Sums agree to 1e-9 relative (the
-- region sums exact decimals, this test doubles).
with

metrics as (

    select * from {{ ref('city_metrics') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

definitions as (

    select * from {{ ref('dim_metrics') }}

),

borough_sums as (

    select
        metrics.metric_id,
        areas.region_code as area_code,
        metrics.period_type,
        metrics.period_start,
        sum(metrics.numerator) filter (where metrics.is_in_region_sum)
            as numerator,
        sum(metrics.numerator_last_year) filter (
            where metrics.is_in_region_sum
        ) as numerator_last_year,
        -- unknown when any covered borough's denominator is unknown
        case
            when
                count(metrics.denominator) filter (
                    where metrics.is_in_region_sum
                )
                = count(*) filter (where metrics.is_in_region_sum)
                then
                    case
                        when any_value(definitions.aggregation) = 'per_day'
                            then max(metrics.denominator) filter (
                                where metrics.is_in_region_sum
                            )
                        else sum(metrics.denominator) filter (
                            where metrics.is_in_region_sum
                        )
                    end
        end as denominator,
        count(*) filter (where metrics.is_in_region_sum) as boroughs_covered
    from metrics
    inner join areas
        on metrics.area_code = areas.area_code
    inner join definitions
        on metrics.metric_id = definitions.metric_id
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
        or (borough_sums.numerator is null) != (region_rows.numerator is null)
        or abs(
            coalesce(borough_sums.numerator, 0)
            - coalesce(region_rows.numerator, 0)
        ) > 1e-9 * greatest(1, abs(coalesce(region_rows.numerator, 0)))
        or abs(
            coalesce(borough_sums.numerator_last_year, 0)
            - coalesce(region_rows.numerator_last_year, 0)
        )
        > 1e-9 * greatest(1, abs(coalesce(region_rows.numerator_last_year, 0)))
        or (borough_sums.denominator is null)
        != (region_rows.denominator is null)
        or abs(
            coalesce(borough_sums.denominator, 0)
            - coalesce(region_rows.denominator, 0)
        ) > 1e-9 * greatest(1, abs(coalesce(region_rows.denominator, 0)))
        or borough_sums.boroughs_covered != region_rows.boroughs_covered

)

select * from final
