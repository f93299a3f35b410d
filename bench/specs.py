"""What the peers fetch: the same endpoints, day query and page size as our ingest.

For every feed of a JSON protocol (CKAN, Socrata, ArcGIS with offset paging, Open311),
the endpoint, the query that selects a data day, the paging parameters and where the
records sit, as plain JSON, so that dlt and the bare loop (bench/peers.py, run in
bench/.venv without the project's packages) ask the sandbox exactly what we ask it.
Bulk CSV and ArcGIS layers without offset paging are left out: dlt's REST API source has
no paginator for them; our side is measured on the same feeds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ingest.catalogue import Catalogue, Feed
from ingest.protocols import protocol_for
from ingest.protocols.arcgis import layer_paging

__all__ = ["feed_specs"]

_SELECTORS = {
    "ckan": "result.records",
    "socrata": "$",
    "arcgis": "features[*].attributes",
    "open311": "$",
}


def feed_specs(
    catalogue: Catalogue, days: list[date], datasets: list[str] | None = None
) -> list[dict[str, Any]]:
    """One spec per feed-day that every side can fetch; asks ArcGIS layers whether they page."""
    import requests

    session = requests.Session()
    specs = []
    for feed in catalogue.feeds(datasets):
        protocol = protocol_for(feed.portal.protocol)
        if protocol.name not in _SELECTORS:
            continue
        page_size = catalogue.settings.page_size[protocol.name]
        paging = _paging(protocol, feed, page_size, session)
        if paging is None:
            continue
        for day in days:
            specs.append(
                {
                    "feed_id": feed.id,
                    "dataset": feed.dataset.id,
                    "borough_code": feed.area.code,
                    "day": day.isoformat(),
                    "protocol": protocol.name,
                    "url": protocol.endpoint(feed),
                    "params": protocol.day_query(feed, day),
                    "paging": paging,
                    "data_selector": _SELECTORS[protocol.name],
                }
            )
    return specs


def _paging(protocol, feed: Feed, page_size: int, session) -> dict[str, Any] | None:
    """The paging parameters as our paginator sends them; None if only object-id chunks work."""
    if protocol.name == "open311":
        return {
            "kind": "page_number",
            "page_param": "page",
            "size_param": "page_size",
            "first_page": 1,
            "limit": page_size,
        }
    options = dict(protocol.paginator_options) or {"limit_param": "limit", "offset_param": "offset"}
    paging = {
        "kind": "offset",
        "limit": page_size,
        **options,
        "total_path": "result.total" if protocol.name == "ckan" else None,
    }
    if protocol.name == "arcgis":
        choice = feed.portal.paging or "auto"
        if choice == "auto":
            layer = session.get(protocol.layer_url(feed), params={"f": "json"}, timeout=30).json()
            supports, limit = layer_paging(layer)
            choice, paging["limit"] = (
                ("offset" if supports else "object_ids"),
                min(page_size, limit),
            )
        if choice != "offset":
            return None
    return paging
