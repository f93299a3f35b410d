"""The end of the night: the report people read, red or green, and the summary file.

The report task runs whatever happened upstream (trigger rule all_done). It writes the
run's summary to `<CITY_DATA_DIR>/runs/<data_day>/summary.json` first, then shows red by
raising `RunFailed` when nothing loaded, nothing was published or exported, or more
daily feeds are missing than `run.max_failed_feed_share` allows. `python -m pipeline
nightly` prints the summary file; nothing scrapes the log.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from ingest.catalogue import load_catalogue
from ingest.errors import IngestError
from ingest.paths import DataPaths, data_paths

__all__ = ["summarise_run", "RunFailed", "red_reason", "report_text", "summary_path"]

log = logging.getLogger(__name__)

GREEN, RED = "green", "red"
COUNTS = (
    "feeds",
    "due_feeds",
    "missing_feeds",
    "batches",
    "catch_up_batches",
    "period_batches",
    "unchanged_batches",
    "loaded_batches",
    "loaded_rows",
    "landed_rows",
    "quarantined_rows",
    "watermarks_advanced",
    "unrecorded_batches",
)


class RunFailed(IngestError):
    """The run finished but too much is missing for the night to count as green."""


def summarise_run(
    data_day: str,
    load_summary: dict[str, Any] | None,
    published: dict[str, Any] | None,
    exported: dict[str, Any] | None = None,
    paths: DataPaths | None = None,
) -> str:
    """The end-of-run report; writes the summary file, then raises RunFailed when the night should show red."""
    max_share = load_catalogue().settings.max_failed_feed_share
    reason = red_reason(load_summary, published, exported, max_share)
    report = (
        None if load_summary is None else report_text(data_day, load_summary, published, exported)
    )
    _write_json(
        summary_path(paths or data_paths(), data_day),
        _summary(data_day, load_summary, published, exported, reason),
    )
    if load_summary is None:
        raise RunFailed(f"data day {data_day}: {reason}")
    log.info("%s", report)
    if published is None or exported is None:
        raise RunFailed(report)
    if reason:
        raise RunFailed(f"{reason}:\n{report}")
    return report


def red_reason(
    load_summary: dict[str, Any] | None,
    published: dict[str, Any] | None,
    exported: dict[str, Any] | None,
    max_failed_feed_share: float,
) -> str | None:
    """Why the night is red, in one line; None when it is green."""
    if load_summary is None:
        return "nothing was loaded (ingest or load failed); published warehouse unchanged"
    if published is None:
        return "not published: the analysts' warehouse is unchanged"
    if exported is None:
        return "open data not exported (the export failed; see its task log)"
    missing, due = load_summary["missing_feeds"], load_summary["due_feeds"]
    if missing / max(due, 1) > max_failed_feed_share:
        return f"{missing} of {due} daily feeds missing (> {max_failed_feed_share:.0%})"
    return None


def report_text(
    data_day: str,
    load_summary: dict[str, Any],
    published: dict[str, Any] | None,
    exported: dict[str, Any] | None,
) -> str:
    """The report's lines: counts, what failed and why, what was published and exported."""
    lines = [
        f"City Region Datastore — data day {data_day}",
        _one_line(load_summary),
        f"rows landed {load_summary['landed_rows']} = loaded {load_summary['loaded_rows']} "
        f"+ quarantined {load_summary['quarantined_rows']}",
    ]
    for title, items in (
        ("fetch failed (last good data kept)", load_summary["fetch_failed"]),
        ("quarantined (not loaded)", load_summary["quarantined"]),
        (
            "not published by the source (missing, never counted as zero)",
            load_summary["not_published"],
        ),
        ("caught up: days a dead run never recorded", load_summary.get("unrecorded", [])),
        ("warnings (loaded)", load_summary["warnings"]),
    ):
        if items:
            lines.append(f"{title}: {len(items)}")
            lines.extend(f"  - {item}" for item in items)
    if published:
        lines.append(
            f"published: {published['path']} ({published['city_metrics_rows']} city_metrics rows)"
        )
    else:
        lines.append("NOT published: the analysts' warehouse is unchanged")
    if exported:
        suppressed = sum(f["suppressed"] for f in exported["files"].values())
        lines.append(
            f"open data: {len(exported['files'])} files in {exported['directory']} "
            f"({suppressed} cells suppressed below {exported['min_cell_count']})"
        )
    elif published:
        lines.append("open data NOT exported (the export failed; see its task log)")
    return "\n".join(lines)


def _one_line(load_summary: dict[str, Any]) -> str:
    """The night in one line: feeds, what is missing, batches and rows loaded."""
    unrecorded = load_summary.get("unrecorded_batches", 0)
    return (
        f"feeds: {load_summary['feeds']}, missing for the day: {load_summary['missing_feeds']} of "
        f"{load_summary['due_feeds']} daily feeds, "
        f"batches: {load_summary['batches']} ({load_summary['catch_up_batches']} earlier days, "
        f"{load_summary['period_batches']} monthly/quarterly periods, "
        f"{load_summary['unchanged_batches']} unchanged), "
        f"loaded: {load_summary['loaded_batches']}, rows loaded: {load_summary['loaded_rows']}"
        + (f", caught up: {unrecorded} feed-days a dead run never recorded" if unrecorded else "")
    )


def _summary(
    data_day: str,
    load_summary: dict[str, Any] | None,
    published: dict[str, Any] | None,
    exported: dict[str, Any] | None,
    reason: str | None,
) -> dict[str, Any]:
    """The summary file's content: what a person or a script needs without reading the log."""
    loaded = load_summary or {}
    return {
        "data_day": data_day,
        "state": RED if reason else GREEN,
        "reason": reason,
        "summary": _one_line(load_summary) if load_summary is not None else reason,
        "counts": {key: loaded[key] for key in COUNTS if key in loaded},
        "fetch_failed": list(loaded.get("fetch_failed", [])),
        "quarantined": list(loaded.get("quarantined", [])),
        "overdue": list(loaded.get("not_published", [])),
        "warnings": list(loaded.get("warnings", [])),
        "unrecorded": list(loaded.get("unrecorded", [])),
        "published": (published or {}).get("path"),
        "open_data": (exported or {}).get("directory"),
    }


def summary_path(paths: DataPaths, data_day: str) -> Path:
    """Where the report step writes the summary of a data day's latest run."""
    return paths.root / "runs" / data_day / "summary.json"


def _write_json(path: Path, content: dict[str, Any]) -> None:
    """Write whole or not at all: a reader never sees half a file (tmp in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
