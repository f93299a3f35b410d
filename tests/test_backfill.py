"""A range backfill gives the warehouse the nights give one by one, in far fewer requests.

The reference run (tests/reference_run.py: nights 9-11 November 2026 for the ten boroughs of
night_steps.BOROUGHS, which cover every protocol, against a sandbox pinned to 12 November)
is the one-by-one result, built once per test run (tests/shared_build.py). One backfill of
the same three data days, with one dbt build, must publish the same city_metrics and fact
tables and load the same raw rows; running it again changes nothing; replaying it from the
landing zone alone makes no request and loads the same rows; a dry run changes nothing; and
a bad batch inside the range is quarantined while the rest loads.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from datetime import date
from pathlib import Path

import night_steps
import pytest
from night_env import metrics, pinned_night, query, raw_rows
from reference_run import AS_OF, NIGHTS, shared_reference
from sandbox_control import add_fault, clear_faults, clear_request_log, request_log

from ingest.paths import DataPaths
from pipeline.backfill import run_backfill

pytestmark = pytest.mark.slow
FIRST, LAST = NIGHTS[0], NIGHTS[-1]
FACTS = [
    "fct_road_casualties",
    "fct_service_requests",
    "fct_planning_applications",
    "fct_housing_completions",
    "fct_house_prices",
    "fct_bus_performance",
    "fct_public_transport_journeys",
    "fct_temporary_accommodation",
    "fct_household_waste",
]


def _reference() -> DataPaths:
    """The nights 9-11 November one by one, then one dbt build (built once per test run)."""
    return DataPaths(shared_reference())


def _snapshot(paths: DataPaths) -> dict[str, str]:
    """Every file under the data directory (but the lock) -> its sha256: what a dry run must not touch."""
    return {
        str(p.relative_to(paths.root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(paths.root.rglob("*"))
        if p.is_file() and p.name != "warehouse.lock"
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One backfill published; then a re-run, a dry run and a replay from landing (no dbt)."""
    root = tmp_path_factory.mktemp("backfill")
    seen: dict = {"reference": _reference()}
    with pinned_night(root, AS_OF) as (sandbox, paths):
        seen["paths"] = paths
        seen["lines"] = lines = []
        seen["first"] = run_backfill(FIRST, LAST, boroughs=night_steps.BOROUGHS, out=lines.append)
        seen["raw_first"] = raw_rows(paths.warehouse)
        seen["partitions_first"] = _partitions(paths.warehouse)

        seen["again"] = run_backfill(
            FIRST, LAST, boroughs=night_steps.BOROUGHS, out=lambda _: None, publish=False
        )
        seen["raw_again"] = raw_rows(paths.warehouse)
        seen["partitions_again"] = _partitions(paths.warehouse)

        before = _snapshot(paths)
        seen["dry_lines"] = dry = []
        run_backfill(FIRST, LAST, boroughs=night_steps.BOROUGHS, dry_run=True, out=dry.append)
        seen["dry_changed"] = before != _snapshot(paths)

        replay = DataPaths(root / "replay")
        shutil.copytree(paths.landing, replay.landing, symlinks=True)
        clear_request_log(sandbox)
        seen["replay"] = run_backfill(
            FIRST,
            LAST,
            boroughs=night_steps.BOROUGHS,
            from_landing=True,
            paths=replay,
            out=lambda _: None,
            publish=False,
        )
        seen["replay_requests"] = [
            r for r in request_log(sandbox) if not r.get("path", "").startswith("/_sandbox")
        ]
        seen["raw_replay"] = raw_rows(replay.warehouse)
    return seen


def _partitions(warehouse: Path) -> dict[tuple, tuple]:
    rows = query(
        warehouse,
        "select dataset, borough_code, data_day::varchar, row_count, batch_id from raw.feed_partitions",
    )
    return {r[:3]: r[3:] for r in rows}


def _close(a: tuple, b: tuple) -> bool:
    return all(
        math.isclose(x, y, rel_tol=1e-9)
        if isinstance(x, float) and isinstance(y, float)
        else x == y
        for x, y in zip(a, b, strict=True)
    )


def test_the_backfill_publishes_the_city_metrics_of_the_nights_one_by_one(runs):
    backfilled = metrics(runs["paths"].published)
    one_by_one = metrics(runs["reference"].published)
    assert sorted(backfilled) == sorted(one_by_one)
    differ = [k for k in one_by_one if not _close(backfilled[k], one_by_one[k])]
    assert differ == [], f"{len(differ)} city_metrics rows differ, e.g. {differ[:3]}"
    assert runs["first"]["published"] and runs["first"]["failures"] == []


@pytest.mark.parametrize("fact", FACTS)
def test_the_backfill_builds_the_fact_tables_of_the_nights_one_by_one(runs, fact):
    # every column but which batch and when: those name the run, not the data
    sql = (
        "select columns(c -> c not like '%batch_id' and c not like '%loaded_at') "
        f"from analytics.{fact}"
    )
    assert sorted(map(repr, query(runs["paths"].published, sql))) == sorted(
        map(repr, query(runs["reference"].published, sql))
    )


def test_the_backfill_loads_the_raw_rows_and_watermarks_of_the_nights(runs):
    assert runs["raw_first"] == raw_rows(runs["reference"].published)
    marks = "select dataset, borough_code, watermark from raw.feed_watermarks order by all"
    assert query(runs["paths"].published, marks) == query(runs["reference"].published, marks)
    assert query(runs["paths"].published, marks), "the Socrata feeds keep a watermark"


def test_a_range_costs_far_fewer_requests_than_its_feed_days(runs):
    first = runs["first"]
    # 90 feeds x their days and periods (periodic feeds owe 13 months or 5 quarters each)
    assert first["feed_days"] == 450
    assert 0 < first["requests"] < first["feed_days"] / 2


def test_running_the_backfill_again_changes_no_row(runs):
    again = runs["again"]
    assert runs["raw_again"] == runs["raw_first"]
    assert runs["partitions_again"] == runs["partitions_first"], "no partition reloaded"
    assert again["statuses"].get("loaded", 0) == 0
    assert again["statuses"]["unchanged"] > 0


def test_a_replay_from_landing_makes_no_request_and_loads_the_same_rows(runs):
    assert runs["replay"]["requests"] == 0
    assert runs["replay_requests"] == []
    assert runs["raw_replay"] == runs["raw_first"]
    assert runs["replay"]["not_in_landing"] == []


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(runs):
    assert runs["dry_changed"] is False
    text = "\n".join(runs["dry_lines"])
    assert "2026-11-09 .. 2026-11-11 (3 days, both inclusive): 90 feeds, 450 feed-days" in text
    assert "road_casualties: 10 feeds" in text
    assert "dry run: nothing was fetched, loaded or published" in text


def test_the_summary_names_what_it_did_and_which_metrics_moved(runs):
    text = "\n".join(runs["lines"])
    assert "fetch: 90/90 feeds, 450/450 feed-days (100%)" in text
    assert "published metric values changed:" in text
    assert "wall time:" in text
    assert "requests to borough APIs:" in text


def test_a_bad_batch_in_the_range_is_quarantined_and_the_rest_loads(tmp_path):
    """Two malformed casualty rows in Enfield's range: the days holding them are quarantined,
    every other feed-day loads; no dbt build (publish=False)."""
    boroughs = ["enfield", "barnet"]
    with pinned_night(tmp_path, AS_OF) as (sandbox, paths):
        add_fault(
            sandbox,
            borough="enfield",
            dataset="road_casualties",
            kind="wrong_type",
            column="casualty_age",
            value="abc",
            rows=2,
        )
        try:
            result = run_backfill(
                date(2026, 11, 1),
                date(2026, 11, 10),
                boroughs=boroughs,
                datasets=["road_casualties", "service_requests"],
                out=lambda _: None,
                publish=False,
            )
        finally:
            clear_faults(sandbox)
    quarantined = [o for o in result["outcomes"] if o.status.value == "quarantined"]
    assert quarantined and {(o.dataset, o.borough_name) for o in quarantined} == {
        ("road_casualties", "Enfield")
    }
    assert any("casualty_age='abc'" in line for line in result["failures"])
    assert result["statuses"]["loaded"] == 40 - len(quarantined)
    # 4 feeds x 10 days in a handful of range queries and pages
    assert result["requests"] < 40
