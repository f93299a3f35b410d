-- Materialised as a table: city_metrics and this model's data tests all
-- read it, and as a view each of them would recompute the chain beneath it.
{{ config(materialized="table") }}

-- Which feeds arrived, per dataset, area and reporting period: each borough
-- that delivered at least one partition in the period, and the whole region
-- (days on which any borough delivered; how many boroughs delivered). The
-- period is the calendar month for a daily dataset and the dataset's own
-- period otherwise (month, quarter, year, financial_year, TfL's four_weekly:
-- macro period_start_of). A periodic partition holds its whole period, so a
-- delivered period covers all of its days. A region-wide source's partition
-- of the region itself (its non-borough rows) is no borough's delivery.
with

partitions as (

    select * from {{ ref('stg_borough_feeds__feed_partitions') }}

),

areas as (

    select * from {{ ref('stg_borough_feeds__areas') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}

),

boroughs_per_region as (

    select
        region_code,
        count(*) as boroughs_expected
    from areas
    group by region_code

),

borough_partitions as (

    select
        partitions.dataset,
        partitions.area_code,
        partitions.data_day,
        partitions.row_count,
        partitions.loaded_at,
        areas.region_code,
        coalesce(datasets.cadence, 'daily') as cadence,
        case coalesce(datasets.cadence, 'daily')
            when 'daily' then 'month'
            when 'monthly' then 'month'
            when 'quarterly' then 'quarter'
            when 'yearly' then 'year'
            else datasets.cadence
        end as period_type,
        -- a daily feed's days are counted per calendar month; a periodic
        -- partition is its period
        case
            when coalesce(datasets.cadence, 'daily') = 'daily'
                then cast(date_trunc('month', partitions.data_day) as date)
            else {{ period_start_of(
                'partitions.data_day', 'datasets.cadence'
            ) }}
        end as period_start
    from partitions
    inner join areas
        on partitions.area_code = areas.area_code
    left join datasets
        on partitions.dataset = datasets.dataset

),

borough_periods as (

    select
        dataset,
        cadence,
        period_type,
        area_code,
        'borough' as area_type,
        region_code,
        period_start,
        count(distinct data_day) as days_delivered,
        1 as boroughs_covered,
        1 as boroughs_expected,
        count(*) as partitions_loaded,
        sum(row_count) as rows_loaded,
        min(data_day) as first_data_day,
        max(data_day) as last_data_day,
        max(loaded_at) as last_loaded_at
    from borough_partitions
    group by all

),

region_periods as (

    select
        borough_partitions.dataset,
        borough_partitions.cadence,
        borough_partitions.period_type,
        borough_partitions.region_code as area_code,
        'region' as area_type,
        borough_partitions.region_code,
        borough_partitions.period_start,
        count(distinct borough_partitions.data_day) as days_delivered,
        count(distinct borough_partitions.area_code) as boroughs_covered,
        any_value(boroughs_per_region.boroughs_expected) as boroughs_expected,
        count(*) as partitions_loaded,
        sum(borough_partitions.row_count) as rows_loaded,
        min(borough_partitions.data_day) as first_data_day,
        max(borough_partitions.data_day) as last_data_day,
        max(borough_partitions.loaded_at) as last_loaded_at
    from borough_partitions
    inner join boroughs_per_region
        on borough_partitions.region_code = boroughs_per_region.region_code
    group by
        borough_partitions.dataset,
        borough_partitions.cadence,
        borough_partitions.period_type,
        borough_partitions.region_code,
        borough_partitions.period_start

),

unioned as (

    select * from borough_periods
    union all by name
    select * from region_periods

),

bounded as (

    select
        *,
        case
            when cadence = 'daily' then last_day(period_start)
            else {{ period_end_of('period_start', 'cadence') }}
        end as period_end
    from unioned

),

measured as (

    select
        dataset,
        cadence,
        period_type,
        area_code,
        area_type,
        region_code,
        period_start,
        period_end,
        cast(date_diff('day', period_start, period_end) + 1 as bigint)
            as days_in_period,
        -- a daily feed covers the days it delivered; a monthly or quarterly
        -- partition covers its whole period
        cast(
            case
                when cadence = 'daily' then days_delivered
                else date_diff('day', period_start, period_end) + 1
            end as bigint
        ) as days_covered,
        cast(boroughs_covered as bigint) as boroughs_covered,
        cast(boroughs_expected as bigint) as boroughs_expected,
        cast(partitions_loaded as bigint) as partitions_loaded,
        cast(rows_loaded as bigint) as rows_loaded,
        first_data_day,
        last_data_day,
        last_loaded_at
    from bounded

),

final as (

    select
        *,
        days_covered = days_in_period
        and boroughs_covered = boroughs_expected as is_complete
    from measured

)

select * from final
