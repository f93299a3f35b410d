-- Written from config/metrics.yml, metrics.daily_journeys,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Public transport journeys per day.
{{ metric_inputs(
    metric_id="daily_journeys",
    grain="month",
    dataset="public_transport_journeys",
    inputs="int_public_transport_journeys__borough_month",
    numerator="coalesce(inputs.journeys, 0)",
    denominator="covered.days_in_period"
) }}
