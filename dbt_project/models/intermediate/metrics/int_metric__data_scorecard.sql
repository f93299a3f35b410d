-- Written from config/metrics.yml, metrics.data_scorecard,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Borough data scorecard: feed-days delivered and validated.
{{ metric_inputs(
    metric_id="data_scorecard",
    grain="month",
    covered_by="run_days",
    numerator="sum(delivered_feed_days)",
    denominator="sum(expected_feed_days)"
) }}
