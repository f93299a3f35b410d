"""Row-count bounds from a feed's own history, and the validation they feed."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ingest.catalogue import RowCountHistory, load_catalogue
from ingest.landing import LandedBatch
from pipeline.history import NO_BOUNDS, feed_history, row_count_bounds
from pipeline.validate import validate_batch

RULE = RowCountHistory(days=3, min_days=2, factor=3, slack_rows=10)


def test_no_history_means_no_bound():
    """A new feed (or one with fewer than min_days loaded days) is not bounded."""
    assert row_count_bounds([], RULE) == NO_BOUNDS
    assert row_count_bounds([40], RULE) == NO_BOUNDS


def test_bounds_widen_the_history_by_factor_and_slack():
    """[min / factor - slack, max * factor + slack], floored at zero."""
    assert row_count_bounds([40, 60], RULE) == (3, 190)
    assert row_count_bounds([0, 5], RULE) == (0, 25)


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.feed_partitions (dataset varchar, borough_code varchar, data_day date, "
            "batch_id varchar, row_count bigint, loaded_at timestamp)"
        )
        con.executemany(
            "insert into raw.feed_partitions values (?, ?, ?, 'b', ?, now())",
            [
                ("road_casualties", "E09000001", "2026-11-01", 1),
                ("road_casualties", "E09000001", "2026-11-02", 2),
                ("road_casualties", "E09000001", "2026-11-03", 3),
                ("road_casualties", "E09000001", "2026-11-04", 4),
                (
                    "road_casualties",
                    "E09000001",
                    "2026-11-05",
                    500,
                ),  # the day being re-run: not history
                ("road_casualties", "E09000002", "2026-11-04", 7),
                ("service_requests", "E09000001", "2026-11-04", 99),
            ],
        )
    return path


def test_history_is_the_feeds_last_loaded_days_before_the_day(tmp_path):
    """Per borough, the last N loaded days strictly before the batch's day, of that dataset only."""
    history = feed_history(_warehouse(tmp_path / "w.duckdb"), "road_casualties", "2026-11-05", 3)
    assert sorted(history["E09000001"]) == [2, 3, 4]
    assert history["E09000002"] == [7]
    assert "E09000003" not in history


def test_no_warehouse_yet_means_no_history(tmp_path):
    """The first night has no warehouse: validation goes on without bounds."""
    assert feed_history(tmp_path / "missing.duckdb", "road_casualties", "2026-11-05", 3) == {}


def _batch(tmp_path: Path, rows: int) -> LandedBatch:
    folder = tmp_path / "batch"
    folder.mkdir()
    with (folder / "records.jsonl").open("w") as out:
        for n in range(rows):
            out.write(
                json.dumps(
                    {
                        "casualty_ref": f"C{n}",
                        "accident_date": "2026-11-05",
                        "borough": "City of London",
                        "severity": "Slight",
                        "road_user_type": "Pedestrian",
                        "casualty_age": "30",
                    }
                )
                + "\n"
            )
    return LandedBatch(
        "road_casualties",
        "E09000001",
        "City of London",
        "2026-11-05",
        "b1",
        str(folder),
        rows,
        "ckan",
    )


def test_a_batch_far_outside_its_history_loads_with_a_warning(tmp_path):
    """Outside the history bounds is a warning (loaded and flagged), never a quarantine."""
    catalogue = load_catalogue()
    dataset, area = catalogue.dataset("road_casualties"), catalogue.area("E09000001")
    batch = _batch(tmp_path, 30)
    flagged = validate_batch(batch, dataset, area, catalogue.settings, (0, 20))
    assert flagged.success and flagged.failures == []
    assert any("row count 30 outside the expected 0..20" in w for w in flagged.warnings)
    unbounded = validate_batch(batch, dataset, area, catalogue.settings, NO_BOUNDS)
    assert unbounded.success and unbounded.warnings == []
