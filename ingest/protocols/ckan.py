"""CKAN Action API `datastore_search`: offset/limit, `result.total`, a data day by `filters`.

`_links.next` is present even on the last page, so it is never used to stop; `total`
can drift between pages, so a short page also stops. Errors come as `success: false`.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ingest.catalogue import Feed
from ingest.errors import FatalFetchError
from ingest.protocols.base import Protocol

__all__ = ["CkanDatastore"]


class CkanDatastore(Protocol):
    name = "ckan"

    def endpoint(self, feed: Feed) -> str:
        return f"{feed.portal.base_url}/api/3/action/datastore_search"

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        value = day.strftime(feed.portal.date_format)
        return {
            "resource_id": feed.dataset.resource,
            "filters": json.dumps({feed.dataset.date_field: value}, separators=(",", ":")),
        }

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        if not isinstance(payload, dict) or "success" not in payload:
            raise FatalFetchError("not a CKAN Action API response (no 'success' key)", url=url)
        if not payload["success"]:
            error = payload.get("error") or {}
            raise FatalFetchError(
                f"CKAN error {error.get('__type', '?')}: {error.get('message', error)}", url=url
            )
        records = (payload.get("result") or {}).get("records")
        if not isinstance(records, list):
            raise FatalFetchError("CKAN result has no records list", url=url)
        return [{k: v for k, v in record.items() if k != "_id"} for record in records]

    def total(self, payload: Any) -> int | None:
        total = (payload.get("result") or {}).get("total")
        return int(total) if total is not None else None
