"""Which data days of a feed changed since a moment: the connector side of watermarks.

A protocol that can list changed records (Socrata's `:updated_at`; which ones, and
through which field, is `incremental` in config/pipeline.yml) is asked for the records
changed after the feed's watermark, with only three columns: the change stamp, the date
field and the key. What comes back is the set of data days touched and the newest stamp
seen, which becomes the next watermark once those days are loaded. Pages are not landed:
this is a question about the feed, not data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import requests

from ingest.catalogue import Catalogue, Feed
from ingest.errors import CatalogueError, FatalFetchError, FetchError
from ingest.portals import SPECIAL_DATE_FORMATS
from ingest.protocols import protocol_for

__all__ = ["Changes", "changed_field", "list_changes", "record_day"]


@dataclass(frozen=True)
class Changes:
    """What changed in one feed after `since`: the days touched and the newest stamp seen."""

    since: datetime
    days: frozenset[str]  # YYYY-MM-DD
    newest: datetime  # `since` when nothing changed
    records: int


def changed_field(catalogue: Catalogue, feed: Feed) -> str | None:
    """The field a feed's changes are listed by, or None: the feed is a full snapshot.

    Monthly and quarterly feeds fetch the periods they owe instead (pipeline.plan.plan_feeds).
    """
    if feed.dataset.periodic:
        return None
    protocol = feed.portal.protocol
    field = catalogue.settings.incremental.get(protocol)
    if field is not None and not protocol_for(protocol).lists_changes:
        raise CatalogueError(
            f"{catalogue.config_dir / 'pipeline.yml'}: incremental.{protocol}: the {protocol} "
            f"connector cannot list changed records; remove it (its feeds are full snapshots)"
        )
    return field


def list_changes(
    catalogue: Catalogue, feed: Feed, since: datetime, session: requests.Session
) -> Changes:
    """Page through the records changed after `since`; errors name the feed and what was wrong."""
    field = changed_field(catalogue, feed)
    if field is None:
        raise CatalogueError(
            f"{feed.label}: {feed.portal.protocol} feeds are full snapshots, not incremental"
        )
    protocol = protocol_for(feed.portal.protocol)
    pages = protocol.pages(
        session,
        feed,
        None,
        page_size=catalogue.settings.page_size[protocol.name],
        max_pages=int(catalogue.settings.http["max_pages"]),
        query=protocol.changes_query(feed, field, since),
    )
    days, newest, count = set(), since, 0
    day_of: dict[str, str | None] = {}  # a few dates among many records: each read once
    try:
        for page in pages:
            for row in page.records:
                stamp = protocol.changed_at(row.get(field))
                value = row.get(feed.dataset.date_field)
                if isinstance(value, str):
                    day = day_of[value] if value in day_of else record_day(value, feed)
                    day_of[value] = day
                else:
                    day = record_day(value, feed)
                if stamp is None or day is None:
                    raise FatalFetchError(
                        f"changed record {row.get(feed.dataset.key)!r} has an unreadable {field} "
                        f"({row.get(field)!r}) or {feed.dataset.date_field} ({row.get(feed.dataset.date_field)!r})",
                        url=page.url,
                    )
                days.add(day)
                newest = max(newest, stamp)
                count += 1
    except FetchError as exc:
        raise exc.located(dataset=feed.dataset.id, borough=feed.area.name) from None
    return Changes(since, frozenset(days), newest, count)


def record_day(value: Any, feed: Feed) -> str | None:
    """The data day of a record's date field (as the portal writes it, or as wire.to_canonical made it)."""
    if not isinstance(value, str):
        return None
    try:
        if (
            feed.portal.date_format in SPECIAL_DATE_FORMATS
        ):  # already the data day (wire.to_canonical)
            return date.fromisoformat(value).isoformat()
        return datetime.strptime(value, feed.portal.date_format).date().isoformat()
    except ValueError:
        return None
