-- The city-wide picture: one row per metric, area (each borough that
-- delivered the metric's dataset in the period, and the region) and period:
-- each calendar month of the data day (or the calendar quarter, for metrics of
-- quarterly datasets), and for a metric with rolling_months the window of
-- that many months ending in each month (rolling_12m). Region values are
-- ratios of sums over the covered boroughs (over the boroughs with both years
-- for a year-on-year metric), and the region median is pooled over all their
-- records (median.records of config/metrics.yml: requests for median days to
-- resolve): never an average of borough values. Two aggregations differ:
-- per_day (daily journeys) divides the summed numerator by the days in the
-- period once, not by days summed over boroughs; ratio_change (house price
-- change) divides this year's ratio of sums by last year's. A metric tied to
-- no dataset (data_scorecard) takes its region coverage from its borough
-- rows. Each row carries the value a year earlier and, when both periods are
-- complete, the change.
with

monthly_metrics as (

    select * from {{ ref('int_city_metrics__borough_month') }}

),

quarterly_metrics as (

    select * from {{ ref('int_city_metrics__borough_quarter') }}

),

rolling_metrics as (

    select * from {{ ref('int_city_metrics__borough_rolling') }}

),

coverage as (

    select * from {{ ref('int_feed_coverage__by_month') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

metrics as (

    select * from {{ ref('dim_metrics') }}

),

borough_metrics as (

    select
        metric_id,
        area_code,
        region_code,
        'month' as period_type,
        period_start,
        cast(last_day(period_start) as date) as period_end,
        numerator,
        denominator,
        median_value,
        numerator_last_year,
        denominator_last_year,
        coalesce(is_in_region_sum, true) as is_in_region_sum,
        days_covered,
        cast(null as bigint) as region_days_covered
    from monthly_metrics
    union all by name
    select
        metric_id,
        area_code,
        region_code,
        'quarter' as period_type,
        period_start,
        cast(period_start + interval 3 month - interval 1 day as date)
            as period_end,
        numerator,
        denominator,
        days_covered,
        true as is_in_region_sum
    from quarterly_metrics
    union all by name
    select
        metric_id,
        area_code,
        region_code,
        period_type,
        period_start,
        period_end,
        numerator,
        denominator,
        cast(null as double) as median_value,
        true as is_in_region_sum,
        days_covered,
        region_days_covered
    from rolling_metrics

),

borough_rows as (

    select
        metric_id,
        area_code,
        period_type,
        period_start,
        period_end,
        numerator,
        denominator,
        median_value,
        numerator_last_year,
        denominator_last_year,
        is_in_region_sum,
        days_covered,
        1 as boroughs_covered,
        1 as boroughs_expected
    from borough_metrics

),

-- only the boroughs whose rows count towards the region (a year-on-year
-- metric: those with both years)
region_sums as (

    select
        metric_id,
        region_code as area_code,
        period_type,
        period_start,
        period_end,
        -- summed as exact decimals: a double sum depends on the order DuckDB's
        -- threads add rows in, and a re-run must give the same bits
        {{ exact_sum('numerator', 'is_in_region_sum') }} as numerator,
        {{ exact_sum('numerator_last_year', 'is_in_region_sum') }}
            as numerator_last_year,
        -- a covered borough without a denominator (no population or target)
        -- makes the region's denominator unknown, not smaller
        case
            when
                count(denominator) filter (where is_in_region_sum)
                = count(*) filter (where is_in_region_sum)
                then {{ exact_sum('denominator', 'is_in_region_sum') }}
        end as denominator,
        {{ exact_sum('denominator_last_year', 'is_in_region_sum') }}
            as denominator_last_year,
        -- per_day: every borough's denominator is the days in the period
        max(denominator) filter (where is_in_region_sum) as days_in_period,
        -- rolling windows: days on which any borough delivered in the window
        max(region_days_covered) as region_days_covered,
        -- coverage of a metric not tied to one dataset (data_scorecard)
        max(days_covered) as days_covered,
        count(*) filter (where is_in_region_sum) as boroughs_covered
    from borough_metrics
    group by metric_id, region_code, period_type, period_start, period_end

),

boroughs_per_region as (

    select
        region_code as area_code,
        count(*) as boroughs_expected
    from areas
    where area_type = 'borough'
    group by region_code

),

-- the records behind each median metric (config/metrics.yml median.records)
-- of the covered boroughs: the region's median is pooled over all of them
covered_records as (

    {% for median in median_metrics() %}
        select
            borough_metrics.metric_id,
            borough_metrics.region_code,
            borough_metrics.period_start,
            records.{{ median.column }} as median_input
        from {{ ref(median.records) }} as records
        inner join borough_metrics
            on
                records.area_code = borough_metrics.area_code
                and records.period_start = borough_metrics.period_start
        where
            borough_metrics.metric_id = '{{ median.metric_id }}'
            and borough_metrics.period_type = 'month'
        {% if not loop.last %}union all{% endif %}
    {% else %}
        select
            metric_id,
            region_code,
            period_start,
            cast(null as double) as median_input
        from borough_metrics
        where false
    {% endfor %}

),

region_medians as (

    select
        metric_id,
        region_code as area_code,
        period_start,
        median(median_input) as median_value
    from covered_records
    group by metric_id, region_code, period_start

),

region_rows as (

    select
        region_sums.metric_id,
        region_sums.area_code,
        region_sums.period_type,
        region_sums.period_start,
        region_sums.period_end,
        region_sums.numerator,
        case
            when metrics.aggregation = 'per_day'
                then region_sums.days_in_period
            else region_sums.denominator
        end as denominator,
        region_sums.numerator_last_year,
        region_sums.denominator_last_year,
        true as is_in_region_sum,
        case
            when metrics.aggregation = 'median' then region_medians.median_value
        end as median_value,
        coalesce(
            coverage.days_covered,
            region_sums.region_days_covered,
            region_sums.days_covered
        ) as days_covered,
        region_sums.boroughs_covered,
        coalesce(
            coverage.boroughs_expected, boroughs_per_region.boroughs_expected
        ) as boroughs_expected
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
            and region_sums.period_type = coverage.period_type
            and coverage.area_type = 'region'
    left join region_medians
        on
            region_sums.metric_id = region_medians.metric_id
            and region_sums.area_code = region_medians.area_code
            and region_sums.period_start = region_medians.period_start
            and region_sums.period_type = 'month'

),

unioned as (

    select * from borough_rows
    union all by name
    select * from region_rows

),

valued as (

    select
        unioned.metric_id,
        metrics.metric_name,
        metrics.domain,
        unioned.area_code,
        areas.area_name,
        areas.area_type,
        unioned.period_type,
        unioned.period_start,
        unioned.period_end,
        cast(unioned.days_covered as bigint) as days_covered,
        cast(
            case
                when metrics.aggregation = 'median' then unioned.median_value
                -- this year's ratio against last year's, as a change
                when metrics.aggregation = 'ratio_change'
                    then
                        (
                            (unioned.numerator / nullif(unioned.denominator, 0))
                            / nullif(
                                unioned.numerator_last_year
                                / nullif(unioned.denominator_last_year, 0),
                                0
                            )
                            - 1
                        )
                        * metrics.value_multiplier
                -- ratio; per_day (its denominator is the days in the period)
                else
                    unioned.numerator
                    / nullif(unioned.denominator, 0)
                    * metrics.value_multiplier
            end as double
        ) as value,
        cast(unioned.numerator as double) as numerator,
        cast(unioned.denominator as double) as denominator,
        cast(unioned.numerator_last_year as double) as numerator_last_year,
        cast(unioned.denominator_last_year as double) as denominator_last_year,
        unioned.is_in_region_sum,
        metrics.unit,
        metrics.direction,
        metrics.target,
        cast(unioned.boroughs_covered as bigint) as boroughs_covered,
        cast(unioned.boroughs_expected as bigint) as boroughs_expected,
        coalesce(
            unioned.days_covered
            = date_diff('day', unioned.period_start, unioned.period_end) + 1
            and unioned.boroughs_covered = unioned.boroughs_expected,
            false
        ) as is_complete
    from unioned
    left join metrics
        on unioned.metric_id = metrics.metric_id
    left join areas
        on unioned.area_code = areas.area_code

),

-- the region's boroughs whose rows do not count towards a region row (no
-- delivery in the period; a year-on-year metric: not both years), by name
missing_boroughs as (

    select
        region_rows.metric_id,
        region_rows.area_code,
        region_rows.period_type,
        region_rows.period_start,
        string_agg(boroughs.area_name, ', ' order by boroughs.area_name)
            as missing_boroughs
    from valued as region_rows
    inner join areas as boroughs
        on
            region_rows.area_code = boroughs.region_code
            and boroughs.area_type = 'borough'
    left join valued as covered
        on
            region_rows.metric_id = covered.metric_id
            and region_rows.period_type = covered.period_type
            and region_rows.period_start = covered.period_start
            and boroughs.area_code = covered.area_code
            and covered.is_in_region_sum
    where region_rows.area_type = 'region' and covered.area_code is null
    group by all

),

-- year on year: the same metric, area and kind of period a year earlier; the
-- change only when both periods are complete (partial periods do not compare)
final as (

    select
        valued.*,
        last_year.value as value_last_year,
        case
            when valued.is_complete and last_year.is_complete
                then valued.value - last_year.value
        end as change_vs_last_year,
        -- added after the recorded columns: all the period's days delivered
        -- (is_complete also wants every borough), and who is missing
        coalesce(
            valued.days_covered
            = date_diff('day', valued.period_start, valued.period_end) + 1,
            false
        ) as is_period_complete,
        missing_boroughs.missing_boroughs
    from valued
    left join valued as last_year
        on
            valued.metric_id = last_year.metric_id
            and valued.area_code = last_year.area_code
            and valued.period_type = last_year.period_type
            and cast(valued.period_start - interval 1 year as date)
            = last_year.period_start
    left join missing_boroughs
        on
            valued.metric_id = missing_boroughs.metric_id
            and valued.area_code = missing_boroughs.area_code
            and valued.period_type = missing_boroughs.period_type
            and valued.period_start = missing_boroughs.period_start

)

select * from final
