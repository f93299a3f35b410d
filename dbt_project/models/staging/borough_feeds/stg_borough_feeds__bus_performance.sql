-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'route_month_ref'],
) }}
{%- set dataset, ref_column = 'bus_performance', 'route_month_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'bus_performance') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('route_month_ref') }} as route_month_ref,

        ---------- text
        {{ clean_text('route') }} as route,

        ---------- categories
        {{ to_code('service_type') }} as service_type_code,

        ---------- numerics
        {{ parse_decimal('scheduled_wait_minutes') }} as scheduled_wait_minutes,
        {{ parse_decimal('actual_wait_minutes') }} as actual_wait_minutes,
        {{ parse_integer('observed_departures') }} as observed_departures,

        ---------- dates and timestamps
        {{ parse_day('month') }} as month_start

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'route_month_ref') }}

),

final as (

    select
        area_code || '/' || route_month_ref as route_month_id,
        route_month_ref,
        area_code,
        reported_area_code,
        reported_borough,
        month_start,
        route,
        service_type_code,
        service_type_code = 'high_frequency' as is_high_frequency,
        scheduled_wait_minutes,
        actual_wait_minutes,
        -- excess wait time: only high-frequency routes publish their waits
        actual_wait_minutes - scheduled_wait_minutes as excess_wait_minutes,
        observed_departures,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from resolved

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
