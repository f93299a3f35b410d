-- A property type with sales but no published price cannot be valued: its
-- sales are left out of priced_sales (staging tests warn of it).
with

prices as (

    select * from {{ ref('stg_borough_feeds__house_prices') }}

),

final as (

    select
        area_code,
        period_start,
        sum(sales) as sales,
        coalesce(sum(sales) filter (where average_price is not null), 0)
            as priced_sales,
        coalesce(sum(sales_value), 0) as sales_value
    from prices
    group by area_code, period_start

)

select * from final
