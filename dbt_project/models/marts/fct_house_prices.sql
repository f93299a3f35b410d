-- Incremental: a night rebuilds only the records of the partitions loaded since
-- the last build (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['area_code', 'price_ref'],
) }}
{%- set dataset, ref_column = 'house_prices', 'price_ref' %}

with

prices as (

    select upstream.*
    from {{ ref('stg_borough_feeds__house_prices') }} as upstream
    {{ only_records_to_rebuild(dataset, ref_column, 'upstream') }}

),

final as (

    select
        price_id,
        price_ref,
        area_code,
        period_start,
        property_type_code,
        sales,
        average_price,
        sales_value,
        data_day,
        batch_id,
        loaded_at
    from prices

)

select * from final
{{ rebuilt_record_markers(dataset, ref_column) }}
