-- A table: its data tests and the models above it read it many times a night,
-- and as a view each of them would recompute it.
{{ config(materialized="table") }}

with

source as (

    select * from {{ source('borough_feeds', 'feed_partitions') }}

),

partitions as (

    select
        ---------- ids
        {{ clean_text('dataset') }} as dataset,
        {{ clean_text('borough_code') }} as area_code,
        {{ clean_text('batch_id') }} as batch_id,

        ---------- numerics
        cast(row_count as bigint) as row_count,

        ---------- dates and timestamps
        cast(data_day as date) as data_day,
        cast(loaded_at as timestamp) as loaded_at

    from source

),

deduplicated as (

    select *
    from partitions
    qualify row_number() over (
        partition by dataset, area_code, data_day
        order by loaded_at desc, batch_id desc
    ) = 1

),

final as (

    select
        dataset || '/' || area_code || '/' || strftime(data_day, '%Y-%m-%d')
            as partition_id,
        dataset,
        area_code,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        batch_id,
        row_count,
        loaded_at
    from deduplicated

)

select * from final
