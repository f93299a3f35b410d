-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'route_month_ref'],
) }}
{%- set dataset, ref_column = 'bus_performance', 'route_month_ref' %}

with

routes as (

    select upstream.*
    from {{ ref('stg_borough_feeds__bus_performance') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        route_month_id,
        route_month_ref,
        area_code,
        period_start,
        route,
        service_type_code,
        is_high_frequency,
        scheduled_wait_minutes,
        actual_wait_minutes,
        excess_wait_minutes,
        observed_departures,
        data_day,
        batch_id,
        loaded_at
    from routes

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
