-- A table: its data tests and the models above it read it many times a night,
-- and as a view each of them would recompute it.
{{ config(materialized="table") }}

with

source as (

    select * from {{ source('audit', 'batches') }}

),

batches as (

    select
        ---------- ids
        batch_id,
        run_id,
        dataset,
        borough_code as area_code,

        ---------- text
        status,
        reason,
        warnings,
        landed_path,
        quarantine_path,

        ---------- numerics
        cast(row_count as bigint) as row_count,

        ---------- dates and timestamps
        cast(data_day as date) as data_day,
        cast(recorded_at as timestamp) as recorded_at

    from source

),

deduplicated as (

    select *
    from batches
    qualify row_number() over (
        partition by run_id, batch_id
        order by recorded_at desc
    ) = 1

),

final as (

    select
        coalesce(run_id, '') || '/' || batch_id as batch_record_id,
        batch_id,
        run_id,
        dataset,
        area_code,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        status,
        row_count,
        reason,
        warnings,
        warnings is not null as has_warnings,
        landed_path,
        quarantine_path,
        recorded_at,
        row_number() over (
            partition by dataset, area_code, data_day
            order by recorded_at, batch_id
        ) as attempt
    from deduplicated

)

select * from final
