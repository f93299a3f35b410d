-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'journeys_ref'],
) }}
{%- set dataset, ref_column = 'public_transport_journeys', 'journeys_ref' %}

with

journeys as (

    select upstream.*
    from {{ ref('stg_borough_feeds__public_transport_journeys') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        journeys_id,
        journeys_ref,
        area_code,
        period_start,
        mode_code,
        journeys,
        data_day,
        batch_id,
        loaded_at
    from journeys

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
