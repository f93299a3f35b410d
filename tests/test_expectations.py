"""The checked-in suites: readable JSON, known severities, meaningful checks per dataset."""

from __future__ import annotations

import json

import pytest

from ingest.catalogue import load_catalogue
from pipeline.validate import suite_path

CATALOGUE = load_catalogue()
KNOWN_PARAMETERS = {"data_days", "borough_spellings", "row_count_min", "row_count_max"}


def _parameters(value) -> set[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return {value["$PARAMETER"]}
        return set().union(*(_parameters(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_parameters(v) for v in value)) if value else set()
    return set()


@pytest.mark.parametrize("dataset_id", sorted(CATALOGUE.datasets))
def test_every_expectation_has_a_known_severity_and_a_reason(dataset_id):
    """Each expectation says critical or warning, and why it exists."""
    spec = json.loads(suite_path(dataset_id).read_text())
    assert spec["name"] == dataset_id
    for expectation in spec["expectations"]:
        assert expectation["severity"] in ("critical", "warning"), expectation
        assert expectation["meta"]["why"]
        assert _parameters(expectation["kwargs"]) <= KNOWN_PARAMETERS


@pytest.mark.parametrize("dataset_id", sorted(CATALOGUE.datasets))
def test_every_suite_checks_key_dates_borough_and_history(dataset_id):
    """Key unique, dates within the data day, the feed's borough, and row counts against history."""
    dataset = CATALOGUE.dataset(dataset_id)
    spec = json.loads(suite_path(dataset_id).read_text())
    by_type: dict[str, list[dict]] = {}
    for expectation in spec["expectations"]:
        by_type.setdefault(expectation["type"], []).append(expectation)
    assert any(
        e["kwargs"]["column"] == dataset.key and e["severity"] == "critical"
        for e in by_type["expect_column_values_to_be_unique"]
    )
    in_set = {e["kwargs"]["column"]: e for e in by_type["expect_column_values_to_be_in_set"]}
    assert in_set[dataset.date_field]["kwargs"]["value_set"] == {"$PARAMETER": "data_days"}
    assert in_set["_borough_normalised"]["severity"] == "critical"
    history = [
        e
        for e in by_type["expect_table_row_count_to_be_between"]
        if _parameters(e["kwargs"]) == {"row_count_min", "row_count_max"}
    ]
    assert len(history) == 1 and history[0]["severity"] == "warning"
    for field in dataset.fields:
        if field.values:
            assert sorted(in_set[field.name]["kwargs"]["value_set"]) == sorted(field.values)
