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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from ingest.catalogue import Feed
from ingest.downloads import DownloadCache
from ingest.errors import FatalFetchError, NotPublished
from ingest.http import Response, charset_of, get_body, refuse_html
from ingest.protocols.base import Protocol
from ingest.protocols.csv_text import parse_csv
from ingest.protocols.paginators import SinglePagePaginator

__all__ = ["BulkCsv"]


class CsvRows(list):
    """A file's rows, with the last day its Last-Modified says it was published through."""

    published_through: date | None = None


@dataclass(frozen=True)
class KeptResponse(Response):
    """A file's response, with where its bytes are kept and whether they are unchanged."""

    kept_at: Path | None = None
    unchanged: bool = False


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
        kept = cache.kept(url) if cache else None
        headers = {"Accept": "text/csv, */*;q=0.1", **(cache.validators(url) if cache else {})}
        reply = get_body(session, url, params, headers)
        if reply.status == 304:
            if kept is None:
                raise FatalFetchError(
                    "304 Not Modified to a request that named no kept version", url=reply.url
                )
            path, body = kept
            unchanged = True
        else:
            refuse_html(reply)
            body = reply.body
            unchanged = kept is not None and kept[1] == body
            path = (
                cache.keep(url, body, reply.headers.get("ETag"), reply.headers.get("Last-Modified"))
                if cache
                else None
            )
        rows = CsvRows(parse_csv(body, reply.url, charset_of(reply.headers)))
        modified = reply.headers.get("Last-Modified") or (
            (cache.state() or {}).get("last_modified") if cache else None
        )
        rows.published_through = _day_before(modified)
        return KeptResponse(
            url=reply.url,
            status=reply.status,
            body=body,
            payload=rows,
            headers=reply.headers,
            kept_at=path,
            unchanged=unchanged,
        )

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        return payload

    def select(self, records: list[dict[str, Any]], feed: Feed, day: date) -> list[dict[str, Any]]:
        column = feed.dataset.wire_map(self.name).wire_name(feed.dataset.date_field)
        if records and column not in records[0]:
            raise FatalFetchError(
                f"the file has no {column!r} column to select the day by; "
                f"columns: {sorted(records[0])}"
            )
        first, last = coverage(records, column, feed.portal.date_format, feed.portal.covers_from)
        if first is None or not first <= day <= last:
            held = f"covers {first} to {last}" if first else "holds no dated rows"
            raise NotPublished(f"not published: the file {held}, not {day}")
        wanted = day.strftime(feed.portal.date_format)
        return [r for r in records if (r.get(column) or "").strip() == wanted]


def coverage(
    records: list[dict[str, Any]], column: str, date_format: str, covers_from: date | None = None
) -> tuple[date | None, date | None]:
    """The days a file covers: from its declared first day (else its first date) to its last
    date, or the day before it was last modified if later; (None, None) when it says nothing.
    Unreadable dates are validation's business."""
    days = set()
    for value in {(r.get(column) or "").strip() for r in records}:
        try:
            days.add(datetime.strptime(value, date_format).date())
        except ValueError:
            continue
    through = getattr(records, "published_through", None)
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
