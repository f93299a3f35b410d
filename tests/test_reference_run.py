"""Nothing here may change a published number: the fixed reference run gives the recorded table.

tests/reference_run.py runs three pinned nights for ten boroughs (every protocol and quirk) and
one dbt build; its analytics.city_metrics must equal tests/fixtures/reference_city_metrics.csv,
recorded before the refactorings: every recorded column still there, in order, with the same
values for the same rows (floats within a relative 1e-9). Columns added since (ADDED) are new
facts beside the old ones, not changed numbers.
"""

from __future__ import annotations

import csv
import math

import pytest
from reference_run import RECORDED, as_text, published_city_metrics, shared_reference

pytestmark = pytest.mark.reference
KEY = ("metric_id", "area_code", "period_type", "period_start")
ADDED = ["is_period_complete", "missing_boroughs"]  # issue #12: complete periods, boroughs named


def _keyed(columns: list[str], rows: list[list]) -> dict[tuple, dict]:
    keyed = {}
    for row in rows:
        record = dict(zip(columns, row, strict=False))
        key = tuple(as_text(record[k]) for k in KEY)
        assert key not in keyed, f"two city_metrics rows for {key}"
        keyed[key] = record
    return keyed


def _same(live, recorded: str) -> bool:
    if isinstance(live, float) and recorded != "":
        return math.isclose(live, float(recorded), rel_tol=1e-9)
    return as_text(live) == recorded


def test_the_reference_run_publishes_the_recorded_city_metrics():
    columns, rows = published_city_metrics(shared_reference())
    with RECORDED.open(newline="", encoding="utf-8") as handle:
        recorded_columns, *recorded_rows = list(csv.reader(handle))
    assert columns == recorded_columns + ADDED
    live, recorded = _keyed(columns, rows), _keyed(recorded_columns, recorded_rows)
    assert sorted(live) == sorted(recorded), "the same city_metrics rows"
    differences = [
        (key, column, live[key][column], recorded[key][column])
        for key in recorded
        for column in recorded_columns
        if not _same(live[key][column], recorded[key][column])
    ]
    assert differences == [], f"{len(differences)} values differ, first: {differences[:5]}"
