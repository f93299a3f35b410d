"""The one paging mechanism every protocol shares; protocols only describe their shape.

A protocol says where a feed lives, how a data day is asked for, where the records,
the total and the "more" flag sit in a page, and which paginator style it pages with
(paginators.py). The loop itself — fetch, refuse a page that repeats or a runaway page
count, turn wire records into the dataset's records — lives here once.

An empty page while the server has promised more (a total, a `more` flag, an id list,
or a count asked for when it says nothing) is a transient inconsistency: it is asked
again, and if it stays empty the fetch fails rather than land a partial batch.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests

from ingest.catalogue import Feed
from ingest.errors import FatalFetchError, RetriableFetchError
from ingest.http import Response, backoff_s, get_json
from ingest.protocols.paginators import OffsetPaginator, PageSignals, Paginator, PagingError
from ingest.protocols.wire import to_canonical

__all__ = ["Page", "Protocol", "OffsetProtocol", "EMPTY_PAGE_RETRIES"]

EMPTY_PAGE_RETRIES = 2  # an empty page the server says is not the end is asked again this often


@dataclass(frozen=True)
class Page:
    """One page exactly as the API returned it, with the dataset records found in it.

    `kept_at` is set when the body is already kept in the landing zone (a bulk file, streamed
    there or answered 304 Not Modified): landing links it instead of writing a copy. Such a
    body is not read into memory: `body` is None and `digest` its sha256.
    """

    number: int
    url: str
    status: int
    body: bytes | None
    records: list[dict[str, Any]]
    total: int | None
    fetched_at: str
    suffix: str = ".json"
    kept_at: Path | None = None
    not_modified: bool = False
    digest: str | None = None

    @property
    def sha256(self) -> str:
        return self.digest or hashlib.sha256(self.body or b"").hexdigest()

    @property
    def size(self) -> int:
        """The body's bytes, whether held or kept on disk."""
        return len(self.body) if self.body is not None else self.kept_at.stat().st_size


class Protocol:
    """A protocol's shape; subclasses fill in the hooks, never the loop."""

    name: str = ""
    paginator: type[Paginator] = OffsetPaginator
    paginator_options: dict[str, Any] = {}
    page_suffix = ".json"
    lists_changes = False  # True: changes_query can list records changed since a moment
    range_days = 0  # data days one range_query may span (0: the API cannot ask for a range)

    def endpoint(self, feed: Feed) -> str:
        raise NotImplementedError

    def remembered(self, feed: Feed, what: str, ask):
        """ask() once per feed for as long as this instance lives (one feed's days in one run):
        what a portal says about a feed, not a day (its layer, its package), is asked once."""
        answers = self.__dict__.setdefault("_answers", {})
        key = (feed.id, what)
        if key not in answers:
            answers[key] = ask()
        return answers[key]

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        """Query parameters that select one data day."""
        raise NotImplementedError

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        """The wire records in a page; raise FatalFetchError for an error body."""
        raise NotImplementedError

    def total(self, payload: Any) -> int | None:
        """The total the server reports, if it reports one."""
        return None

    def more(self, payload: Any) -> bool | None:
        """Whether the server says more pages follow (None: it does not say)."""
        return None

    def object_ids(self, payload: Any) -> list[int] | None:
        """The object ids of an ids-only answer (ObjectIdPaginator), if the protocol has them."""
        return None

    def fetch(
        self,
        session: requests.Session,
        url: str,
        params: dict[str, Any],
        feed: Feed,
        cache: Any = None,
    ) -> Response:
        """One GET; JSON unless the protocol says otherwise."""
        return get_json(session, url, params)

    def range_query(self, feed: Feed, days: list[date]) -> dict[str, str]:
        """Query parameters selecting every record of `days` (sorted, at most `range_days` from
        first to last) in one paged query, in day order where the API can sort: a backfill asks
        this instead of one `day_query` per day, and splits the answer per day itself."""
        raise NotImplementedError(f"{self.name} cannot ask for a range of days")

    def changes_query(self, feed: Feed, field: str, since: datetime) -> dict[str, str]:
        """Query parameters listing the records changed after `since` (UTC): only the changed
        field, the date field and the key, ordered by the key (an immutable order, so a record
        changed while paging is read twice, never skipped). Only when `lists_changes`."""
        raise NotImplementedError(f"{self.name} cannot list changed records")

    def changed_at(self, value: Any) -> datetime | None:
        """A wire change stamp as an aware UTC datetime (ISO 8601 by default; naive = UTC)."""
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)

    def select(self, records: list[dict[str, Any]], feed: Feed, day: date) -> list[dict[str, Any]]:
        """The day's records, when the server cannot filter (a bulk file); all by default."""
        return records

    def plan(self, session: requests.Session, feed: Feed, page_size: int) -> Paginator:
        """How this feed is paged; a protocol may ask the server first (ArcGIS layer metadata)."""
        return self.paginator(page_size, **self.paginator_options)

    def count(self, session: requests.Session, feed: Feed, day: date) -> int | None:
        """How many records the day has, asked of the server (None: the protocol cannot count)."""
        return None

    def source_metadata(self, session: requests.Session, feed: Feed) -> dict[str, Any] | None:
        """What the portal says about the dataset (title, licence, last modified), for the manifest."""
        return None

    def pages(
        self,
        session: requests.Session,
        feed: Feed,
        day: date | None,
        *,
        page_size: int,
        max_pages: int,
        cache: Any = None,
        query: dict[str, str] | None = None,
    ) -> Iterator[Page]:
        """Every page of one feed for one data day (or for `query`, e.g. changes), in order."""
        url = self.endpoint(feed)
        query = self.day_query(feed, day) if query is None else query
        paginator = self.plan(session, feed, page_size)
        params: dict[str, Any] | None = paginator.first()
        previous, received = None, 0
        for number in range(1, max_pages + 1):
            reply, wire = self._get(session, url, {**query, **params}, feed, cache)
            if not wire:
                due = self._due(
                    session, feed, day, paginator, self._signals(reply.payload, wire), received
                )
                if due:
                    reply, wire = self._ask_again(
                        session, url, {**query, **params}, feed, cache, number, due
                    )
            if wire and _repeats(wire, previous):
                raise FatalFetchError(
                    f"page {number} repeats the previous page: the server ignored {params} and sent the same "
                    f"records again; not landing duplicates",
                    url=reply.url,
                )
            records = to_canonical(self.select(wire, feed, day), feed, self.name)
            yield Page(
                number,
                reply.url,
                reply.status,
                reply.body,
                records,
                self.total(reply.payload),
                datetime.now(UTC).isoformat(timespec="seconds"),
                self.page_suffix,
                kept_at=getattr(reply, "kept_at", None),
                not_modified=getattr(reply, "unchanged", reply.status == 304),
                digest=getattr(reply, "sha256", None),
            )
            received += len(wire)
            try:
                params = paginator.next(self._signals(reply.payload, wire))
            except PagingError as exc:
                raise FatalFetchError(f"page {number}: {exc}", url=reply.url) from None
            if params is None:
                return
            previous = wire
        raise FatalFetchError(f"more than {max_pages} pages: runaway paging stopped", url=url)

    def _get(self, session, url, params, feed, cache) -> tuple[Response, list[dict[str, Any]]]:
        reply = self.fetch(session, url, params, feed, cache)
        records = self.records(reply.payload, reply.url)
        odd = (
            next((r for r in records if not isinstance(r, dict)), None)
            if isinstance(records, list)
            else None
        )
        if odd is not None:
            raise FatalFetchError(
                f"a record is not a JSON object but {type(odd).__name__} {str(odd)[:60]!r}",
                url=reply.url,
            )
        return reply, records

    def _signals(self, payload: Any, wire: list[dict[str, Any]]) -> PageSignals:
        ids = self.object_ids(payload)
        return PageSignals(
            len(wire),
            self.more(payload),
            self.total(payload),
            tuple(ids) if ids is not None else None,
        )

    def _due(
        self,
        session,
        feed: Feed,
        day: date,
        paginator: Paginator,
        signals: PageSignals,
        received: int,
    ) -> int:
        """Records still due after an empty page: promised by the pages, else counted by the server.

        Without a total or id list, an empty page after records (or one flagged `more`) may
        be the end or a glitch; the server's own count decides. Protocols that cannot count
        (Open311) end on it, as the protocol gives nothing better.
        """
        due = paginator.due(signals)
        if due is None and day is not None and (received or signals.more):
            counted = self.count(session, feed, day)
            due = None if counted is None else counted - received
        return max(due or 0, 0)

    def _ask_again(self, session, url, params, feed, cache, number: int, due: int):
        """The same page again, with backoff, until it has records; still empty: the fetch fails."""
        for attempt in range(EMPTY_PAGE_RETRIES):
            time.sleep(backoff_s(session, url, attempt))
            reply, wire = self._get(session, url, params, feed, cache)
            if wire:
                return reply, wire
        raise RetriableFetchError(
            f"page {number} came back empty {EMPTY_PAGE_RETRIES + 1} times although the server says "
            f"{due} more records are due; not landing a partial batch",
            url=reply.url,
        )


OffsetProtocol = Protocol  # the name CKAN and Socrata were written against


def _repeats(records: Any, previous: Any) -> bool:
    """Whether a page holds the previous page's records again, to the letter (a file read from
    disk carries its own digest); compared as values, so no page is serialised to tell."""
    if previous is None:
        return False
    digest = getattr(records, "digest", None)
    if digest is not None or getattr(previous, "digest", None) is not None:
        return digest == getattr(previous, "digest", None)
    # == alone takes 1, 1.0 and True for one another; repr tells them apart, on a match only
    return records == previous and repr(records) == repr(previous)
