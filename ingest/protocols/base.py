"""The one paging mechanism every protocol shares; protocols only describe their shape.

A protocol says where a feed lives, how a data day is asked for, where the records and
the total sit in a page, and which parameters carry limit and offset. Paging itself —
stop on a short or empty page or when the total is reached, refuse a page that repeats
or a runaway page count — lives here once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterator

import requests

from ingest.catalogue import Feed
from ingest.errors import FatalFetchError
from ingest.http import get_json

__all__ = ["Page", "OffsetProtocol"]


@dataclass(frozen=True)
class Page:
    """One page exactly as the API returned it, with the records found in it."""

    number: int
    url: str
    status: int
    body: bytes
    records: list[dict[str, Any]]
    total: int | None
    fetched_at: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class OffsetProtocol:
    """Offset/limit paging; subclasses fill in the protocol's shape."""

    name: str = ""
    limit_param: str = "limit"
    offset_param: str = "offset"

    def endpoint(self, feed: Feed) -> str:
        raise NotImplementedError

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        """Query parameters that select one data day."""
        raise NotImplementedError

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        """The records in a page; raise FatalFetchError for an error body."""
        raise NotImplementedError

    def total(self, payload: Any) -> int | None:
        """The total the server reports, if it reports one."""
        return None

    def pages(
        self, session: requests.Session, feed: Feed, day: date, *, page_size: int, max_pages: int
    ) -> Iterator[Page]:
        """Every page of one feed for one data day, in order."""
        url = self.endpoint(feed)
        query = self.day_query(feed, day)
        offset, previous_digest = 0, None
        for number in range(1, max_pages + 1):
            params = {**query, self.limit_param: page_size, self.offset_param: offset}
            reply = get_json(session, url, params)
            records = self.records(reply.payload, reply.url)
            total = self.total(reply.payload)
            digest = _records_digest(records)
            if records and digest == previous_digest:
                raise FatalFetchError(
                    f"page {number} repeats the previous page (offset {offset} ignored by server?)",
                    url=reply.url,
                )
            yield Page(number, reply.url, reply.status, reply.body, records, total,
                       datetime.now(timezone.utc).isoformat(timespec="seconds"))
            offset += len(records)
            if len(records) < page_size or (total is not None and offset >= total):
                return
            previous_digest = digest
        raise FatalFetchError(f"more than {max_pages} pages: runaway paging stopped", url=url)


def _records_digest(records: list[dict[str, Any]]) -> str:
    return hashlib.sha256(repr(records).encode()).hexdigest()
