"""When each sandbox record was published: the `:updated_at` a Socrata portal reports.

Deterministic, so a "what changed since" question has one answer: a borough uploads a
data day once, when the day ends (midnight in its time zone), so the day's records share
that stamp, as a nightly DataSync upload does. A `late` fault withholds the last records
of each day (in key order); when the fault ends (removed, cleared, or its `times` used
up) they appear, stamped with that moment. Only days up to the publication day
(yesterday in the region, or the sandbox's as_of) have been uploaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from ingest.catalogue import Dataset
from ingest.protocols.wire import day_bounds_utc

__all__ = ["Release", "late_keys", "uploaded_at", "stamps", "stamp_text", "now"]

Release = tuple[int, dt.datetime]  # a late fault's `rows`, and when its records appeared


def late_keys(records: Iterable[dict], dataset: Dataset, rows: int) -> set[tuple]:
    """(day, key) of the last `rows` records of each data day, in key order: the late ones."""
    by_day: dict = {}
    for record in records:
        by_day.setdefault(record.get(dataset.date_field), []).append(record[dataset.key])
    return (
        {(day, key) for day, keys in by_day.items() for key in sorted(keys)[-rows:]}
        if rows
        else set()
    )


def uploaded_at(day: dt.date, zone: str) -> dt.datetime:
    """When a data day's records were uploaded: the day's end in the borough's zone, in UTC."""
    return day_bounds_utc(day, zone)[1]


def stamps(
    records: list[dict],
    dataset: Dataset,
    zone: str,
    releases: Iterable[Release],
    truth: Callable[[dt.date], list[dict]],
) -> list[dt.datetime]:
    """`:updated_at` of each record: its day's upload, or the end of the late fault that held it."""
    late: list[tuple[set[tuple], dt.datetime]] = []
    days = {
        r.get(dataset.date_field) for r in records if isinstance(r.get(dataset.date_field), dt.date)
    }
    for rows, moment in releases:
        late.append(({k for day in days for k in late_keys(truth(day), dataset, rows)}, moment))
    result = []
    for record in records:
        day = record.get(dataset.date_field)
        stamp = (
            uploaded_at(day, zone)
            if isinstance(day, dt.date)
            else dt.datetime.min.replace(tzinfo=dt.UTC)
        )
        identity = (day, record[dataset.key])
        result.append(max([stamp, *(moment for keys, moment in late if identity in keys)]))
    return result


def now() -> dt.datetime:
    """This moment at the precision SODA reports (milliseconds), so `> reported` excludes it."""
    moment = dt.datetime.now(dt.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def stamp_text(moment: dt.datetime) -> str:
    """A SODA fixed timestamp: UTC, milliseconds, `Z`."""
    moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
