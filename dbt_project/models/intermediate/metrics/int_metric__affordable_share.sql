-- Written from config/metrics.yml, metrics.affordable_share,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Affordable share of net completions.
{{ metric_inputs(
    metric_id="affordable_share",
    grain="month",
    dataset="housing_completions",
    inputs="int_housing_completions__borough_month",
    numerator="coalesce(inputs.affordable_net_units, 0)",
    denominator="coalesce(inputs.net_units, 0)"
) }}
