"""The night's steps: nothing one feed sends stops the night."""

from __future__ import annotations

import logging

import duckdb
import pytest

import ingest.fetch
from ingest.outcomes import Outcome, Status
from pipeline import steps

DATASET, SLUG = "service_requests", "barnet"  # CKAN: a full-snapshot feed, no changes query
DAYS = ["2026-11-10", "2026-11-09", "2026-11-08"]
BROKEN = "2026-11-09"


@pytest.fixture
def broken_day(monkeypatch):
    """fetch_feed raises an unexpected ValueError (a multi-line message) for BROKEN; other days fetch for real."""
    real = ingest.fetch.fetch_feed

    def fetch_feed(catalogue, feed, day, landing_root, session=None, protocol=None):
        if day.isoformat() == BROKEN:
            raise ValueError("could not convert string to float: 'n/a'\nin column latitude")
        return real(catalogue, feed, day, landing_root, session, protocol)

    monkeypatch.setattr(ingest.fetch, "fetch_feed", fetch_feed)


def test_an_unexpected_error_fails_only_its_feed_day(
    sandbox, catalogue, data_dir, broken_day, caplog
):
    """The broken day is fetch_failed with a one-line reason and a logged traceback; the other days land."""
    feed = catalogue.feed(f"{DATASET}/{catalogue.area(SLUG).code}")
    with caplog.at_level(logging.ERROR, logger="pipeline.steps"):
        outcomes = [Outcome.from_dict(o) for o in steps.ingest_feed(feed.id, DAYS, paths=data_dir)]

    assert {o.data_day: o.status for o in outcomes} == {
        "2026-11-10": Status.LANDED,
        BROKEN: Status.FETCH_FAILED,
        "2026-11-08": Status.LANDED,
    }
    failed = next(o for o in outcomes if o.data_day == BROKEN)
    assert failed.error == (
        "unexpected error: ValueError: could not convert string to float: 'n/a' in column latitude"
    )
    assert failed.batch is None
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and logged[0].exc_info[0] is ValueError and BROKEN in logged[0].getMessage()


def test_the_failed_day_is_reported_and_the_others_load(sandbox, catalogue, data_dir, broken_day):
    """Validate and load go on: two days loaded, the broken one recorded as fetch_failed and listed."""
    feed = catalogue.feed(f"{DATASET}/{catalogue.area(SLUG).code}")
    landed = steps.ingest_feed(feed.id, DAYS, paths=data_dir)
    summary = steps.load_outcomes(
        [steps.validate_dataset(DATASET, [landed], paths=data_dir)], "test-run", paths=data_dir
    )
    assert summary["loaded_batches"] == 2 and summary["missing_feeds"] == 0
    assert summary["fetch_failed"] == [
        f"{DATASET} from Barnet ({BROKEN}): unexpected error: ValueError: "
        "could not convert string to float: 'n/a' in column latitude"
    ]
    with duckdb.connect(str(data_dir.warehouse), read_only=True) as con:
        recorded = dict(
            con.execute("select data_day::varchar, status from audit.batches").fetchall()
        )
    assert recorded == {"2026-11-10": "loaded", BROKEN: "fetch_failed", "2026-11-08": "loaded"}
