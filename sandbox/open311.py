"""Open311 GeoReport v2 `services.json` and `requests.json`, answered as real servers do.

A bare array of requests under Open311's names (the dataset's declared `wire.open311`
mapping, applied in reverse), statuses `open`/`closed`, datetimes ISO 8601 with the
borough's UTC offset. Requests are chosen by `start_date`/`end_date` (both inclusive,
at most 90 days, the last 90 days when neither is given, as the spec says) and
optionally `service_code` and `status`. The spec has no paging; like FixMyStreet, the
sandbox pages with `page`/`page_size` and caps page_size. Errors are an array of
`{"code", "description"}` with the same HTTP status.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from ingest.catalogue import Catalogue, Dataset
from sandbox.messages import Request, Response, json_response
from sandbox.records import FeedView, sort_records

__all__ = ["Open311Portal", "DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "MAX_DAYS", "service_code"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_DAYS = 90
_ROUTE = re.compile(r"^/open311/v2/(services|requests)\.json$")


def service_code(name: str) -> str:
    """A service's code: its name in snake case ('Fly-tipping' -> 'fly_tipping')."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


class Open311Portal:
    """Routes under /<slug>/open311/v2/; stateless."""

    protocol = "open311"
    prefix = "/open311/"

    def dataset_for(self, request: Request, rest: str, catalogue: Catalogue) -> Dataset | None:
        if not _ROUTE.match(rest):
            return None
        return next((d for d in catalogue.datasets.values() if "open311" in d.wire), None)

    def serve(self, request: Request, rest: str, slug: str, feed: FeedView | None) -> Response:
        match = _ROUTE.match(rest)
        if match is None or feed is None:
            return _error(
                404, "Not found: this server publishes /open311/v2/services.json and requests.json"
            )
        if match.group(1) == "services":
            return json_response(200, _services(feed))
        try:
            return _requests(request, feed)
        except ValueError as exc:
            return _error(400, str(exc))

    def position(self, request: Request) -> int | None:
        """Rows before the asked page (page faults hit pages after the first)."""
        page = request.whole("page")
        return None if page is None else (page - 1) * (request.whole("page_size") or 1)

    def error(self, request: Request, slug: str, status: int, message: str) -> Response:
        return _error(status, message)


def _error(status: int, description: str) -> Response:
    return json_response(status, [{"code": status, "description": description}])


def _wire_field(feed: FeedView, wire_name: str) -> str:
    wire = feed.dataset.wire_map("open311")
    return next(name for name, shown in wire.fields.items() if shown == wire_name)


def _services(feed: FeedView) -> list[dict]:
    spec = next(f for f in feed.dataset.fields if f.name == _wire_field(feed, "service_name"))
    return [
        {
            "service_code": service_code(name),
            "service_name": name,
            "description": name,
            "metadata": False,
            "type": "batch",
            "keywords": "",
            "group": feed.dataset.domain,
        }
        for name in spec.values or ()
    ]


def _stamp(text: str | None, name: str, zone: ZoneInfo) -> dt.datetime | None:
    if text in (None, ""):
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise ValueError(f"{name} must be a W3C/ISO 8601 datetime, got {text!r}") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=zone)


def _number(request: Request, name: str, default: int) -> int:
    text = request.arg(name)
    if text in (None, ""):
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {text!r}")
    return int(text)


def _requests(request: Request, feed: FeedView) -> Response:
    zone = ZoneInfo(feed.publisher.timezone)
    start = _stamp(request.arg("start_date"), "start_date", zone)
    end = _stamp(request.arg("end_date"), "end_date", zone)
    if end is None:
        end = dt.datetime.now(zone) if start is None else start + dt.timedelta(days=MAX_DAYS)
    if start is None:
        start = end - dt.timedelta(days=MAX_DAYS)
    if end < start or end - start > dt.timedelta(days=MAX_DAYS):
        raise ValueError(f"end_date must follow start_date by at most {MAX_DAYS} days")
    page, size = (
        _number(request, "page", 1),
        min(_number(request, "page_size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE),
    )
    days = []
    for n in range((end.date() - start.date()).days + 3):
        day = start.date() + dt.timedelta(days=n - 1)
        if start <= dt.datetime(day.year, day.month, day.day, tzinfo=zone) <= end:
            days.append(day)
    date_field = feed.dataset.date_field
    typed = sort_records(feed.typed(days), [(date_field, False)], feed.dataset.key)
    rows = [_to_wire(row, feed) for row in feed.published(typed)]
    codes = {c for c in (request.arg("service_code") or "").split(",") if c}
    status = request.arg("status")
    rows = [
        r
        for r in rows
        if (not codes or r.get("service_code") in codes)
        and (not status or r.get("status") in status.split(","))
    ]
    return json_response(200, feed.faults.page(rows, (page - 1) * size, size))


def _to_wire(row: dict, feed: FeedView) -> dict:
    """A published record under Open311's names and values, service_code after service_name."""
    wire = feed.dataset.wire_map("open311")
    reverse = {name: {v: k for k, v in table.items()} for name, table in wire.values.items()}
    out: dict = {}
    for name, value in row.items():
        value = reverse.get(name, {}).get(value, value)
        out[wire.wire_name(name)] = value
        if wire.wire_name(name) == "service_name" and isinstance(value, str):
            out["service_code"] = service_code(value)
    return out
