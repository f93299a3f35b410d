"""What a range backfill owes: for each feed, the data days (or periods) of A..B, and where from.

Data days A..B inclusive are the nights A..B would have processed: each daily feed owes
every day of the range; a monthly, quarterly or yearly feed owes every period that any of
those nights owed (`publication.history_periods` latest due periods, ingest/periods.py),
each under its first day. From the API, a feed's days are asked in as few range queries as
its protocol allows (`range_days`); from the landing zone (`--from-landing`), each day's
latest landed batch is replayed and a day with none is left as it is.
Reads the warehouse read-only, as the nightly plan does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ingest.catalogue import Catalogue, Feed
from ingest.errors import IngestError
from ingest.paths import DataPaths

__all__ = [
    "FeedRange",
    "data_days",
    "plan_range",
    "range_chunks",
    "least_requests",
    "describe_plan",
]


@dataclass(frozen=True)
class FeedRange:
    """One feed's share of a backfill: its days, the loaded batch of each, and its watermark."""

    feed: Feed
    days: tuple[str, ...]
    loaded: dict[str, str] = field(default_factory=dict)  # day -> batch id in the warehouse
    watermark: dict[str, Any] | None = None  # incremental feeds: raw.feed_watermarks' row
    landed: frozenset[str] = frozenset()  # days with a batch in the landing zone
    areas_loaded: dict[str, dict[str, str]] = field(default_factory=dict)
    """A region-wide feed's areas: area code -> day -> batch id in the warehouse."""


def data_days(first: date, last: date) -> list[date]:
    """A..B inclusive; refuses a reversed range."""
    if last < first:
        raise IngestError(f"--to {last} is before --from {first}: the range is empty")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def plan_range(
    catalogue: Catalogue,
    first: date,
    last: date,
    paths: DataPaths,
    datasets: list[str] | None = None,
    boroughs: list[str] | None = None,
) -> list[FeedRange]:
    """Every feed of the filter with the days it owes for nights first..last (none: not planned)."""
    from ingest.landing import batch_dir
    from ingest.periods import periods_due
    from ingest.watermarks import read_watermarks
    from pipeline.plan import read_warehouse

    days = data_days(first, last)
    feeds = catalogue.feeds(datasets, boroughs)
    owed: dict[str, list[str]] = {}
    for feed in feeds:
        dataset = feed.dataset
        if not dataset.periodic:
            owed[feed.id] = [d.isoformat() for d in days]
            continue
        if dataset.id not in owed:  # every feed of a dataset owes the same periods
            lag, count = dataset.publication.lag_days, dataset.publication.history_periods
            periods = {p for d in days for p in periods_due(d, dataset.cadence, lag, count)}
            owed[dataset.id] = sorted(p.isoformat() for p in periods)
        owed[feed.id] = owed[dataset.id]
    loaded: dict[str, dict[str, str]] = {}
    marks: dict[str, dict[str, Any]] = {}
    with read_warehouse(catalogue, paths, last.isoformat()) as (con, tables):
        if "raw.feed_partitions" in tables:
            rows = con.execute(
                """select dataset || '/' || borough_code, data_day::varchar, batch_id
                   from raw.feed_partitions where data_day <= ?::date""",
                [last.isoformat()],
            ).fetchall()
            for feed_id, day, batch_id in rows:
                loaded.setdefault(feed_id, {})[day] = batch_id
            marks = read_watermarks(catalogue, con, tables)
    plans = []
    for feed in feeds:
        feed_days = owed[feed.id]
        if not feed_days:
            continue
        landed = frozenset(
            d
            for d in feed_days
            if _has_batch(batch_dir(paths.landing, feed.dataset.id, feed.area.code, d))
        )
        mine = loaded.get(feed.id, {})
        areas = {}
        if feed.region_wide:
            prefix = f"{feed.dataset.id}/"
            areas = {
                feed_id.removeprefix(prefix): days
                for feed_id, days in loaded.items()
                if feed_id.startswith(prefix)
            }
        plans.append(
            FeedRange(
                feed,
                tuple(feed_days),
                {d: mine[d] for d in feed_days if d in mine},
                marks.get(feed.id),
                landed,
                areas,
            )
        )
    return plans


def _has_batch(folder) -> bool:
    try:
        return any(
            not p.name.startswith(".") and (p / "manifest.json").exists() for p in folder.iterdir()
        )
    except FileNotFoundError:
        return False


def range_chunks(days: tuple[str, ...] | list[str], span: int) -> list[list[str]]:
    """Sorted days cut into runs whose first and last are at most `span` days apart (inclusive)."""
    chunks: list[list[str]] = []
    for day in sorted(days):
        if chunks and (date.fromisoformat(day) - date.fromisoformat(chunks[-1][0])).days < span:
            chunks[-1].append(day)
        else:
            chunks.append([day])
    return chunks


def least_requests(catalogue: Catalogue, plan: FeedRange) -> int:
    """The fewest requests a feed's range costs from the API (one page per range query, and
    the fixed questions: layer metadata, package_show, a changes query); more pages if more rows."""
    from ingest.changes import changed_field
    from ingest.protocols import protocol_for

    if plan.feed.region_wide:
        return 1
    protocol = protocol_for(plan.feed.portal.protocol)
    if protocol.name == "bulk_csv":
        return 1
    queries = (
        len(range_chunks(plan.days, protocol.range_days)) if protocol.range_days else len(plan.days)
    )
    fixed = {"ckan": 1, "arcgis": 0 if plan.feed.portal.paging else 1}.get(protocol.name, 0)
    return queries + fixed + (1 if changed_field(catalogue, plan.feed) else 0)


def describe_plan(
    catalogue: Catalogue, plans: list[FeedRange], first: date, last: date, from_landing: bool
) -> list[str]:
    """The dry run's lines: days, feeds, what comes from the API and what from landing."""
    n_days = (last - first).days + 1
    feed_days = sum(len(p.days) for p in plans)
    lines = [
        f"backfill of data days {first} .. {last} ({n_days} days, both inclusive): "
        f"{len(plans)} feeds, {feed_days:,} feed-days",
    ]
    per_dataset: dict[str, Counter] = {}
    for plan in plans:
        count = per_dataset.setdefault(plan.feed.dataset.id, Counter())
        count["feeds"] += 1
        count["days"] += len(plan.days)
        count["landed"] += len(plan.landed)
        count["loaded"] += len(plan.loaded)
        count["requests"] += 0 if from_landing else least_requests(catalogue, plan)
        count[plan.feed.portal.protocol if not plan.feed.region_wide else "region file"] += 1
    for dataset_id, count in sorted(per_dataset.items()):
        protocols = ", ".join(
            f"{name} {n}"
            for name, n in sorted(count.items())
            if name not in ("feeds", "days", "landed", "loaded", "requests")
        )
        where = (
            f"{count['landed']:,} replayed from landing, "
            f"{count['days'] - count['landed']:,} not in landing (left as they are)"
            if from_landing
            else f"{count['days']:,} from the API in ~{count['requests']:,} requests"
        )
        feeds = f"{count['feeds']} feed{'s' if count['feeds'] != 1 else ''}"
        lines.append(
            f"  {dataset_id}: {feeds} ({protocols}), {count['days']:,} feed-days: "
            f"{where}; {count['loaded']:,} already loaded (reloaded only if changed)"
        )
    if from_landing:
        lines.append("requests to borough APIs: 0 (--from-landing)")
    else:
        least = sum(c["requests"] for c in per_dataset.values())
        nightly = sum(len(p.days) for p in plans)
        lines.append(
            f"requests to borough APIs: at least {least:,} (one per range query and page; "
            f"night by night: at least {nightly:,}, one per feed-day)"
        )
    lines.append("dry run: nothing was fetched, loaded or published")
    return lines
