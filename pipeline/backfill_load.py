"""Load a backfill's validated batches set-based, all in one transaction.

As a night does (pipeline/load_set.py: a dataset's partitions in one DELETE and one INSERT
over all its landed files, every batch's fate in one INSERT), but the whole range commits
at once, so a failure leaves the warehouse as it was. What lands in `raw.*`,
`raw.feed_partitions`, `audit.*`, `raw.source_metadata` and `raw.feed_watermarks` is what
the nights A..B would have written (a backfill is no catch-up: no "not fetched on its
night" rows).
"""

from __future__ import annotations

from typing import Any

from ingest.catalogue import Catalogue
from ingest.errors import IngestError
from ingest.outcomes import VALIDATED_OK, Outcome, Status
from ingest.paths import DataPaths

__all__ = ["load_range"]


def load_range(
    catalogue: Catalogue, paths: DataPaths, outcomes: list[Outcome], run_id: str
) -> dict[str, Any]:
    """Load every batch that passed and record every batch's fate; returns the load's counts."""
    from ingest.watermarks import advance_watermarks
    from pipeline.guard import guarded
    from pipeline.load import connect, ensure_tables, write_areas, write_datasets
    from pipeline.load_set import record_batches, replace_partitions
    from pipeline.source_metadata import write_source_metadata

    loaded = [o.becomes(Status.LOADED) for o in outcomes if o.status in VALIDATED_OK]
    recorded = [o for o in outcomes if o.status not in VALIDATED_OK | {Status.UNCHANGED}]
    summary = {
        "loaded_batches": len(loaded),
        "loaded_rows": 0,
        "landed_rows": sum(o.batch.row_count for o in outcomes if o.batch and _landed(o)),
        "quarantined_rows": sum(
            o.batch.row_count for o in outcomes if o.status is Status.QUARANTINED
        ),
        "unchanged_batches": sum(o.status is Status.UNCHANGED for o in outcomes),
    }
    with guarded(
        paths,
        "load",
        wait_s=catalogue.settings.lock_wait_s,
        left="nothing of the range was loaded; the published warehouse is unchanged",
    ):
        with connect(paths.warehouse) as con:
            ensure_tables(con, catalogue)
            write_areas(con, catalogue)
            write_datasets(con, catalogue)
            con.execute("begin transaction")
            try:
                for dataset_id in sorted({o.dataset for o in loaded}):
                    summary["loaded_rows"] += replace_partitions(
                        con,
                        catalogue.dataset(dataset_id),
                        [o.batch for o in loaded if o.dataset == dataset_id],
                    )
                record_batches(con, [*loaded, *recorded], run_id)
                as_dicts = [o.to_dict() for o in outcomes]
                write_source_metadata(con, _latest_per_feed(as_dicts))
                summary["watermarks_advanced"] = advance_watermarks(con, as_dicts, run_id)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
    if summary["landed_rows"] != summary["loaded_rows"] + summary["quarantined_rows"]:
        raise IngestError(
            f"rows landed {summary['landed_rows']} != loaded {summary['loaded_rows']} + "
            f"quarantined {summary['quarantined_rows']}: a batch was neither loaded nor quarantined"
        )
    return summary


def _landed(outcome: Outcome) -> bool:
    return outcome.status in VALIDATED_OK | {Status.QUARANTINED}


def _latest_per_feed(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each feed's latest landed batch: the one source metadata row a feed keeps."""
    latest: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        if outcome.get("batch") and (
            outcome["feed_id"] not in latest
            or outcome["data_day"] >= latest[outcome["feed_id"]]["data_day"]
        ):
            latest[outcome["feed_id"]] = outcome
    return list(latest.values())
