-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'ta_ref'],
) }}
{%- set dataset, ref_column = 'temporary_accommodation', 'ta_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'temporary_accommodation') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('ta_ref') }} as ta_ref,

        ---------- categories
        {{ to_code('accommodation_type') }} as accommodation_type_code,

        ---------- numerics
        {{ parse_integer('households') }} as households,
        {{ parse_integer('households_with_children') }}
            as households_with_children,

        ---------- dates and timestamps
        {{ parse_day('quarter') }} as quarter_start

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'ta_ref') }}

),

final as (

    select
        area_code || '/' || ta_ref as ta_id,
        ta_ref,
        area_code,
        reported_area_code,
        reported_borough,
        quarter_start,
        accommodation_type_code,
        households,
        households_with_children,
        data_day,
        cast(date_trunc('quarter', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from resolved

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
