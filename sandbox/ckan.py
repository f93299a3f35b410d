"""The CKAN Action API `datastore_search`, answered the way CKAN 2.9+ answers it.

Shapes follow real recordings (realdata/api/ckan): validated request parameters are
echoed in the result in alphabetical order (`offset` only when it was sent), `_links`
are built from the request's own query string, and `_links.next` is there even on the
last page, so a client that pages until `next` disappears never stops. Errors carry
`"success": false` and an `error.__type`; validation errors list messages per field, 409.
One request serves one or more data days, chosen by `filters` on the dataset's date field
written in the borough's own date format (exact text match, as on a text column).
`package_show?id=<resource id>` describes the dataset's package (one package per
dataset, named like its resource), shaped like realdata's demo.ckan.org recordings:
deterministic title and licence; metadata_modified and the resource's last_modified
move to the publication day, as a borough re-publishing nightly would.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from ingest.catalogue import Catalogue, Dataset, Field
from sandbox.messages import Request, Response, json_response
from sandbox.quirks import Quirk
from sandbox.records import FeedView, OrderError, borough_dataset, parse_order

__all__ = ["CkanPortal", "DEFAULT_LIMIT", "MAX_LIMIT", "MAX_DAYS"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 32000  # ckan.datastore.search.rows_max: larger limits are clamped, not refused
MAX_DAYS = 366
_ACTION_PREFIXES = ("/api/3/action/", "/api/action/")
_UNSUPPORTED = ("q", "plain", "language", "fields", "distinct", "total_estimation_threshold")
_ACCEPTED = (
    "resource_id",
    "id",
    "limit",
    "offset",
    "filters",
    "sort",
    "include_total",
    "records_format",
)
_ACTIONS = ("datastore_search", "package_show")
_LICENCE = {
    "license_id": "uk-ogl",
    "license_title": "UK Open Government Licence (OGL)",
    "license_url": "http://reference.data.gov.uk/id/open-government-licence",
}


class CkanPortal:
    """Routes under /<slug>/api/3/action/; stateless, one instance serves every borough."""

    protocol = "ckan"

    def __init__(self, publication_day: Callable[[], dt.date]):
        self.publication_day = publication_day

    def dataset_for(self, request: Request, rest: str, catalogue: Catalogue) -> Dataset | None:
        """The dataset a datastore_search or package_show request names, if it names one we publish."""
        if _action(rest) not in _ACTIONS:
            return None
        params = _params(request)
        resource = params.get("resource_id", params.get("id")) if params is not None else None
        return borough_dataset(catalogue, resource)

    def serve(self, request: Request, rest: str, slug: str, feed: FeedView | None) -> Response:
        action = _action(rest)
        help_url = f"{request.host_url}/{slug}/api/3/action/help_show?name={action or 'help_show'}"
        if action is None:
            return _error(404, help_url, "Not Found Error", "Not found")
        if action not in _ACTIONS:
            return _error(
                400, help_url, "Bad Request", f"Bad request - Action name not known: {action}"
            )
        params = _params(request)
        if params is None:
            return _error(
                400,
                help_url,
                "Bad Request",
                "Bad request - JSON Error: could not decode the request body",
            )
        resource = params.get("resource_id", params.get("id"))
        if action == "package_show":
            if feed is None:
                return _error(404, help_url, "Not Found Error", "Not found")
            return json_response(
                200,
                {
                    "help": help_url,
                    "success": True,
                    "result": _package(request, slug, feed, self.publication_day()),
                },
            )
        if feed is None:
            if resource in (None, ""):
                return _invalid(help_url, {"resource_id": ["Missing value"]})
            return _error(
                404, help_url, "Not Found Error", f'Not found: Resource "{resource}" was not found.'
            )
        return _search(request, params, feed, help_url)

    def position(self, request: Request) -> int | None:
        """Rows before the asked page (datastore_search's offset); None for package_show."""
        if _action("/" + request.path.lstrip("/").partition("/")[2]) != "datastore_search":
            return None
        offset = (_params(request) or {}).get("offset", 0)
        return int(offset) if str(offset).isdigit() else 0

    def error(self, request: Request, slug: str, status: int, message: str) -> Response:
        """The portal's own error body for an injected failure."""
        help_url = f"{request.host_url}/{slug}/api/3/action/help_show?name=datastore_search"
        return _error(status, help_url, HTTPStatus(status).phrase, message)


def _package(request: Request, slug: str, feed: FeedView, published: dt.date) -> dict[str, Any]:
    """A package_show result for one borough's dataset, in CKAN 2.9's shape."""
    resource = feed.dataset.resource
    package_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{slug}/{resource}"))
    created = "2024-04-01T09:00:00.000000"
    modified = f"{published.isoformat()}T01:30:00.000000"
    return {
        "id": package_id,
        "name": resource,
        "title": f"{feed.dataset.title} ({feed.area.name})",
        "notes": feed.dataset.title,
        "type": "dataset",
        "state": "active",
        "private": False,
        **_LICENCE,
        "isopen": True,
        "metadata_created": created,
        "metadata_modified": modified,
        "organization": {"name": slug, "title": feed.area.name, "type": "organization"},
        "num_resources": 1,
        "num_tags": 0,
        "tags": [],
        "groups": [],
        "extras": [],
        "resources": [
            {
                "id": resource,
                "package_id": package_id,
                "name": f"{resource}.csv",
                "format": "CSV",
                "datastore_active": True,
                "created": created,
                "last_modified": modified,
                "url": f"{request.host_url}/{slug}/datastore/dump/{resource}",
            }
        ],
    }


def _action(rest: str) -> str | None:
    for prefix in _ACTION_PREFIXES:
        if rest.startswith(prefix) and "/" not in rest[len(prefix) :]:
            return rest[len(prefix) :] or None
    return None


def _params(request: Request) -> dict[str, Any] | None:
    """Query arguments, overlaid by a JSON body for POST (as ckanapi sends); None if the body is bad."""
    params: dict[str, Any] = dict(request.args)
    if request.method == "POST":
        try:
            body = request.json_body()
        except ValueError:
            return None
        if body is not None and not isinstance(body, dict):
            return None
        params.update(body or {})
    return params


def _error(status: int, help_url: str, kind: str, message: str) -> Response:
    return json_response(
        status, {"help": help_url, "success": False, "error": {"__type": kind, "message": message}}
    )


def _invalid(help_url: str, errors: dict[str, list[str]]) -> Response:
    return json_response(
        409, {"help": help_url, "success": False, "error": {"__type": "Validation Error", **errors}}
    )


def _natural(value: Any) -> int:
    """CKAN's int_validator + natural_number_validator, raising the message CKAN gives."""
    if isinstance(value, bool):
        raise ValueError("Invalid integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError("Invalid integer") from None
    if isinstance(value, float) and value != number:
        raise ValueError("Invalid integer")
    if number < 0:
        raise ValueError("Must be a natural number")
    return number


def _search(request: Request, params: dict[str, Any], feed: FeedView, help_url: str) -> Response:
    errors: dict[str, list[str]] = {}
    junk = [(k, v) for k, v in params.items() if k not in _ACCEPTED and k not in _UNSUPPORTED]
    if junk:
        errors["__junk"] = [f"The input field {junk} was not expected."]
    for key in _UNSUPPORTED:
        if key in params:
            errors[key] = ["Not supported by the borough API sandbox"]
    values: dict[str, Any] = {}
    for key, default in (("limit", DEFAULT_LIMIT), ("offset", 0)):
        try:
            values[key] = _natural(params[key]) if key in params else default
        except ValueError as exc:
            errors[key] = [str(exc)]
    include_total = str(params.get("include_total", "true")).lower()
    if include_total not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        errors["include_total"] = ["Invalid boolean"]
    if params.get("records_format", "objects") != "objects":
        errors["records_format"] = ["The sandbox serves records_format=objects only"]
    order = []
    if params.get("sort"):
        try:
            order = parse_order(str(params["sort"]), feed.dataset)
        except OrderError as exc:
            errors["sort"] = [str(exc)]
    filters, problem = _filters(params.get("filters"), feed)
    if problem:
        errors["filters"] = [problem]
    if errors:
        return _invalid(help_url, errors)

    days = _days(filters.pop(feed.dataset.date_field), feed.publisher.date_format)
    rows = feed.published(feed.typed(days, order))
    if filters:
        rows = [r for r in rows if all(_equals(r.get(k), v) for k, v in filters.items())]
    limit, offset = min(values["limit"], MAX_LIMIT), values["offset"]
    page = [
        {"_id": offset + i + 1, **row}
        for i, row in enumerate(feed.faults.page(rows, offset, limit))
    ]

    result: dict[str, Any] = {}
    if params.get("filters") is not None:
        result["filters"] = (
            json.loads(params["filters"])
            if isinstance(params["filters"], str)
            else params["filters"]
        )
    result["include_total"] = include_total in ("true", "1", "yes", "on")
    result["limit"] = limit
    if "offset" in params:
        result["offset"] = offset
    result["records_format"] = "objects"
    result["resource_id"] = params.get("resource_id", params.get("id"))
    if params.get("sort"):
        result["sort"] = params["sort"]
    result["total_estimation_threshold"] = None
    result["records"] = page
    result["fields"] = [{"id": "_id", "type": "int"}] + [
        {"id": shown, "type": _field_type(field, feed.publisher.date_format, feed.quirk)}
        for shown, source in feed.columns()
        for field in feed.dataset.fields
        if field.name == source
    ]
    result["_links"] = _links(request, offset, limit)
    if result["include_total"]:
        result["total"] = len(rows)
        result["total_was_estimated"] = False
    return json_response(200, {"help": help_url, "success": True, "result": result})


def _filters(raw: Any, feed: FeedView) -> tuple[dict[str, Any], str | None]:
    """The filters as a dict, or an error message; the date field filter is required."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}, "Could not parse as valid JSON"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return {}, "Filters must be a JSON object"
    shown = {name for name, _ in feed.columns()}
    for name in raw:
        if name not in shown:
            return {}, f'field "{name}" not in table'
    date_field = feed.dataset.date_field
    if date_field not in raw:
        return {}, (
            f'The borough API sandbox serves data days: filter on "{date_field}" with one day '
            f"or a list of days, written {feed.publisher.date_format}"
        )
    days = raw[date_field] if isinstance(raw[date_field], list) else [raw[date_field]]
    if len(days) > MAX_DAYS:
        return {}, f"At most {MAX_DAYS} days per request"
    return dict(raw), None


def _days(value: Any, date_format: str) -> list[dt.date]:
    """The days a filter names; text that is not exactly a day in the borough's format matches nothing."""
    days = []
    for text in value if isinstance(value, list) else [value]:
        if not isinstance(text, str):
            continue
        try:
            day = dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
        if day.strftime(date_format) == text:
            days.append(day)
    return days


def _equals(published: Any, wanted: Any) -> bool:
    options = wanted if isinstance(wanted, list) else [wanted]
    return any(published is not None and str(published) == str(o) for o in options)


def _field_type(field: Field, date_format: str, quirk: Quirk) -> str:
    """The datastore column type the borough's upload would have produced."""
    if field.type == "date":
        return (
            "timestamp"
            if date_format == "%Y-%m-%dT%H:%M:%S" and quirk.null_marker is None
            else "text"
        )
    if field.type in ("integer", "number"):
        return "numeric" if quirk.numbers == "native" and quirk.null_marker is None else "text"
    return "text"


def _links(request: Request, offset: int, limit: int) -> dict[str, str]:
    """CKAN's _insert_links: start drops offset; next (always) and prev move it by limit."""
    arguments = dict(request.args)
    start = {k: v for k, v in arguments.items() if k != "offset"}
    links = {
        "start": f"{request.path}?{urlencode(start)}",
        "next": f"{request.path}?{urlencode({**arguments, 'offset': offset + limit})}",
    }
    if offset - limit > 0:
        links["prev"] = f"{request.path}?{urlencode({**arguments, 'offset': offset - limit})}"
    return links
