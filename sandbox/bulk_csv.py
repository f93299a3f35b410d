"""A bulk CSV download, `/download/<resource>.csv`, as DataPress and borough sites serve it.

One whole file per dataset holding every day from the sandbox's `bulk_csv.first_day` to
its publication day (yesterday, London time, unless pinned), re-published each night:
a strong `ETag` (a hash of the bytes) and `Last-Modified` (the publication time), and
304 Not Modified to `If-None-Match` (or, without it, `If-Modified-Since`) as RFC 9110
says. The file is text in the borough's `encoding` (often cp1252, as Excel saves it),
its null marker for missing values, CRLF line ends, and no charset in Content-Type
unless it is UTF-8 — as real files are served.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import hashlib
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

from ingest.catalogue import Catalogue, Dataset
from ingest.periods import is_period_start
from sandbox.messages import Request, Response, json_response
from sandbox.records import FeedView, borough_dataset

__all__ = ["BulkCsvPortal", "PUBLISHED_AT"]

PUBLISHED_AT = dt.time(6, 0)  # files are re-published at 06:00 UTC the day after
_ROUTE = re.compile(r"^/download/([A-Za-z0-9_-]+)\.csv$")


class BulkCsvPortal:
    """Routes under /<slug>/download/; caches each rendered file (faults off) per window."""

    protocol = "bulk_csv"
    prefix = "/download/"

    def __init__(self, window: Callable[[Dataset], tuple[dt.date, dt.date]]):
        self._window = window
        self._files: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def dataset_for(self, request: Request, rest: str, catalogue: Catalogue) -> Dataset | None:
        match = _ROUTE.match(rest)
        resource = match.group(1) if match else None
        return borough_dataset(catalogue, resource)

    def serve(self, request: Request, rest: str, slug: str, feed: FeedView | None) -> Response:
        if feed is None:
            return self.error(request, slug, 404, "Not Found")
        first, last = self._window(feed.dataset)
        body, etag = self._file(feed, first, last)
        published = dt.datetime.combine(last + dt.timedelta(days=1), PUBLISHED_AT, tzinfo=dt.UTC)
        headers = (
            ("ETag", etag),
            ("Last-Modified", email.utils.format_datetime(published, usegmt=True)),
            ("Cache-Control", "no-cache"),
        )
        if _not_modified(request, etag, published):
            return Response(304, b"", content_type="text/csv", headers=headers)
        charset = "; charset=utf-8" if feed.quirk.encoding.startswith("utf-8") else ""
        return Response(200, body, content_type=f"text/csv{charset}", headers=headers)

    def error(self, request: Request, slug: str, status: int, message: str) -> Response:
        return json_response(status, {"error": message, "status": status})

    def _file(self, feed: FeedView, first: dt.date, last: dt.date) -> tuple[bytes, str]:
        key = (feed.dataset.id, feed.area.code, first, last)
        cacheable = not feed.faults.faults
        with self._lock:
            if cacheable and key in self._files:
                self._files.move_to_end(key)
                return self._files[key]
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        if feed.dataset.periodic:
            days = [d for d in days if is_period_start(d, feed.dataset.cadence)]
        rows = feed.published(feed.typed(days))
        columns = [shown for shown, _ in feed.columns()]
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else str(row[c]) for c in columns])
        body = text.getvalue().encode(feed.quirk.encoding, errors="replace")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if cacheable:
            with self._lock:
                self._files[key] = (body, etag)
                while len(self._files) > 64:
                    self._files.popitem(last=False)
        return body, etag


def _not_modified(request: Request, etag: str, published: dt.datetime) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = request.header("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = request.header("If-Modified-Since")
    if since:
        try:
            return published <= email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
