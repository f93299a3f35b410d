"""Socrata SODA `/resource/<id>.json`: a bare array of strings, `$limit`/`$offset`.

No total and no next link: pages are read under a stable `$order` until a short or
empty page. A data day is selected with `$where`; errors come as `{"error": true}`.
Because nothing says how many rows are due, an empty page after records (the natural
end when the day is a whole number of pages, or a glitch that would lose the rest) is
checked against the server's own `$select=count(*)` for the same `$where`.

SODA leaves a null field out of a row, so a column null in every row of a page is
absent from all of them; the response's `X-SODA2-Fields` header names every column the
query returns, and each record is given those it lacks as null (schema is what the
portal declares, not what the first row happens to hold).

Every SODA dataset carries the system field `:updated_at` (a fixed timestamp, UTC), so
the records changed since a moment are `$where=:updated_at > '<moment>'`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import requests

from ingest.catalogue import Feed
from ingest.errors import FatalFetchError
from ingest.http import Response, get_json
from ingest.protocols.base import Protocol

__all__ = ["SocrataSoda", "declared_fields"]

log = logging.getLogger(__name__)


def declared_fields(headers: dict[str, str]) -> list[str] | None:
    """The columns a SODA response declares (X-SODA2-Fields), None when absent or unreadable."""
    raw = next((v for k, v in headers.items() if k.lower() == "x-soda2-fields"), None)
    if raw is None:
        return None
    try:
        names = json.loads(raw)
    except ValueError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        log.warning("unreadable X-SODA2-Fields header %r: rows are taken as sent", raw[:200])
        return None
    return names


class SocrataSoda(Protocol):
    name = "socrata"
    paginator_options = {"limit_param": "$limit", "offset_param": "$offset"}
    lists_changes = True
    range_days = 366  # SoQL has no limit; a year a query keeps each answer a few pages long

    def endpoint(self, feed: Feed) -> str:
        return f"{feed.portal.base_url}/resource/{feed.dataset.resource}.json"

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        value = day.strftime(feed.portal.date_format)
        return {
            "$where": f"{feed.dataset.date_field} = '{value}'",
            "$order": f"{feed.dataset.key}",
        }

    def range_query(self, feed: Feed, days: list[date]) -> dict[str, str]:
        """`$where <date> between 'first' and 'last'` (SoQL's inclusive range), by day then key."""
        first, last = (day.strftime(feed.portal.date_format) for day in (days[0], days[-1]))
        return {
            "$where": f"{feed.dataset.date_field} between '{first}' and '{last}'",
            "$order": f"{feed.dataset.date_field}, {feed.dataset.key}",
        }

    def changes_query(self, feed: Feed, field: str, since: datetime) -> dict[str, str]:
        moment = since.astimezone(UTC)
        literal = f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}"  # floating literal, read as UTC
        return {
            "$select": f"{field}, {feed.dataset.date_field}, {feed.dataset.key}",
            "$where": f"{field} > '{literal}'",
            "$order": feed.dataset.key,
        }

    def fetch(
        self,
        session: requests.Session,
        url: str,
        params: dict[str, Any],
        feed: Feed,
        cache: Any = None,
    ) -> Response:
        """One page, each row given the declared columns SODA left out because they are null."""
        reply = get_json(session, url, params)
        declared = declared_fields(reply.headers)
        if not declared or not isinstance(reply.payload, list):
            return reply
        rows = [
            {**dict.fromkeys(declared), **row} if isinstance(row, dict) else row
            for row in reply.payload
        ]
        return replace(reply, payload=rows)

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        if isinstance(payload, dict) and payload.get("error"):
            raise FatalFetchError(f"Socrata error: {payload.get('message', payload)}", url=url)
        if not isinstance(payload, list):
            raise FatalFetchError("Socrata response is not a JSON array of rows", url=url)
        return payload

    def count(self, session: requests.Session, feed: Feed, day: date) -> int | None:
        where = {k: v for k, v in self.day_query(feed, day).items() if k != "$order"}
        reply = get_json(
            session, self.endpoint(feed), {**where, "$select": "count(*) AS row_count"}
        )
        rows = self.records(reply.payload, reply.url)
        try:
            (value,) = rows[0].values()
            return int(value)
        except (IndexError, ValueError, TypeError, AttributeError):
            raise FatalFetchError(
                f"asked $select=count(*), got {str(rows)[:100]}", url=reply.url
            ) from None
