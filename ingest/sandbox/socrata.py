"""Socrata SODA `/resource/<id>.json`, answered the way real SODA 2.x answers it.

As in the recordings (realdata/api/socrata): the body is a bare JSON array of flat
objects, one per line, every value a string and null fields left out; there is no
total and no next link, so clients page with $limit/$offset until a short page, and
need $order for the pages to be stable. Days are chosen with $where on the date field
(`=`, `between`, `>=`/`>`/`<=`/`<` joined by `and`) or a simple `?field=value` filter.
Errors are `{"code", "error": true, "message"}` with 400 or 404.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from http import HTTPStatus

from ingest.catalogue import Catalogue, Dataset, Field
from ingest.sandbox.messages import JSON_TYPE, Request, Response, json_response
from ingest.sandbox.records import FeedView, OrderError, parse_order

__all__ = ["SocrataPortal", "DEFAULT_LIMIT", "MAX_LIMIT", "MAX_DAYS", "WhereError", "days_where"]

DEFAULT_LIMIT = 1000
MAX_LIMIT = 50000
MAX_DAYS = 366
_RESOURCE = re.compile(r"^/resource/([A-Za-z0-9_-]+)\.json$")
_CLAUSE = re.compile(
    r"\s*(?P<field>\w+)\s*(?:(?P<op>>=|<=|=|>|<)\s*'(?P<value>[^']*)'"
    r"|\s(?i:between)\s+'(?P<low>[^']*)'\s+(?i:and)\s+'(?P<high>[^']*)')\s*"
)
_AND = re.compile(r"(?i:and)\b")
_KNOWN = ("$limit", "$offset", "$order", "$where", "$select")
_COUNT = re.compile(r"^\s*count\(\s*\*\s*\)(?:\s+as\s+(?P<alias>\w+))?\s*$", re.IGNORECASE)


class WhereError(ValueError):
    """A $where the sandbox cannot answer; `code` is the SODA error code."""

    def __init__(self, message: str, code: str = "query.soql.invalid"):
        super().__init__(message)
        self.code = code


class SocrataPortal:
    """Routes under /<slug>/resource/; stateless, one instance serves every borough."""

    protocol = "socrata"

    def dataset_for(self, request: Request, rest: str, catalogue: Catalogue) -> Dataset | None:
        match = _RESOURCE.match(rest)
        resource = match.group(1) if match else None
        return next((d for d in catalogue.datasets.values() if d.resource == resource), None)

    def serve(self, request: Request, rest: str, slug: str, feed: FeedView | None) -> Response:
        if feed is None:
            return _error(404, "not_found", "Not found")
        try:
            return _query(request, feed)
        except WhereError as exc:
            return _error(400, exc.code, str(exc))

    def position(self, request: Request) -> int | None:
        """Rows before the asked page; a count is no page."""
        return None if request.arg("$select") else request.whole("$offset")

    def error(self, request: Request, slug: str, status: int, message: str) -> Response:
        """The portal's own error body for an injected failure."""
        return _error(status, HTTPStatus(status).phrase.lower().replace(" ", "_"), message)


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"code": code, "error": True, "message": message})


def _count(request: Request, name: str, default: int) -> int:
    text = request.arg(name)
    if text is None:
        return default
    if not text.isdigit():
        raise WhereError(f"Invalid {name}: {text!r} is not a non-negative integer", "query.soql.invalid-parameter")
    return int(text)


def _query(request: Request, feed: FeedView) -> Response:
    names = {shown for shown, _ in feed.columns()}
    unknown = [k for k, _ in request.args if k.startswith("$") and not k.startswith("$$") and k not in _KNOWN]
    if unknown:
        raise WhereError(f"Unrecognized arguments {unknown}", "query.soql.invalid-parameter")
    limit, offset = _count(request, "$limit", DEFAULT_LIMIT), _count(request, "$offset", 0)
    if limit > MAX_LIMIT:
        raise WhereError(f"$limit must be at most {MAX_LIMIT}", "query.soql.invalid-parameter")
    try:
        order = parse_order(request.arg("$order"), feed.dataset) if request.arg("$order") else []
    except OrderError as exc:
        raise WhereError(str(exc), "query.soql.no-such-column") from None

    date_field, date_format = feed.dataset.date_field, feed.publisher.date_format
    simple = {k: v for k, v in request.args if not k.startswith("$")}
    for name in simple:
        if name not in names:
            raise WhereError(f"No such column: {name}", "query.soql.no-such-column")
    if request.arg("$where"):
        days = days_where(request.arg("$where"), feed.dataset, date_format)
    elif date_field in simple:
        day = _timestamp(simple[date_field], date_format)
        days = [day.date()] if day and day.time() == dt.time() else []
    else:
        raise WhereError(f"The borough API sandbox serves data days: use $where on {date_field}, "
                         f"e.g. {date_field} between '2024-01-01T00:00:00.000' and '2024-01-07T00:00:00.000'")
    rows = feed.published(feed.typed(days, order))
    rows = [r for r in rows if all(r.get(k) == v for k, v in simple.items() if k != date_field)]
    if request.arg("$select") is not None:
        return _count_rows(request.arg("$select"), len(rows))
    page = feed.faults.page(rows, offset, limit)
    body = ("[" + "\n,".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in page) + "]\n")
    fields = [(shown, next(f for f in feed.dataset.fields if f.name == source)) for shown, source in feed.columns()]
    headers = (
        ("X-SODA2-Fields", json.dumps([shown for shown, _ in fields], separators=(",", ":"))),
        ("X-SODA2-Types", json.dumps([_type(f, date_format, feed.quirk.numbers) for _, f in fields],
                                     separators=(",", ":"))),
    )
    return Response(200, body.encode("utf-8"), content_type=JSON_TYPE, headers=headers)


def _count_rows(select: str, rows: int) -> Response:
    """`$select=count(*) [AS alias]`: one row, the count as a string (SODA 2.x names it `count`)."""
    match = _COUNT.match(select)
    if not match:
        raise WhereError("The borough API sandbox serves $select=count(*) [AS name] only", "query.soql.invalid")
    return json_response(200, [{match.group("alias") or "count": str(rows)}])


def _type(field: Field, date_format: str, numbers: str) -> str:
    if field.type == "date":
        return "floating_timestamp" if date_format.startswith("%Y-%m-%dT") else "text"
    if field.type in ("integer", "number"):
        return "number" if numbers != "thousands" else "text"
    return "text"


def _timestamp(text: str, date_format: str) -> dt.datetime | None:
    """A SoQL timestamp literal: the borough's format, or any ISO date or date-time."""
    for parse in (lambda t: dt.datetime.strptime(t, date_format), dt.datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def days_where(where: str, dataset: Dataset, date_format: str) -> list[dt.date]:
    """The data days a $where selects (records sit at midnight of their day)."""
    low, high, position = None, None, 0
    while True:
        match = _CLAUSE.match(where, position)
        if not match:
            raise WhereError(f"Could not parse $where near {where[position:position + 40]!r}", "query.soql.malformed")
        name = match.group("field")
        if name not in dataset.column_names:
            raise WhereError(f"No such column: {name}", "query.soql.no-such-column")
        if name != dataset.date_field:
            raise WhereError(f"The borough API sandbox filters on {dataset.date_field} only, not {name}")
        op = match.group("op") or "between"
        texts = [match.group("value")] if match.group("op") else [match.group("low"), match.group("high")]
        stamps = [_timestamp(t, date_format) for t in texts]
        if None in stamps:
            raise WhereError(f"Could not parse {texts} as a floating timestamp", "query.soql.type-mismatch")
        for bound, value in _bounds(op, stamps):
            if bound == "low":
                low = value if low is None else max(low, value)
            else:
                high = value if high is None else min(high, value)
        position = match.end()
        if position == len(where):
            break
        joiner = _AND.match(where, position)
        if not joiner:
            raise WhereError(f"Could not parse $where near {where[position:position + 40]!r}", "query.soql.malformed")
        position = joiner.end()
    if low is None or high is None:
        raise WhereError(f"$where needs both a first and a last day on {dataset.date_field}")
    if (high - low).days + 1 > MAX_DAYS:
        raise WhereError(f"At most {MAX_DAYS} days per request")
    return [low + dt.timedelta(days=n) for n in range((high - low).days + 1)]


def _bounds(op: str, stamps: list[dt.datetime]) -> list[tuple[str, dt.date]]:
    """Turn a comparison on timestamps into inclusive day bounds."""
    def first_day_from(ts: dt.datetime, inclusive: bool) -> dt.date:
        at_midnight = ts.time() == dt.time()
        return ts.date() if inclusive and at_midnight else ts.date() + dt.timedelta(days=1)

    def last_day_to(ts: dt.datetime, inclusive: bool) -> dt.date:
        at_midnight = ts.time() == dt.time()
        return ts.date() if inclusive or not at_midnight else ts.date() - dt.timedelta(days=1)

    if op == "between":
        return [("low", first_day_from(stamps[0], True)), ("high", last_day_to(stamps[1], True))]
    ts = stamps[0]
    return {
        "=": [("low", first_day_from(ts, True)), ("high", last_day_to(ts, True) if ts.time() == dt.time()
                                                   else ts.date() - dt.timedelta(days=1))],
        ">=": [("low", first_day_from(ts, True))],
        ">": [("low", first_day_from(ts, False))],
        "<=": [("high", last_day_to(ts, True))],
        "<": [("high", last_day_to(ts, False))],
    }[op]
