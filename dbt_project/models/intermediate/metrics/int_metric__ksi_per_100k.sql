-- Written from config/metrics.yml, metrics.ksi_per_100k,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Road casualties killed or seriously injured per 100k residents.
{{ metric_inputs(
    metric_id="ksi_per_100k",
    grain="month",
    dataset="road_casualties",
    inputs="int_road_casualties__borough_month",
    numerator="coalesce(inputs.ksi_casualties, 0)",
    denominator="covered.population"
) }}
