-- How fresh each borough's feed of each dataset is: the last data day it
-- delivered, measured against the latest data day the pipeline ran for (not
-- the wall clock, so a backfill or a re-run gives the same answer). dbt source
-- freshness can only say this per raw table; this says it per borough.
with

partitions as (

    select * from {{ ref('stg_borough_feeds__feed_partitions') }}

),

batches as (

    select * from {{ ref('stg_audit__batches') }}

),

areas as (

    select * from {{ ref('stg_borough_feeds__areas') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}

),

as_of as (

    select
        coalesce(
            (select max(data_day) from batches),
            (select max(data_day) from partitions)
        ) as as_of_day

),

delivered as (

    select
        dataset,
        area_code,
        min(data_day) as first_data_day,
        max(data_day) as last_data_day,
        max(loaded_at) as last_loaded_at
    from partitions
    group by dataset, area_code

),

final as (

    select
        datasets.dataset,
        areas.area_code,
        areas.region_code,
        delivered.first_data_day,
        delivered.last_data_day,
        delivered.last_loaded_at,
        as_of.as_of_day,
        cast(as_of.as_of_day - delivered.last_data_day as bigint) as days_behind,
        case
            when delivered.last_data_day is null then 'missing'
            when
                as_of.as_of_day - delivered.last_data_day
                <= {{ var('freshness_tolerance_days') }}
                then 'fresh'
            else 'stale'
        end as freshness_status
    from datasets
    cross join areas
    cross join as_of
    left join delivered
        on
            datasets.dataset = delivered.dataset
            and areas.area_code = delivered.area_code

)

select * from final
