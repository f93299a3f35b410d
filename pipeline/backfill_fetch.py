"""Fetch one feed's range of days in as few requests as its protocol allows, land it per day.

A protocol with a `range_query` (Socrata `between`, CKAN `filters` with a list of days,
ArcGIS `where` with a range, Open311 `start_date`/`end_date`) is asked once per chunk of
`range_days`, paging as usual; a bulk file is downloaded once; a region-wide file once.
The answer is split per data day by each record's date field and landed exactly as a
night lands a day (same layout, manifest, outcome): each day's batch links the range's
pages that hold its records (kept once, read-only, under `<borough>/_ranges/`), and its
manifest says how they were asked for (`fetched_as`). An answer that cannot be split (a
record whose day is unreadable or outside the range) is fetched again day by day, so a
bad batch is judged — and quarantined — as a night would.

From the landing zone (`--from-landing`) no request is made: each day's latest landed
batch is replayed.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ingest.catalogue import Catalogue, Feed
from ingest.errors import FetchError, NotPublished
from ingest.landing import LandedBatch, land_pages, latest_batch, page_digests
from ingest.outcomes import Outcome, Status
from ingest.paths import DataPaths
from pipeline.backfill_plan import FeedRange, range_chunks

__all__ = ["fetch_range", "replay_range"]

log = logging.getLogger(__name__)
RANGES = "_ranges"


class _Unsplittable(Exception):
    """A range answer holding a record that cannot be given a day of the range."""


def fetch_range(catalogue: Catalogue, plan: FeedRange, paths: DataPaths, session) -> list[Outcome]:
    """Every planned day of one feed from its API; a failure is its days' `fetch_failed` outcomes."""
    from ingest.protocols import protocol_for
    from pipeline import steps

    feed, days = plan.feed, list(plan.days)
    if feed.region_wide:
        found = steps.ingest_region_feed(catalogue, feed, days, paths, session)
        return [Outcome.from_dict(o) for o in found]
    candidate = _watermark_candidate(catalogue, plan, session)
    protocol = protocol_for(feed.portal.protocol)
    if protocol.name == "bulk_csv":
        outcomes = _guard(feed, days, lambda: _bulk(catalogue, protocol, plan, paths, session))
    elif not protocol.range_days:
        outcomes = steps.ingest_days(catalogue, feed, days, plan.loaded, paths, session)
    else:
        metadata = _Once(lambda: protocol.source_metadata(session, feed))
        outcomes = []
        for chunk in range_chunks(days, protocol.range_days):
            try:
                outcomes += _guard(
                    feed,
                    chunk,
                    lambda chunk=chunk: _range(
                        catalogue, protocol, plan, chunk, paths, session, metadata
                    ),
                )
            except _Unsplittable as exc:
                log.warning("%s: %s; fetching %d days one by one", feed.label, exc, len(chunk))
                outcomes += steps.ingest_days(catalogue, feed, chunk, plan.loaded, paths, session)
    if candidate:
        outcomes = [replace(o, watermark=candidate) for o in outcomes]
    return outcomes


def _guard(feed: Feed, days: list[str], work) -> list[Outcome]:
    """The work's outcomes; a fetch that failed is every one of its days' `fetch_failed`."""
    from pipeline.steps import one_line, unexpected_error

    try:
        return work()
    except _Unsplittable:
        raise
    except FetchError as exc:
        log.error("%s", exc)
        error = one_line(str(exc.located(dataset=feed.dataset.id, borough=feed.area.name)))
    except Exception as exc:  # a borough's bytes must not stop the backfill
        log.exception("%s (%s .. %s): unexpected error", feed.label, days[0], days[-1])
        error = unexpected_error(exc)
    return [Outcome.for_feed(feed, day, Status.FETCH_FAILED, error=error) for day in days]


class _Once:
    """A value asked for at most once (the portal's dataset metadata, for every day's manifest)."""

    def __init__(self, make):
        self.make, self.done, self.value = make, False, None

    def __call__(self):
        if not self.done:
            self.value, self.done = self.make(), True
        return self.value


def _watermark_candidate(catalogue: Catalogue, plan: FeedRange, session) -> dict | None:
    """An incremental feed's next mark, from one changes query, as the range's last night would
    move it; none when loaded days outside the range changed too (a later night fetches them)."""
    from ingest.changes import changed_field
    from ingest.watermarks import days_to_fetch

    if changed_field(catalogue, plan.feed) is None:
        return None
    ordered = [plan.days[-1], *plan.days[:-1]]
    try:
        chosen, candidate = days_to_fetch(
            catalogue, plan.feed, ordered, plan.loaded, plan.watermark, session
        )
    except Exception:
        log.exception("%s: could not ask what changed; the watermark stays", plan.feed.label)
        return None
    outside = sorted(set(chosen) - set(plan.days))
    if outside:
        log.info(
            "%s: loaded days outside the range changed (%s); the watermark waits for a night",
            plan.feed.label,
            ", ".join(outside),
        )
        return None
    return candidate


def _range(
    catalogue: Catalogue,
    protocol,
    plan: FeedRange,
    chunk: list[str],
    paths: DataPaths,
    session,
    metadata,
) -> list[Outcome]:
    """One range query (paged) for the chunk's days, split and landed per day."""
    from ingest.changes import record_day
    from ingest.fetch import non_borough_rows
    from pipeline.steps import settle_batch

    feed = plan.feed
    query = protocol.range_query(feed, [date.fromisoformat(d) for d in chunk])
    pages = list(
        protocol.pages(
            session,
            feed,
            None,
            page_size=catalogue.settings.page_size[protocol.name],
            max_pages=int(catalogue.settings.http["max_pages"]),
            query=query,
        )
    )
    wanted, first, last = set(chunk), chunk[0], chunk[-1]
    per_day: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, page in enumerate(pages):
        for record in page.records:
            day = record_day(record.get(feed.dataset.date_field), feed)
            if day is None or not first <= day <= last:
                raise _Unsplittable(
                    f"a record's {feed.dataset.date_field} "
                    f"({record.get(feed.dataset.date_field)!r}) is no day of {first} .. {last}"
                )
            if day in wanted:  # a period's feed may hold periods it does not owe: not its business
                per_day.setdefault(day, []).append((index, record))
    kept = _keep_pages(paths.landing, feed, first, last, pages)
    fetched_as = {"range": [first, last], "query": query, "pages": len(pages)}
    outcomes = []
    for day in chunk:
        mine = per_day.get(day, [])
        day_pages = [
            replace(
                page,
                records=[r for i, r in mine if i == index],
                kept_at=kept[index],
            )
            for index, page in enumerate(pages)
            if any(i == index for i, _ in mine)
        ]
        batch = land_pages(
            paths.landing,
            feed,
            date.fromisoformat(day),
            protocol.name,
            day_pages,
            source_metadata=metadata,
            set_aside=non_borough_rows(feed),
            fetched_as=fetched_as,
        )
        outcomes.append(settle_batch(feed, day, batch, plan.loaded.get(day), paths))
    return outcomes


def _keep_pages(landing: Path, feed: Feed, first: str, last: str, pages) -> list[Path]:
    """The range's pages, byte for byte and read-only, once: each day's batch links them."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = landing / feed.dataset.id / feed.area.code / RANGES / f"{first}_{last}_{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    kept = []
    for page in pages:
        path = folder / f"page-{page.number:04d}{page.suffix}"
        path.write_bytes(page.body)
        path.chmod(0o444)
        kept.append(path)
    return kept


def _bulk(
    catalogue: Catalogue, protocol, plan: FeedRange, paths: DataPaths, session
) -> list[Outcome]:
    """The whole file once (a conditional GET), then each day selected from it as a night does."""
    from ingest.downloads import DownloadCache
    from ingest.fetch import non_borough_rows
    from ingest.protocols.base import Page
    from ingest.protocols.wire import to_canonical
    from pipeline.steps import one_line, settle_batch

    feed = plan.feed
    url = protocol.endpoint(feed)
    reply = protocol.fetch(
        session, url, {}, feed, DownloadCache(paths.landing, feed, protocol.page_suffix)
    )
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    page = Page(
        1,
        reply.url,
        reply.status,
        reply.body,
        [],
        None,
        fetched_at,
        protocol.page_suffix,
        kept_at=reply.kept_at,
        not_modified=reply.unchanged,
        digest=reply.sha256,
    )
    selected = protocol.select_days(
        protocol.records(reply.payload, reply.url), feed, [_d(day) for day in plan.days]
    )  # one pass over the file for every day of the range
    outcomes = []
    for day in plan.days:
        records = selected[_d(day)]
        if isinstance(records, NotPublished):
            outcomes.append(
                Outcome.for_feed(feed, day, Status.NOT_PUBLISHED, error=one_line(records.reason))
            )
            continue
        batch = _unchanged_batch(paths, feed, day, page)
        if batch is None:
            batch = land_pages(
                paths.landing,
                feed,
                _d(day),
                protocol.name,
                [replace(page, records=to_canonical(records, feed, protocol.name))],
                source_metadata=lambda: None,
                set_aside=non_borough_rows(feed),
            )
        outcomes.append(settle_batch(feed, day, batch, plan.loaded.get(day), paths))
    return outcomes


def _unchanged_batch(paths: DataPaths, feed: Feed, day: str, page) -> LandedBatch | None:
    """The day's landed batch when the file is unchanged and that batch came from it (as a night keeps it)."""
    if not page.not_modified:
        return None
    previous = latest_batch(paths.landing, feed.dataset.id, feed.area.code, day)
    return previous if previous and page_digests(previous) == [page.sha256] else None


def _d(day: str) -> date:
    return date.fromisoformat(day)


def replay_range(plan: FeedRange, paths: DataPaths) -> tuple[list[Outcome], list[str]]:
    """Each planned day's latest landed batch, no request made; (outcomes, days not in landing).

    An empty period is `not_published`, as on its night; a day whose batch is the loaded one
    is `unchanged`; a region-wide feed replays every area's batch.
    """
    from pipeline.steps import settle_batch

    feed = plan.feed
    outcomes, missing = [], []
    areas = _areas(paths, feed) if feed.region_wide else [feed]
    for day in plan.days:
        found = False
        for part in areas:
            batch = latest_batch(paths.landing, part.dataset.id, part.area.code, day)
            if batch is None:
                continue
            found = True
            current = (
                plan.areas_loaded.get(part.area.code, {}).get(day)
                if feed.region_wide
                else plan.loaded.get(day)
            )
            outcome = settle_batch(part, day, batch, None, paths)
            if current == batch.batch_id and outcome.status is Status.LANDED:
                outcome = outcome.becomes(Status.UNCHANGED)
            outcomes.append(outcome)
        if not found:
            missing.append(day)
    return outcomes, missing


def _areas(paths: DataPaths, feed: Feed) -> list[Feed]:
    """A region-wide feed's areas that have anything landed (the region's own code among them)."""
    from ingest.catalogue import load_catalogue

    catalogue = load_catalogue()
    folder = paths.landing / feed.dataset.id
    codes = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    known = {catalogue.region_area.code: catalogue.region_area} | {
        a.code: a for a in catalogue.region.areas
    }
    return [Feed(feed.dataset, known[c]) for c in codes if c in known and not c.startswith(".")]
