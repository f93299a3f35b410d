-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'waste_ref'],
) }}
{%- set dataset, ref_column = 'household_waste', 'waste_ref' %}

with

waste as (

    select upstream.*
    from {{ ref('stg_borough_feeds__household_waste') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        waste_id,
        waste_ref,
        area_code,
        period_start,
        stream_code,
        is_recycled,
        tonnes,
        data_day,
        batch_id,
        loaded_at
    from waste

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
