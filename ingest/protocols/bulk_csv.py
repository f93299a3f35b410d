"""A bulk CSV download: one whole file per dataset per borough, holding every day.

How the London Datastore (DataPress) and many boroughs publish: no query API, a file
re-published in place. So the file is fetched with a conditional GET (ETag and
Last-Modified from the kept copy, downloads.py): an unchanged file answers 304 and is
read from the landing zone instead. The data day is selected client-side, on the
dataset's date field written in the borough's date format. Text stays text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import requests

from ingest.catalogue import Feed
from ingest.downloads import DownloadCache
from ingest.errors import FatalFetchError
from ingest.http import Response, charset_of, get_body, refuse_html
from ingest.protocols.base import Protocol
from ingest.protocols.csv_text import parse_csv
from ingest.protocols.paginators import SinglePagePaginator

__all__ = ["BulkCsv"]


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

    def fetch(self, session: requests.Session, url: str, params: dict[str, Any], feed: Feed,
              cache: DownloadCache | None = None) -> Response:
        kept = cache.kept(url) if cache else None
        headers = {"Accept": "text/csv, */*;q=0.1", **(cache.validators(url) if cache else {})}
        reply = get_body(session, url, params, headers)
        if reply.status == 304:
            if kept is None:
                raise FatalFetchError("304 Not Modified to a request that named no kept version", url=reply.url)
            path, body = kept
            unchanged = True
        else:
            refuse_html(reply)
            body = reply.body
            unchanged = kept is not None and kept[1] == body
            path = cache.keep(url, body, reply.headers.get("ETag"), reply.headers.get("Last-Modified")) \
                if cache else None
        rows = parse_csv(body, reply.url, charset_of(reply.headers))
        return KeptResponse(url=reply.url, status=reply.status, body=body, payload=rows, headers=reply.headers,
                            kept_at=path, unchanged=unchanged)

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        return payload

    def select(self, records: list[dict[str, Any]], feed: Feed, day: date) -> list[dict[str, Any]]:
        column = feed.dataset.wire_map(self.name).wire_name(feed.dataset.date_field)
        if records and column not in records[0]:
            raise FatalFetchError(f"the file has no {column!r} column to select the day by; "
                                  f"columns: {sorted(records[0])}")
        wanted = day.strftime(feed.portal.date_format)
        return [r for r in records if (r.get(column) or "").strip() == wanted]

