-- Written from config/metrics.yml, metrics.journeys_change_yoy,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Public transport journeys: change on the same month last year.
{{ metric_inputs(
    metric_id="journeys_change_yoy",
    grain="month",
    dataset="public_transport_journeys",
    inputs="int_public_transport_journeys__borough_month",
    numerator="coalesce(inputs.journeys, 0)",
    last_year="difference"
) }}
