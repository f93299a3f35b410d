-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'price_ref'],
) }}
{%- set dataset, ref_column = 'house_prices', 'price_ref' %}
-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}

with

source as (

    select landed.*
    from {{ source('borough_feeds', 'house_prices') }} as landed
    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}

),

aliases as (

    select * from {{ ref('stg_borough_feeds__area_aliases') }}

),

renamed as (

    select
        {{ feed_record_columns() }}

        ---------- ids
        {{ clean_text('price_ref') }} as price_ref,

        ---------- categories
        {{ to_code('property_type') }} as property_type_code,

        ---------- numerics
        {{ parse_integer('sales') }} as sales,
        {{ parse_decimal('average_price') }} as average_price,

        ---------- dates and timestamps
        {{ parse_day('month') }} as month_start

    from source

),

resolved as (

    {{ latest_with_reported_area('renamed', 'aliases', 'price_ref') }}

),

final as (

    select
        area_code || '/' || price_ref as price_id,
        price_ref,
        area_code,
        reported_area_code,
        reported_borough,
        month_start,
        property_type_code,
        sales,
        average_price,
        -- what the month's sales fetched in total (null without a price)
        average_price * sales as sales_value,
        data_day,
        cast(date_trunc('month', data_day) as date) as period_start,
        batch_id,
        loaded_at
    from resolved

)

select final.* from final
{{ only_records_to_rebuild(dataset, ref_column, 'final') }}
{{ rebuilt_record_markers(dataset, ref_column) }}
