"""The pipeline's DuckDB: `raw` and `audit` tables, the catalogue's areas and datasets.

A partition is one (dataset, borough, data day). Loading replaces it whole — delete and
insert inside one transaction, the rows read set-based with `read_json` straight from the
landed files, a dataset's partitions at once (pipeline/load_set.py) — so re-runs and
backfills never duplicate a row and a crash mid-load leaves the previous partition in
place. Every batch's fate (loaded, quarantined, fetch failed) and every validation result
is recorded in the `audit` schema.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ingest.catalogue import Catalogue, Dataset
from ingest.watermarks import ensure_watermark_table

__all__ = [
    "connect",
    "connect_for_night",
    "ensure_tables",
    "ensure_audit_tables",
    "write_areas",
    "write_datasets",
    "load_partition",
    "quote",
]

_SAFE_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
AREA_COLUMNS = ("area_code", "area_name", "area_slug", "sub_region", "region_code", "region_name")
DATASET_COLUMNS = (
    "dataset",
    "domain",
    "title",
    "owner",
    "licence",
    "cadence",
    "lag_days",
    "history_periods",
    "owed_by",
    "published_in",
)
PARTITION_COLUMNS = {
    "_borough_code": "VARCHAR",
    "_data_day": "DATE",
    "_batch_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
}


def quote(identifier: str) -> str:
    """Quote an identifier, refusing anything but [a-z_][a-z0-9_]* (config is validated too)."""
    if not _SAFE_IDENTIFIER.match(identifier):
        raise ValueError(f"refusing unsafe SQL identifier {identifier!r}")
    return f'"{identifier}"'


def connect(warehouse: Path, **settings):
    """The pipeline's own database; only the pipeline ever opens it (one writer). `settings`:
    more DuckDB settings of the instance (e.g. threads)."""
    import duckdb

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        str(warehouse),
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": True}
        | settings,
    )


def connect_for_night(warehouse: Path):
    """`connect`, with one DuckDB thread: a night's load is a few statements and a commit per
    dataset over small files, and a second thread woken at each costs CPU (a quarter of the
    load's, measured on the default sandbox) without making anything quicker at that size.
    A setting of the database instance, given at open: it holds until the connection closes."""
    return connect(warehouse, threads=1)


def ensure_tables(con, catalogue: Catalogue) -> None:
    """Create schemas and tables, adding columns the catalogue has gained since; one
    transaction, so a fresh warehouse costs one commit, not one a table."""
    con.execute("begin transaction")
    try:
        _ensure_tables(con, catalogue)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _ensure_tables(con, catalogue: Catalogue) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists audit")
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for dataset in [*catalogue.datasets.values(), *catalogue.elsewhere.values()]:
        table = f"raw.{quote(dataset.id)}"
        columns = {name: "VARCHAR" for name in dataset.column_names} | PARTITION_COLUMNS
        if dataset.id not in existing:
            con.execute(
                f"create table {table} ("
                + ", ".join(f"{quote(n)} {t}" for n, t in columns.items())
                + ")"
            )
            existing[dataset.id] = set(columns)
            continue
        for name, kind in columns.items():
            if name not in existing[dataset.id]:
                con.execute(f"alter table {table} add column {quote(name)} {kind}")
    con.execute("""
        create table if not exists raw.feed_partitions (
            dataset varchar, borough_code varchar, data_day date, batch_id varchar,
            row_count bigint, loaded_at timestamp, primary key (dataset, borough_code, data_day))""")
    ensure_watermark_table(con)  # raw.feed_watermarks: incremental feeds' high-water marks
    con.execute("""
        create table if not exists raw.areas (
            area_code varchar primary key, area_name varchar, area_slug varchar,
            sub_region varchar, region_code varchar, region_name varchar)""")
    con.execute("create table if not exists raw.area_aliases (area_code varchar, alias varchar)")
    con.execute("""
        create table if not exists raw.datasets (
            dataset varchar primary key, domain varchar, title varchar, owner varchar, licence varchar)""")
    for name, kind in (
        ("cadence", "varchar"),
        ("lag_days", "integer"),
        ("history_periods", "integer"),
        ("owed_by", "varchar"),
        ("published_in", "varchar"),
    ):
        con.execute(f"alter table raw.datasets add column if not exists {name} {kind}")
    ensure_audit_tables(con)


def ensure_audit_tables(con) -> None:
    """`audit`: every batch's fate and every validation result (dbt reads them as a source)."""
    con.execute("create schema if not exists audit")
    con.execute("""
        create table if not exists audit.batches (
            batch_id varchar, run_id varchar, dataset varchar, borough_code varchar,
            data_day date, status varchar, row_count bigint, reason varchar, warnings varchar,
            landed_path varchar, quarantine_path varchar, recorded_at timestamp)""")
    con.execute("""
        create table if not exists audit.validation_results (
            batch_id varchar, dataset varchar, borough_code varchar, data_day date,
            success boolean, failures varchar, warnings varchar, result json, validated_at timestamp)""")


def write_areas(con, catalogue: Catalogue) -> None:
    """The region's boroughs and every spelling of them, from config, for dbt staging;
    rewritten only when config changed (an unchanged table costs one read, not a rewrite
    and the checkpoint of it at close)."""
    region = catalogue.region
    areas = [(a.code, a.name, a.slug, a.sub_region, region.code, region.name) for a in region.areas]
    aliases = [
        (a.code, alias) for a in region.areas for alias in dict.fromkeys((a.name, *a.aliases))
    ]
    if _holds(con, "raw.areas", AREA_COLUMNS, areas) and _holds(
        con, "raw.area_aliases", ("area_code", "alias"), aliases
    ):
        return
    con.execute("begin transaction")
    con.execute("delete from raw.areas")
    con.execute("delete from raw.area_aliases")
    con.executemany("insert into raw.areas values (?, ?, ?, ?, ?, ?)", areas)
    con.executemany("insert into raw.area_aliases values (?, ?)", aliases)
    con.execute("commit")


def write_datasets(con, catalogue: Catalogue) -> None:
    """The catalogue's datasets, for dbt: what every borough owes, and how often (cadence);
    rewritten only when config changed, as write_areas."""
    rows = [
        (
            d.id,
            d.domain,
            d.title,
            d.owner,
            d.licence,
            d.cadence,
            d.publication.lag_days if d.publication else None,
            d.publication.history_periods if d.publication else None,
            "borough" if d.owed_by_boroughs else "region",
            "region_file" if d.region_wide else "borough_portal",
        )
        for d in catalogue.datasets.values()
    ]
    if _holds(con, "raw.datasets", DATASET_COLUMNS, rows):
        return
    con.execute("begin transaction")
    con.execute("delete from raw.datasets")
    con.executemany(
        f"insert into raw.datasets ({', '.join(DATASET_COLUMNS)}) "
        f"values ({', '.join('?' * len(DATASET_COLUMNS))})",
        rows,
    )
    con.execute("commit")


def _holds(con, table: str, columns: tuple[str, ...], rows: list[tuple]) -> bool:
    """Whether `table` holds exactly `rows`, in any order."""
    held = con.execute(f"select {', '.join(columns)} from {table}").fetchall()
    return Counter(held) == Counter(rows)


def load_partition(
    con,
    dataset: Dataset,
    borough_code: str,
    data_day: str,
    batch_id: str,
    records_path: Path,
    row_count: int,
) -> int:
    """Replace one partition with landed records, in its own transaction; returns its rows
    (pipeline/load_set.py loads many at once, as the night and the backfill do)."""
    from pipeline.load_set import Partition, replace_partitions

    part = Partition(Path(records_path), borough_code, data_day, batch_id, row_count)
    con.execute("begin transaction")
    try:
        rows = replace_partitions(con, dataset, [part])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return rows


def _lines(items: Iterable[str] | None) -> str | None:
    items = list(items or [])
    return "\n".join(items) if items else None
