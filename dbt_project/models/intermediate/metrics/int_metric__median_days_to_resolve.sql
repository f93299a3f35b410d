-- Written from config/metrics.yml, metrics.median_days_to_resolve,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Median days to resolve a service request.
{{ metric_inputs(
    metric_id="median_days_to_resolve",
    grain="month",
    dataset="service_requests",
    inputs="int_service_requests__borough_month",
    median="median_days_to_resolve"
) }}
