-- Written from config/metrics.yml, metrics.average_house_price,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Average house price.
{{ metric_inputs(
    metric_id="average_house_price",
    grain="month",
    dataset="house_prices",
    inputs="int_house_prices__borough_month",
    numerator="coalesce(inputs.sales_value, 0)",
    denominator="coalesce(inputs.priced_sales, 0)"
) }}
