"""The steps of one nightly run, each a plain function a DAG task calls once.

Steps take and return the JSON-able dicts Airflow passes between tasks (one outcome per
feed-day, see ingest.outcomes) and work with `Outcome` inside. One borough's failure
never stops the others: a failed fetch or a quarantined batch is an outcome, reported at
the end, and that borough keeps its last good data. Imported by the DAG file at parse
time: heavy libraries load inside the functions.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from ingest.catalogue import Catalogue, load_catalogue
from ingest.errors import FetchError, IngestError, NotPublished
from ingest.outcomes import VALIDATED_OK, Outcome, Status
from ingest.paths import DataPaths, data_paths

__all__ = [
    "ingest_feed",
    "ingest_feeds",
    "ingest_days",
    "settle_batch",
    "validate_dataset",
    "validate_datasets",
    "load_outcomes",
    "build_models",
    "publish_warehouse",
    "export_open_data",
    "ingest_region_feed",
    "one_line",
    "unexpected_error",
]

log = logging.getLogger(__name__)

MISSING = (Status.FETCH_FAILED, Status.QUARANTINED, Status.NOT_PUBLISHED)
"""A daily feed in one of these on the data day is missing from the night (a source that does not
cover the day has not published it: that is missing too, never a zero)."""

DATA_DAY_ENV = (
    "CITY_RUN_DATA_DAY"  # set by the run's driver, so a lock's holder can name its data day
)


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
) -> list[dict[str, Any]]:
    """Fetch and land one feed for each day; whatever goes wrong with a day is its `fetch_failed` outcome.

    A day whose loaded batch (`loaded`: day -> batch id) holds exactly the same records
    as the new fetch is `unchanged`: nothing to validate or load. An incremental feed
    fetches the days changed since its `watermark` instead of re-fetching blindly.
    """
    from ingest.http import build_session
    from ingest.watermarks import with_candidate

    catalogue = load_catalogue()
    paths = paths or data_paths()
    feed = catalogue.feed(feed_id)
    session = session or build_session(catalogue.settings.http)
    if feed.region_wide:
        return ingest_region_feed(catalogue, feed, days, paths, session, set(loaded or {}))
    days, candidate = _days_to_fetch(catalogue, feed, days, loaded, watermark, session)
    outcomes = ingest_days(catalogue, feed, days, loaded, paths, session)
    return with_candidate([o.to_dict() for o in outcomes], candidate)


def ingest_days(
    catalogue: Catalogue, feed, days: list[str], loaded: dict[str, str] | None, paths, session
) -> list[Outcome]:
    """One day query per day (a backfill's fallback too); whatever goes wrong is that day's outcome."""
    outcomes = []
    for day in days:
        try:
            outcomes.append(
                _ingest_day(catalogue, feed, day, (loaded or {}).get(day), paths, session)
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
    catalogue: Catalogue, feed, day: str, current: str | None, paths: DataPaths, session
) -> Outcome:
    """Fetch and land one feed-day: landed, unchanged or not published (raises if it cannot)."""
    from ingest.fetch import fetch_feed

    batch = fetch_feed(catalogue, feed, date.fromisoformat(day), paths.landing, session)
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


def validate_dataset(
    dataset_id: str,
    outcomes: Iterable[Any],
    paths: DataPaths | None = None,
    history: Callable[[str, str], dict[str, list[int]]] | None = None,
) -> list[dict[str, Any]]:
    """Validate every landed batch of one dataset; failures are quarantined, not loaded.

    One Great Expectations run for all of the dataset's batches (pipeline.validate_set),
    each batch judged against its own day, borough and row-count history, with its own
    result file. `history(dataset, day)` gives each borough's row counts before that day
    (default: the warehouse's; a backfill adds the days it is loading before it).
    """
    catalogue = load_catalogue()
    paths = paths or data_paths()
    dataset = catalogue.dataset(dataset_id)
    outcomes = [o for o in _outcomes(outcomes) if o.dataset == dataset_id]
    with _guarded(
        catalogue,
        paths,
        f"validate {dataset_id}",
        outcomes,
        shared=True,
        left="nothing was loaded or published",
    ):
        return _validate(catalogue, paths, dataset, outcomes, history)


def validate_datasets(
    dataset_ids: Iterable[str], outcomes: Iterable[Any], paths: DataPaths | None = None
) -> list[dict[str, Any]]:
    """`validate_dataset` for each dataset in turn, in one process (the DAG's one validate task):
    Great Expectations is imported and its context built once a night, not once a dataset."""
    outcomes = _outcomes(outcomes)
    return [o for d in dataset_ids for o in validate_dataset(d, outcomes, paths=paths)]


def _validate(
    catalogue: Catalogue, paths: DataPaths, dataset, outcomes: list[Outcome], history=None
) -> list[dict[str, Any]]:
    from ingest.landing import read_batch
    from pipeline.history import feed_history, row_count_bounds
    from pipeline.quarantine import quarantine_batch
    from pipeline.validate_set import BatchToValidate, validate_batches

    dataset_id = dataset.id
    batches = {
        o.batch.batch_id: read_batch(o.batch.path) for o in outcomes if o.status is Status.LANDED
    }
    rule = catalogue.settings.row_count_history
    history = history or (lambda ds, day: feed_history(paths.warehouse, ds, day, rule.days))
    histories = {day: history(dataset_id, day) for day in {b.data_day for b in batches.values()}}
    checked_batches = validate_batches(
        [
            BatchToValidate(
                batch,
                catalogue.area(batch.borough_code),
                row_count_bounds(histories[batch.data_day].get(batch.borough_code, []), rule),
            )
            for batch in batches.values()
        ],
        dataset,
        catalogue.settings,
    )
    verdicts = []
    for outcome in outcomes:
        if outcome.status is not Status.LANDED:
            verdicts.append(outcome)
            continue
        batch = batches[outcome.batch.batch_id]
        verdict = checked_batches[batch.batch_id]
        result_path = (
            paths.root
            / "validation"
            / batch.dataset
            / batch.borough_code
            / batch.data_day
            / f"{batch.batch_id}.json"
        )
        result_path.parent.mkdir(parents=True, exist_ok=True)
        result_path.write_text(json.dumps(verdict.result, default=str) + "\n", encoding="utf-8")
        checked = replace(
            outcome,
            failures=tuple(verdict.failures),
            warnings=tuple(verdict.warnings),
            validation_path=str(result_path),
        )
        if verdict.success:
            verdicts.append(checked.becomes(Status.WARNED if verdict.warnings else Status.PASSED))
            continue
        where = quarantine_batch(batch, paths.quarantine, verdict.failures, verdict.result)
        log.error(
            "%s from %s for %s quarantined: %s",
            dataset_id,
            batch.borough_name,
            batch.data_day,
            "; ".join(verdict.failures),
        )
        verdicts.append(checked.becomes(Status.QUARANTINED, quarantine_path=str(where)))
    return [v.to_dict() for v in verdicts]


def load_outcomes(
    outcomes: Iterable[Any], run_id: str, paths: DataPaths | None = None
) -> dict[str, Any]:
    """Load every batch that passed, record every batch's fate; one writer, serially."""
    catalogue = load_catalogue()
    paths = paths or data_paths()
    outcomes = _outcomes(outcomes)
    with _guarded(
        catalogue,
        paths,
        "load",
        outcomes,
        left="the partitions loaded before it stand; "
        "nothing was published, the published warehouse is unchanged",
    ):
        return _load(catalogue, paths, outcomes, run_id)


def _load(
    catalogue: Catalogue, paths: DataPaths, outcomes: list[Outcome], run_id: str
) -> dict[str, Any]:
    from ingest.watermarks import advance_watermarks
    from pipeline.load import connect, ensure_tables, write_areas, write_datasets
    from pipeline.load_set import record_batches, replace_partitions
    from pipeline.source_metadata import write_source_metadata

    summary = {
        "loaded_batches": 0,
        "loaded_rows": 0,
        "landed_rows": 0,
        "quarantined_rows": 0,
        "unchanged_batches": 0,
        "quarantined": [],
        "fetch_failed": [],
        "warnings": [],
        "not_published": [],
        "unrecorded": [],
    }
    # The data day is the latest day of the daily feeds; their earlier days are catch-up
    # and late data; monthly and quarterly feeds fetch the periods they owe.
    daily = [o for o in outcomes if not catalogue.dataset(o.dataset).periodic]
    data_day = max((o.data_day for o in daily), default=None)
    with connect(paths.warehouse) as con:
        ensure_tables(con, catalogue)
        write_areas(con, catalogue)
        write_datasets(con, catalogue)
        unrecorded = _unrecorded(con, daily, data_day)
        recorded: list[Outcome] = []  # fates of batches not loaded (and of missed nights)
        loading: dict[str, list[Outcome]] = {}  # per dataset, the batches to load
        for outcome in outcomes:
            if outcome.status is Status.UNCHANGED:
                summary["unchanged_batches"] += 1
                continue  # fetched again, same records as the loaded batch: nothing happened
            if (outcome.dataset, outcome.borough_code, outcome.data_day) in unrecorded:
                recorded.append(_missed_night(outcome, run_id))
                summary["unrecorded"].append(
                    _line(
                        outcome,
                        [
                            "no run had recorded this day (the night that owed "
                            "it ended before load); fetched tonight"
                        ],
                    )
                )
            summary["landed_rows"] += outcome.batch.row_count if outcome.batch else 0
            if outcome.status in VALIDATED_OK:
                loading.setdefault(outcome.dataset, []).append(outcome.becomes(Status.LOADED))
                if outcome.warnings:
                    summary["warnings"].append(_line(outcome, outcome.warnings))
                continue
            if outcome.status is Status.QUARANTINED:
                summary["quarantined"].append(_line(outcome, outcome.failures))
                summary["quarantined_rows"] += outcome.batch.row_count
            elif outcome.status is Status.FETCH_FAILED:
                summary["fetch_failed"].append(_line(outcome, [outcome.error or ""]))
            elif outcome.status is Status.NOT_PUBLISHED:
                summary["not_published"].append(
                    _line(outcome, [outcome.error or "not published by its due day"])
                )
            else:
                raise IngestError(
                    f"{outcome.dataset} from {outcome.borough_name} ({outcome.data_day}): "
                    f"cannot load a batch that is {outcome.status} (was it validated?)"
                )
            recorded.append(outcome)
        record_batches(con, recorded, run_id)
        for dataset_id, loaded in loading.items():
            # A dataset's partitions and their audit rows commit together: a crash leaves
            # each partition as it was or as landed, and the datasets before it loaded.
            con.execute("begin transaction")
            try:
                summary["loaded_rows"] += replace_partitions(
                    con, catalogue.dataset(dataset_id), [o.batch for o in loaded]
                )
                record_batches(con, loaded, run_id)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            summary["loaded_batches"] += len(loaded)
        as_dicts = [o.to_dict() for o in outcomes]
        write_source_metadata(con, as_dicts)
        summary["watermarks_advanced"] = advance_watermarks(
            con, as_dicts, run_id
        )  # only feeds that fully loaded
    summary["feeds"] = len({o.feed_id for o in outcomes})
    summary["due_feeds"] = len({o.feed_id for o in daily})
    summary["batches"] = len(outcomes)
    summary["catch_up_batches"] = sum(o.data_day != data_day for o in daily)
    summary["period_batches"] = len(outcomes) - len(daily)
    summary["missing_feeds"] = sum(o.data_day == data_day and o.status in MISSING for o in daily)
    summary["unrecorded_batches"] = len(summary["unrecorded"])
    if summary["landed_rows"] != summary["loaded_rows"] + summary["quarantined_rows"]:
        raise IngestError(
            f"rows landed {summary['landed_rows']} != loaded {summary['loaded_rows']} + "
            f"quarantined {summary['quarantined_rows']}: a batch was neither loaded nor quarantined"
        )
    return summary


def _unrecorded(con, daily: list[Outcome], data_day: str | None) -> set[tuple[str, str, str]]:
    """Earlier feed-days fetched tonight that no run ever recorded: a night died before its load."""
    earlier = sorted(
        {
            (o.dataset, o.borough_code, o.data_day)
            for o in daily
            if data_day and o.data_day < data_day
        }
    )
    if not earlier:
        return set()
    recorded = con.execute(
        """
        select distinct dataset, borough_code, data_day::varchar from audit.batches
        where list_contains(?, dataset || '/' || borough_code || '/' || data_day::varchar)""",
        [["/".join(key) for key in earlier]],
    ).fetchall()
    return set(earlier) - set(recorded)


def _missed_night(outcome: Outcome, run_id: str) -> Outcome:
    """The audit row a dead night could not write: its feed-day was not fetched on the night,
    so the scorecard counts it late (a fetch that failed), though it is delivered now."""
    return replace(
        outcome,
        status=Status.FETCH_FAILED,
        batch=None,
        error=f"not fetched on its night: the run for {outcome.data_day} ended before load "
        f"without recording anything (killed, crashed or out of space); caught up by run {run_id}",
        failures=(),
        warnings=(),
        validation_path=None,
        quarantine_path=None,
    )


def build_models(paths: DataPaths | None = None) -> dict[str, Any]:
    """`dbt build` (seeds, models, tests) on the pipeline's database, then source freshness and
    the docs site that publish_docs will copy (one dbt process)."""
    from pipeline.dbt_runner import dbt_build

    catalogue, paths = load_catalogue(), paths or data_paths()
    with _guarded(
        catalogue,
        paths,
        "dbt build",
        left="nothing was published, the published warehouse is unchanged",
    ):
        summary = dbt_build(
            catalogue, paths, freshness=catalogue.settings.source_freshness, docs=True
        )
        for line in summary.get("source_freshness", {}).get("not_fresh", []):
            log.warning("source freshness: %s", line)
    return summary


def publish_warehouse(paths: DataPaths | None = None) -> dict[str, Any]:
    """Write-audit-publish: replace the analysts' copy only after everything passed."""
    from pipeline.publish import publish

    catalogue, paths = load_catalogue(), paths or data_paths()
    with _guarded(catalogue, paths, "publish", left="the published warehouse is unchanged"):
        return publish(paths)


def publish_docs_and_dashboard(paths: DataPaths | None = None) -> dict[str, Any]:
    """The dbt docs site and the mayor's dashboard for the warehouse just published.

    A step of its own after publish: neither decides whether the night is green, and a
    failure here leaves the published warehouse as it is (the report says so).
    """
    from pipeline.dashboard import build_dashboard, dashboard_path
    from pipeline.publish import publish_docs

    catalogue, paths = load_catalogue(), paths or data_paths()
    with _guarded(
        catalogue,
        paths,
        "docs and dashboard",
        left="the warehouse is published; the docs site and dashboard are the previous ones",
    ):
        docs = publish_docs(catalogue, paths)  # dbt reads the pipeline's file: hold the lock
        dashboard = build_dashboard(paths.published, dashboard_path(paths.published))
    return {"docs": docs, "dashboard": dashboard}


def export_open_data(paths: DataPaths | None = None) -> dict[str, Any]:
    """Open-data CSVs from the published warehouse, small counts suppressed, and beside them
    each dataset's Table Schema and Data Package (pipeline.data_standard)."""
    from pipeline.data_standard import write_data_standards
    from pipeline.export import export_open_data as export

    catalogue, paths = load_catalogue(), paths or data_paths()
    with _guarded(
        catalogue,
        paths,
        "export",
        left="the warehouse is published; the open-data files are "
        "the previous ones or incomplete until a re-run",
    ):
        summary = export(catalogue, paths)
        directory = paths.published.parent / catalogue.settings.open_data.directory
        summary["standards"] = write_data_standards(catalogue, directory)
        return summary


def _guarded(
    catalogue: Catalogue,
    paths: DataPaths,
    step: str,
    outcomes: list[Outcome] | None = None,
    **options: Any,
):
    """The step holds the warehouse (pipeline/lock.py) and names a full disk (pipeline/guard.py)."""
    from pipeline.guard import guarded

    days = [o.data_day for o in outcomes or () if not catalogue.dataset(o.dataset).periodic]
    data_day = max(days, default=None) or os.environ.get(DATA_DAY_ENV)
    return guarded(paths, step, wait_s=catalogue.settings.lock_wait_s, data_day=data_day, **options)


def _outcomes(groups: Iterable[Any]) -> list[Outcome]:
    """Outcomes arrive as dicts nested in lists (mapped tasks return lists); flatten and type them."""
    flat: list[Outcome] = []
    for item in groups:
        if isinstance(item, (list, tuple)):
            flat.extend(_outcomes(item))
        else:
            flat.append(item if isinstance(item, Outcome) else Outcome.from_dict(item))
    return flat


def _line(outcome: Outcome, reasons: Iterable[str]) -> str:
    return f"{outcome.dataset} from {outcome.borough_name} ({outcome.data_day}): " + "; ".join(
        reasons
    )
