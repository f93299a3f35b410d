-- Written from config/metrics.yml, metrics.major_decided_in_time_pct,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Major planning applications decided in time.
{{ metric_inputs(
    metric_id="major_decided_in_time_pct",
    grain="month",
    dataset="planning_applications",
    inputs="int_planning_applications__borough_month",
    numerator="coalesce(inputs.major_decisions_in_time, 0)",
    denominator="coalesce(inputs.major_decisions, 0)"
) }}
