-- Written from config/metrics.yml, metrics.service_requests_per_1000,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Service requests per 1,000 residents.
{{ metric_inputs(
    metric_id="service_requests_per_1000",
    grain="month",
    dataset="service_requests",
    inputs="int_service_requests__borough_month",
    numerator="coalesce(inputs.requests, 0)",
    denominator="covered.population"
) }}
