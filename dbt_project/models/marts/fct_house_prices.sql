with

prices as (

    select * from {{ ref('stg_borough_feeds__house_prices') }}

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
