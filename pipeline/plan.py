"""The night's plan: which data day, which feeds owe which days, which datasets to validate.

Reads the warehouse read-only (what loaded, what was attempted, each incremental feed's
watermark) so a borough that was offline or late is asked again until its data loads.
What a daily feed owes is worked out from what is loaded, not from recorded failures:
a night that died before `load` recorded nothing, and its day must still be fetched.
Imported by the DAG file at parse time: heavy libraries load inside the functions.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ingest.catalogue import Catalogue, load_catalogue
from ingest.errors import IngestError
from ingest.outcomes import Status
from ingest.paths import DataPaths, data_paths

__all__ = ["nightly_schedule", "resolve_data_day", "plan_feeds", "plan_datasets", "read_warehouse"]

CAUGHT_UP = (Status.FETCH_FAILED, Status.QUARANTINED)  # statuses a later night asks again for
NOT_COVERED = Status.NOT_PUBLISHED
"""A daily feed-day last recorded as this, before the feed's first loaded day, is one its source
does not cover (a bulk file that starts later): it is not asked again."""


def nightly_schedule():
    """The nightly schedule from config/pipeline.yml (read at DAG-parse time: YAML only)."""
    return load_catalogue().settings


def resolve_data_day(
    logical_date: datetime | None, requested: str | None, catalogue: Catalogue | None = None
) -> str:
    """The data day: as requested, else the London day before the run's logical date.

    Manual runs in Airflow 3 have equal interval start and end, so the day is never
    taken from the interval: a nightly run at 02:00 on the 23rd processes the 22nd.
    """
    if requested:
        try:
            return date.fromisoformat(str(requested)).isoformat()
        except ValueError:
            raise IngestError(f"data_day must be YYYY-MM-DD, got {requested!r}") from None
    catalogue = catalogue or load_catalogue()
    moment = logical_date or datetime.now(ZoneInfo("UTC"))
    local = moment.astimezone(ZoneInfo(catalogue.settings.timezone))
    return (local.date() - timedelta(days=1)).isoformat()


def plan_feeds(
    data_day: str,
    datasets: list[str] | None = None,
    boroughs: list[str] | None = None,
    paths: DataPaths | None = None,
) -> list[dict[str, Any]]:
    """Every feed with something to fetch tonight, and the days to fetch.

    Daily feeds: the data day; every earlier day within `run.catch_up_days` that has no
    partition, from the feed's first loaded or attempted day (or, for a feed never
    seen, the region's first), unless its source does not cover it (NOT_COVERED) — so
    a day that failed, was quarantined, or that a run killed before `load` never
    recorded, is fetched until it loads (partitions are replaced, so never twice); and
    the loaded days within `run.refetch_days`, for records published late (`loaded`
    names their current batch, so an unchanged day costs no validation or load).
    Monthly and quarterly feeds: each of their `publication.history_periods` latest due
    periods that is not loaded yet (a period's first day stands for it). A late borough
    is asked every night until it publishes; a feed with nothing owed is not planned.
    """
    from ingest.watermarks import read_watermarks

    catalogue = load_catalogue()
    day = date.fromisoformat(data_day)
    gaps, loaded, periods_loaded, marks, region_gaps = {}, {}, {}, {}, {}
    with read_warehouse(catalogue, paths or data_paths(), data_day) as (con, tables):
        if {"audit.batches", "raw.feed_partitions"} <= tables:
            gaps, loaded, periods_loaded = _earlier_days(catalogue, data_day, con)
            marks = read_watermarks(catalogue, con, tables)  # incremental feeds: what changed since
            region_gaps = _region_gaps(catalogue, con)
    plans = []
    for feed in catalogue.feeds(datasets, boroughs):
        if feed.dataset.periodic:
            # a region-wide feed owes a period until its region partition and every borough's loaded
            days = [
                p.isoformat()
                for p in _periods_owed(feed.dataset, day)
                if p.isoformat() not in periods_loaded.get(feed.id, set())
                or p.isoformat() in region_gaps.get(feed.dataset.id, set())
            ]
            if days:
                # a region-wide file also lands its own latest periods not loaded yet, so a
                # series that ended before the calendar's window still fills its history
                # (less the periods with an area partition still owed: those land again)
                plan = {"feed_id": feed.id, "label": feed.label, "days": days, "loaded": {}}
                if feed.region_wide:
                    plan["periods_loaded"] = sorted(
                        periods_loaded.get(feed.id, set()) - region_gaps.get(feed.dataset.id, set())
                    )
                plans.append(plan)
            continue
        earlier = (gaps.get(feed.id, set()) | set(loaded.get(feed.id, {}))) - {data_day}
        plans.append(
            {
                "feed_id": feed.id,
                "label": feed.label,
                "days": [data_day, *sorted(earlier)],
                "loaded": loaded.get(feed.id, {}),
                "watermark": marks.get(feed.id),
            }
        )
    return plans


def _periods_owed(dataset, day: date) -> list[date]:
    """The periods a periodic dataset's feeds owe by the night of `day`."""
    from ingest.periods import periods_due

    return periods_due(
        day, dataset.cadence, dataset.publication.lag_days, dataset.publication.history_periods
    )


def _region_gaps(catalogue: Catalogue, con) -> dict[str, set[str]]:
    """Region-wide datasets: periods with an area partition quarantined or failed, and not loaded since."""
    region_wide = [d.id for d in catalogue.datasets.values() if d.region_wide] or [""]
    rows = con.execute(
        """
        select distinct b.dataset, b.data_day::varchar from audit.batches as b
        where list_contains(?, b.dataset) and list_contains(?, b.status)
          and not exists (select 1 from raw.feed_partitions as p
                          where p.dataset = b.dataset and p.borough_code = b.borough_code
                            and p.data_day = b.data_day)""",
        [region_wide, [s.value for s in CAUGHT_UP]],
    ).fetchall()
    gaps: dict[str, set[str]] = {}
    for dataset_id, period in rows:
        gaps.setdefault(dataset_id, set()).add(period)
    return gaps


def plan_datasets(datasets: list[str] | None = None) -> list[str]:
    """The datasets a run asked for (default: every dataset of the catalogue): what the validate
    task checks, so a run for some datasets validates no other."""
    catalogue = load_catalogue()
    return [catalogue.dataset(d).id for d in datasets] if datasets else list(catalogue.datasets)


@contextmanager
def read_warehouse(catalogue: Catalogue, paths: DataPaths, data_day: str):
    """(read-only connection, its `schema.table` names), or (None, empty) before the first load.

    Read under the warehouse lock, shared: DuckDB refuses a reader while another process writes.
    """
    from pipeline.guard import guarded

    with guarded(
        paths,
        "plan",
        wait_s=catalogue.settings.lock_wait_s,
        data_day=data_day,
        shared=True,
        left="nothing was fetched",
    ):
        if not paths.warehouse.exists():
            yield None, set()
            return
        import duckdb

        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            yield (
                con,
                {
                    t
                    for (t,) in con.execute(
                        "select table_schema || '.' || table_name from information_schema.tables"
                    ).fetchall()
                },
            )


def _earlier_days(
    catalogue: Catalogue, data_day: str, con
) -> tuple[dict[str, set[str]], dict[str, dict[str, str]], dict[str, set[str]]]:
    """Per feed: earlier days owed (no partition), loaded days to fetch again, and the loaded
    periods of monthly and quarterly feeds."""
    catch_up, refetch = catalogue.settings.catch_up_days, catalogue.settings.refetch_days
    day = date.fromisoformat(data_day)
    periodic = [d.id for d in catalogue.datasets.values() if d.periodic] or [""]
    window_start = (day - timedelta(days=catch_up)).isoformat()
    seen = dict(
        con.execute(
            """
        select feed, min(data_day)::varchar from (
            select dataset || '/' || borough_code as feed, data_day from raw.feed_partitions
            union all
            select dataset || '/' || borough_code, data_day from audit.batches) as attempts
        where not list_contains(?, split_part(feed, '/', 1)) and data_day < ?::date
        group by feed""",
            [periodic, data_day],
        ).fetchall()
    )
    present = con.execute(
        """
        select dataset || '/' || borough_code, data_day::varchar from raw.feed_partitions
        where data_day >= ?::date and data_day < ?::date""",
        [window_start, data_day],
    ).fetchall()
    not_covered = con.execute(
        """
        with latest as (
            select dataset, borough_code, data_day, arg_max(status, recorded_at) as status
            from audit.batches where data_day >= ?::date and data_day < ?::date
            group by all),
        first_loaded as (
            select dataset, borough_code, min(data_day) as first_day from raw.feed_partitions group by all)
        select l.dataset || '/' || l.borough_code, l.data_day::varchar
        from latest as l left join first_loaded as f using (dataset, borough_code)
        where l.status = ? and (f.first_day is null or l.data_day < f.first_day)""",
        [window_start, data_day, NOT_COVERED.value],
    ).fetchall()
    recent = con.execute(
        """
        select dataset || '/' || borough_code, data_day::varchar, batch_id
        from raw.feed_partitions where data_day >= ?::date and data_day < ?::date""",
        [(day - timedelta(days=refetch)).isoformat(), data_day],
    ).fetchall()
    periods = con.execute(
        """
        select dataset || '/' || borough_code, data_day::varchar
        from raw.feed_partitions where list_contains(?, dataset)""",
        [periodic],
    ).fetchall()
    region_start = min(seen.values(), default=None)
    settled = set(present) | set(not_covered)
    window = [(day - timedelta(days=n)).isoformat() for n in range(catch_up, 0, -1)]
    gaps: dict[str, set[str]] = {}
    for feed in catalogue.feeds():
        start = seen.get(feed.id, region_start)
        if feed.dataset.periodic or start is None:
            continue
        owed = {d for d in window if d >= start and (feed.id, d) not in settled}
        if owed:
            gaps[feed.id] = owed
    loaded: dict[str, dict[str, str]] = {}
    for feed_id, loaded_day, batch_id in recent:
        loaded.setdefault(feed_id, {})[loaded_day] = batch_id
    periods_loaded: dict[str, set[str]] = {}
    for feed_id, period in periods:
        periods_loaded.setdefault(feed_id, set()).add(period)
    return gaps, loaded, periods_loaded
