"""The ingest steps of a night: fetch and land each planned feed-day, one outcome each.

Whatever goes wrong with one feed-day (a borough's bytes, our own crash) becomes that
feed-day's outcome, never the task's failure, so the other feeds, validation, load and
publish go on. Called through pipeline.steps, which the DAG's tasks call; heavy libraries
load inside the functions (the DAG file imports this at parse time).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from ingest.catalogue import Catalogue, load_catalogue
from ingest.errors import FetchError, NotPublished
from ingest.outcomes import Outcome, Status
from ingest.paths import DataPaths, data_paths

__all__ = [
    "ingest_feed",
    "ingest_feeds",
    "ingest_days",
    "ingest_region_feed",
    "settle_batch",
    "one_line",
    "unexpected_error",
]

log = logging.getLogger(__name__)


def ingest_feeds(
    plans: list[dict[str, Any]], paths: DataPaths | None = None
) -> list[dict[str, Any]]:
    """`ingest_feed` for each of a host's feed plans in turn (one Airflow task for several feeds,
    pipeline/pools.py `task_chunks`), one HTTP session for them all; every feed's outcomes are
    kept. A feed that fails outside its days' own handling is `fetch_failed` for each of its
    days: the other feeds of the task go on, as they would in tasks of their own."""
    from ingest.http import build_session

    catalogue = load_catalogue()
    session = build_session(catalogue.settings.http)
    outcomes: list[dict[str, Any]] = []
    for plan in plans:
        try:
            outcomes += ingest_feed(
                plan["feed_id"],
                plan["days"],
                plan.get("loaded"),
                paths,
                watermark=plan.get("watermark"),
                session=session,
                periods_loaded=plan.get("periods_loaded"),
                catalogue=catalogue,
            )
        except Exception as exc:  # one feed's crash must not take the others' outcomes with it
            log.exception("%s: unexpected error", plan["label"])
            feed = catalogue.feed(plan["feed_id"])
            outcomes += [
                Outcome.for_feed(
                    feed, day, Status.FETCH_FAILED, error=unexpected_error(exc)
                ).to_dict()
                for day in plan["days"]
            ]
    return outcomes


def ingest_feed(
    feed_id: str,
    days: list[str],
    loaded: dict[str, str] | None = None,
    paths: DataPaths | None = None,
    watermark: dict[str, Any] | None = None,
    session=None,
    periods_loaded: list[str] | None = None,
    catalogue: Catalogue | None = None,
) -> list[dict[str, Any]]:
    """Fetch and land one feed for each day; whatever goes wrong with a day is its `fetch_failed` outcome.

    A day whose loaded batch (`loaded`: day -> batch id) holds exactly the same records
    as the new fetch is `unchanged`: nothing to validate or load. An incremental feed
    fetches the days changed since its `watermark` instead of re-fetching blindly. A
    region-wide file given the periods the warehouse holds (`periods_loaded`, from the
    plan) also lands its own latest periods beyond them (ingest/region_feed.py).
    """
    from ingest.http import build_session
    from ingest.watermarks import with_candidate

    catalogue = catalogue or load_catalogue()
    paths = paths or data_paths()
    feed = catalogue.feed(feed_id)
    session = session or build_session(catalogue.settings.http)
    if feed.region_wide:
        held = None if periods_loaded is None else set(periods_loaded)
        return ingest_region_feed(catalogue, feed, days, paths, session, held)
    days, candidate = _days_to_fetch(catalogue, feed, days, loaded, watermark, session)
    outcomes = ingest_days(catalogue, feed, days, loaded, paths, session)
    return with_candidate([o.to_dict() for o in outcomes], candidate)


def ingest_days(
    catalogue: Catalogue, feed, days: list[str], loaded: dict[str, str] | None, paths, session
) -> list[Outcome]:
    """One day query per day (a backfill's fallback too); whatever goes wrong is that day's outcome.
    The days share one protocol instance: what the portal says about the feed is asked once."""
    from ingest.protocols import protocol_for

    outcomes, protocol = [], protocol_for(feed.portal.protocol)
    for day in days:
        try:
            outcomes.append(
                _ingest_day(catalogue, feed, day, (loaded or {}).get(day), paths, session, protocol)
            )
        except NotPublished as exc:  # the source does not cover the day: missing, never a zero
            log.warning("%s", exc)
            outcomes.append(
                Outcome.for_feed(feed, day, Status.NOT_PUBLISHED, error=one_line(exc.reason))
            )
        except FetchError as exc:
            log.error("%s", exc)
            outcomes.append(
                Outcome.for_feed(feed, day, Status.FETCH_FAILED, error=one_line(str(exc)))
            )
        except (
            Exception
        ) as exc:  # a borough's bytes must not stop the night: this day failed, the rest go on
            log.exception("%s for %s: unexpected error", feed.label, day)
            outcomes.append(
                Outcome.for_feed(feed, day, Status.FETCH_FAILED, error=unexpected_error(exc))
            )
    return outcomes


def ingest_region_feed(
    catalogue: Catalogue,
    feed,
    days: list[str],
    paths: DataPaths,
    session,
    periods_loaded: set[str] | None = None,
) -> list[dict[str, Any]]:
    """One download for the whole region, split into every area's partitions (ingest/region_feed.py);
    if it cannot be fetched or read, each planned day is the region feed's `fetch_failed` outcome."""
    from ingest.region_feed import fetch_region_feed

    try:
        return [
            o.to_dict()
            for o in fetch_region_feed(
                catalogue, feed, days, paths.landing, session, periods_loaded
            )
        ]
    except FetchError as exc:
        log.error("%s", exc)
        error = one_line(str(exc))
    except Exception as exc:  # the file's bytes must not stop the night
        log.exception("%s: unexpected error", feed.label)
        error = unexpected_error(exc)
    return [Outcome.for_feed(feed, day, Status.FETCH_FAILED, error=error).to_dict() for day in days]


def _days_to_fetch(
    catalogue: Catalogue,
    feed,
    days: list[str],
    loaded: dict[str, str] | None,
    watermark: dict[str, Any] | None,
    session,
) -> tuple[list[str], dict | None]:
    """The watermark's choice of days; the plan's days (no candidate mark) if asking failed unexpectedly."""
    from ingest.watermarks import days_to_fetch

    try:
        return days_to_fetch(catalogue, feed, days, loaded, watermark, session)
    except Exception:
        log.exception(
            "%s: could not ask what changed, fetching the planned days instead", feed.label
        )
        return days, None


def _ingest_day(
    catalogue: Catalogue,
    feed,
    day: str,
    current: str | None,
    paths: DataPaths,
    session,
    protocol=None,
) -> Outcome:
    """Fetch and land one feed-day: landed, unchanged or not published (raises if it cannot)."""
    from ingest.fetch import fetch_feed

    batch = fetch_feed(catalogue, feed, date.fromisoformat(day), paths.landing, session, protocol)
    return settle_batch(feed, day, batch, current, paths)


def settle_batch(feed, day: str, batch, current: str | None, paths: DataPaths) -> Outcome:
    """A landed batch's outcome: not published (an empty period), unchanged (the same records
    as the loaded batch `current`) or landed."""
    from ingest.landing import batch_dir, same_records

    if feed.dataset.periodic and batch.row_count == 0:
        # an empty period is one the borough has not published yet, never "zero"
        return Outcome.for_feed(
            feed,
            day,
            Status.NOT_PUBLISHED,
            batch=batch,
            error=f"period starting {day} not published yet",
        )
    if current and same_records(
        batch_dir(paths.landing, feed.dataset.id, feed.area.code, day) / current, batch
    ):
        return Outcome.for_feed(feed, day, Status.UNCHANGED, batch=batch)
    return Outcome.for_feed(feed, day, Status.LANDED, batch=batch)


def unexpected_error(exc: Exception) -> str:
    """A crash of ours, on one line, said to be one (not the borough's fault)."""
    return one_line(f"unexpected error: {type(exc).__name__}: {exc}")


def one_line(text: str) -> str:
    """A reason fit for one line of the report: whitespace runs (newlines too) become one space."""
    return " ".join(text.split())
