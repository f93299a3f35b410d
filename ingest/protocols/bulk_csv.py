"""A bulk CSV download: one whole file per dataset per borough, holding every day.

How the London Datastore (DataPress) and many boroughs publish: no query API, a file
re-published in place. So the file is fetched with a conditional GET (ETag and
Last-Modified from the kept copy, downloads.py): an unchanged file answers 304 and is
read from the landing zone instead. The data day is selected client-side, on the
dataset's date field written in the borough's date format. Text stays text.

Empty is not zero: a file covers the days from its first day (the portal's declared
`covers_from`, else the first date in its date column) to the last date in it, or the
day before its Last-Modified date if later (a file re-published each night holds every
day up to the day before); a day in that range with no rows is a real zero.
A day outside that range is one the borough has not published: `NotPublished`, so it
is recorded missing rather than loaded as a day with no records.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from ingest.catalogue import Feed
from ingest.downloads import DownloadCache
from ingest.errors import FatalFetchError, NotPublished
from ingest.http import Response, charset_of, get_to_file, refuse_html
from ingest.protocols.base import Protocol
from ingest.protocols.csv_text import CsvFile
from ingest.protocols.paginators import SinglePagePaginator

__all__ = ["BulkCsv"]


class CsvRows(list):
    """A file's rows held as a list (a fetched file is a KeptCsv, read from disk), with the last
    day its Last-Modified says it was published through."""

    published_through: date | None = None


class KeptCsv(CsvFile):
    """A kept file's rows, read from disk (csv_text.CsvFile), with the last day it was published
    through; its digest is the file's, so two pages of the same file are the same records."""

    published_through: date | None = None

    def __init__(self, path: Path, url: str, declared: str | None, digest: str):
        super().__init__(path, url, declared)
        self.digest = digest


@dataclass(frozen=True)
class KeptResponse(Response):
    """A file's response: its bytes stay in the landing zone (kept_at), whether unchanged."""

    kept_at: Path | None = None
    unchanged: bool = False
    sha256: str | None = None


class BulkCsv(Protocol):
    name = "bulk_csv"
    paginator = SinglePagePaginator
    page_suffix = ".csv"

    def endpoint(self, feed: Feed) -> str:
        return f"{feed.portal.base_url}/download/{feed.dataset.resource}.csv"

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        return {}

    def fetch(
        self,
        session: requests.Session,
        url: str,
        params: dict[str, Any],
        feed: Feed,
        cache: DownloadCache | None = None,
    ) -> Response:
        """The file streamed into the feed's kept downloads (never whole in memory), or the kept
        copy when the server answers 304; its rows are read from there when asked for."""
        if cache is None:
            raise ValueError("a bulk file is kept in the landing zone: pass its DownloadCache")
        kept = cache.kept_path(url)
        headers = {"Accept": "text/csv, */*;q=0.1", **cache.validators(url)}
        partial = cache.partial()
        try:
            reply = get_to_file(session, url, params, partial, headers)
            if reply.status == 304:
                if kept is None:
                    raise FatalFetchError(
                        "304 Not Modified to a request that named no kept version", url=reply.url
                    )
                path, digest, unchanged = kept, kept.name.removesuffix(self.page_suffix), True
            else:
                refuse_html(reply.opening())
                unchanged = kept is not None and kept.name == f"{reply.sha256}{self.page_suffix}"
                path = cache.keep_file(
                    url,
                    partial,
                    reply.sha256,
                    reply.headers.get("ETag"),
                    reply.headers.get("Last-Modified"),
                )
                digest = reply.sha256
        finally:
            partial.unlink(missing_ok=True)
        rows = KeptCsv(path, reply.url, charset_of(reply.headers), digest)
        modified = reply.headers.get("Last-Modified") or (cache.state() or {}).get("last_modified")
        rows.published_through = _day_before(modified)
        return KeptResponse(
            url=reply.url,
            status=reply.status,
            body=None,
            payload=rows,
            headers=reply.headers,
            kept_at=path,
            unchanged=unchanged,
            sha256=digest,
        )

    def records(self, payload: Any, url: str) -> Any:
        return payload

    def select(
        self, records: Iterable[dict[str, Any]], feed: Feed, day: date
    ) -> list[dict[str, Any]]:
        selected = self.select_days(records, feed, [day])[day]
        if isinstance(selected, NotPublished):
            raise selected
        return selected

    def select_days(
        self, records: Iterable[dict[str, Any]], feed: Feed, days: list[date]
    ) -> dict[date, list[dict[str, Any]] | NotPublished]:
        """Each day's rows, read in one pass over the file, or NotPublished for a day it does not
        cover: a night asks one day, a backfill every day of its range."""
        column = feed.dataset.wire_map(self.name).wire_name(feed.dataset.date_field)
        wanted = {day.strftime(feed.portal.date_format): day for day in days}
        found: dict[date, list[dict[str, Any]]] = {day: [] for day in days}
        values: set[str] = set()
        if isinstance(records, CsvFile):
            if len(records) and column not in records.header:
                raise _no_column(column, records.header)
            for value, cells in records.column(column):
                value = value.strip()
                values.add(value)
                if value in wanted:
                    found[wanted[value]].append(dict(zip(records.header, cells, strict=False)))
        else:
            for index, record in enumerate(records):
                if index == 0 and column not in record:
                    raise _no_column(column, record)
                value = (record.get(column) or "").strip()
                values.add(value)
                if value in wanted:
                    found[wanted[value]].append(record)
        first, last = coverage(
            values,
            feed.portal.date_format,
            feed.portal.covers_from,
            getattr(records, "published_through", None),
        )
        for day in days:
            if first is None or not first <= day <= last:
                held = f"covers {first} to {last}" if first else "holds no dated rows"
                found[day] = NotPublished(f"not published: the file {held}, not {day}")
        return found


def _no_column(column: str, names) -> FatalFetchError:
    return FatalFetchError(
        f"the file has no {column!r} column to select the day by; columns: {sorted(names)}"
    )


def coverage(
    values: Iterable[str],
    date_format: str,
    covers_from: date | None = None,
    through: date | None = None,
) -> tuple[date | None, date | None]:
    """The days a file covers, from its date column's distinct `values`: from its declared first
    day (else its first date) to its last date, or `through` (the day before it was last
    modified) if later; (None, None) when it says nothing. Unreadable dates are validation's
    business."""
    days = set()
    for value in values:
        try:
            days.add(datetime.strptime(value, date_format).date())
        except ValueError:
            continue
    ends = [d for d in (max(days, default=None), through) if d is not None]
    starts = [d for d in (min(days, default=None), covers_from) if d is not None]
    if not days and covers_from is None or not ends:
        return None, None
    first, last = min(starts), max(ends)
    return (first, last) if first <= last else (None, None)


def _day_before(http_date: str | None) -> date | None:
    """The day before an HTTP date (Last-Modified), or None when there is none or it is unreadable."""
    try:
        return (
            email.utils.parsedate_to_datetime(http_date).date() - timedelta(days=1)
            if http_date
            else None
        )
    except (TypeError, ValueError):
        return None
