"""Load a backfill's validated batches set-based: one transaction, one statement per dataset.

The night's load (pipeline/steps.py, pipeline/load.py) replaces one partition per
transaction, and records each batch with its own INSERT: right for a night's few hundred
batches, an hour for a year's tens of thousands. Here every partition of a dataset is
replaced by one DELETE and one INSERT reading all its landed files at once
(`read_json` over the list), checked per partition against the landed row counts, and
every batch's fate and validation result is written with one INSERT each — all in one
transaction, so a failure leaves the warehouse as it was. What lands in `raw.*`,
`raw.feed_partitions`, `audit.*`, `raw.source_metadata` and `raw.feed_watermarks` is what
the nights A..B would have written (a backfill is no catch-up: no "not fetched on its
night" rows).
"""

from __future__ import annotations

from datetime import UTC, datetime
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
                    summary["loaded_rows"] += _replace_partitions(
                        con, catalogue, dataset_id, [o for o in loaded if o.dataset == dataset_id]
                    )
                _record(con, [*loaded, *recorded], run_id)
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


def _replace_partitions(con, catalogue: Catalogue, dataset_id: str, batches: list[Outcome]) -> int:
    """Delete the partitions of `batches` and insert their landed records, in the open transaction."""
    from pipeline.load import quote

    dataset = catalogue.dataset(dataset_id)
    table = f"raw.{quote(dataset.id)}"
    names = [quote(n) for n in dataset.column_names]
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute("""create or replace temp table backfill_parts (
        records_path varchar, borough_code varchar, data_day date, batch_id varchar, row_count bigint)""")
    con.execute(
        """insert into backfill_parts
           select unnest(?::varchar[]), unnest(?::varchar[]), unnest(?::date[]),
                  unnest(?::varchar[]), unnest(?::bigint[])""",
        [
            [str(o.batch.records_path) for o in batches],
            [o.borough_code for o in batches],
            [o.data_day for o in batches],
            [o.batch.batch_id for o in batches],
            [o.batch.row_count for o in batches],
        ],
    )
    con.execute(
        f"""delete from {table} as t where exists (select 1 from backfill_parts as p
            where p.borough_code = t._borough_code and p.data_day = t._data_day)"""
    )
    files = [str(o.batch.records_path) for o in batches if o.batch.row_count]
    if files:
        column_types = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in dataset.column_names) + "}"
        con.execute(
            f"""insert into {table} ({", ".join(names)}, _borough_code, _data_day, _batch_id, _loaded_at)
                select {", ".join(f"r.{n}" for n in names)}, p.borough_code, p.data_day, p.batch_id, ?
                from read_json(?, format = 'newline_delimited', columns = {column_types},
                               filename = '__landed_file') as r
                join backfill_parts as p on p.records_path = r.__landed_file""",
            [now, files],
        )
    wrong = con.execute(
        f"""select p.borough_code, p.data_day::varchar, p.row_count, count(t._data_day)
            from backfill_parts as p left join {table} as t
              on t._borough_code = p.borough_code and t._data_day = p.data_day
            group by all having count(t._data_day) != p.row_count limit 3"""
    ).fetchall()
    if wrong:
        raise IngestError(
            f"{dataset_id}: landed and loaded rows differ: "
            + "; ".join(f"{b} {d}: landed {n}, loaded {m}" for b, d, n, m in wrong)
        )
    con.execute(
        """delete from raw.feed_partitions as f where f.dataset = ? and exists (
               select 1 from backfill_parts as p
               where p.borough_code = f.borough_code and p.data_day = f.data_day)""",
        [dataset_id],
    )
    con.execute(
        """insert into raw.feed_partitions
           select ?, borough_code, data_day, batch_id, row_count, ? from backfill_parts""",
        [dataset_id, now],
    )
    return sum(o.batch.row_count for o in batches)


def _record(con, outcomes: list[Outcome], run_id: str) -> None:
    """Every batch's fate into audit.batches, and each validated one's result, in two statements."""
    from pipeline.load import _lines

    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [_audit_row(o) for o in outcomes]
    if rows:
        columns = list(zip(*rows, strict=True))
        con.execute(
            """insert into audit.batches
               select unnest(?::varchar[]), ?, unnest(?::varchar[]), unnest(?::varchar[]),
                      unnest(?::date[]), unnest(?::varchar[]), unnest(?::bigint[]),
                      unnest(?::varchar[]), unnest(?::varchar[]), unnest(?::varchar[]),
                      unnest(?::varchar[]), ?""",
            [
                list(columns[0]),
                run_id,
                *[list(c) for c in columns[1:]],
                now,
            ],
        )
    checked = [o for o in outcomes if o.validation_path]
    if checked:
        con.execute(
            """insert into audit.validation_results
               select v.batch_id, v.dataset, v.borough_code, v.data_day,
                      json_extract(f.content, '$.success')::boolean, v.failures, v.warnings,
                      trim(f.content)::json, ?
               from (select unnest(?::varchar[]) as batch_id, unnest(?::varchar[]) as dataset,
                            unnest(?::varchar[]) as borough_code, unnest(?::date[]) as data_day,
                            unnest(?::varchar[]) as failures, unnest(?::varchar[]) as warnings,
                            unnest(?::varchar[]) as path) as v
               join read_text(?) as f on f.filename = v.path""",
            [
                now,
                [o.batch.batch_id for o in checked],
                [o.dataset for o in checked],
                [o.borough_code for o in checked],
                [o.data_day for o in checked],
                [_lines(o.failures) for o in checked],
                [_lines(o.warnings) for o in checked],
                [o.validation_path for o in checked],
                [o.validation_path for o in checked],
            ],
        )


def _audit_row(outcome: Outcome) -> tuple:
    """One audit.batches row (but run id and time), as pipeline.load.record_batch writes it."""
    from pipeline.load import _lines

    batch = outcome.batch
    return (
        batch.batch_id if batch else f"unfetched-{outcome.feed_id}-{outcome.data_day}",
        outcome.dataset,
        outcome.borough_code,
        outcome.data_day,
        outcome.status.value,
        batch.row_count if batch else None,
        _lines(outcome.failures) or outcome.error,
        _lines(outcome.warnings),
        batch.path if batch else None,
        outcome.quarantine_path,
    )


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
