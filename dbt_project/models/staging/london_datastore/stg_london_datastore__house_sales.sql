with

source as (

    select * from {{ source('london_datastore', 'house_sales') }}

),

region as (

    {{ region_relation() }}

),

renamed as (

    select
        {{ region_wide_area('area_code', 'borough') }}

        ---------- ids and labels
        {{ clean_text('sales_ref') }} as sales_ref,
        {{ parse_day('month_label') }} as month_start,

        ---------- numerics
        {{ parse_integer('sales') }} as sales,
        {{ parse_integer('region_sales') }} as region_published_sales

    from source
    cross join region

)

select * from renamed
