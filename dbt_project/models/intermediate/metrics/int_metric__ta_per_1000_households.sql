-- Written from config/metrics.yml, metrics.ta_per_1000_households,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Households in temporary accommodation per 1,000 households.
{{ metric_inputs(
    metric_id="ta_per_1000_households",
    grain="quarter",
    dataset="temporary_accommodation",
    inputs="int_temporary_accommodation__borough_quarter",
    numerator="coalesce(inputs.households_in_ta, 0)",
    denominator="covered.households"
) }}
