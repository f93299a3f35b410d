-- Written from config/metrics.yml, metrics.recycling_rate,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Household waste recycling rate.
{{ metric_inputs(
    metric_id="recycling_rate",
    grain="quarter",
    dataset="household_waste",
    inputs="int_household_waste__borough_quarter",
    numerator="coalesce(inputs.recycled_tonnes, 0)",
    denominator="coalesce(inputs.tonnes, 0)"
) }}
