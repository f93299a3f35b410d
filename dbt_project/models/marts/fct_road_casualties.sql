-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'casualty_ref'],
) }}
{%- set dataset, ref_column = 'road_casualties', 'casualty_ref' %}

with

casualties as (

    select upstream.*
    from {{ ref('stg_borough_feeds__road_casualties') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        casualty_id,
        casualty_ref,
        area_code,
        accident_date,
        data_day,
        period_start,
        severity_code,
        is_ksi,
        road_user_type_code,
        casualty_age,
        batch_id,
        loaded_at
    from casualties

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
