"""Socrata SODA `/resource/<id>.json`, answered the way real SODA 2.x answers it.

As in the recordings (realdata/api/socrata): the body is a bare JSON array of flat
objects, one per line, every value a string and null fields left out; there is no
total and no next link, so clients page with $limit/$offset until a short page, and
need $order for the pages to be stable. Days are chosen with $where on the date field
(`=`, `between`, `>=`/`>`/`<=`/`<` joined by `and`) or a simple `?field=value` filter.
The system fields `:id`, `:created_at` and `:updated_at` (SODA 2.1: only when named in
$select, or by `:*`) can be selected, ordered by, and `:updated_at`/`:created_at` compared
in $where, e.g. `:updated_at > '2026-11-20T03:00:00.000'` (UTC): such a query covers every
day the portal has published (from sandbox.yml bulk_csv.first_day to the publication day),
with the stamps publication.py gives. Errors are `{"code", "error": true, "message"}` with
400 or 404; what the sandbox cannot answer (functions, aliases, `or`) is a 400 saying so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from http import HTTPStatus

from ingest.catalogue import Catalogue, Dataset, Field
from sandbox.messages import JSON_TYPE, Request, Response, json_response
from sandbox.publication import stamp_text, stamps, uploaded_at
from sandbox.records import FeedView, OrderError, borough_dataset, parse_order, sort_records
from sandbox.socrata_where import _SYSTEM, WhereError, _timestamp, _Where, parse_where

__all__ = [
    "SocrataPortal",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
]

DEFAULT_LIMIT = 1000
MAX_LIMIT = 50000
_RESOURCE = re.compile(r"^/resource/([A-Za-z0-9_-]+)\.json$")
_KNOWN = ("$limit", "$offset", "$order", "$where", "$select")
_COUNT = re.compile(r"^\s*count\(\s*\*\s*\)(?:\s+as\s+(?P<alias>\w+))?\s*$", re.IGNORECASE)


class SocrataPortal:
    """Routes under /<slug>/resource/; one instance serves every borough.

    `window` gives the days the portals have published (first day, publication day).
    """

    protocol = "socrata"

    def __init__(self, window: Callable[[Dataset], tuple[dt.date, dt.date]]):
        self.window = window

    def dataset_for(self, request: Request, rest: str, catalogue: Catalogue) -> Dataset | None:
        match = _RESOURCE.match(rest)
        resource = match.group(1) if match else None
        return borough_dataset(catalogue, resource)

    def serve(self, request: Request, rest: str, slug: str, feed: FeedView | None) -> Response:
        if feed is None:
            return _error(404, "not_found", "Not found")
        try:
            return _query(request, feed, self.window(feed.dataset))
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
        raise WhereError(
            f"Invalid {name}: {text!r} is not a non-negative integer",
            "query.soql.invalid-parameter",
        )
    return int(text)


def _query(request: Request, feed: FeedView, window: tuple[dt.date, dt.date]) -> Response:
    names = {shown for shown, _ in feed.columns()}
    unknown = [
        k
        for k, _ in request.args
        if k.startswith("$") and not k.startswith("$$") and k not in _KNOWN
    ]
    if unknown:
        raise WhereError(f"Unrecognized arguments {unknown}", "query.soql.invalid-parameter")
    limit, offset = _count(request, "$limit", DEFAULT_LIMIT), _count(request, "$offset", 0)
    if limit > MAX_LIMIT:
        raise WhereError(f"$limit must be at most {MAX_LIMIT}", "query.soql.invalid-parameter")
    order = _order(request.arg("$order"), feed.dataset)
    counting = _COUNT.match(request.arg("$select") or "") is not None
    selected = (
        [] if counting else _select(request.arg("$select"), [shown for shown, _ in feed.columns()])
    )

    date_field, date_format = feed.dataset.date_field, feed.publisher.date_format
    simple = {k: v for k, v in request.args if not k.startswith("$")}
    for name in simple:
        if name not in names:
            raise WhereError(f"No such column: {name}", "query.soql.no-such-column")
    where = (
        parse_where(request.arg("$where"), feed.dataset, date_format)
        if request.arg("$where")
        else _Where()
    )
    if where.days is None and date_field in simple:
        day = _timestamp(simple[date_field], date_format)
        where.days = [day.date()] if day and day.time() == dt.time() else []
    if where.days is None and not where.stamps:
        raise WhereError(
            f"The borough API sandbox serves data days: use $where on {date_field}, "
            f"e.g. {date_field} between '2024-01-01T00:00:00.000' and '2024-01-07T00:00:00.000', "
            f"or on :updated_at, e.g. :updated_at > '2024-01-07T03:00:00.000'"
        )
    system = [n for n in selected if n in _SYSTEM] + [n for n, _ in order if n in _SYSTEM]
    changes = bool(where.stamps) or bool(system)
    days = where.days if where.days is not None else _changed_days(feed, where.stamps, window)
    if changes:  # a question about publication: only what has been published
        days = [d for d in days if d <= window[1]]
    typed = feed.typed(days, [(n, desc) for n, desc in order if n not in _SYSTEM])
    extra = _system_fields(typed, feed) if changes else [{} for _ in typed]
    kept = [
        i
        for i, values in enumerate(extra)
        if all(_compare(values[f], op, at) for f, op, at in where.stamps)
    ]
    typed, extra = [typed[i] for i in kept], [extra[i] for i in kept]
    if any(n in _SYSTEM for n, _ in order):
        pairs = sort_records(
            [{**r, **e, "\0": i} for i, (r, e) in enumerate(zip(typed, extra, strict=False))],
            order,
            feed.dataset.key,
        )
        typed, extra = [typed[p["\0"]] for p in pairs], [extra[p["\0"]] for p in pairs]
    rows = [
        {
            **{
                k: stamp_text(v) if isinstance(v, dt.datetime) else v
                for k, v in e.items()
                if k in selected
            },
            **row,
        }
        for row, e in zip(feed.published(typed), extra, strict=False)
    ]
    rows = [r for r in rows if all(r.get(k) == v for k, v in simple.items() if k != date_field)]
    if counting:
        return _count_rows(request.arg("$select"), len(rows))
    if selected:
        rows = [{k: r[k] for k in selected if k in r} for r in rows]
    page = feed.faults.page(rows, offset, limit)
    body = (
        "["
        + "\n,".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in page)
        + "]\n"
    )
    specs = {f.name: f for f in feed.dataset.fields}
    fields = [(shown, specs[source]) for shown, source in feed.columns()]
    columns = [(n, None) for n in selected] if selected else fields
    types = {shown: _type(f, date_format, feed.quirk.numbers) for shown, f in fields}
    types |= {
        ":id": "meta_data",
        ":created_at": "fixed_timestamp",
        ":updated_at": "fixed_timestamp",
    }
    headers = (
        ("X-SODA2-Fields", json.dumps([n for n, _ in columns], separators=(",", ":"))),
        ("X-SODA2-Types", json.dumps([types[n] for n, _ in columns], separators=(",", ":"))),
    )
    return Response(200, body.encode("utf-8"), content_type=JSON_TYPE, headers=headers)


def _count_rows(select: str, rows: int) -> Response:
    """`$select=count(*) [AS alias]`: one row, the count as a string (SODA 2.x names it `count`)."""
    match = _COUNT.match(select)
    if not match:
        raise WhereError(
            "The borough API sandbox serves $select=count(*) [AS name] only", "query.soql.invalid"
        )
    return json_response(200, [{match.group("alias") or "count": str(rows)}])


def _select(expression: str | None, columns: list[str]) -> list[str]:
    """$select as a list of published names ([] = every column, no system fields)."""
    if expression is None:
        return []
    chosen = []
    for term in (t.strip() for t in expression.split(",")):
        if term == "*":
            chosen += columns
        elif term == ":*":
            chosen += list(_SYSTEM)
        elif term in _SYSTEM or term in columns:
            chosen.append(term)
        elif re.fullmatch(r":?\w+", term):
            raise WhereError(f"No such column: {term}", "query.soql.no-such-column")
        else:
            raise WhereError(
                f"The borough API sandbox selects columns, system fields, * and :* only, "
                f"not {term!r} (functions and aliases are not served here)",
                "query.soql.invalid",
            )
    return list(dict.fromkeys(chosen))


def _order(expression: str | None, dataset: Dataset) -> list[tuple[str, bool]]:
    """$order terms; system fields allowed beside the dataset's columns."""
    if not expression:
        return []
    terms = []
    for part in expression.split(","):
        name, _, direction = part.strip().partition(" ")
        if name in _SYSTEM and direction.strip().lower() in ("", "asc", "desc"):
            terms.append((name, direction.strip().lower() == "desc"))
            continue
        try:
            terms += parse_order(part, dataset)
        except OrderError as exc:
            raise WhereError(str(exc), "query.soql.no-such-column") from None
    return terms


def _changed_days(
    feed: FeedView, tests: list[tuple[str, str, dt.datetime]], window: tuple[dt.date, dt.date]
) -> list[dt.date]:
    """The published days that may hold a record passing stamp tests (no date field bound)."""
    after = max((at for _, op, at in tests if op in (">", ">=", "=")), default=None)
    days = [window[0] + dt.timedelta(days=n) for n in range((window[1] - window[0]).days + 1)]
    if after is None or any(moment >= after for _, moment in feed.faults.released):
        return days  # a late fault that ended since may have stamped any day
    return [d for d in days if uploaded_at(d, feed.publisher.timezone) >= after]


def _system_fields(typed: list[dict], feed: FeedView) -> list[dict]:
    """:id, :created_at, :updated_at of each record (stamps from publication.py)."""
    dataset, zone = feed.dataset, feed.publisher.timezone
    updated = stamps(
        typed,
        dataset,
        zone,
        feed.faults.released,
        lambda day: feed.truth.get(dataset.id, feed.area, day),
    )
    result = []
    for record, stamp in zip(typed, updated, strict=False):
        day = record.get(dataset.date_field)
        created = uploaded_at(day, zone) if isinstance(day, dt.date) else stamp
        digest = hashlib.sha256(
            f"{dataset.id}/{feed.area.code}/{record[dataset.key]}".encode()
        ).hexdigest()
        result.append(
            {
                ":id": f"row-{digest[:4]}.{digest[4:8]}_{digest[8:12]}",
                ":created_at": min(created, stamp),
                ":updated_at": stamp,
            }
        )
    return result


def _compare(value: dt.datetime, op: str, moment: dt.datetime) -> bool:
    return {
        "=": value == moment,
        ">": value > moment,
        ">=": value >= moment,
        "<": value < moment,
        "<=": value <= moment,
    }[op]


def _type(field: Field, date_format: str, numbers: str) -> str:
    if field.type == "date":
        return "floating_timestamp" if date_format.startswith("%Y-%m-%dT") else "text"
    if field.type in ("integer", "number"):
        return "number" if numbers != "thousands" else "text"
    return "text"
