"""What a backfill says while it runs and when it ends: progress lines, metric changes, summary.

Progress is one line per step, and during the fetch one line per tenth of the feeds (or
every `every_s` seconds), never one per request: feeds and feed-days done of the total,
rows, requests, failures and an ETA. The summary names every failure by dataset, borough
and day (capped), and lists which published metric values the backfill moved, read from
`analytics.city_metrics` of the published warehouse before and after.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.outcomes import Outcome, Status

__all__ = ["Progress", "published_metrics", "metric_changes", "summary_lines", "duration"]

FAILED = (Status.FETCH_FAILED, Status.QUARANTINED)


def duration(seconds: float) -> str:
    """'42 s', '3 min 05 s', '1 h 02 min'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """The fetch's running totals, printed a line at a time (thread-safe: feeds run in parallel)."""

    def __init__(
        self,
        feeds: int,
        feed_days: int,
        requests: Callable[[], int],
        out: Callable[[str], None] = print,
        every_s: float = 15.0,
        label: str = "fetch",
    ):
        self.feeds, self.feed_days, self.requests, self.out = feeds, feed_days, requests, out
        self.label = label
        self.every_s = every_s
        self.started = self.last = time.monotonic()
        self.done_feeds = self.done_days = self.rows = self.failed = 0
        self.step = max(1, feeds // 10)
        self._lock = threading.Lock()

    def feed_done(self, outcomes: list[Outcome]) -> None:
        with self._lock:
            self.done_feeds += 1
            self.done_days += len({o.data_day for o in outcomes})
            self.rows += sum(o.batch.row_count for o in outcomes if o.batch)
            self.failed += sum(o.status in FAILED for o in outcomes)
            now = time.monotonic()
            if (
                self.done_feeds % self.step == 0
                or self.done_feeds == self.feeds
                or now - self.last >= self.every_s
            ):
                self.last = now
                self.out(self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self.started
        share = self.done_days / self.feed_days if self.feed_days else 1.0
        eta = elapsed * (1 - share) / share if share else 0.0
        return (
            f"{self.label}: {self.done_feeds}/{self.feeds} feeds, "
            f"{self.done_days:,}/{self.feed_days:,} feed-days ({share:.0%}), "
            f"{self.rows:,} rows, {self.requests():,} requests, {self.failed} failed, "
            f"{duration(elapsed)} so far, ETA {duration(eta)}"
        )


MetricKey = tuple[str, str, str, str]


def published_metrics(published: Path) -> dict[MetricKey, tuple[str, Any]]:
    """(metric, area code, period type, period start) -> (area name, value) of the published copy."""
    import duckdb

    if not published.exists():
        return {}
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            rows = con.execute(
                """select metric_id, area_code, period_type, period_start::varchar, area_name, value
                   from analytics.city_metrics"""
            ).fetchall()
    except duckdb.Error:
        return {}  # no analytics schema yet: nothing was published before
    return {(m, a, t, p): (name, value) for m, a, t, p, name, value in rows}


def metric_changes(
    before: dict[MetricKey, tuple[str, Any]], after: dict[MetricKey, tuple[str, Any]]
) -> list[str]:
    """'metric area period: before -> after' for every value that moved, appeared or went."""
    lines = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, (None, None)), after.get(key, (None, None))
        if key in before and key in after and _same(old[1], new[1]):
            continue
        metric, _, period_type, period_start = key
        name = new[0] or old[0]
        lines.append(
            f"{metric} {name} {period_type} {period_start}: "
            f"{_value(old[1]) if key in before else 'none'} -> "
            f"{_value(new[1]) if key in after else 'none'}"
        )
    return lines


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def summary_lines(result: dict[str, Any], cap: int = 15) -> list[str]:
    """The end-of-run summary: counts, requests, failures by name, time, metric changes."""
    counts = result["statuses"]
    lines = [
        f"backfill {result['first']} .. {result['last']} ({result['days']} data days"
        f"{', from the landing zone' if result['from_landing'] else ''}): "
        f"{result['feeds']} feeds, {result['feed_days']:,} feed-days — "
        + ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items())),
        f"rows: {result['rows_landed']:,} landed, {result['rows_loaded']:,} loaded, "
        f"{result['rows_quarantined']:,} quarantined; requests to borough APIs: "
        f"{result['requests']:,} (night by night: at least {result['feed_days']:,})",
        "wall time: "
        + duration(result["seconds"])
        + " ("
        + ", ".join(f"{step} {duration(s)}" for step, s in result["steps"].items())
        + ")",
    ]
    failures = result["failures"]
    if failures:
        lines.append(f"failures ({len(failures)}):")
        lines += [f"  {line}" for line in failures[:cap]]
        if len(failures) > cap:
            lines.append(
                f"  and {len(failures) - cap} more (audit.batches, run {result['run_id']})"
            )
    if result.get("not_in_landing"):
        missing = result["not_in_landing"]
        lines.append(f"not in the landing zone, left as they are ({len(missing)}):")
        lines += [f"  {line}" for line in missing[:cap]]
        if len(missing) > cap:
            lines.append(f"  and {len(missing) - cap} more")
    changes = result["metric_changes"]
    if result["published"]:
        lines.append(
            f"published metric values changed: {len(changes):,} (before -> after)"
            if changes
            else "published metric values changed: none"
        )
        lines += [f"  {line}" for line in changes[:cap]]
        if len(changes) > cap:
            lines.append(f"  and {len(changes) - cap:,} more")
    else:
        lines.append("nothing was published: the published warehouse is unchanged")
    return lines


def failure_line(outcome: Outcome) -> str:
    """'road_casualties from Camden (2026-03-02): quarantined: <why>'."""
    why = "; ".join(outcome.failures) or outcome.error or ""
    line = f"{outcome.dataset} from {outcome.borough_name} ({outcome.data_day}): {outcome.status.value}: {why}"
    return line if len(line) <= 240 else line[:239] + "…"
