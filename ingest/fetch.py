"""Fetch one feed for one data day and land it: the body of every ingest task."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import requests

from ingest.catalogue import Catalogue, Feed
from ingest.errors import FetchError
from ingest.http import build_session
from ingest.landing import LandedBatch, land_pages
from ingest.protocols import protocol_for

__all__ = ["fetch_feed"]

log = logging.getLogger(__name__)


def fetch_feed(
    catalogue: Catalogue,
    feed: Feed,
    day: date,
    landing_root: Path,
    session: requests.Session | None = None,
) -> LandedBatch:
    """Page through the feed to the end and land every page; errors name the feed."""
    protocol = protocol_for(feed.area.portal.protocol)
    session = session or build_session(catalogue.settings.http)
    pages = protocol.pages(
        session,
        feed,
        day,
        page_size=catalogue.settings.page_size[protocol.name],
        max_pages=int(catalogue.settings.http["max_pages"]),
    )
    try:
        batch = land_pages(landing_root, feed, day, protocol.name, pages)
    except FetchError as exc:
        raise exc.located(dataset=feed.dataset.id, borough=feed.area.name) from None
    log.info("landed %s for %s: %d rows in %s", feed.label, day, batch.row_count, batch.path)
    return batch
