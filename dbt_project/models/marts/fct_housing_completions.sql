-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'completion_ref'],
) }}
{%- set dataset, ref_column = 'housing_completions', 'completion_ref' %}

with

completions as (

    select upstream.*
    from {{ ref('stg_borough_feeds__housing_completions') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        completion_id,
        completion_ref,
        area_code,
        completion_date,
        data_day,
        period_start,
        tenure_code,
        is_affordable,
        units_completed,
        units_lost,
        net_units,
        batch_id,
        loaded_at
    from completions

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
