-- Written from config/metrics.yml, metrics.net_completions_vs_target,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Net housing completions vs plan target.
{{ metric_inputs(
    metric_id="net_completions_vs_target",
    grain="month",
    dataset="housing_completions",
    inputs="int_housing_completions__borough_month",
    numerator="coalesce(inputs.net_units, 0)",
    denominator="cast(covered.annual_housing_target as double) * covered.days_covered / 365"
) }}
