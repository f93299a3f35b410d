"""CKAN Action API `datastore_search`: offset/limit, `result.total`, a data day by `filters`.

`_links.next` is present even on the last page, so it is never used to stop; `total`
can drift between pages, so a short page also stops. Errors come as `success: false`.

After the pages, one `package_show` says what the borough says about the dataset
(title, licence, metadata_modified, the resource's last_modified) for the manifest; it
is asked once per fetch and never fails the feed: a failure is recorded instead.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

import requests

from ingest.catalogue import Feed
from ingest.errors import FatalFetchError, FetchError
from ingest.http import get_json
from ingest.protocols.base import Protocol

__all__ = ["CkanDatastore", "package_metadata"]

log = logging.getLogger(__name__)


def package_metadata(payload: Any, resource_id: str, url: str) -> dict[str, Any]:
    """Title, licence and modification times from a package_show answer; FatalFetchError if it is none."""
    result = _result(payload, url)
    if not isinstance(result, dict) or "resources" not in result:
        raise FatalFetchError("CKAN package_show result has no resources", url=url)
    resources = result.get("resources") or []
    resource = next(
        (
            r
            for r in resources
            if isinstance(r, dict) and resource_id in (r.get("id"), r.get("name"))
        ),
        resources[0] if len(resources) == 1 else {},
    )
    return {
        "url": url,
        "package": result.get("name"),
        "title": result.get("title"),
        "licence": result.get("license_title") or result.get("license_id"),
        "licence_id": result.get("license_id"),
        "licence_url": result.get("license_url"),
        "metadata_modified": result.get("metadata_modified"),
        "resource_id": resource.get("id"),
        "resource_last_modified": resource.get("last_modified"),
    }


def _result(payload: Any, url: str) -> Any:
    """The `result` of a CKAN Action API answer; an error answer is a FatalFetchError."""
    if not isinstance(payload, dict) or "success" not in payload:
        raise FatalFetchError("not a CKAN Action API response (no 'success' key)", url=url)
    if not payload["success"]:
        error = payload.get("error") or {}
        raise FatalFetchError(
            f"CKAN error {error.get('__type', '?')}: {error.get('message', error)}", url=url
        )
    return payload.get("result")


class CkanDatastore(Protocol):
    name = "ckan"
    range_days = 92  # a filter value per day: a quarter keeps the URL under ~4 KB

    def endpoint(self, feed: Feed) -> str:
        return f"{feed.portal.base_url}/api/3/action/datastore_search"

    def day_query(self, feed: Feed, day: date) -> dict[str, str]:
        value = day.strftime(feed.portal.date_format)
        return {
            "resource_id": feed.dataset.resource,
            "filters": json.dumps({feed.dataset.date_field: value}, separators=(",", ":")),
        }

    def range_query(self, feed: Feed, days: list[date]) -> dict[str, str]:
        """`filters` with a list of days: datastore_search matches any value of a list (SQL IN).
        The text dates do not sort as dates, so the natural (_id) order a day query gets is kept."""
        values = [day.strftime(feed.portal.date_format) for day in days]
        return {
            "resource_id": feed.dataset.resource,
            "filters": json.dumps({feed.dataset.date_field: values}, separators=(",", ":")),
        }

    def records(self, payload: Any, url: str) -> list[dict[str, Any]]:
        result = _result(payload, url)
        records = result.get("records") if isinstance(result, dict) else None
        if not isinstance(records, list):
            raise FatalFetchError("CKAN result has no records list", url=url)
        if not all(isinstance(r, dict) for r in records):
            raise FatalFetchError("CKAN records are not all JSON objects", url=url)
        return [{k: v for k, v in record.items() if k != "_id"} for record in records]

    def total(self, payload: Any) -> int | None:
        result = payload.get("result") if isinstance(payload, dict) else None
        total = result.get("total") if isinstance(result, dict) else None
        try:
            return int(total) if total is not None else None
        except (TypeError, ValueError):
            return None  # a total that is no number is no promise: paging stops on rows alone

    def source_metadata(self, session: requests.Session, feed: Feed) -> dict[str, Any] | None:
        """package_show, asked once for a feed's days in one run; a failure is asked again."""
        url = f"{feed.portal.base_url}/api/3/action/package_show"
        try:
            return self.remembered(feed, "package", lambda: self._package(session, feed, url))
        except FetchError as exc:
            log.warning(
                "%s: package_show failed, landing without source metadata: %s",
                feed.label,
                exc.reason,
            )
            return {"url": exc.url or url, "error": exc.reason}

    def _package(self, session: requests.Session, feed: Feed, url: str) -> dict[str, Any]:
        reply = get_json(session, url, {"id": feed.portal.package or feed.dataset.resource})
        return package_metadata(reply.payload, feed.dataset.resource, reply.url)
