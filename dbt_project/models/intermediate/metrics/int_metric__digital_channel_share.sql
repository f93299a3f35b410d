-- Written from config/metrics.yml, metrics.digital_channel_share,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Digital channel share of service requests.
{{ metric_inputs(
    metric_id="digital_channel_share",
    grain="month",
    dataset="service_requests",
    inputs="int_service_requests__borough_month",
    numerator="coalesce(inputs.digital_requests, 0)",
    denominator="coalesce(inputs.requests, 0)"
) }}
