"""A dataset and a metric over it declared in config alone (issue 9, "adding a dataset").

These lines, added to a copy of config/, are all it takes: the dataset's spec, its measures
and metric, and how much of it the sandbox publishes. tests/test_dag_nights.py runs a real
night with them and checks the metric against the sandbox's records;
tests/test_dbt_spec_drift.py checks the dbt files written from the spec.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["NEW_CONFIG_LINES", "with_noise_complaints"]

# Adding a dataset and a metric over it: these lines of config are all it takes.
NEW_DATASET = """
  noise_complaints:
    domain: services
    title: Noise complaints from residents, one row per complaint
    owner: environment-data@cityregion.example
    licence: OGL-UK-3.0
    resource: noise-complaints
    date_field: reported_date
    key: complaint_ref
    fields:
      complaint_ref: {type: string, required: true}
      reported_date: {type: date, required: true}
      borough: {type: string, required: true}
      noise_source: {type: string, required: true,
                     values: [Domestic, Commercial, Construction, Street]}
      officer_visits: {type: integer, required: false, min: 0, max: 5}
"""
NEW_MEASURES = """
  noise_complaints:
    records: stg_borough_feeds__noise_complaints
    description: One row per borough x month (of the data day) with at least one complaint.
    columns:
      complaints: {sql: count(*), description: Complaints made.}
      construction_complaints:
        sql: count(*) filter (where noise_source_code = 'construction')
        description: Complaints about construction noise.
"""
NEW_METRIC = """
  construction_noise_pct:
    name: Share of noise complaints about construction
    domain: services
    dataset: noise_complaints
    numerator: construction_complaints
    denominator: complaints
    unit: "%"
    direction: lower_is_better
    value_multiplier: 100
    aggregation: ratio
    has_better_direction: true
    counts_people: false
    description: 100 * noise complaints about construction / all noise complaints
"""
NEW_VOLUME = "  noise_complaints: 200000     # complaints a year\n"


def with_noise_complaints(config: Path) -> Path:
    """The config with the new dataset, its measures and metric, and its sandbox volume."""

    def add(name: str, text: str, before: str | None = None, after: str | None = None) -> None:
        path = config / name
        old = path.read_text(encoding="utf-8")
        if before:
            new = old.replace(before, text.lstrip("\n") + before, 1)
        elif after:
            new = old.replace(after, after + text, 1)
        else:
            new = old + text
        assert new != old, f"{name}: nowhere to add the new lines"
        path.write_text(new, encoding="utf-8")

    add("datasets.yml", NEW_DATASET)
    add("metrics.yml", NEW_MEASURES, before="\nmetrics:\n")
    add("metrics.yml", NEW_METRIC)
    add(
        "sandbox/sandbox.yml",
        NEW_VOLUME,
        after="annual_rows:                   # daily datasets: rows a year\n",
    )
    return config


NEW_CONFIG_LINES = sum(
    len(text.strip("\n").splitlines())
    for text in (NEW_DATASET, NEW_MEASURES, NEW_METRIC, NEW_VOLUME)
)
