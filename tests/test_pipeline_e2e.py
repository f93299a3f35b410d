"""End to end: the real city_nightly DAG, run by Airflow, against the sandbox over HTTP.

One sequence of nightly runs, as an operator would see them, checked step by step:
  1. a clean night publishes city_metrics equal to what the sandbox's truth implies;
  2. a night where three boroughs send bad batches quarantines exactly those, loads
     every other borough, and leaves those boroughs' data as it was;
  3. re-running that night after the boroughs fix their feeds loads them;
  4. re-running it once more changes nothing (idempotent);
  5. a night whose dbt tests fail publishes nothing: the analysts' file is untouched.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.airflow_runner import run_dag_for_day_logged
from ingest.paths import DataPaths
from metric_truth import expected_metrics
from sandbox_control import add_fault, clear_faults

pytestmark = pytest.mark.e2e

DAY_1, DAY_2, DAY_3 = date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)
BAD = {  # borough slug -> (dataset, fault, what the quarantine reason must mention)
    "camden": ("road_casualties", {"kind": "wrong_type", "column": "casualty_age", "value": "abc", "rows": 2},
               "casualty_age='abc'"),
    "barnet": ("service_requests", {"kind": "drop_column", "column": "channel"}, "missing column(s) ['channel']"),
    "croydon": ("service_requests", {"kind": "out_of_range", "column": "requested_date", "value": "2026-11-30",
                                     "rows": 1}, "requested_date"),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _query(path: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _partitions(path: Path) -> dict[tuple, int]:
    rows = _query(path, "select dataset, borough_code, data_day::varchar, row_count from raw.feed_partitions")
    return {(d, b, day): n for d, b, day, n in rows}


def _metrics(path: Path) -> dict[tuple, tuple]:
    rows = _query(path, "select metric_id, area_code, period_start::varchar, value, numerator, denominator, "
                        "days_covered, boroughs_covered from analytics.city_metrics")
    return {r[:3]: r[3:] for r in rows}


_NIGHTS = itertools.count(1)


def _night(paths: DataPaths, day: date) -> str:
    """One nightly run of the real DAG for `day`; its Airflow log is kept for debugging."""
    return run_dag_for_day_logged("city_nightly", day, paths.root / "logs" / f"night-{next(_NIGHTS)}-{day}.log")


@pytest.fixture(scope="module")
def nights(sandbox, airflow_db, tmp_path_factory):
    """Run the sequence once; each test below checks one promise of it."""
    paths = DataPaths(tmp_path_factory.mktemp("e2e") / "data")
    mp = pytest.MonkeyPatch()
    mp.setenv("CITY_DATA_DIR", str(paths.root))
    from ingest.catalogue import load_catalogue

    catalogue = load_catalogue()
    seen: dict = {"paths": paths, "catalogue": catalogue}
    try:
        clear_faults(sandbox)
        seen["state_1"] = _night(paths, DAY_1)
        seen["published_1"] = _sha256(paths.published)
        seen["partitions_1"] = _partitions(paths.published)

        for slug, (dataset, fault, _) in BAD.items():
            add_fault(sandbox, borough=slug, dataset=dataset, **fault)
        seen["state_2"] = _night(paths, DAY_2)
        clear_faults(sandbox)
        seen["partitions_2"] = _partitions(paths.published)
        seen["batches_2"] = _query(paths.published, "select dataset, borough_code, status, reason, quarantine_path "
                                                    "from audit.batches where data_day = ?", [DAY_2])

        seen["state_3"] = _night(paths, DAY_2)
        seen["partitions_3"] = _partitions(paths.published)
        seen["metrics_3"] = _metrics(paths.published)

        seen["state_4"] = _night(paths, DAY_2)
        seen["partitions_4"] = _partitions(paths.published)
        seen["metrics_4"] = _metrics(paths.published)
        seen["published_4"] = _sha256(paths.published)

        # Sabotage the pipeline's own database: a row whose borough spelling no alias
        # resolves makes a dbt test fail, so the night must not publish.
        with duckdb.connect(str(paths.warehouse)) as con:
            con.execute("insert into raw.road_casualties (casualty_ref, accident_date, borough, severity, "
                        "road_user_type, casualty_age, _borough_code, _data_day, _batch_id, _loaded_at) "
                        "values ('X-1', '2026-11-09', 'Gotham City', 'Slight', 'Pedestrian', '30', "
                        "'E09000007', '2026-11-09', 'sabotage', now())")
        seen["state_5"] = _night(paths, DAY_3)
        seen["published_5"] = _sha256(paths.published)
        yield seen
    finally:
        clear_faults(sandbox)
        mp.undo()


def test_a_clean_night_publishes_every_feed(nights):
    """Night 1 succeeds and the published warehouse holds all 99 feeds of the day."""
    assert nights["state_1"] == "success"
    day_1 = {k for k in nights["partitions_1"] if k[2] == DAY_1.isoformat()}
    assert len(day_1) == 3 * 33


def test_bad_batches_are_quarantined_and_the_rest_of_the_city_loads(nights):
    """Night 2: exactly the three bad batches are quarantined, with reasons; 96 feeds load."""
    assert nights["state_2"] == "success"
    catalogue = nights["catalogue"]
    quarantined = {(d, b): (reason, where) for d, b, status, reason, where in nights["batches_2"]
                   if status == "quarantined"}
    expected = {(dataset, catalogue.area(slug).code) for slug, (dataset, _, _) in BAD.items()}
    assert set(quarantined) == expected
    for slug, (dataset, _, mention) in BAD.items():
        reason, where = quarantined[(dataset, catalogue.area(slug).code)]
        assert mention in reason
        reason_file = Path(where) / "reason.txt"
        assert catalogue.area(slug).name in reason_file.read_text() and (Path(where) / "validation.json").exists()
    day_2 = {k for k in nights["partitions_2"] if k[2] == DAY_2.isoformat()}
    assert len(day_2) == 99 - 3
    assert all((dataset, catalogue.area(slug).code, DAY_2.isoformat()) not in day_2
               for slug, (dataset, _, _) in BAD.items())


def test_a_quarantined_borough_keeps_its_last_good_data(nights):
    """The bad boroughs' earlier partitions are exactly as night 1 left them."""
    catalogue = nights["catalogue"]
    for slug, (dataset, _, _) in BAD.items():
        key = (dataset, catalogue.area(slug).code, DAY_1.isoformat())
        assert nights["partitions_2"][key] == nights["partitions_1"][key]


def test_rerunning_after_the_fix_loads_the_boroughs(nights):
    """Night 2 re-run with the feeds fixed: all 99 feeds of the day are loaded."""
    assert nights["state_3"] == "success"
    assert len({k for k in nights["partitions_3"] if k[2] == DAY_2.isoformat()}) == 99


def test_rerunning_a_day_changes_nothing(nights):
    """Running the same data day again gives identical partitions, row counts and metric values."""
    assert nights["state_4"] == "success"
    assert nights["partitions_4"] == nights["partitions_3"]
    assert nights["metrics_4"] == nights["metrics_3"]


def test_city_metrics_equal_the_truth_computed_independently(nights):
    """Every borough and region value equals the sandbox's truth, region values as ratios of sums."""
    catalogue = nights["catalogue"]
    expected = expected_metrics(catalogue, [DAY_1, DAY_2])
    month = DAY_1.replace(day=1).isoformat()
    published = {(m, a): row for (m, a, period), row in nights["metrics_3"].items() if period == month}
    assert set(published) == set(expected)
    for key, value in expected.items():
        got = published[key][0]
        if value is None:
            assert got is None, key
        else:
            assert got is not None and math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9), (key, got, value)
    region = catalogue.region.code
    assert published[("ksi_per_100k", region)][4] == 33  # boroughs_covered
    assert published[("ksi_per_100k", region)][3] == 2  # days_covered


def test_a_failed_night_leaves_the_published_warehouse_untouched(nights):
    """When dbt's tests fail the run is red and the analysts' file is byte-for-byte unchanged."""
    assert nights["state_5"] == "failed"
    assert nights["published_5"] == nights["published_4"]
