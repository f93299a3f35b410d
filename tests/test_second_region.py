"""A second region (Greater Manchester's 10 districts) runs with config alone.

The night's steps against Greater Manchester's own sandbox, pinned to 12 November 2026;
the DAG itself reads the region the same way (CITY_REGION), proved once by test_dag_nights.py.
"""

from __future__ import annotations

import math
from datetime import date

import night_steps
import pytest
from metric_truth import expected_metrics
from night_env import pinned_night, query

from ingest.catalogue import load_catalogue

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

DAY = date(2026, 11, 12)


@pytest.fixture(scope="module")
def manchester_night(tmp_path_factory):
    """One night for Greater Manchester, every district, against its own sandbox."""
    with pinned_night(tmp_path_factory.mktemp("gm"), DAY, region="greater-manchester") as (
        _,
        paths,
    ):
        report = night_steps.night(DAY)
        rows = query(
            paths.published,
            "select metric_id, area_code, area_type, value, boroughs_covered, "
            "boroughs_expected from analytics.city_metrics where period_type = 'month'",
        )
        yield report, rows, load_catalogue()


def test_the_night_runs_and_publishes(manchester_night):
    """The same steps, pointed at another region by CITY_REGION, succeed and publish."""
    report, rows, _ = manchester_night
    assert "published: " in report
    assert rows


def test_metrics_cover_the_ten_districts_and_the_combined_authority(manchester_night):
    """Borough rows are GM's E08 codes; the region row is E47000001 covering 10 of 10."""
    _, rows, _ = manchester_night
    boroughs = {area for _, area, kind, *_ in rows if kind == "borough"}
    assert boroughs == {f"E0800000{n}" if n < 10 else "E08000010" for n in range(1, 11)}
    region = [r for r in rows if r[2] == "region" and r[0] == "ksi_per_100k"]
    assert [(r[1], r[4], r[5]) for r in region] == [("E47000001", 10, 10)]


def test_values_equal_the_truth(manchester_night):
    """Per-capita metrics equal the sandbox truth; without plan targets that metric is null, not invented."""
    _, rows, catalogue = manchester_night
    assert catalogue.region.code == "E47000001"
    expected = expected_metrics(catalogue, [DAY])
    got = {(m, a): v for m, a, _, v, *_ in rows}
    for key, value in expected.items():
        if value is None:
            assert got.get(key) is None, key
        else:
            assert math.isclose(got[key], value, rel_tol=1e-9), (key, got[key], value)
