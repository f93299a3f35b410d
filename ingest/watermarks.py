"""A watermark per incremental feed: which loaded days changed, instead of blind re-fetching.

The warehouse keeps one partition per (dataset, borough, data day), replaced whole, so
loads stay idempotent; the watermark only decides WHICH days to fetch again. It is the
newest change stamp (Socrata `:updated_at`) the warehouse has caught up with, kept in
`raw.feed_watermarks`. Each night, for a feed whose protocol can list changes
(`incremental` in config/pipeline.yml):

  plan    reads every feed's mark and the span of days it has loaded (one query);
  ingest  asks which records changed after the mark (changes.py) and fetches the loaded
          days they belong to, however old, plus the data day and catch-up days; no blind
          re-fetch of `run.refetch_days`. With no mark yet (first night) it fetches as a
          full-snapshot feed does and asks what changed since the first fetched day began;
  load    moves the mark to the newest stamp seen, but only when every day fetched for
          the feed that night loaded or was unchanged; otherwise it stays, and the next
          night asks again from the same mark.
A backfill night (an earlier data day) fetches changed days up to its data day only; when
loaded days after it changed too, it leaves the mark for a later night to move.
Records deleted at the portal do not show as changes; a day fetched for another reason
(data day, catch-up) does drop them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import requests

from ingest.catalogue import Catalogue, Feed
from ingest.changes import changed_field, list_changes
from ingest.errors import FetchError, IngestError
from ingest.outcomes import SETTLED
from ingest.protocols.wire import day_bounds_utc

__all__ = [
    "TABLE",
    "ensure_watermark_table",
    "read_watermarks",
    "days_to_fetch",
    "with_candidate",
    "advance_watermarks",
]

log = logging.getLogger(__name__)

TABLE = "raw.feed_watermarks"


def ensure_watermark_table(con) -> None:
    """`raw.feed_watermarks`: one row per incremental feed; stamps are UTC."""
    con.execute("create schema if not exists raw")
    con.execute(f"""
        create table if not exists {TABLE} (
            dataset varchar, borough_code varchar, changed_field varchar, watermark timestamp,
            updated_by_run varchar, updated_at timestamp, primary key (dataset, borough_code))""")


def read_watermarks(catalogue: Catalogue, con, tables: set[str]) -> dict[str, dict[str, Any]]:
    """Per incremental feed id: its mark (None before the first load) and its loaded days' span.

    `con` is the plan step's read-only warehouse connection, `tables` its `schema.table` names.
    """
    incremental = {feed.id for feed in catalogue.feeds() if changed_field(catalogue, feed)}
    if not incremental or "raw.feed_partitions" not in tables:
        return {}
    marks = "w.changed_field, w.watermark" if TABLE in tables else "null, null"
    joined = (
        f"left join {TABLE} as w on w.dataset = p.dataset and w.borough_code = p.borough_code"
        if TABLE in tables
        else ""
    )
    rows = con.execute(f"""
        select p.dataset || '/' || p.borough_code, {marks},
               min(p.data_day)::varchar, max(p.data_day)::varchar
        from raw.feed_partitions as p {joined}
        group by all""").fetchall()
    return {
        feed_id: {"changed_field": field, "since": _iso(mark), "first_day": first, "last_day": last}
        for feed_id, field, mark, first, last in rows
        if feed_id in incremental
    }


def days_to_fetch(
    catalogue: Catalogue,
    feed: Feed,
    days: list[str],
    loaded: dict[str, str] | None,
    mark: dict[str, Any] | None,
    session: requests.Session,
) -> tuple[list[str], dict | None]:
    """The days an ingest task fetches, and the watermark it would move to once they load.

    `days` is the plan's: the data day first, then catch-up and re-fetch days (`loaded`'s
    keys). A full-snapshot feed keeps them all. An incremental feed with a mark drops the
    blind re-fetch and adds the loaded days changed since the mark; without one it keeps
    them and starts its mark. A failed changes query keeps `days` and no candidate.
    """
    field = changed_field(catalogue, feed)
    if field is None:
        return days, None
    data_day, loaded = days[0], loaded or {}
    span = mark or {}
    stored = _moment(span.get("since")) if span.get("changed_field") == field else None
    since = stored or day_bounds_utc(date.fromisoformat(min(days)), feed.portal.timezone)[0]
    try:
        changes = list_changes(catalogue, feed, since, session)
    except FetchError as exc:
        log.error(
            "%s: could not ask what changed since %s, re-fetching recent days instead: %s",
            feed.label,
            since.isoformat(),
            exc,
        )
        return days, None
    # Only days the warehouse holds are kept current; a day never loaded is a data day's job.
    first, last = span.get("first_day") or data_day, span.get("last_day") or data_day
    changed = {day for day in changes.days if first <= day <= data_day}
    later = sorted(day for day in changes.days if data_day < day <= last)
    kept = [day for day in days[1:] if stored is None or day not in loaded]
    chosen = [data_day, *sorted((set(kept) | changed) - {data_day})]
    log.info(
        "%s: %d records changed since %s on %d days (%d loaded, to fetch again): %s",
        feed.label,
        changes.records,
        since.isoformat(),
        len(changes.days),
        len(changed - {data_day}),
        ", ".join(sorted(changed)) or "none",
    )
    if (
        later
    ):  # a backfill night: loaded days after its data day changed too; a later night fetches them
        log.info(
            "%s: loaded days after %s changed too (%s): the watermark waits for a later night",
            feed.label,
            data_day,
            ", ".join(later),
        )
        return chosen, None
    return chosen, {
        "changed_field": field,
        "candidate": changes.newest.isoformat(timespec="milliseconds"),
    }


def with_candidate(outcomes: list[dict[str, Any]], candidate: dict | None) -> list[dict[str, Any]]:
    """Every outcome of the feed carries the mark the load may move it to."""
    return [o | {"watermark": candidate} for o in outcomes] if candidate else outcomes


def advance_watermarks(con, outcomes: Iterable[dict[str, Any]], run_id: str | None) -> int:
    """Move each feed's mark to its candidate if every day fetched for it settled; returns how
    many. One upsert for all feeds (one a feed cost ~2 ms each, every night)."""
    feeds: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        feeds.setdefault(outcome["feed_id"], []).append(outcome)
    ensure_watermark_table(con)
    moving = [row for group in feeds.values() if (row := _move(group)) is not None]
    if moving:
        columns = [list(c) for c in zip(*moving, strict=True)]
        con.execute(
            f"""
            insert into {TABLE}
            select unnest($1::varchar[]), unnest($2::varchar[]), unnest($3::varchar[]),
                   unnest($4::timestamp[]), $5, $6
            on conflict (dataset, borough_code) do update set
                watermark = case when changed_field = excluded.changed_field
                                 then greatest(watermark, excluded.watermark) else excluded.watermark end,
                changed_field = excluded.changed_field,
                updated_by_run = excluded.updated_by_run, updated_at = excluded.updated_at""",
            [*columns, run_id, datetime.now(UTC).replace(tzinfo=None)],
        )
    return len(moving)


def _move(group: list[dict[str, Any]]) -> tuple | None:
    """A feed's (dataset, borough, field, new mark) if its outcomes move its mark, else None."""
    candidate = next((o["watermark"] for o in group if o.get("watermark")), None)
    if candidate is None:
        return None
    unsettled = [f"{o['data_day']} {o['status']}" for o in group if o["status"] not in SETTLED]
    if unsettled:
        log.warning(
            "%s from %s: watermark not moved, the next night asks again (%s)",
            group[0]["dataset"],
            group[0].get("borough_name", group[0]["borough_code"]),
            "; ".join(unsettled),
        )
        return None
    stamp = _moment(candidate["candidate"])
    if stamp is None:
        raise IngestError(
            f"{group[0]['feed_id']}: candidate watermark {candidate['candidate']!r} is not a timestamp"
        )
    return (
        group[0]["dataset"],
        group[0]["borough_code"],
        candidate["changed_field"],
        stamp.astimezone(UTC).replace(tzinfo=None),
    )


def _moment(text: str | None) -> datetime | None:
    """An ISO timestamp as an aware UTC datetime (a naive one is UTC, as stored)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat(timespec="milliseconds")
