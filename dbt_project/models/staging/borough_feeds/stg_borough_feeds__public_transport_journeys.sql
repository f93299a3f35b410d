-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'journeys_ref'],
) }}
{%- set dataset, ref_column = 'public_transport_journeys', 'journeys_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'public_transport_journeys') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('journeys_ref') }} as journeys_ref,

        ---------- categories
        {{ to_code('mode') }} as mode_code,

        ---------- numerics
        {{ parse_integer('journeys') }} as journeys,

        ---------- dates and timestamps
        {{ parse_day('month') }} as month_start

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'journeys_ref') }}

),

final as (

    select
        area_code || '/' || journeys_ref as journeys_id,
        journeys_ref,
        area_code,
        reported_area_code,
        reported_borough,
        month_start,
        mode_code,
        journeys,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from resolved

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
