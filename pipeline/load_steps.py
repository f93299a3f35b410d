"""Load a night's validated batches into the warehouse and record every batch's fate.

The body of the `load` step (pipeline.steps.load_outcomes holds the warehouse lock around
it): each passed batch's partition is replaced, each batch's outcome is recorded in
audit.batches, watermarks move, and the summary the report reads is counted here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ingest.catalogue import Catalogue
from ingest.errors import IngestError
from ingest.outcomes import VALIDATED_OK, Outcome, Status
from ingest.paths import DataPaths

__all__ = ["MISSING", "load_batches"]

MISSING = (Status.FETCH_FAILED, Status.QUARANTINED, Status.NOT_PUBLISHED)
"""A daily feed in one of these on the data day is missing from the night (a source that does not
cover the day has not published it: that is missing too, never a zero)."""


def load_batches(
    catalogue: Catalogue, paths: DataPaths, outcomes: list[Outcome], run_id: str
) -> dict[str, Any]:
    from ingest.watermarks import advance_watermarks
    from pipeline.load import connect_for_night, ensure_tables, write_areas, write_datasets
    from pipeline.load_set import held_partitions, record_batches, replace_partitions
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
    with connect_for_night(paths.warehouse) as con:
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
        held = held_partitions(
            con, {d: [o.batch for o in outcomes_] for d, outcomes_ in loading.items()}
        )
        for dataset_id, loaded in loading.items():
            # A dataset's partitions and their audit rows commit together: a crash leaves
            # each partition as it was or as landed, and the datasets before it loaded.
            con.execute("begin transaction")
            try:
                summary["loaded_rows"] += replace_partitions(
                    con,
                    catalogue.dataset(dataset_id),
                    [o.batch for o in loaded],
                    held.get(dataset_id, {}),
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


def _line(outcome: Outcome, reasons: Iterable[str]) -> str:
    return f"{outcome.dataset} from {outcome.borough_name} ({outcome.data_day}): " + "; ".join(
        reasons
    )
