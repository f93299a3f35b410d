"""Load many landed batches set-based: a dataset's partitions in one statement, fates in one.

Replacing a partition one transaction at a time costs ~7 round trips to DuckDB per batch
(look up, begin, delete, insert, count, record, commit) whatever its rows: a night's
1,221 batches paid them 1,221 times. Here every partition of a dataset is replaced by
one DELETE and one INSERT reading all its landed files at once (`read_json` over the
list), checked per partition against the landed row counts, and the batches' fates and
validation results are written with one INSERT each. One SELECT first says which partitions
already hold their batch (left as they are) and which are new (the usual case: their audit
row is a plain INSERT, no replace through the primary key). The caller holds the transaction:
the night commits a dataset's partitions with their audit rows, the backfill a whole
range; a partition is replaced whole or not at all, and loading it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.catalogue import Dataset
from ingest.errors import IngestError
from ingest.landing import LandedBatch
from ingest.outcomes import Outcome
from pipeline.load import _lines, quote

__all__ = ["Partition", "held_partitions", "replace_partitions", "record_batches"]


@dataclass(frozen=True)
class Partition:
    """What a partition is loaded from (a LandedBatch has the same attributes)."""

    records_path: Path
    borough_code: str
    data_day: str
    batch_id: str
    row_count: int


Held = dict[tuple[str, str], tuple[str, int]]
"""What raw.feed_partitions holds for some partitions: (borough, day) -> (batch id, rows)."""


def replace_partitions(
    con, dataset: Dataset, batches: list[LandedBatch | Partition], held: Held | None = None
) -> int:
    """Make each batch its (borough, day) partition of `dataset`, in the caller's transaction;
    returns their rows. A partition already holding its batch (a bulk file that did not
    change keeps its batch) is left as it is. `held`: what `held_partitions` read for this
    dataset before the night's first transaction (else it is read here)."""
    rows = sum(b.row_count for b in batches)
    # a partition fetched twice tonight (a catch-up day that is also a changed day) is its last batch
    batches = list({(b.borough_code, b.data_day): b for b in batches}.values())
    if held is None:
        held = held_partitions(con, {dataset.id: batches}).get(dataset.id, {})
    parts = [
        b for b in batches if held.get((b.borough_code, str(b.data_day))) != _batch_and_rows(b)
    ]
    if not parts:
        return rows
    table = f"raw.{quote(dataset.id)}"
    now = datetime.now(UTC).replace(tzinfo=None)
    keys = [[b.borough_code for b in parts], [b.data_day for b in parts]]
    # rows are loaded only with their partition's audit row (one transaction): a partition
    # raw.feed_partitions does not hold has no rows to delete (the usual case: a new day)
    replaced = [b for b in parts if (b.borough_code, str(b.data_day)) in held]
    if replaced:
        con.execute(
            f"""delete from {table} as t using (select unnest(?::varchar[]) as borough_code,
                                                      unnest(?::date[]) as data_day) as p
                where t._borough_code = p.borough_code and t._data_day = p.data_day""",
            [[b.borough_code for b in replaced], [b.data_day for b in replaced]],
        )
    landed = [b for b in parts if b.row_count]  # a real zero has no rows to read
    inserted = _insert_rows(con, dataset, table, landed, now) if landed else 0
    if inserted != sum(b.row_count for b in parts):
        _name_the_difference(con, dataset.id, table, parts)
    # a partition new tonight (the usual case) has no audit row to replace: a plain insert
    con.execute(
        f"""insert {"or replace" if replaced else ""} into raw.feed_partitions
            select ?, unnest(?::varchar[]), unnest(?::date[]), unnest(?::varchar[]),
                   unnest(?::bigint[]), ?""",
        [dataset.id, *keys, [b.batch_id for b in parts], [b.row_count for b in parts], now],
    )
    return rows


def held_partitions(con, batches: dict[str, list]) -> dict[str, Held]:
    """What raw.feed_partitions says each dataset's partitions among `batches` hold now, in one
    query for every dataset (a night reads it once, then loads a dataset a transaction)."""
    keys = [(d, b.borough_code, b.data_day) for d, bs in batches.items() for b in bs]
    held: dict[str, Held] = {}
    if not keys:
        return held
    found = con.execute(
        """select f.dataset, f.borough_code, f.data_day::varchar, f.batch_id, f.row_count
           from raw.feed_partitions as f
           semi join (select unnest($1::varchar[]) as dataset, unnest($2::varchar[]) as borough_code,
                             unnest($3::date[]) as data_day) as p
             on f.dataset = p.dataset and f.borough_code = p.borough_code
            and f.data_day = p.data_day""",
        [list(column) for column in zip(*keys, strict=True)],
    ).fetchall()
    for dataset_id, borough, day, batch_id, count in found:
        held.setdefault(dataset_id, {})[(borough, day)] = (batch_id, count)
    return held


def _batch_and_rows(batch) -> tuple[str, int]:
    return (batch.batch_id, batch.row_count)


def _insert_rows(con, dataset: Dataset, table: str, parts: list, now: datetime) -> int:
    """All parts' landed records in one INSERT (one read_json over their files); returns rows."""
    names = [quote(n) for n in dataset.column_names]
    column_types = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in dataset.column_names) + "}"
    return con.execute(
        f"""insert into {table} ({", ".join(names)}, _borough_code, _data_day, _batch_id, _loaded_at)
            select {", ".join(f"r.{n}" for n in names)}, p.borough_code, p.data_day, p.batch_id, $1
            from read_json($2, format = 'newline_delimited', columns = {column_types},
                           filename = '__landed_file') as r
            join (select unnest($2::varchar[]) as records_path, unnest($3::varchar[]) as borough_code,
                         unnest($4::date[]) as data_day, unnest($5::varchar[]) as batch_id) as p
              on p.records_path = r.__landed_file""",
        [
            now,
            [str(b.records_path) for b in parts],
            [b.borough_code for b in parts],
            [b.data_day for b in parts],
            [b.batch_id for b in parts],
        ],
    ).fetchone()[0]


def _name_the_difference(con, dataset_id: str, table: str, parts: list) -> None:
    """Which partitions' loaded rows differ from their landed counts (the loaded total did)."""
    wrong = con.execute(
        f"""select p.borough_code, p.data_day::varchar, p.row_count, count(t._data_day)
            from (select unnest(?::varchar[]) as borough_code, unnest(?::date[]) as data_day,
                         unnest(?::bigint[]) as row_count) as p
            left join {table} as t
              on t._borough_code = p.borough_code and t._data_day = p.data_day
            group by all having count(t._data_day) != p.row_count limit 3""",
        [
            [b.borough_code for b in parts],
            [b.data_day for b in parts],
            [b.row_count for b in parts],
        ],
    ).fetchall()
    raise IngestError(
        f"{dataset_id}: landed and loaded rows differ: "
        + "; ".join(f"{b} {d}: landed {n}, loaded {m}" for b, d, n, m in wrong)
    )


def record_batches(con, outcomes: list[Outcome], run_id: str) -> None:
    """Every batch's fate into audit.batches, and each validated one's result, in two statements."""
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
            [list(columns[0]), run_id, *[list(c) for c in columns[1:]], now],
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
    """One audit.batches row but its run id and time."""
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
