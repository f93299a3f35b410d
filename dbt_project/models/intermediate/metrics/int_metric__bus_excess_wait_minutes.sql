-- Written from config/metrics.yml, metrics.bus_excess_wait_minutes,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
-- Bus excess wait time on high-frequency routes.
{{ metric_inputs(
    metric_id="bus_excess_wait_minutes",
    grain="month",
    dataset="bus_performance",
    inputs="int_bus_performance__borough_month",
    numerator="coalesce(inputs.excess_wait_departure_minutes, 0)",
    denominator="coalesce(inputs.high_frequency_departures, 0)"
) }}
