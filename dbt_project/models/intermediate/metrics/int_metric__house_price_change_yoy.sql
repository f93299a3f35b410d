-- Written from config/metrics.yml, metrics.house_price_change_yoy,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Average house price: change on the same month last year.
{{ metric_inputs(
    metric_id="house_price_change_yoy",
    grain="month",
    dataset="house_prices",
    inputs="int_house_prices__borough_month",
    numerator="coalesce(inputs.sales_value, 0)",
    denominator="coalesce(inputs.priced_sales, 0)",
    last_year="pair"
) }}
