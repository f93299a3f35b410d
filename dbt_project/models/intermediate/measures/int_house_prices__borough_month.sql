-- Written from config/metrics.yml, measures.house_prices,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

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
    from records
    group by area_code, period_start

)

select * from final
