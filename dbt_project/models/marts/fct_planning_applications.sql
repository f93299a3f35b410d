-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'application_ref'],
) }}
{%- set dataset, ref_column = 'planning_applications', 'application_ref' %}

with

applications as (

    select upstream.*
    from {{ ref('stg_borough_feeds__planning_applications') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        application_id,
        application_ref,
        area_code,
        received_date,
        decision_date,
        data_day,
        period_start,
        development_type_code,
        is_major,
        decision_code,
        is_extension_agreed,
        days_to_decide,
        statutory_period_days,
        is_decided_in_time,
        batch_id,
        loaded_at
    from applications

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
