"""The steps of one nightly run, each a plain function a DAG task calls once.

Ingest (fetch and land) lives in pipeline/ingest_steps.py and the body of load in
pipeline/load_steps.py; the DAG calls both through here.

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
from typing import Any

from ingest.catalogue import Catalogue, load_catalogue
from ingest.outcomes import Outcome, Status
from ingest.paths import DataPaths, data_paths
from pipeline.ingest_steps import (
    ingest_days,
    ingest_feed,
    ingest_feeds,
    ingest_region_feed,
    one_line,
    settle_batch,
    unexpected_error,
)
from pipeline.load_steps import load_batches

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

DATA_DAY_ENV = (
    "CITY_RUN_DATA_DAY"  # set by the run's driver, so a lock's holder can name its data day
)


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
        return load_batches(catalogue, paths, outcomes, run_id)


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
