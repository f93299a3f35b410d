"""raw.source_metadata: the latest of what each borough's portal says about each dataset.

Batches are landed by the real connectors from the sandbox (CKAN package_show), then
written with write_source_metadata as the load step does, into a real DuckDB file.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from ingest.fetch import fetch_feed
from pipeline.load import connect
from pipeline.source_metadata import COLUMNS, write_source_metadata

DAY = date(2026, 11, 10)


def _outcome(batch) -> dict:
    return {
        "feed_id": f"{batch.dataset}/{batch.borough_code}",
        "status": "landed",
        "batch": batch.to_dict(),
    }


def _rows(con) -> list[dict]:
    return [
        dict(zip(COLUMNS, row, strict=False))
        for row in con.execute(
            "select * from raw.source_metadata order by dataset, borough_code"
        ).fetchall()
    ]


def _aged(batch, fetched_at: str) -> None:
    """Pretend the batch was fetched at another time (landed manifests are read-only)."""
    manifest = Path(batch.path) / "manifest.json"
    data = json.loads(manifest.read_text())
    os.chmod(manifest, 0o644)
    manifest.write_text(json.dumps(data | {"fetched_at": fetched_at}))


def test_latest_metadata_per_feed_from_landed_batches(catalogue, data_dir):
    """One row per CKAN feed with the portal's title, licence and times; other protocols add none."""
    ckan = catalogue.feed("road_casualties/croydon")
    arcgis = catalogue.feed("road_casualties/lambeth")
    batches = [fetch_feed(catalogue, feed, DAY, data_dir.landing) for feed in (ckan, arcgis)]
    with connect(data_dir.warehouse) as con:
        written = write_source_metadata(
            con, [_outcome(b) for b in batches] + [{"status": "fetch_failed"}]
        )
        rows = _rows(con)
    assert written == 1 and len(rows) == 1
    row = rows[0]
    assert (row["dataset"], row["borough_code"]) == ("road_casualties", ckan.area.code)
    assert (
        row["title"] == f"{ckan.dataset.title} (Croydon)"
        and row["licence"] == "UK Open Government Licence (OGL)"
    )
    assert row["metadata_modified"] == row["resource_last_modified"] and row["error"] is None
    assert row["batch_id"] == batches[0].batch_id and "package_show" in row["url"]


def test_an_older_batch_never_replaces_a_newer_one(catalogue, data_dir):
    """A catch-up batch fetched earlier than the stored row leaves it; a later one replaces it."""
    feed = catalogue.feed("road_casualties/croydon")
    first = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    second = fetch_feed(catalogue, feed, date(2026, 11, 9), data_dir.landing)
    _aged(first, "2026-11-20T02:00:00+00:00")
    _aged(second, "2026-11-19T02:00:00+00:00")
    with connect(data_dir.warehouse) as con:
        write_source_metadata(con, [_outcome(first)])
        write_source_metadata(con, [_outcome(second)])
        assert [r["batch_id"] for r in _rows(con)] == [first.batch_id]
        _aged(second, "2026-11-21T02:00:00+00:00")
        write_source_metadata(con, [_outcome(second)])
        assert [r["batch_id"] for r in _rows(con)] == [second.batch_id]


@pytest.mark.parametrize("order", [1, -1])
def test_within_one_call_the_latest_fetch_wins(catalogue, data_dir, order):
    feed = catalogue.feed("road_casualties/croydon")
    batches = [
        fetch_feed(catalogue, feed, day, data_dir.landing) for day in (date(2026, 11, 9), DAY)
    ]
    _aged(batches[0], "2026-11-19T02:00:00+00:00")
    _aged(batches[1], "2026-11-20T02:00:00+00:00")
    with connect(data_dir.warehouse) as con:
        write_source_metadata(con, [_outcome(b) for b in batches[::order]])
        assert [r["batch_id"] for r in _rows(con)] == [batches[1].batch_id]
