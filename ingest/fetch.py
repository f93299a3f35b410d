"""Fetch one feed for one data day and land it: the body of every ingest task."""

from __future__ import annotations

import itertools
import logging
from datetime import date
from pathlib import Path

import requests

from ingest.catalogue import Catalogue, Feed
from ingest.downloads import DownloadCache
from ingest.errors import FetchError
from ingest.http import build_session
from ingest.landing import LandedBatch, land_pages, latest_batch, page_digests
from ingest.protocols import Protocol, protocol_for

__all__ = ["fetch_feed", "non_borough_rows"]

log = logging.getLogger(__name__)


def fetch_feed(
    catalogue: Catalogue,
    feed: Feed,
    day: date,
    landing_root: Path,
    session: requests.Session | None = None,
    protocol: Protocol | None = None,
) -> LandedBatch:
    """Page through the feed to the end and land every page; errors name the feed.

    A file the server says is unchanged (304) whose day was already landed from that
    same file keeps its landed batch: nothing new is written, the load sees the batch
    it already loaded. What the portal says about the dataset (CKAN package_show) is
    asked once the pages are in, so a feed that fails costs no extra request; a caller
    fetching several days of a feed passes one `protocol` for them all, so that it is asked
    once for those days, as is an ArcGIS layer's description.
    """
    protocol = protocol or protocol_for(feed.portal.protocol)
    session = session or build_session(catalogue.settings.http)
    pages = protocol.pages(
        session,
        feed,
        day,
        page_size=catalogue.settings.page_size[protocol.name],
        max_pages=int(catalogue.settings.http["max_pages"]),
        cache=DownloadCache(landing_root, feed, protocol.page_suffix),
    )
    try:
        first = next(pages, None)
        if first is not None and first.not_modified:
            previous = latest_batch(landing_root, feed.dataset.id, feed.area.code, day.isoformat())
            if previous is not None and page_digests(previous) == [first.sha256]:
                log.info(
                    "%s for %s: file unchanged, keeping batch %s",
                    feed.label,
                    day,
                    previous.batch_id,
                )
                return previous
        chained = pages if first is None else itertools.chain([first], pages)
        batch = land_pages(
            landing_root,
            feed,
            day,
            protocol.name,
            chained,
            source_metadata=lambda: protocol.source_metadata(session, feed),
            set_aside=non_borough_rows(feed),
        )
    except FetchError as exc:
        raise exc.located(dataset=feed.dataset.id, borough=feed.area.name) from None
    log.info("landed %s for %s: %d rows in %s", feed.label, day, batch.row_count, batch.path)
    return batch


def non_borough_rows(feed: Feed):
    """A test for the rows of a borough feed that are no borough's (the dataset's
    `non_borough_rows`, e.g. London or Total, any case and spacing); None when it declares none."""
    names = {" ".join(n.lower().split()) for n in feed.dataset.non_borough_rows}
    if not names:
        return None
    return lambda record: " ".join(str(record.get("borough") or "").lower().split()) in names
