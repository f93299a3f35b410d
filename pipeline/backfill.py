"""A range backfill: data days A..B fetched per feed in range queries, loaded once, built once.

`python -m pipeline backfill --from A --to B` (make backfill) does for a range what the
nights A..B would do one by one, at the speed of the data: plan every feed's days
(backfill_plan.py), fetch each feed's range in as few requests as its protocol allows and
land it per day (backfill_fetch.py; feeds in parallel, within each API host's
`pools` slots), validate each dataset's batches in one Great Expectations run, load every
partition in one transaction (backfill_load.py), then one dbt build, one publish, one
export and one docs site and dashboard. The data directory's warehouse lock is held from
plan to publish, so no night or other backfill writes in between. A quarantined or failed
feed-day is reported and the rest carries on, as in a night.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

from ingest.catalogue import Catalogue, load_catalogue
from ingest.outcomes import VALIDATED_OK, Outcome, Status
from ingest.paths import DataPaths, data_paths
from pipeline.backfill_plan import FeedRange, data_days, describe_plan, plan_range
from pipeline.backfill_report import (
    FAILED,
    Progress,
    failure_line,
    metric_changes,
    published_metrics,
    summary_lines,
)

__all__ = ["run_backfill"]

log = logging.getLogger(__name__)
STEP = "python -m pipeline backfill"
ROWS_PER_RUN = 100_000
"""Rows per Great Expectations run: a year of a dataset in one DataFrame took 3 GB; each batch
is judged on its own rows either way, so the verdicts do not depend on the grouping."""


class RequestCounter:
    """Responses received from borough APIs, across every feed's session (a response hook)."""

    def __init__(self) -> None:
        self.count, self._lock = 0, threading.Lock()

    def hook(self, response, *args, **kwargs):
        with self._lock:
            self.count += 1
        return response

    def __call__(self) -> int:
        return self.count


def run_backfill(
    first: date,
    last: date,
    *,
    datasets: list[str] | None = None,
    boroughs: list[str] | None = None,
    dry_run: bool = False,
    from_landing: bool = False,
    paths: DataPaths | None = None,
    out=print,
    publish: bool = True,
) -> dict[str, Any]:
    """Backfill data days first..last (inclusive); returns the summary (see backfill_report).

    `publish=False` stops after the load (no dbt build, nothing published): several parts
    of a history may be loaded so, and built once by the last.
    """
    from pipeline.lock import warehouse_lock

    catalogue, paths = load_catalogue(), paths or data_paths()
    days = data_days(first, last)
    with warehouse_lock(
        paths,
        step=STEP + (" --dry-run" if dry_run else ""),
        data_day=f"{first}..{last}",
        shared=dry_run,
        wait_s=catalogue.settings.lock_wait_s,
    ):
        plans = plan_range(catalogue, first, last, paths, datasets, boroughs)
        if dry_run:
            for line in describe_plan(catalogue, plans, first, last, from_landing):
                out(line)
            return {"dry_run": True, "feeds": len(plans)}
        return _run(catalogue, paths, plans, first, last, len(days), from_landing, out, publish)


def _run(
    catalogue: Catalogue,
    paths: DataPaths,
    plans: list[FeedRange],
    first: date,
    last: date,
    n_days: int,
    from_landing: bool,
    out,
    publish: bool,
) -> dict[str, Any]:
    from pipeline import steps
    from pipeline.backfill_load import load_range

    started = time.monotonic()
    run_id = f"backfill__{first}__{last}__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    feed_days = sum(len(p.days) for p in plans)
    out(
        f"backfill of data days {first} .. {last} ({n_days} days, both inclusive): "
        f"{len(plans)} feeds, {feed_days:,} feed-days, "
        + ("replayed from the landing zone" if from_landing else "fetched from the borough APIs")
    )
    before = published_metrics(paths.published)
    timings: dict[str, float] = {}
    requests = RequestCounter()
    tick = time.monotonic()
    outcomes, not_in_landing = _fetch_all(catalogue, paths, plans, from_landing, requests, out)
    timings["replay" if from_landing else "fetch"] = time.monotonic() - tick

    tick = time.monotonic()
    landed = [o for o in outcomes if o.status is Status.LANDED]
    out(f"validate: {len(landed):,} batches in {len({o.dataset for o in landed})} datasets …")
    history = _history(catalogue, paths, outcomes)
    checked: list[Outcome] = [o for o in outcomes if o.status is not Status.LANDED]
    for dataset_id in sorted({o.dataset for o in landed}):
        for group in _by_rows([o for o in landed if o.dataset == dataset_id], ROWS_PER_RUN):
            checked += [
                Outcome.from_dict(o)
                for o in steps.validate_dataset(dataset_id, group, paths, history=history)
            ]
    timings["validate"] = time.monotonic() - tick
    quarantined = sum(o.status is Status.QUARANTINED for o in checked)
    out(f"validate: done in {timings['validate']:.0f} s, {quarantined} batches quarantined")

    tick = time.monotonic()
    loaded = load_range(catalogue, paths, checked, run_id)
    checked = [o.becomes(Status.LOADED) if o.status in VALIDATED_OK else o for o in checked]
    timings["load"] = time.monotonic() - tick
    out(
        f"load: {loaded['loaded_batches']:,} partitions, {loaded['loaded_rows']:,} rows "
        f"in one transaction ({timings['load']:.0f} s); {loaded['unchanged_batches']:,} unchanged"
    )

    published = _build_and_publish(paths, timings, out) if publish else False
    after = published_metrics(paths.published) if published else before
    result = {
        "run_id": run_id,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "days": n_days,
        "from_landing": from_landing,
        "feeds": len(plans),
        "feed_days": feed_days,
        "statuses": dict(Counter(o.status.value for o in checked)),
        "rows_landed": loaded["landed_rows"],
        "rows_loaded": loaded["loaded_rows"],
        "rows_quarantined": loaded["quarantined_rows"],
        "requests": requests(),
        "failures": [failure_line(o) for o in sorted(checked, key=_order) if o.status in FAILED],
        "not_in_landing": not_in_landing,
        "outcomes": checked,
        "published": published,
        "metric_changes": metric_changes(before, after),
        "steps": timings,
        "seconds": time.monotonic() - started,
    }
    for line in summary_lines(result):
        out(line)
    return result


def _by_rows(outcomes: list[Outcome], budget: int) -> list[list[Outcome]]:
    """Consecutive groups of outcomes holding about `budget` landed rows each."""
    groups: list[list[Outcome]] = [[]]
    rows = 0
    for outcome in outcomes:
        if groups[-1] and rows + outcome.batch.row_count > budget:
            groups.append([])
            rows = 0
        groups[-1].append(outcome)
        rows += outcome.batch.row_count
    return groups


def _order(outcome: Outcome) -> tuple[str, str, str]:
    return outcome.dataset, outcome.borough_name, outcome.data_day


def _fetch_all(
    catalogue: Catalogue,
    paths: DataPaths,
    plans: list[FeedRange],
    from_landing: bool,
    requests: RequestCounter,
    out,
) -> tuple[list[Outcome], list[str]]:
    """Every feed's outcomes, feeds in parallel within each API host's pool slots."""
    from ingest.http import build_session
    from pipeline.backfill_fetch import fetch_range, replay_range
    from pipeline.pools import host_of

    progress = Progress(
        len(plans),
        sum(len(p.days) for p in plans),
        requests,
        out,
        label="replay" if from_landing else "fetch",
    )
    not_in_landing: list[str] = []
    allowed = {
        host: catalogue.settings.pools.slots(host) for host in {_host(host_of, p) for p in plans}
    }
    slots = {host: threading.Semaphore(n) for host, n in allowed.items()}

    def one(plan: FeedRange) -> list[Outcome]:
        if from_landing:
            found, missing = replay_range(plan, paths)
            not_in_landing.extend(f"{plan.feed.label}: {day}" for day in missing)
        else:
            session = build_session(catalogue.settings.http)
            session.hooks["response"].append(requests.hook)
            with slots[_host(host_of, plan)]:
                found = fetch_range(catalogue, plan, paths, session)
            session.close()
        progress.feed_done(found)
        return found

    workers = 1 if from_landing else min(16, sum(allowed.values()) or 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="backfill") as pool:
        results = list(pool.map(one, plans))
    return [o for group in results for o in group], sorted(not_in_landing)


def _host(host_of, plan: FeedRange) -> str:
    if plan.feed.region_wide:
        from urllib.parse import urlsplit

        return urlsplit(plan.feed.dataset.source.url).hostname or "region"
    return host_of(plan.feed)


def _history(catalogue: Catalogue, paths: DataPaths, outcomes: list[Outcome]):
    """Row-count history as the nights A..B would have seen it: the warehouse's loaded days,
    with the range's own batches (fetched or unchanged) in place of what they replace."""
    import bisect

    from pipeline.plan import read_warehouse

    counts: dict[tuple[str, str], dict[str, int]] = {}
    datasets = sorted({o.dataset for o in outcomes})
    with read_warehouse(catalogue, paths, outcomes[0].data_day if outcomes else "") as (
        con,
        tables,
    ):
        if "raw.feed_partitions" in tables and datasets:
            for dataset_id, borough, day, rows in con.execute(
                """select dataset, borough_code, data_day::varchar, row_count
                   from raw.feed_partitions where list_contains(?, dataset)""",
                [datasets],
            ).fetchall():
                counts.setdefault((dataset_id, borough), {})[day] = int(rows)
    for o in outcomes:
        if o.batch is not None and o.status in (Status.LANDED, Status.UNCHANGED):
            counts.setdefault((o.dataset, o.borough_code), {})[o.data_day] = o.batch.row_count
    ordered = {key: (sorted(days), [days[d] for d in sorted(days)]) for key, days in counts.items()}
    keep = catalogue.settings.row_count_history.days

    def history(dataset_id: str, before_day: str) -> dict[str, list[int]]:
        found = {}
        for (ds, borough), (days, rows) in ordered.items():
            if ds != dataset_id:
                continue
            end = bisect.bisect_left(days, before_day)
            if end:
                found[borough] = rows[max(0, end - keep) : end][::-1]
        return found

    return history


def _build_and_publish(paths: DataPaths, timings: dict[str, float], out) -> bool:
    """dbt once, publish once, export once, docs and dashboard once; False when nothing was published."""
    from pipeline import steps

    for name, step, needed in (
        ("dbt", steps.build_models, True),
        ("publish", steps.publish_warehouse, True),
        ("export", steps.export_open_data, False),
        ("docs and dashboard", steps.publish_docs_and_dashboard, False),
    ):
        tick = time.monotonic()
        out(f"{name} …")
        try:
            step(paths)
        except Exception as exc:
            timings[name] = time.monotonic() - tick
            log.exception("%s failed", name)
            out(f"{name} failed: {' '.join(str(exc).split())[:400]}")
            if needed:
                return False
            continue
        timings[name] = time.monotonic() - tick
        out(f"{name}: done in {timings[name]:.0f} s")
    return True
