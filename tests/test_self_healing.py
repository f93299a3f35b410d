"""Self-healing: each night works out what is owed from what is loaded, not from what a run
recorded, so a night that died before `load` (and recorded nothing) is fetched by the next.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import killed_night
import night_steps
import pytest

from ingest.catalogue import load_catalogue
from pipeline import plan
from pipeline.report import summary_path

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

AS_OF = date(2026, 11, 12)
NIGHTS = [date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)]
BOROUGHS = ["barnet", "camden"]  # CKAN full snapshots; Socrata incremental with a watermark


@pytest.fixture(scope="module")
def pinned_sandbox():
    with killed_night.pinned_sandbox(AS_OF) as process:
        yield process


def _daily_feeds() -> set[tuple[str, str]]:
    catalogue = load_catalogue()
    return {
        (f.dataset.id, f.area.code)
        for f in catalogue.feeds(None, BOROUGHS)
        if not f.dataset.periodic
    }


def test_a_night_killed_during_ingest_is_fetched_by_the_next_and_the_scorecard_says_it_was_late(
    pinned_sandbox, data_dir
):
    first, killed, next_night = (day.isoformat() for day in NIGHTS)
    night_steps.land(NIGHTS[0], BOROUGHS)
    killed_night.run_killed("ingest", NIGHTS[1], BOROUGHS, after=3)  # three feeds in, then kill -9
    daily = _daily_feeds()

    plans = {p["feed_id"]: p["days"] for p in plan.plan_feeds(next_night, None, BOROUGHS)}
    owed = {feed_id for feed_id, days in plans.items() if killed in days}
    assert owed == {
        f"{dataset}/{code}" for dataset, code in daily
    }  # every daily feed, none periodic

    night_steps.night(NIGHTS[2], BOROUGHS)
    with duckdb.connect(str(data_dir.published), read_only=True) as con:
        loaded = set(
            con.execute(
                "select dataset, borough_code, data_day::varchar from raw.feed_partitions"
            ).fetchall()
        )
        missed = con.execute(
            "select dataset, borough_code, reason from audit.batches "
            "where data_day = ?::date and status = 'fetch_failed'",
            [killed],
        ).fetchall()
        scorecard = con.execute(
            """
            select dataset, area_code, expected_feed_days, delivered_feed_days, on_time_feed_days
            from analytics.borough_data_scorecard
            where cadence = 'daily' and list_contains(?, area_code)""",
            [sorted({code for _, code in daily})],
        ).fetchall()
    assert {(d, c, day) for d, c in daily for day in (first, killed, next_night)} <= loaded
    assert {(d, c) for d, c, _ in missed} == daily  # audit says what happened to the day
    assert all("ended before load" in reason for *_, reason in missed)
    assert {row[0:2] for row in scorecard} == daily
    assert all(row[2:] == (3, 3, 2) for row in scorecard), (
        scorecard
    )  # 3 owed, 3 delivered, 1 of them late
    summary = json.loads(summary_path(data_dir, next_night).read_text())
    assert summary["state"] == "green" and summary["counts"]["unrecorded_batches"] == len(daily)
    assert len(summary["unrecorded"]) == len(daily)
    assert summary["summary"].endswith(
        f"caught up: {len(daily)} feed-days a dead run never recorded"
    )


def test_a_loaded_day_is_not_owed_again_and_a_first_night_owes_nothing_earlier(
    pinned_sandbox, data_dir
):
    first = plan.plan_feeds(NIGHTS[0].isoformat(), ["road_casualties"], BOROUGHS)
    assert [p["days"] for p in first] == [[NIGHTS[0].isoformat()]] * 2
    night_steps.land(NIGHTS[0], BOROUGHS, ["road_casualties"])
    night_steps.land(NIGHTS[1], BOROUGHS, ["road_casualties"])
    plans = plan.plan_feeds(NIGHTS[2].isoformat(), ["road_casualties"], BOROUGHS)
    assert [p["days"] for p in plans] == [
        [NIGHTS[2].isoformat(), NIGHTS[1].isoformat()]
    ] * 2  # refetch_days: 1
