"""The data scorecard measures the boroughs, not the pipeline's runs.

Two nights for every borough of the region (a daily and a quarterly dataset, to keep it
short), against a sandbox pinned to a publication day, then a night for Barnet alone
for a later day no night ran for (README: `airflow dags trigger city_nightly -c
'{"data_day": ..., "boroughs": ["camden"]}'`). What a borough owes comes from its
datasets' publication calendar over the days the pipeline ran for the region, so that
one-borough night changes no other borough's row of analytics.borough_data_scorecard.
Steps are called directly (tests/night_steps.py); dbt builds the scorecard's models
only. A few minutes on 2 cores.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date

import duckdb
import night_steps
import pytest

from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from pipeline.dbt_runner import DBT_PROJECT_DIR, dbt_command
from sandbox.process import SandboxProcess

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

AS_OF = date(2026, 11, 12)
NIGHTS = [date(2026, 11, 8), date(2026, 11, 9)]
LATER = date(2026, 11, 11)  # after a day (10 Nov) no night ran for
DATASETS = ["road_casualties", "temporary_accommodation"]
ALONE = "barnet"


def _build_scorecard(paths: DataPaths) -> dict[tuple[str, str], dict]:
    """dbt builds the scorecard and what it reads (with their data tests); its rows by (area, dataset)."""
    command, env = dbt_command(
        load_catalogue(),
        paths,
        "build",
        "--select",
        "+borough_data_scorecard",
        "--indirect-selection",
        "cautious",
        "--exclude",
        "test_type:unit",
    )
    built = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:]
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        cursor = con.execute("select * from analytics.borough_data_scorecard")
        names = [c[0] for c in cursor.description]
        return {
            (row["area_code"], row["dataset"]): row
            for row in (dict(zip(names, r, strict=False)) for r in cursor.fetchall())
        }


def _batches(paths: DataPaths) -> set[tuple[str, str, str]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return {
            (d, a, day)
            for d, a, day in con.execute(
                "select dataset, borough_code, data_day::varchar from audit.batches"
            ).fetchall()
        }


@pytest.fixture(scope="module")
def scorecards(tmp_path_factory):
    """(catalogue, scorecard after the two nights, scorecard after Barnet's night, batches after it)."""
    paths = DataPaths(tmp_path_factory.mktemp("scorecard") / "data")
    saved = {k: os.environ.get(k) for k in ("CITY_DATA_DIR", "CITY_API_BASE_URL")}
    os.environ["CITY_DATA_DIR"] = str(paths.root)
    try:
        with SandboxProcess(as_of=AS_OF) as sandbox:
            os.environ["CITY_API_BASE_URL"] = sandbox.url
            for day in NIGHTS:
                night_steps.land(day, None, DATASETS)
            before = _build_scorecard(paths)
            night_steps.land(LATER, [ALONE], DATASETS)
            after = _build_scorecard(paths)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return load_catalogue(), before, after, _batches(paths)


def test_a_one_borough_night_changes_no_other_borough_row(scorecards):
    """Barnet's night for a new day landed that day, and every other borough's row is as it was."""
    catalogue, before, after, batches = scorecards
    alone = catalogue.area(ALONE).code
    assert ("road_casualties", alone, LATER.isoformat()) in batches
    assert not any(a != alone and day == LATER.isoformat() for _, a, day in batches)
    assert set(before) == set(after) and len(after) == len(
        catalogue.datasets_owed_by_boroughs
    ) * len(catalogue.region.areas)
    changed = {key for key in after if key[0] != alone and after[key] != before[key]}
    assert not changed, sorted(changed)[:5]
    # Barnet delivered a day beyond the region's latest night: fresh, nothing newly owed
    barnet = after[(alone, "road_casualties")]
    assert barnet["last_data_day"] == LATER and barnet["freshness_status"] == "fresh"
    assert (
        barnet["expected_feed_days"]
        == before[(alone, "road_casualties")]["expected_feed_days"]
        == 2
    )


def test_daily_feeds_owe_every_day_of_the_nights_and_periodic_feeds_their_periods(scorecards):
    """Every borough owes both nights' days; the quarterly feed owes its due periods, and its
    not-published periods never exceed them; run days are run days, not period starts."""
    _, _, after, _ = scorecards
    for (area, dataset), row in after.items():
        if dataset not in DATASETS:
            assert row["expected_feed_days"] == 0 and row["completeness_pct"] is None, (
                area,
                dataset,
            )
            continue
        assert (row["first_run_day"], row["last_run_day"]) == tuple(NIGHTS), (area, dataset)
        assert row["not_published_feed_days"] <= row["expected_feed_days"], (area, dataset)
        if dataset == "road_casualties":
            assert (row["first_owed_data_day"], row["last_owed_data_day"]) == tuple(NIGHTS)
            assert row["expected_feed_days"] == 2, area
        else:
            assert row["expected_feed_days"] >= 2 and row["first_owed_data_day"].day == 1, area
            assert row["last_owed_data_day"] < NIGHTS[0], area
