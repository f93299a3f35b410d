"""Empty is not zero: a day counts as delivered with no rows only when its source covers it.

The sandbox's bulk CSV files hold the days from `bulk_csv.first_day` (2026-09-01,
config/sandbox/sandbox.yml) to their publication day; a day before that is one the
borough never published, so it is missing — in the report, the coverage and the
scorecard — and never a day of zero casualties.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import duckdb
import killed_night
import night_steps
import pytest

from ingest.catalogue import load_catalogue
from ingest.errors import NotPublished
from ingest.outcomes import Status
from ingest.protocols.bulk_csv import BulkCsv, CsvRows
from pipeline import plan

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

AS_OF = date(2026, 9, 3)
BEFORE, COVERED = date(2026, 8, 31), date(2026, 9, 2)
BULK, API = "havering", "barnet"


@pytest.fixture(scope="module")
def pinned_sandbox():
    with killed_night.pinned_sandbox(AS_OF) as process:
        yield process


def _bulk_feed():
    catalogue = load_catalogue()
    return next(f for f in catalogue.feeds(["road_casualties"], [BULK]))


def _rows(*days: str, modified: date | None = None) -> CsvRows:
    feed = _bulk_feed()
    column = feed.dataset.wire_map("bulk_csv").wire_name(feed.dataset.date_field)
    rows = CsvRows({column: date.fromisoformat(d).strftime(feed.portal.date_format)} for d in days)
    rows.published_through = modified
    return rows


def test_a_file_covers_its_own_date_range_only():
    real = _bulk_feed()  # the same feed, declaring no first day: its rows say what it covers
    feed, protocol = (
        SimpleNamespace(dataset=real.dataset, portal=replace(real.portal, covers_from=None)),
        BulkCsv(),
    )
    rows = _rows("2026-09-01", "2026-09-03")
    assert protocol.select(rows, feed, date(2026, 9, 2)) == []  # inside the range: a real zero
    assert len(protocol.select(rows, feed, date(2026, 9, 3))) == 1
    for outside in (date(2026, 8, 31), date(2026, 9, 4)):
        with pytest.raises(NotPublished, match="the file covers 2026-09-01 to 2026-09-03"):
            protocol.select(rows, feed, outside)
    # re-published through the 5th (Last-Modified the 6th): quiet days after its last row are zeros
    assert (
        protocol.select(
            _rows("2026-09-01", "2026-09-03", modified=date(2026, 9, 5)), feed, date(2026, 9, 5)
        )
        == []
    )
    with pytest.raises(NotPublished, match="holds no dated rows"):
        protocol.select(_rows(), feed, date(2026, 9, 2))


def test_a_declared_first_day_makes_a_quiet_start_a_zero():
    feed, protocol = _bulk_feed(), BulkCsv()  # config: havering's files cover from 2026-09-01
    assert feed.portal.covers_from == date(2026, 9, 1)
    rows = _rows("2026-09-03")
    assert protocol.select(rows, feed, date(2026, 9, 1)) == []
    with pytest.raises(NotPublished, match="covers 2026-09-01 to 2026-09-03, not 2026-08-31"):
        protocol.select(rows, feed, date(2026, 8, 31))


def test_a_backfill_before_the_files_first_day_leaves_bulk_boroughs_missing(
    pinned_sandbox, data_dir
):
    catalogue = load_catalogue()
    bulk_code = catalogue.area(BULK).code
    daily = [d.id for d in catalogue.datasets.values() if not d.periodic]

    before = night_steps.land(BEFORE, [BULK, API])
    not_published = [
        o for o in before["outcomes"] if o["borough_code"] == bulk_code and o["dataset"] in daily
    ]
    assert {o["status"] for o in not_published} == {Status.NOT_PUBLISHED}
    assert all(
        o["error"] == f"not published: the file covers 2026-09-01 to {AS_OF}, not {BEFORE}"
        for o in not_published
    )
    assert before["missing_feeds"] == len(daily)  # the API borough's days load
    assert len(before["not_published"]) >= len(daily)
    owed = {p["feed_id"]: p["days"] for p in plan.plan_feeds(COVERED.isoformat(), daily, [BULK])}
    assert all(BEFORE.isoformat() not in days for days in owed.values())  # not asked again

    night_steps.publish(COVERED, night_steps.land(COVERED, [BULK, API]))
    with duckdb.connect(str(data_dir.published), read_only=True) as con:
        partitions = dict(
            con.execute(
                """
            select dataset || '/' || data_day::varchar, row_count from raw.feed_partitions
            where borough_code = ? and list_contains(?, dataset)""",
                [bulk_code, daily],
            ).fetchall()
        )
        scorecard = con.execute(
            """
            select dataset, expected_feed_days, delivered_feed_days, not_published_batches
            from analytics.borough_data_scorecard where area_code = ? and cadence = 'daily'""",
            [bulk_code],
        ).fetchall()
        august = dict(
            con.execute(
                """
            select m.metric_id, m.value from analytics.city_metrics as m
            join analytics.dim_metrics as d using (metric_id)
            where m.area_code = ? and m.period_type = 'month' and m.period_start = date '2026-08-01'
              and (list_contains(?, d.dataset) or m.metric_id = 'data_scorecard')""",
                [bulk_code, daily],
            ).fetchall()
        )
        region_ksi = con.execute("""
            select boroughs_covered from analytics.city_metrics
            where metric_id = 'ksi_per_100k' and area_type = 'region' and period_type = 'month'
              and period_start = date '2026-08-01'""").fetchone()
    assert not any(
        key.endswith(BEFORE.isoformat()) for key in partitions
    )  # nothing loaded as "zero"
    assert {f"{d}/{COVERED}" for d in daily} <= set(partitions)  # covered: loaded, even if 0 rows
    assert scorecard and all(row[1:] == (3, 2, 1) for row in scorecard), scorecard
    assert (
        list(august) == ["data_scorecard"] and august["data_scorecard"] < 100
    )  # no "zero" KSI; the
    # scorecard counts its August days as owed and not delivered
    assert region_ksi == (1,)  # the region's August: one borough, not two
