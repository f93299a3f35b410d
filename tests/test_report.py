"""The report step: red or green, and the summary file the CLI prints instead of scraping the log."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest

from pipeline.cli import _report
from pipeline.report import RunFailed, summarise_run, summary_path

DAY = "2026-11-09"
PUBLISHED = {"path": "/data/published/city.duckdb", "city_metrics_rows": 120}
EXPORTED = {
    "files": {"a.csv": {"suppressed": 2}},
    "directory": "/data/published/open_data",
    "min_cell_count": 5,
}


def _load_summary(missing: int = 0, due: int = 10) -> dict:
    failed = [f"service_requests from Camden ({DAY}): HTTP 503"] * missing
    return {
        "feeds": 12,
        "due_feeds": due,
        "missing_feeds": missing,
        "batches": 14,
        "catch_up_batches": 2,
        "period_batches": 2,
        "unchanged_batches": 1,
        "loaded_batches": 13 - missing,
        "loaded_rows": 900,
        "landed_rows": 940,
        "quarantined_rows": 40,
        "watermarks_advanced": 1,
        "fetch_failed": failed,
        "quarantined": [f"road_casualties from Ealing ({DAY}): severity"],
        "not_published": ["house_prices from Newham (2026-09-01): not published by its due day"],
        "warnings": [],
    }


def _written(paths) -> dict:
    return json.loads(summary_path(paths, DAY).read_text(encoding="utf-8"))


def test_a_green_night_writes_its_summary(data_dir):
    report = summarise_run(DAY, _load_summary(missing=2), PUBLISHED, EXPORTED, paths=data_dir)
    written = _written(data_dir)
    assert written["state"] == "green" and written["reason"] is None and written["data_day"] == DAY
    assert written["summary"] in report.splitlines() and written["summary"].startswith(
        "feeds: 12, missing"
    )
    assert written["counts"]["missing_feeds"] == 2 and written["counts"]["loaded_rows"] == 900
    assert written["fetch_failed"] == _load_summary(missing=2)["fetch_failed"]
    assert written["quarantined"] == [f"road_casualties from Ealing ({DAY}): severity"]
    assert written["overdue"] == [
        "house_prices from Newham (2026-09-01): not published by its due day"
    ]
    assert written["published"] == PUBLISHED["path"]
    assert [p.name for p in summary_path(data_dir, DAY).parent.iterdir()] == ["summary.json"], (
        "no temp file left"
    )


@pytest.mark.parametrize(
    "load_summary, published, exported, reason",
    [
        (_load_summary(missing=3), PUBLISHED, EXPORTED, "3 of 10 daily feeds missing (> 25%)"),
        (_load_summary(), None, None, "not published: the analysts' warehouse is unchanged"),
        (
            _load_summary(),
            PUBLISHED,
            None,
            "open data not exported (the export failed; see its task log)",
        ),
        (
            None,
            None,
            None,
            "nothing was loaded (ingest or load failed); published warehouse unchanged",
        ),
    ],
)
def test_a_red_night_writes_its_summary_before_it_fails(
    data_dir, load_summary, published, exported, reason
):
    with pytest.raises(RunFailed):
        summarise_run(DAY, load_summary, published, exported, paths=data_dir)
    written = _written(data_dir)
    assert (written["state"], written["reason"]) == ("red", reason)
    assert written["published"] == (published or {}).get("path")


def test_a_rerun_replaces_the_summary(data_dir):
    with pytest.raises(RunFailed):
        summarise_run(DAY, _load_summary(missing=5), PUBLISHED, EXPORTED, paths=data_dir)
    summarise_run(DAY, _load_summary(), PUBLISHED, EXPORTED, paths=data_dir)
    assert _written(data_dir)["state"] == "green" and _written(data_dir)["fetch_failed"] == []


def test_the_cli_prints_the_summary_file_or_says_there_is_none(data_dir, tmp_path):
    log_path = tmp_path / "city_nightly_2026-11-09.log"
    log_path.write_text("feeds: 99 scraped from the log\n", encoding="utf-8")
    none = _report(date.fromisoformat(DAY), log_path)
    assert (
        none.startswith("no report: ")
        and none.endswith(f"(log: {log_path})")
        and "feeds: 99" not in none
    )

    summarise_run(DAY, _load_summary(), PUBLISHED, EXPORTED)  # CITY_DATA_DIR is data_dir
    line = _report(date.fromisoformat(DAY), log_path)
    assert line == f"green: {_written(data_dir)['summary']} (log: {log_path})"

    written = summary_path(data_dir, DAY).stat().st_mtime
    os.utime(summary_path(data_dir, DAY), (written - 3600, written - 3600))
    assert _report(date.fromisoformat(DAY), log_path, since=written).startswith("no report: "), (
        "an earlier run's summary is not this run's report"
    )
