"""Open311 GeoReport v2 `requests.json`: start_date/end_date windows, page-number paging.

The body is a bare array of requests under Open311's own field names (mapped to the
dataset's in datasets.yml `wire.open311`); datetimes are ISO 8601 with an offset. The
v2 spec has no paging, but real servers cap a response (50-1000 requests) and page
with `page`/`page_size` (FixMyStreet style), so a capped page is not the end: an empty
page, or one shorter than an earlier page, is. Errors are an array of
`{"code", "description"}`, with a 4xx status or, on some servers, 200.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ingest.catalogue import Feed
from ingest.errors import FatalFetchError
from ingest.protocols.base import Protocol
from ingest.protocols.paginators import PageNumberPaginator
from ingest.protocols.wire import day_bounds_utc

__all__ = ["Open311GeoReport"]


class Open311GeoReport(Protocol):
    name = "open311"
    paginator = PageNumberPaginator
    range_days = 89  # GeoReport v2: servers refuse a window over 90 days, and a window across
    # the clocks going back is an hour longer than its days: 89 days stays within 90 x 24 h

    def endpoint(self, feed: Feed) -> str:
        return f"{feed.portal.base_url}/open311/v2/requests.json"

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        start, end = day_bounds_utc(day, feed.portal.timezone)
        zone = ZoneInfo(feed.portal.timezone)
        last = (end - timedelta(seconds=1)).astimezone(zone)
        return {"start_date": start.astimezone(zone).isoformat(), "end_date": last.isoformat()}

    def range_query(self, feed: Feed, days: list[date]) -> dict[str, str]:
        """One start_date/end_date window from the first day's start to the last day's end."""
        first, last = self.day_query(feed, days[0]), self.day_query(feed, days[-1])
        return {"start_date": first["start_date"], "end_date": last["end_date"]}

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
            raise FatalFetchError("Open311 response is not a JSON array of requests", url=url)
        if payload and all(set(r) == {"code", "description"} for r in payload):
            raise FatalFetchError(
                "Open311 error: " + "; ".join(f"{r['code']} {r['description']}" for r in payload),
                url=url,
            )
        return payload
