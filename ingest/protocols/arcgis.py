"""ArcGIS REST FeatureServer `query`: resultOffset/resultRecordCount, exceededTransferLimit.

As in the recordings (realdata/api/arcgis): records are `features[].attributes`, dates
are epoch milliseconds (UTC), and `exceededTransferLimit: true` is the only sign that
more pages follow — its absence means none, and a true flag on an empty page (koop's
features-empty) must still stop. Servers cap a page at their maxRecordCount, so a short
page with the flag set is not the end. Errors come with HTTP 200 and an `error` object.
The layer's object id (`objectIdFieldName`) is the server's row number and is dropped.
A data day is asked for with standardized-SQL timestamp literals in UTC, which ArcGIS
Online and Server 10.x+ accept: `d >= timestamp 'a' AND d < timestamp 'b'`.

How to page is read from the layer (`<layer>?f=json`), as pyesridump and koop do:
`supportsPagination` (top level or in advancedQueryCapabilities) means resultOffset
paging; without it (10.2-era servers ignore resultOffset and send the first page again)
every object id is asked first (`returnIdsOnly`) and the records fetched in chunks of
`objectIds`. Pages and chunks are kept within the layer's maxRecordCount (500 when the
layer does not say, as on 10.0 servers). A portal's `paging` overrides the layer.
An empty page flagged `exceededTransferLimit` is checked against `returnCountOnly`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import requests

from ingest.catalogue import Feed
from ingest.errors import FatalFetchError
from ingest.http import get_json
from ingest.protocols.base import Protocol
from ingest.protocols.paginators import ObjectIdPaginator, OffsetPaginator, Paginator
from ingest.protocols.wire import day_bounds_utc

__all__ = ["ArcGisFeatureServer", "where_for_day", "layer_paging", "DEFAULT_MAX_RECORD_COUNT"]

_STAMP = "%Y-%m-%d %H:%M:%S"
DEFAULT_MAX_RECORD_COUNT = 500


def where_for_day(field: str, day: date, zone: str) -> str:
    """The `where` clause selecting one data day of the portal's zone."""
    start, end = day_bounds_utc(day, zone)
    return f"{field} >= timestamp '{start:{_STAMP}}' AND {field} < timestamp '{end:{_STAMP}}'"


def layer_paging(layer: dict[str, Any]) -> tuple[bool, int]:
    """(supports resultOffset paging, maxRecordCount) as a layer's metadata declares them."""
    advanced = layer.get("advancedQueryCapabilities") or {}
    supports = layer.get("supportsPagination") is True or advanced.get("supportsPagination") is True
    limit = layer.get("maxRecordCount")
    valid = isinstance(limit, int) and not isinstance(limit, bool) and limit > 0
    return supports, limit if valid else DEFAULT_MAX_RECORD_COUNT


def _raise_error(payload: Any, url: str) -> None:
    """An ArcGIS error object (sent with HTTP 200) as a FatalFetchError with its code and message."""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error = payload["error"]
        details = "; ".join(str(d) for d in error.get("details") or [] if d)
        raise FatalFetchError(
            f"ArcGIS error {error.get('code', '?')}: {error.get('message', '')}"
            + (f" ({details})" if details else ""),
            url=url,
        )


class ArcGisFeatureServer(Protocol):
    name = "arcgis"
    range_days = 364  # a year a query; the sandbox, like some servers, refuses more than 366 days
    paginator_options = {"limit_param": "resultRecordCount", "offset_param": "resultOffset"}

    def endpoint(self, feed: Feed) -> str:
        return f"{self.layer_url(feed)}/query"

    def layer_url(self, feed: Feed) -> str:
        return (
            f"{feed.portal.base_url}/arcgis/rest/services/{feed.dataset.resource}/FeatureServer/0"
        )

    def plan(self, session: requests.Session, feed: Feed, page_size: int) -> Paginator:
        """Offset paging or object-id chunks, as the portal config or else the layer says."""
        choice = feed.portal.paging or "auto"
        if choice == "auto":
            supports, limit = self.remembered(feed, "layer", lambda: self._layer(session, feed))
            choice, page_size = ("offset" if supports else "object_ids"), min(page_size, limit)
        if choice == "object_ids":
            return ObjectIdPaginator(page_size)
        return OffsetPaginator(page_size, **self.paginator_options)

    def _layer(self, session: requests.Session, feed: Feed) -> tuple[bool, int]:
        """(whether the layer pages by offset, its maxRecordCount), from its description."""
        reply = get_json(session, self.layer_url(feed), {"f": "json"})
        _raise_error(reply.payload, reply.url)
        if not isinstance(reply.payload, dict) or "fields" not in reply.payload:
            raise FatalFetchError("not an ArcGIS layer description (no fields)", url=reply.url)
        return layer_paging(reply.payload)

    def count(self, session: requests.Session, feed: Feed, day: date) -> int | None:
        reply = get_json(
            session, self.endpoint(feed), {**self.day_query(feed, day), "returnCountOnly": "true"}
        )
        _raise_error(reply.payload, reply.url)
        count = reply.payload.get("count") if isinstance(reply.payload, dict) else None
        if not isinstance(count, int) or isinstance(count, bool):
            raise FatalFetchError("asked returnCountOnly, got no count", url=reply.url)
        return count

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        names = feed.dataset.wire_map(self.name)
        return {
            "where": where_for_day(
                names.wire_name(feed.dataset.date_field), day, feed.portal.timezone
            ),
            "outFields": "*",
            "orderByFields": f"{names.wire_name(feed.dataset.key)} ASC",
            "returnGeometry": "false",
            "f": "json",
        }

    def range_query(self, feed: Feed, days: list[date]) -> dict[str, str]:
        """The day query's `where` from the first day's start to the last day's end, by day then key."""
        names = feed.dataset.wire_map(self.name)
        field = names.wire_name(feed.dataset.date_field)
        start, _ = day_bounds_utc(days[0], feed.portal.timezone)
        _, end = day_bounds_utc(days[-1], feed.portal.timezone)
        return {
            **self.day_query(feed, days[0]),
            "where": f"{field} >= timestamp '{start:{_STAMP}}' AND {field} < timestamp '{end:{_STAMP}}'",
            "orderByFields": f"{field} ASC, {names.wire_name(feed.dataset.key)} ASC",
        }

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        _raise_error(payload, url)
        if self.object_ids(payload) is not None:
            return []  # an answer to returnIdsOnly: ids, no records
        features = payload.get("features") if isinstance(payload, dict) else None
        if not isinstance(features, list):
            raise FatalFetchError("not an ArcGIS query response (no features list)", url=url)
        object_id = payload.get("objectIdFieldName")  # the server's row number, like CKAN's _id
        try:
            return [
                {k: v for k, v in feature["attributes"].items() if k != object_id}
                for feature in features
            ]
        except (TypeError, KeyError, AttributeError):
            raise FatalFetchError("ArcGIS feature without attributes", url=url) from None

    def more(self, payload: Any) -> bool | None:
        return payload.get("exceededTransferLimit") is True

    def object_ids(self, payload: Any) -> list[int] | None:
        """`objectIds` of a returnIdsOnly answer (null when nothing matched, as ArcGIS Server says)."""
        if not isinstance(payload, dict) or "objectIds" not in payload or "features" in payload:
            return None
        ids = payload["objectIds"] or []
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            return None  # not ids: records() refuses the page as no query response
        return ids

    def total(self, payload: Any) -> int | None:
        ids = self.object_ids(payload)
        return len(ids) if ids is not None else None
