-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'request_ref'],
) }}
{%- set dataset, ref_column = 'service_requests', 'request_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'service_requests') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('request_ref') }} as request_ref,

        ---------- categories
        {{ to_code('category') }} as category_code,
        {{ to_code('channel') }} as channel_code,
        {{ to_code('status') }} as status_code,

        ---------- dates and timestamps
        {{ parse_day('requested_date') }} as requested_date,
        {{ parse_day('closed_date') }} as closed_date

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'request_ref') }}

),

final as (

    select
        area_code || '/' || request_ref as request_id,
        request_ref,
        area_code,
        reported_area_code,
        reported_borough,
        requested_date,
        category_code,
        channel_code,
        channel_code in ('online', 'app') as is_digital,
        status_code,
        closed_date,
        case
            when status_code = 'closed' then closed_date - requested_date
        end as days_to_resolve,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from resolved

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
