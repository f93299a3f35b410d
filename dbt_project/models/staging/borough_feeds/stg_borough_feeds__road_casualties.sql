-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'casualty_ref'],
) }}
{%- set dataset, ref_column = 'road_casualties', 'casualty_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'road_casualties') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('casualty_ref') }} as casualty_ref,

        ---------- categories
        {{ to_code('severity') }} as severity_code,
        {{ to_code('road_user_type') }} as road_user_type_code,

        ---------- numerics
        {{ parse_integer('casualty_age') }} as casualty_age,

        ---------- dates and timestamps
        {{ parse_day('accident_date') }} as accident_date

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'casualty_ref') }}

),

final as (

    select
        area_code || '/' || casualty_ref as casualty_id,
        casualty_ref,
        area_code,
        reported_area_code,
        reported_borough,
        accident_date,
        severity_code,
        severity_code in ('fatal', 'serious') as is_ksi,
        road_user_type_code,
        casualty_age,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from resolved

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
