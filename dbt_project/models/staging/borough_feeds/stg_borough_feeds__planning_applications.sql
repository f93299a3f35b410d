-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'application_ref'],
) }}
{%- set dataset, ref_column = 'planning_applications', 'application_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'planning_applications') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('application_ref') }} as application_ref,

        ---------- categories
        {{ to_code('development_type') }} as development_type_code,
        {{ to_code('decision') }} as decision_code,
        {{ to_code('extension_agreed') }} as extension_agreed_code,

        ---------- dates and timestamps
        {{ parse_day('received_date') }} as received_date,
        {{ parse_day('decision_date') }} as decision_date

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'application_ref') }}

),

-- the statutory period a decision is due in (var planning_statutory_weeks)
timed as (

    select
        *,
        decision_date - received_date as days_to_decide,
        7 * case development_type_code
            {%- for kind, weeks in var('planning_statutory_weeks').items() %}
                when '{{ kind }}' then {{ weeks }}
            {%- endfor %}
        end as statutory_period_days
    from resolved

),

final as (

    select
        area_code || '/' || application_ref as application_id,
        application_ref,
        area_code,
        reported_area_code,
        reported_borough,
        received_date,
        decision_date,
        development_type_code,
        development_type_code = 'major' as is_major,
        decision_code,
        case extension_agreed_code
            when 'yes' then true
            when 'no' then false
        end as is_extension_agreed,
        days_to_decide,
        statutory_period_days,
        -- in time: within the statutory period, or later with an agreed
        -- extension of time (or planning performance agreement)
        coalesce(
            days_to_decide <= statutory_period_days
            or extension_agreed_code = 'yes',
            false
        ) as is_decided_in_time,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from timed

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
