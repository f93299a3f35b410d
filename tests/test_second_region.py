"""A second region (Greater Manchester's 10 districts) runs with config alone."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pytest

from pipeline.airflow_runner import run_dag_for_day_logged
from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from sandbox.process import SandboxProcess
from metric_truth import expected_metrics

pytestmark = pytest.mark.e2e
DAY = date(2026, 11, 12)


@pytest.fixture(scope="module")
def manchester_night(airflow_db, tmp_path_factory):
    """One nightly run of the real DAG for Greater Manchester against its own sandbox."""
    paths = DataPaths(tmp_path_factory.mktemp("gm") / "data")
    mp = pytest.MonkeyPatch()
    mp.setenv("CITY_REGION", "greater-manchester")
    mp.setenv("CITY_DATA_DIR", str(paths.root))
    try:
        with SandboxProcess(region="greater-manchester") as sandbox:
            mp.setenv("CITY_API_BASE_URL", sandbox.url)
            state = run_dag_for_day_logged("city_nightly", DAY, paths.root / "logs" / "gm.log")
        with duckdb.connect(str(paths.published), read_only=True) as con:
            rows = con.execute("select metric_id, area_code, area_type, value, boroughs_covered, boroughs_expected "
                               "from analytics.city_metrics where period_type = 'month'").fetchall()
        yield state, rows, load_catalogue()
    finally:
        mp.undo()


def test_the_night_runs_and_publishes(manchester_night):
    """The same DAG, pointed at another region by CITY_REGION, succeeds and publishes."""
    state, rows, _ = manchester_night
    assert state == "success"
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
