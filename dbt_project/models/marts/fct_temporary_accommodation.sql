-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'ta_ref'],
) }}
{%- set dataset, ref_column = 'temporary_accommodation', 'ta_ref' %}

with

accommodation as (

    select upstream.*
    from {{ ref('stg_borough_feeds__temporary_accommodation') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        ta_id,
        ta_ref,
        area_code,
        period_start,
        accommodation_type_code,
        households,
        households_with_children,
        data_day,
        batch_id,
        loaded_at
    from accommodation

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
