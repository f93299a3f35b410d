-- Which feeds arrived, per dataset, area and calendar month: each borough
-- that delivered at least one partition in the month, and the whole region
-- (days on which any borough delivered; how many boroughs delivered).
with

partitions as (

    select * from {{ ref('stg_borough_feeds__feed_partitions') }}

),

areas as (

    select * from {{ ref('stg_borough_feeds__areas') }}

),

boroughs_per_region as (

    select
        region_code,
        count(*) as boroughs_expected
    from areas
    group by 1

),

borough_partitions as (

    select
        partitions.*,
        areas.region_code
    from partitions
    inner join areas
        on partitions.area_code = areas.area_code

),

borough_months as (

    select
        dataset,
        area_code,
        'borough' as area_type,
        region_code,
        period_start,
        count(distinct data_day) as days_covered,
        1 as boroughs_covered,
        1 as boroughs_expected,
        count(*) as partitions_loaded,
        sum(row_count) as rows_loaded,
        min(data_day) as first_data_day,
        max(data_day) as last_data_day,
        max(loaded_at) as last_loaded_at
    from borough_partitions
    group by dataset, area_code, region_code, period_start

),

region_months as (

    select
        borough_partitions.dataset,
        borough_partitions.region_code as area_code,
        'region' as area_type,
        borough_partitions.region_code,
        borough_partitions.period_start,
        count(distinct borough_partitions.data_day) as days_covered,
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
        borough_partitions.region_code,
        borough_partitions.period_start

),

unioned as (

    select * from borough_months
    union all by name
    select * from region_months

),

final as (

    select
        dataset,
        area_code,
        area_type,
        region_code,
        period_start,
        cast(last_day(period_start) as date) as period_end,
        cast(day(last_day(period_start)) as bigint) as days_in_month,
        cast(days_covered as bigint) as days_covered,
        cast(boroughs_covered as bigint) as boroughs_covered,
        cast(boroughs_expected as bigint) as boroughs_expected,
        cast(partitions_loaded as bigint) as partitions_loaded,
        cast(rows_loaded as bigint) as rows_loaded,
        first_data_day,
        last_data_day,
        last_loaded_at,
        days_covered = day(last_day(period_start))
        and boroughs_covered = boroughs_expected as is_complete
    from unioned

)

select * from final
