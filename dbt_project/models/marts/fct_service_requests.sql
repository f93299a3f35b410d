-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'request_ref'],
) }}
{%- set dataset, ref_column = 'service_requests', 'request_ref' %}

with

requests as (

    select upstream.*
    from {{ ref('int_service_requests__with_service_level') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        request_id,
        request_ref,
        area_code,
        requested_date,
        data_day,
        period_start,
        category_code,
        channel_code,
        is_digital,
        status_code,
        closed_date,
        days_to_resolve,
        service_level_days,
        is_resolved_within_service_level,
        batch_id,
        loaded_at
    from requests

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
