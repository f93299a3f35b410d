-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'completion_ref'],
) }}
{%- set dataset, ref_column = 'housing_completions', 'completion_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'housing_completions') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('completion_ref') }} as completion_ref,

        ---------- categories
        {{ to_code('tenure') }} as tenure_code,

        ---------- numerics
        {{ parse_integer('units_completed') }} as units_completed,
        {{ parse_integer('units_lost') }} as units_lost,

        ---------- dates and timestamps
        {{ parse_day('completion_date') }} as completion_date

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'completion_ref') }}

),

final as (

    select
        area_code || '/' || completion_ref as completion_id,
        completion_ref,
        area_code,
        reported_area_code,
        reported_borough,
        completion_date,
        tenure_code,
        tenure_code != 'market' as is_affordable,
        units_completed,
        units_lost,
        units_completed - units_lost as net_units,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from resolved

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
