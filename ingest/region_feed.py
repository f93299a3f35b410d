"""A region-wide source: fetched once per night, split into per-area partitions and landed.

One download (a conditional GET: an unchanged file answers 304 and is read from the kept
copy) serves every borough of the region. Its rows are reshaped into the dataset's records
(reshape.py), each row's area recognised, and every requested period landed as one batch
per area, exactly as a borough's own feed would land it:
    landing/<dataset>/<borough code>/<period's first day>/<batch>/
so validation, load, the scorecard and coverage work per borough unchanged. Each batch's
page is the whole file (hard-linked to the kept download: no copy), its records the
area's rows only.

Rows of areas that are not boroughs (the region total, Inner/Outer London, a `Total`
row, an airport) that the source `keep`s go to the region's own partition, under the
region's code; rows of areas outside the region (`drop`: England, other regions) are
not records; a row of an area nobody declared also goes to the region partition, where
validation names it, so it never quarantines the borough rows beside it. With
`region_totals`, each borough row carries the region row's value beside its own
(`region_<field>`), so a validation can catch a borough row that holds the region's
figure, and the published region total is kept to compare the borough sum with.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests

from ingest.catalogue import Catalogue, Feed
from ingest.downloads import DownloadCache
from ingest.errors import FatalFetchError, FetchError
from ingest.http import charset_of, get_body, refuse_html
from ingest.landing import land_pages
from ingest.outcomes import Outcome, Status
from ingest.protocols.base import Page
from ingest.reshape import reshape
from ingest.sources import REGION_PREFIX
from ingest.spreadsheets import read_sheets

__all__ = ["fetch_region_feed", "split_by_area", "AreaMatcher"]

log = logging.getLogger(__name__)


def fetch_region_feed(
    catalogue: Catalogue,
    feed: Feed,
    days: list[str],
    landing_root: Path,
    session: requests.Session,
    periods_loaded: set[str] | None = None,
) -> list[Outcome]:
    """Download the region's file once and land each requested period for every area.

    An area with no rows for a period is `not_published` for it (a missing row is a value
    not published, never a zero). With `periods_loaded` (the periods the warehouse holds),
    the file's own latest `history_periods` periods not among them land too: the owed
    periods are bounded by what the file covers, so a series that ended before the
    calendar's window (a discontinued table) still fills its history instead of being
    `not_published` for every period it never will publish. Raises FetchError (naming the
    dataset) if the file cannot be fetched or read: then nothing of it lands.
    """
    dataset, source = feed.dataset, feed.dataset.source
    try:
        url, status, body, kept_at, headers = _download(
            session, source.url, DownloadCache(landing_root, feed, f".{source.format}")
        )
        sheets = read_sheets(body, source.format, url, source.sheets, charset_of(headers))
        records = reshape(sheets, dataset, url)
    except FetchError as exc:
        raise exc.located(dataset=dataset.id, borough=catalogue.region.name) from None
    parts, dropped = split_by_area(records, catalogue, feed)
    if periods_loaded is not None:
        days = sorted(set(days) | _latest_unloaded(parts, dataset, days, periods_loaded))
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    areas = [catalogue.region_area] + (
        [] if source.areas.region_only else list(catalogue.region.areas)
    )
    summary = {
        "file": source.file,
        "url": url,
        "records_in_file": len(records),
        "dropped_areas": dropped,
        "partitions": len(parts),
    }
    outcomes = []
    for day in days:
        for area in areas:
            part = Feed(dataset, area)
            rows = parts.get((area.code, day), [])
            if not rows:
                outcomes.append(
                    Outcome.for_feed(
                        part,
                        day,
                        Status.NOT_PUBLISHED,
                        error=f"no rows for {area.name} for the period starting {day} "
                        f"in {source.file}",
                    )
                )
                continue
            page = Page(
                1, url, status, body, rows, None, fetched_at, f".{source.format}", kept_at=kept_at
            )
            batch = land_pages(
                landing_root,
                part,
                date.fromisoformat(day),
                source.protocol,
                [page],
                source_metadata=lambda: {"region_source": summary},
            )
            outcomes.append(Outcome.for_feed(part, day, Status.LANDED, batch=batch))
    log.info(
        "%s: %s read once (%d records), %d outcomes for %d periods",
        dataset.id,
        source.file,
        len(records),
        len(outcomes),
        len(days),
    )
    return outcomes


def _latest_unloaded(
    parts: dict[tuple[str, str], list[dict[str, Any]]],
    dataset,
    days: list[str],
    periods_loaded: set[str],
) -> set[str]:
    """The file's latest `history_periods` periods up to the latest owed one (never a period
    after the night's own), less those the warehouse holds."""
    if not days:
        return set()
    latest_owed = max(days)
    in_file = sorted({period for _, period in parts if period <= latest_owed}, reverse=True)
    return set(in_file[: dataset.publication.history_periods]) - periods_loaded


def _download(
    session: requests.Session, url: str, cache: DownloadCache
) -> tuple[str, int, bytes, Path | None, dict[str, str]]:
    """(url, status, bytes, kept path, headers): a 304 answers with the kept copy."""
    kept = cache.kept(url)
    reply = get_body(session, url, {}, {"Accept": "*/*", **cache.validators(url)})
    if reply.status == 304:
        if kept is None:
            raise FatalFetchError(
                "304 Not Modified to a request that named no kept version", url=reply.url
            )
        return reply.url, 304, kept[1], kept[0], {}
    refuse_html(reply)
    if not reply.body:
        raise FatalFetchError("the file is empty", url=reply.url)
    path = cache.keep(
        url, reply.body, reply.headers.get("ETag"), reply.headers.get("Last-Modified")
    )
    return reply.url, reply.status, reply.body, path, reply.headers


class AreaMatcher:
    """Which partition a row's area belongs to: a borough's code, the region's, or none (dropped)."""

    def __init__(self, catalogue: Catalogue, feed: Feed):
        rules = feed.dataset.source.areas
        self.rules, self.region = rules, catalogue.region
        self.codes = {a.code for a in catalogue.region.areas}
        self.names = {
            _norm(n): a.code for a in catalogue.region.areas for n in (a.name, *a.aliases)
        }
        self.keep = {_norm(n) for n in (*rules.keep, catalogue.region.name)}
        self.drop_names = {_norm(d) for d in rules.drop}
        self.drop_codes = [re.compile(d) for d in rules.drop]

    def partition(self, record: dict[str, Any]) -> str | None:
        if self.rules.region_only:
            return self.region.code
        code = str(record.get(self.rules.code) or "").strip() if self.rules.code else ""
        name = _norm(record.get(self.rules.name)) if self.rules.name else ""
        if code in self.codes:
            return code
        if not code and name in self.names:
            return self.names[name]
        if code == self.region.code or name in self.keep:
            return self.region.code
        if name in self.drop_names or (code and any(p.search(code) for p in self.drop_codes)):
            return None
        if not code and not name:
            return None  # a row naming no area cannot be attributed (counted in the manifest)
        return (
            self.region.code
        )  # an area nobody declared: validation of the region partition names it

    def is_region_total(self, record: dict[str, Any]) -> bool:
        code = str(record.get(self.rules.code) or "").strip() if self.rules.code else ""
        name = _norm(record.get(self.rules.name)) if self.rules.name else ""
        return (
            code == self.region.code
            or (not code and name == _norm(self.region.name))
            or (code == "" and self.rules.code is None and name == _norm(self.region.name))
        )


def split_by_area(
    records: list[dict[str, Any]], catalogue: Catalogue, feed: Feed
) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], dict[str, int]]:
    """{(area code, period day): records}, and how many rows of each dropped area were left out."""
    dataset, source = feed.dataset, feed.dataset.source
    matcher = AreaMatcher(catalogue, feed)
    parts: dict[tuple[str, str], list[dict[str, Any]]] = {}
    dropped: dict[str, int] = {}
    totals: dict[str, dict[str, Any]] = {}
    for record in records:
        code = matcher.partition(record)
        if code is None:
            label = str(
                record.get(source.areas.name or "")
                or record.get(source.areas.code or "")
                or "(no area named)"
            )
            dropped[label] = dropped.get(label, 0) + 1
            continue
        if (
            source.region_totals
            and code == catalogue.region.code
            and matcher.is_region_total(record)
        ):
            totals[record[dataset.date_field]] = record
        if source.areas.region_only or not source.areas.name:
            record.setdefault(
                "borough", catalogue.region.name if code == catalogue.region.code else ""
            )
        parts.setdefault((code, record[dataset.date_field]), []).append(record)
    if source.region_totals:
        for (_, day), rows in parts.items():
            for record in rows:
                total = totals.get(day, {})
                for name in source.region_totals:
                    record[f"{REGION_PREFIX}{name}"] = total.get(name, "")
    return parts, dropped


def _norm(value: Any) -> str:
    """Area names compared loosely: case, spacing and `&` for `and` do not matter."""
    text = " ".join(str(value or "").replace("&", " and ").lower().split())
    return text
