-- city_metrics as the open data publishes it, before small-cell suppression:
-- one row per city_metrics row, with the count its value rests on and
-- whether that count adds up over boroughs. The count is the numerator for
-- a summed metric (ratio, per_day, ratio_change: the region's numerator is
-- the sum of the boroughs') and the records behind a median (the month's
-- records of its dataset). cell_count is that count for a metric counting
-- people (counts_people of config/metrics.yml), null otherwise: the
-- export suppresses small cell_counts, secondary suppression only where
-- is_additive. The headline ranks on rank_count. first_ and last_data_day:
-- the days the area's deliveries of a month or quarter span (freshness).
with

city_metrics as (

    select * from {{ ref('city_metrics') }}

),

metrics as (

    select * from {{ ref('dim_metrics') }}

),

publication as (

    select * from {{ ref('metric_publication') }}

),

record_counts as (

    select * from {{ ref('open_data_record_counts') }}

),

coverage as (

    select * from {{ ref('int_feed_coverage__by_month') }}

),

counted as (

    select
        city_metrics.*,
        metrics.aggregation,
        metrics.dataset,
        metrics.description as definition,
        publication.has_better_direction,
        publication.counts_people,
        cast(publication.min_count_to_rank as bigint) as min_count_to_rank,
        metrics.aggregation in ('ratio', 'per_day', 'ratio_change')
            as is_additive,
        case
            when metrics.aggregation in ('ratio', 'per_day', 'ratio_change')
                then city_metrics.numerator
            when city_metrics.period_type = 'month'
                then cast(record_counts.records as double)
        end as rank_count,
        coverage.first_data_day,
        coverage.last_data_day
    from city_metrics
    inner join metrics
        on city_metrics.metric_id = metrics.metric_id
    inner join publication
        on city_metrics.metric_id = publication.metric_id
    left join record_counts
        on
            metrics.dataset = record_counts.dataset
            and city_metrics.area_code = record_counts.area_code
            and city_metrics.period_start = record_counts.period_start
            and city_metrics.period_type = 'month'
    left join coverage
        on
            metrics.dataset = coverage.dataset
            and city_metrics.area_code = coverage.area_code
            and city_metrics.period_type = coverage.period_type
            and city_metrics.period_start = coverage.period_start

),

final as (

    select
        *,
        case when counts_people then rank_count end as cell_count,
        'computed from ' || boroughs_covered || ' of '
        || boroughs_expected || ' boroughs' as coverage
    from counted

)

-- every column of city_metrics and what the export needs beside it
select * from final  -- noqa: AM04
