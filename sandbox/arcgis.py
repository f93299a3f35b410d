"""ArcGIS REST FeatureServer layer 0 and its `query`, answered the way ArcGIS Server answers.

As in the recordings (realdata/api/arcgis): `features[].attributes`, dates as epoch
milliseconds, `exceededTransferLimit: true` only while more rows follow (absent on the
last page), pages capped at the layer's maxRecordCount, and errors with HTTP 200 and an
`error` object (`{"code": 400, "message": "Invalid or missing input parameters."}`).
Days are chosen by `where` on the date field: comparisons with `timestamp 'Y-m-d H:M:S'`
or `date 'Y-m-d'` literals (UTC, standardized SQL) joined by AND.
`returnIdsOnly` answers every matching object id (null when none, as ArcGIS Server
does), `returnCountOnly` the count, `objectIds=1,2` those records. Object ids are stable
(day number x 100,000 + the record's place in its day), so that id paging works.
A borough whose quirk says `supports_pagination: false` is a 10.2-era server: its layer
declares no pagination and its query ignores resultOffset/resultRecordCount.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from ingest.catalogue import Catalogue, Dataset, Field
from sandbox.messages import Request, Response, json_response
from sandbox.records import FeedView, OrderError, borough_dataset, parse_order, sort_records

__all__ = ["ArcGisPortal", "MAX_RECORD_COUNT", "MAX_DAYS", "days_where"]

MAX_RECORD_COUNT = 1000
MAX_DAYS = 366
_OID_EPOCH = dt.date(2000, 1, 1)
_OIDS_PER_DAY = 100_000
_ROUTE = re.compile(r"^/arcgis/rest/services/([A-Za-z0-9_-]+)/FeatureServer/0(/query)?/?$")
_CLAUSE = re.compile(
    r"\s*(?P<field>\w+)\s*(?P<op>>=|<=|=|>|<)\s*(?P<kind>timestamp|date)\s*'(?P<value>[^']*)'\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"and\b", re.IGNORECASE)
_INVALID = "Invalid or missing input parameters."


class WhereError(ValueError):
    """A where clause the sandbox cannot answer."""


class ArcGisPortal:
    """Routes under /<slug>/arcgis/rest/services/; stateless."""

    protocol = "arcgis"
    prefix = "/arcgis/"

    def dataset_for(self, request: Request, rest: str, catalogue: Catalogue) -> Dataset | None:
        match = _ROUTE.match(rest)
        resource = match.group(1) if match else None
        return borough_dataset(catalogue, resource)

    def serve(self, request: Request, rest: str, slug: str, feed: FeedView | None) -> Response:
        match = _ROUTE.match(rest)
        if feed is None or match is None:
            return _error(400, "Invalid URL", ["Service not found or not published on this server"])
        if request.arg("f") not in ("json", "pjson"):
            return _error(400, _INVALID, ["'f' must be json or pjson"])
        if not match.group(2):
            return json_response(200, _layer(feed))
        try:
            return _query(request, feed)
        except WhereError as exc:
            return _error(400, "Unable to complete operation.", [str(exc)])

    def position(self, request: Request) -> int | None:
        """Rows before the asked page: resultOffset, or a chunk's place in its day; None for no page."""
        if (
            not (request.path.rstrip("/").endswith("/query"))
            or request.arg("returnIdsOnly") == "true"
            or request.arg("returnCountOnly") == "true"
        ):
            return None
        ids = _ids_arg(request)
        if ids:
            return min(ids) % _OIDS_PER_DAY - 1
        return request.whole("resultOffset") or 0

    def error(self, request: Request, slug: str, status: int, message: str) -> Response:
        """An injected failure: the HTTP status stays (a 429 or 503 is the gateway's)."""
        return json_response(status, {"error": {"code": status, "message": message, "details": []}})


def _error(code: int, message: str, details: list[str]) -> Response:
    return json_response(200, {"error": {"code": code, "message": message, "details": details}})


def _esri_type(field: Field) -> str:
    return {
        "date": "esriFieldTypeDate",
        "integer": "esriFieldTypeInteger",
        "number": "esriFieldTypeDouble",
    }.get(field.type, "esriFieldTypeString")


def _fields(feed: FeedView) -> list[dict[str, Any]]:
    specs = {f.name: f for f in feed.dataset.fields}
    return [{"name": "OBJECTID", "type": "esriFieldTypeOID", "alias": "OBJECTID"}] + [
        {"name": shown, "type": _esri_type(specs[source]), "alias": shown}
        for shown, source in feed.columns()
    ]


def _layer(feed: FeedView) -> dict[str, Any]:
    if not feed.quirk.supports_pagination:  # shaped like koop_layerNoPaging.json (a 10.2 server)
        return {
            "currentVersion": 10.2,
            "id": 0,
            "name": feed.dataset.resource,
            "type": "Table",
            "capabilities": "Map,Query,Data",
            "maxRecordCount": MAX_RECORD_COUNT,
            "supportsStatistics": True,
            "supportsAdvancedQueries": True,
            "supportedQueryFormats": "JSON, AMF",
            "useStandardizedQueries": True,
            "fields": _fields(feed),
        }
    return {
        "currentVersion": 11.1,
        "id": 0,
        "name": feed.dataset.resource,
        "type": "Table",
        "maxRecordCount": MAX_RECORD_COUNT,
        "objectIdField": "OBJECTID",
        "supportedQueryFormats": "JSON",
        "advancedQueryCapabilities": {
            "supportsPagination": True,
            "supportsOrderBy": True,
            "useStandardizedQueries": True,
        },
        "dateFieldsTimeReference": {"timeZone": "UTC", "respectsDaylightSaving": False},
        "fields": _fields(feed),
    }


def _ids_arg(request: Request) -> list[int] | None:
    """objectIds=1,2,3 as numbers; None when not sent; WhereError when not numbers."""
    text = request.arg("objectIds")
    if text in (None, ""):
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise WhereError("'objectIds' must be a comma-separated list of object ids")
    return [int(p) for p in parts]


def _object_ids(typed: list[dict], date_field: str) -> list[int]:
    """Stable ids: the day's number x 100,000 + the record's place in that day."""
    seen: dict[int, int] = {}
    ids = []
    for record in typed:
        day = record.get(date_field)
        base = (day - _OID_EPOCH).days * _OIDS_PER_DAY if isinstance(day, dt.date) else 0
        seen[base] = seen.get(base, 0) + 1
        ids.append(base + seen[base])
    return ids


def _count(request: Request, name: str, default: int) -> int:
    text = request.arg(name)
    if text in (None, ""):
        return default
    if not text.isdigit():
        raise WhereError(f"'{name}' must be a non-negative integer")
    return int(text)


def _query(request: Request, feed: FeedView) -> Response:
    offset = _count(request, "resultOffset", 0)
    count = min(
        _count(request, "resultRecordCount", MAX_RECORD_COUNT) or MAX_RECORD_COUNT, MAX_RECORD_COUNT
    )
    if not feed.quirk.supports_pagination:
        offset, count = 0, MAX_RECORD_COUNT  # a 10.2 server ignores both
    try:
        order = (
            parse_order(request.arg("orderByFields"), feed.dataset)
            if request.arg("orderByFields")
            else []
        )
    except OrderError as exc:
        raise WhereError(str(exc)) from None
    days = days_where(request.arg("where") or "", feed.dataset, feed.publisher.timezone)
    typed = feed.typed(days)
    published = feed.published(typed)
    numbered = list(
        zip(typed, published, _object_ids(typed, feed.dataset.date_field), strict=False)
    )
    if order:
        position = {id(t): n for n, (t, _, _) in enumerate(numbered)}
        ranked = sort_records([t for t, _, _ in numbered], order, feed.dataset.key)
        numbered = [numbered[position[id(t)]] for t in ranked]
    if request.arg("returnCountOnly") == "true":
        return json_response(200, {"count": len(numbered)})
    if request.arg("returnIdsOnly") == "true":
        return json_response(
            200,
            {
                "objectIdFieldName": "OBJECTID",
                "objectIds": sorted(o for _, _, o in numbered) or None,
            },
        )
    wanted = _ids_arg(request)
    if wanted is not None:
        chosen = set(wanted)
        numbered, offset = [n for n in numbered if n[2] in chosen], 0
        page = [] if feed.faults.empty else numbered[:count]
    else:
        page = feed.faults.page(numbered, offset, count)
    body: dict[str, Any] = {
        "objectIdFieldName": "OBJECTID",
        "uniqueIdField": {"name": "OBJECTID", "isSystemMaintained": True},
        "globalIdFieldName": "",
        "fields": _fields(feed),
        "features": [{"attributes": {"OBJECTID": oid, **row}} for _, row, oid in page],
    }
    if offset + len(page) < len(numbered):
        body["exceededTransferLimit"] = True
    return json_response(200, body)


def days_where(where: str, dataset: Dataset, zone: str) -> list[dt.date]:
    """The data days whose midnight (in the portal's zone) satisfies every comparison."""
    bounds, position = [], 0
    while position < len(where):
        match = _CLAUSE.match(where, position)
        if not match:
            raise WhereError(
                f"Unable to perform query operation. Invalid query near {where[position : position + 40]!r}"
            )
        if match.group("field") != dataset.date_field:
            raise WhereError(f"The borough API sandbox filters on {dataset.date_field} only")
        try:
            stamp = dt.datetime.fromisoformat(match.group("value").strip())
        except ValueError:
            raise WhereError(
                f"Invalid {match.group('kind')} literal {match.group('value')!r}"
            ) from None
        bounds.append((match.group("op"), stamp.replace(tzinfo=dt.UTC)))
        position = match.end()
        joiner = _AND.match(where, position)
        if position < len(where) and not joiner:
            raise WhereError(
                f"Unable to perform query operation. Invalid query near {where[position : position + 40]!r}"
            )
        position = joiner.end() if joiner else position
    if not any(op in (">", ">=", "=") for op, _ in bounds) or not any(
        op in ("<", "<=", "=") for op, _ in bounds
    ):
        raise WhereError(
            f"The borough API sandbox serves data days: bound {dataset.date_field} from both sides"
        )
    low = min(s for op, s in bounds if op in (">", ">=", "=")).date() - dt.timedelta(days=1)
    high = max(s for op, s in bounds if op in ("<", "<=", "=")).date() + dt.timedelta(days=1)
    if (high - low).days > MAX_DAYS:
        raise WhereError(f"At most {MAX_DAYS} days per request")
    tz = ZoneInfo(zone)
    tests = {
        "=": lambda a, b: a == b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    days = []
    for n in range((high - low).days + 1):
        day = low + dt.timedelta(days=n)
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
        if all(tests[op](midnight, stamp) for op, stamp in bounds):
            days.append(day)
    return days
