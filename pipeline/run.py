"""The steps of one nightly run, each a plain function a DAG task calls once.

Steps pass small JSON-able dicts ("outcomes") between them, one per feed:
    {"feed_id", "label", "dataset", "borough_code", "borough_name", "data_day",
     "status": landed | unchanged | not_published | fetch_failed | passed | warned | quarantined,
     "batch": {...landed batch...}, "error", "failures", "warnings", "validation_path"}
One borough's failure never stops the others: a failed fetch or a quarantined batch is an
outcome, reported at the end, and that borough keeps its last good data.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from ingest.catalogue import Catalogue, load_catalogue
from ingest.errors import FetchError, IngestError
from ingest.paths import DataPaths, data_paths

__all__ = [
    "nightly_schedule",
    "resolve_data_day",
    "plan_feeds",
    "plan_datasets",
    "ingest_feed",
    "validate_dataset",
    "load_outcomes",
    "build_models",
    "publish_warehouse",
    "export_open_data",
    "summarise_run",
    "RunFailed",
]

log = logging.getLogger(__name__)


class RunFailed(IngestError):
    """The run finished but too much is missing for the night to count as green."""


def nightly_schedule():
    """The nightly schedule from config/pipeline.yml (read at DAG-parse time: YAML only)."""
    return load_catalogue().settings


def resolve_data_day(logical_date: datetime | None, requested: str | None, catalogue: Catalogue | None = None) -> str:
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


def plan_feeds(data_day: str, datasets: list[str] | None = None, boroughs: list[str] | None = None,
               paths: DataPaths | None = None) -> list[dict[str, Any]]:
    """Every feed with something to fetch tonight, and the days to fetch.

    Daily feeds: the data day; a day the feed failed or was quarantined on, within
    `run.catch_up_days`, until it loads (so a borough offline for days fills its gap
    when it returns; partitions are replaced, so never twice); and the loaded days
    within `run.refetch_days`, for records published late (`loaded` names their
    current batch, so an unchanged day costs no validation or load).
    Monthly and quarterly feeds: each of their `publication.history_periods` latest due
    periods that is not loaded yet (a period's first day stands for it). A late borough
    is asked every night until it publishes; a feed with nothing owed is not planned.
    """
    from ingest.watermarks import read_watermarks

    catalogue = load_catalogue()
    day = date.fromisoformat(data_day)
    gaps, loaded, periods_loaded, marks = {}, {}, {}, {}
    with _read_warehouse(paths or data_paths()) as (con, tables):
        if {"audit.batches", "raw.feed_partitions"} <= tables:
            gaps, loaded, periods_loaded = _earlier_days(catalogue, data_day, con)
            marks = read_watermarks(catalogue, con, tables)   # incremental feeds: what changed since
    plans = []
    for feed in catalogue.feeds(datasets, boroughs):
        if feed.dataset.periodic:
            days = [p.isoformat() for p in _periods_owed(feed.dataset, day)
                    if p.isoformat() not in periods_loaded.get(feed.id, set())]
            if days:
                plans.append({"feed_id": feed.id, "label": feed.label, "days": days, "loaded": {}})
            continue
        earlier = (gaps.get(feed.id, set()) | set(loaded.get(feed.id, {}))) - {data_day}
        plans.append({"feed_id": feed.id, "label": feed.label, "days": [data_day, *sorted(earlier)],
                      "loaded": loaded.get(feed.id, {}), "watermark": marks.get(feed.id)})
    return plans


def _periods_owed(dataset, day: date) -> list[date]:
    """The periods a monthly or quarterly dataset's feeds owe by the night of `day`."""
    from ingest.periods import periods_due

    return periods_due(day, dataset.cadence, dataset.publication.lag_days, dataset.publication.history_periods)


def plan_datasets() -> list[str]:
    """Every dataset of the catalogue, as the mapping input of validate."""
    return list(load_catalogue().datasets)


def ingest_feed(feed_id: str, days: list[str], loaded: dict[str, str] | None = None,
                paths: DataPaths | None = None, watermark: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Fetch and land one feed for each day; a failure becomes a `fetch_failed` outcome.

    A day whose loaded batch (`loaded`: day -> batch id) holds exactly the same records
    as the new fetch is `unchanged`: nothing to validate or load. An incremental feed
    fetches the days changed since its `watermark` instead of re-fetching blindly.
    """
    from ingest.fetch import fetch_feed
    from ingest.http import build_session
    from ingest.landing import batch_dir, same_records
    from ingest.watermarks import days_to_fetch, with_candidate

    catalogue = load_catalogue()
    paths = paths or data_paths()
    feed = catalogue.feed(feed_id)
    session = build_session(catalogue.settings.http)
    days, candidate = days_to_fetch(catalogue, feed, days, loaded, watermark, session)
    outcomes = []
    for day in days:
        outcome = _outcome(feed, day)
        try:
            batch = fetch_feed(catalogue, feed, date.fromisoformat(day), paths.landing, session)
        except FetchError as exc:
            log.error("%s", exc)
            outcomes.append(outcome | {"status": "fetch_failed", "error": str(exc)})
            continue
        if feed.dataset.periodic and batch.row_count == 0:
            # an empty period is one the borough has not published yet, never "zero"
            outcomes.append(outcome | {"status": "not_published", "batch": batch.to_dict(),
                                       "error": f"period starting {day} not published yet"})
            continue
        current = (loaded or {}).get(day)
        if current and same_records(batch_dir(paths.landing, feed.dataset.id, feed.area.code, day) / current,
                                    batch):
            outcomes.append(outcome | {"status": "unchanged", "batch": batch.to_dict()})
            continue
        outcomes.append(outcome | {"status": "landed", "batch": batch.to_dict()})
    return with_candidate(outcomes, candidate)


def validate_dataset(dataset_id: str, outcomes: Iterable[dict[str, Any]], paths: DataPaths | None = None) -> list[dict[str, Any]]:
    """Validate every landed batch of one dataset; failures are quarantined, not loaded."""
    from pipeline.history import feed_history, row_count_bounds
    from ingest.landing import read_batch
    from pipeline.quarantine import quarantine_batch
    from pipeline.validate import validate_batch

    catalogue = load_catalogue()
    paths = paths or data_paths()
    dataset = catalogue.dataset(dataset_id)
    outcomes = [o for o in _flatten(outcomes) if o["dataset"] == dataset_id]
    batches = {o["batch"]["batch_id"]: read_batch(o["batch"]["path"]) for o in outcomes if o["status"] == "landed"}
    rule = catalogue.settings.row_count_history
    histories = {day: feed_history(paths.warehouse, dataset_id, day, rule.days)
                 for day in {b.data_day for b in batches.values()}}
    joint = _periods_validated_together(catalogue, dataset, outcomes, batches) if dataset.periodic else {}
    verdicts = []
    for outcome in outcomes:
        if outcome["status"] != "landed":
            verdicts.append(outcome)
            continue
        batch = batches[outcome["batch"]["batch_id"]]
        verdict = joint.get(batch.batch_id)
        if verdict is None:
            bounds = row_count_bounds(histories[batch.data_day].get(batch.borough_code, []), rule)
            verdict = validate_batch(batch, dataset, catalogue.area(batch.borough_code), catalogue.settings, bounds)
        result_path = paths.root / "validation" / batch.dataset / batch.borough_code / batch.data_day / f"{batch.batch_id}.json"
        result_path.parent.mkdir(parents=True, exist_ok=True)
        result_path.write_text(json.dumps(verdict.result, default=str) + "\n", encoding="utf-8")
        checked = outcome | {"failures": verdict.failures, "warnings": verdict.warnings,
                             "validation_path": str(result_path)}
        if verdict.success:
            verdicts.append(checked | {"status": "warned" if verdict.warnings else "passed"})
            continue
        where = quarantine_batch(batch, paths.quarantine, verdict.failures, verdict.result)
        log.error("%s from %s for %s quarantined: %s", dataset_id, batch.borough_name, batch.data_day,
                  "; ".join(verdict.failures))
        verdicts.append(checked | {"status": "quarantined", "quarantine_path": str(where)})
    return verdicts


def _periods_validated_together(catalogue: Catalogue, dataset, outcomes: list[dict[str, Any]],
                                batches: dict[str, Any]) -> dict[str, Any]:
    """batch id -> verdict, for feeds whose several landed periods pass one joint run clean."""
    from pipeline.validate import validate_periods_together

    by_feed: dict[str, list[Any]] = {}
    for outcome in outcomes:
        if outcome["status"] == "landed":
            by_feed.setdefault(outcome["feed_id"], []).append(batches[outcome["batch"]["batch_id"]])
    verdicts = {}
    for feed_batches in by_feed.values():
        if len(feed_batches) < 2:
            continue
        verdict = validate_periods_together(feed_batches, dataset, catalogue.area(feed_batches[0].borough_code),
                                            catalogue.settings)
        if verdict.success and not verdict.warnings:
            meta = verdict.result.get("meta", {}) | {"validated_together_with": [b.batch_id for b in feed_batches]}
            verdicts.update({b.batch_id: replace(verdict, result=verdict.result | {"meta": meta})
                             for b in feed_batches})
    return verdicts


def load_outcomes(outcomes: Iterable[dict[str, Any]], run_id: str, paths: DataPaths | None = None) -> dict[str, Any]:
    """Load every batch that passed, record every batch's fate; one writer, serially."""
    from pipeline.load import connect, ensure_tables, load_partition, record_batch, write_areas, write_datasets
    from pipeline.source_metadata import write_source_metadata
    from ingest.watermarks import advance_watermarks

    catalogue = load_catalogue()
    paths = paths or data_paths()
    outcomes = _flatten(outcomes)
    summary = {"loaded_batches": 0, "loaded_rows": 0, "landed_rows": 0, "quarantined_rows": 0,
               "unchanged_batches": 0,
               "quarantined": [], "fetch_failed": [], "warnings": [], "not_published": []}
    with connect(paths.warehouse) as con:
        ensure_tables(con, catalogue)
        write_areas(con, catalogue)
        write_datasets(con, catalogue)
        for outcome in outcomes:
            validation = None
            if outcome.get("validation_path"):
                validation = json.loads(Path(outcome["validation_path"]).read_text(encoding="utf-8"))
            if outcome["status"] == "unchanged":
                summary["unchanged_batches"] += 1
                continue  # fetched again, same records as the loaded batch: nothing happened
            summary["landed_rows"] += (outcome.get("batch") or {}).get("row_count") or 0
            if outcome["status"] in ("passed", "warned"):
                batch = outcome["batch"]
                summary["loaded_rows"] += load_partition(
                    con, catalogue.dataset(outcome["dataset"]), outcome["borough_code"], outcome["data_day"],
                    batch["batch_id"], Path(batch["path"]) / "records.jsonl", batch["row_count"])
                summary["loaded_batches"] += 1
                outcome = outcome | {"status": "loaded"}
                if outcome.get("warnings"):
                    summary["warnings"].append(_line(outcome, outcome["warnings"]))
            elif outcome["status"] == "quarantined":
                summary["quarantined"].append(_line(outcome, outcome["failures"]))
                summary["quarantined_rows"] += outcome["batch"]["row_count"]
            elif outcome["status"] == "fetch_failed":
                summary["fetch_failed"].append(_line(outcome, [outcome.get("error", "")]))
            elif outcome["status"] == "not_published":
                summary["not_published"].append(_line(outcome, ["not published by its due day"]))
            record_batch(con, outcome, run_id, validation)
        write_source_metadata(con, outcomes)
        summary["watermarks_advanced"] = advance_watermarks(con, outcomes, run_id)   # only feeds that fully loaded
    # The data day is the latest day of the daily feeds; their earlier days are catch-up
    # and late data; monthly and quarterly feeds fetch the periods they owe.
    daily = [o for o in outcomes if not catalogue.dataset(o["dataset"]).periodic]
    data_day = max((o["data_day"] for o in daily), default=None)
    summary["feeds"] = len({o["feed_id"] for o in outcomes})
    summary["due_feeds"] = len({o["feed_id"] for o in daily})
    summary["batches"] = len(outcomes)
    summary["catch_up_batches"] = sum(o["data_day"] != data_day for o in daily)
    summary["period_batches"] = len(outcomes) - len(daily)
    summary["missing_feeds"] = sum(o["data_day"] == data_day and o["status"] in ("fetch_failed", "quarantined")
                                   for o in daily)
    if summary["landed_rows"] != summary["loaded_rows"] + summary["quarantined_rows"]:
        raise IngestError(f"rows landed {summary['landed_rows']} != loaded {summary['loaded_rows']} + "
                          f"quarantined {summary['quarantined_rows']}: a batch was neither loaded nor quarantined")
    return summary


def build_models(paths: DataPaths | None = None) -> dict[str, Any]:
    """`dbt build` (seeds, models, tests) on the pipeline's database, then source freshness."""
    from pipeline.dbt_runner import dbt_build, source_freshness

    catalogue, paths = load_catalogue(), paths or data_paths()
    summary = dbt_build(catalogue, paths)
    if catalogue.settings.source_freshness:
        summary["source_freshness"] = freshness = source_freshness(catalogue, paths)
        for line in freshness["not_fresh"]:
            log.warning("source freshness: %s", line)
    return summary


def publish_warehouse(paths: DataPaths | None = None) -> dict[str, Any]:
    """Write-audit-publish: replace the analysts' copy only after everything passed."""
    from pipeline.publish import publish

    return publish(paths or data_paths())


def export_open_data(paths: DataPaths | None = None) -> dict[str, Any]:
    """Open-data CSVs from the published warehouse, small counts suppressed."""
    from pipeline.export import export_open_data as export

    return export(load_catalogue(), paths or data_paths())


def summarise_run(data_day: str, load_summary: dict[str, Any] | None, published: dict[str, Any] | None,
                  exported: dict[str, Any] | None = None) -> str:
    """The end-of-run report; raises RunFailed when the night should show red."""
    catalogue = load_catalogue()
    lines = [f"City Region Datastore — data day {data_day}"]
    if load_summary is None:
        raise RunFailed(f"data day {data_day}: nothing was loaded (ingest or load failed); published warehouse unchanged")
    lines.append(f"feeds: {load_summary['feeds']}, missing for the day: {load_summary['missing_feeds']} of "
                 f"{load_summary['due_feeds']} daily feeds, "
                 f"batches: {load_summary['batches']} ({load_summary['catch_up_batches']} earlier days, "
                 f"{load_summary['period_batches']} monthly/quarterly periods, "
                 f"{load_summary['unchanged_batches']} unchanged), "
                 f"loaded: {load_summary['loaded_batches']}, rows loaded: {load_summary['loaded_rows']}")
    lines.append(f"rows landed {load_summary['landed_rows']} = loaded {load_summary['loaded_rows']} "
                 f"+ quarantined {load_summary['quarantined_rows']}")
    for title, items in (("fetch failed (last good data kept)", load_summary["fetch_failed"]),
                         ("quarantined (not loaded)", load_summary["quarantined"]),
                         ("overdue periods (asked again each night)", load_summary["not_published"]),
                         ("warnings (loaded)", load_summary["warnings"])):
        if items:
            lines.append(f"{title}: {len(items)}")
            lines.extend(f"  - {item}" for item in items)
    if published:
        lines.append(f"published: {published['path']} ({published['city_metrics_rows']} city_metrics rows)")
    else:
        lines.append("NOT published: the analysts' warehouse is unchanged")
    if exported:
        suppressed = sum(f["suppressed"] for f in exported["files"].values())
        lines.append(f"open data: {len(exported['files'])} files in {exported['directory']} "
                     f"({suppressed} cells suppressed below {exported['min_cell_count']})")
    elif published:
        lines.append("open data NOT exported (the export failed; see its task log)")
    report = "\n".join(lines)
    log.info("%s", report)
    share = load_summary["missing_feeds"] / max(load_summary["due_feeds"], 1)
    if published is None or exported is None:
        raise RunFailed(report)
    if share > catalogue.settings.max_failed_feed_share:
        raise RunFailed(f"{load_summary['missing_feeds']} of {load_summary['due_feeds']} daily feeds missing "
                        f"(> {catalogue.settings.max_failed_feed_share:.0%}):\n{report}")
    return report


def _flatten(groups: Iterable[Any]) -> list[dict[str, Any]]:
    """Outcomes arrive nested as mapped tasks return lists; flatten to one list."""
    flat: list[dict[str, Any]] = []
    for item in groups:
        flat.extend(_flatten(item) if isinstance(item, (list, tuple)) else [item])
    return flat


@contextmanager
def _read_warehouse(paths: DataPaths):
    """(read-only connection, its `schema.table` names), or (None, empty) before the first load."""
    if not paths.warehouse.exists():
        yield None, set()
        return
    import duckdb

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        yield con, {t for (t,) in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables").fetchall()}


def _earlier_days(catalogue: Catalogue, data_day: str, con
                  ) -> tuple[dict[str, set[str]], dict[str, dict[str, str]], dict[str, set[str]]]:
    """Per feed: days to catch up (attempted, not loaded), loaded days to fetch again,
    and the loaded periods of monthly and quarterly feeds."""
    catch_up, refetch = catalogue.settings.catch_up_days, catalogue.settings.refetch_days
    day = date.fromisoformat(data_day)
    periodic = [d.id for d in catalogue.datasets.values() if d.periodic] or [""]
    missing = con.execute("""
        select distinct b.dataset || '/' || b.borough_code, b.data_day::varchar
        from audit.batches as b
        where b.data_day >= ?::date and b.data_day < ?::date
          and b.status in ('fetch_failed', 'quarantined')
          and not exists (select 1 from raw.feed_partitions as p
                          where p.dataset = b.dataset and p.borough_code = b.borough_code
                            and p.data_day = b.data_day)""",
        [(day - timedelta(days=catch_up)).isoformat(), data_day]).fetchall()
    recent = con.execute("""
        select dataset || '/' || borough_code, data_day::varchar, batch_id
        from raw.feed_partitions where data_day >= ?::date and data_day < ?::date""",
        [(day - timedelta(days=refetch)).isoformat(), data_day]).fetchall()
    periods = con.execute("""
        select dataset || '/' || borough_code, data_day::varchar
        from raw.feed_partitions where list_contains(?, dataset)""", [periodic]).fetchall()
    gaps: dict[str, set[str]] = {}
    for feed_id, missing_day in missing:
        gaps.setdefault(feed_id, set()).add(missing_day)
    loaded: dict[str, dict[str, str]] = {}
    for feed_id, loaded_day, batch_id in recent:
        loaded.setdefault(feed_id, {})[loaded_day] = batch_id
    periods_loaded: dict[str, set[str]] = {}
    for feed_id, period in periods:
        periods_loaded.setdefault(feed_id, set()).add(period)
    return gaps, loaded, periods_loaded


def _outcome(feed, data_day: str) -> dict[str, Any]:
    return {"feed_id": feed.id, "label": feed.label, "dataset": feed.dataset.id,
            "borough_code": feed.area.code, "borough_name": feed.area.name, "data_day": data_day}


def _line(outcome: dict[str, Any], reasons: list[str]) -> str:
    return f"{outcome['dataset']} from {outcome['borough_name']} ({outcome['data_day']}): " + "; ".join(reasons)

