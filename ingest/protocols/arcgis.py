"""ArcGIS REST FeatureServer `query`: resultOffset/resultRecordCount, exceededTransferLimit.

As in the recordings (realdata/api/arcgis): records are `features[].attributes`, dates
are epoch milliseconds (UTC), and `exceededTransferLimit: true` is the only sign that
more pages follow — its absence means none, and a true flag on an empty page (koop's
features-empty) must still stop. Servers cap a page at their maxRecordCount, so a short
page with the flag set is not the end. Errors come with HTTP 200 and an `error` object.
The layer's object id (`objectIdFieldName`) is the server's row number and is dropped.
A data day is asked for with standardized-SQL timestamp literals in UTC, which ArcGIS
Online and Server 10.x+ accept: `d >= timestamp 'a' AND d < timestamp 'b'`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ingest.catalogue import Feed
from ingest.errors import FatalFetchError
from ingest.protocols.base import Protocol
from ingest.protocols.wire import day_bounds_utc

__all__ = ["ArcGisFeatureServer", "where_for_day"]

_STAMP = "%Y-%m-%d %H:%M:%S"


def where_for_day(field: str, day: date, zone: str) -> str:
    """The `where` clause selecting one data day of the portal's zone."""
    start, end = day_bounds_utc(day, zone)
    return f"{field} >= timestamp '{start:{_STAMP}}' AND {field} < timestamp '{end:{_STAMP}}'"


class ArcGisFeatureServer(Protocol):
    name = "arcgis"
    paginator_options = {"limit_param": "resultRecordCount", "offset_param": "resultOffset"}

    def endpoint(self, feed: Feed) -> str:
        return f"{feed.portal.base_url}/arcgis/rest/services/{feed.dataset.resource}/FeatureServer/0/query"

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        names = feed.dataset.wire_map(self.name)
        return {
            "where": where_for_day(names.wire_name(feed.dataset.date_field), day, feed.portal.timezone),
            "outFields": "*",
            "orderByFields": f"{names.wire_name(feed.dataset.key)} ASC",
            "returnGeometry": "false",
            "f": "json",
        }

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            error = payload["error"]
            details = "; ".join(str(d) for d in error.get("details") or [] if d)
            raise FatalFetchError(f"ArcGIS error {error.get('code', '?')}: {error.get('message', '')}"
                                  + (f" ({details})" if details else ""), url=url)
        features = payload.get("features") if isinstance(payload, dict) else None
        if not isinstance(features, list):
            raise FatalFetchError("not an ArcGIS query response (no features list)", url=url)
        object_id = payload.get("objectIdFieldName")   # the server's row number, like CKAN's _id
        try:
            return [{k: v for k, v in feature["attributes"].items() if k != object_id} for feature in features]
        except (TypeError, KeyError):
            raise FatalFetchError("ArcGIS feature without attributes", url=url) from None

    def more(self, payload: Any) -> bool | None:
        return payload.get("exceededTransferLimit") is True
