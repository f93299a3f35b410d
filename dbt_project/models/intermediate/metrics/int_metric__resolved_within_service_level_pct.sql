-- Written from config/metrics.yml, metrics.resolved_within_service_level_pct,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Service requests resolved within service level.
{{ metric_inputs(
    metric_id="resolved_within_service_level_pct",
    grain="month",
    dataset="service_requests",
    inputs="int_service_requests__borough_month",
    numerator="coalesce(inputs.resolved_within_service_level, 0)",
    denominator="coalesce(inputs.requests, 0)"
) }}
