-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'waste_ref'],
) }}
{%- set dataset, ref_column = 'household_waste', 'waste_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'household_waste') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('waste_ref') }} as waste_ref,

        ---------- categories
        {{ to_code('stream') }} as stream_code,

        ---------- numerics
        {{ parse_decimal('tonnes') }} as tonnes,

        ---------- dates and timestamps
        {{ parse_day('quarter') }} as quarter_start

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'waste_ref') }}

),

final as (

    select
        area_code || '/' || waste_ref as waste_id,
        waste_ref,
        area_code,
        reported_area_code,
        reported_borough,
        quarter_start,
        stream_code,
        -- recycled, composted or reused: every stream but residual waste
        stream_code != 'residual' as is_recycled,
        tonnes,
        data_day,
        cast(date_trunc('quarter', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from resolved

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
