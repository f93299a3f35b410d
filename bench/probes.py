"""Our side of each comparison, one unit of work per child process.

    python -m bench.probes ingest   <specs.json>   <data dir>   steps.ingest_feeds over every feed-day
    python -m bench.probes manifest <data dir>     <out.json>   the landed batches (for load and validation)
    python -m bench.probes load     <batches.json> <work dir>   pipeline.load_set, a dataset at a time
    python -m bench.probes load_sql <batches.json> <work dir>   DuckDB read_json on the same files (the limit)
    python -m bench.probes validate <batches.json> <work dir>   Great Expectations, batch by batch, as a night does
    python -m bench.probes validate_sql <batches.json> <work dir>  the same checks as one DuckDB query a dataset
    python -m bench.probes fetch_one <feed id> <day> <data dir>  fetch_feed of one feed-day (peak RSS of a big response)

Each prints one JSON line: what it did (rows, batches, verdicts) and the CPU and wall of
the work alone, after imports (the parent records the whole process too).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["main"]


def ingest(specs_path: str, data_dir: str) -> dict[str, Any]:
    from ingest.paths import DataPaths
    from pipeline import steps

    specs = json.loads(Path(specs_path).read_text(encoding="utf-8"))
    days: dict[str, list[str]] = {}
    for spec in specs:
        days.setdefault(spec["feed_id"], []).append(spec["day"])
    plans = [{"feed_id": f, "days": d, "label": f} for f, d in days.items()]
    rows = batches = failed = 0
    # as a night's ingest task runs its host's feeds: serially, one HTTP session for them all
    for outcome in steps.ingest_feeds(plans, paths=DataPaths(Path(data_dir))):
        if outcome["status"] == "fetch_failed":
            failed += 1
            continue
        batches += 1
        rows += (outcome.get("batch") or {}).get("row_count") or 0
    return {"rows": rows, "batches": batches, "fetch_failed": failed}


def manifest(data_dir: str, out: str) -> dict[str, Any]:
    """Every complete landed batch under data_dir/landing, as LandedBatch dicts."""
    from ingest.landing import read_batch

    found = [
        read_batch(p.parent).to_dict()
        for p in sorted(Path(data_dir, "landing").glob("*/*/*/*/manifest.json"))
        if not p.parent.name.startswith(".")
    ]
    Path(out).write_text(json.dumps(found), encoding="utf-8")
    return {"batches": len(found), "rows": sum(b["row_count"] for b in found)}


def _batches(path: str):
    from ingest.landing import LandedBatch

    return [LandedBatch(**b) for b in json.loads(Path(path).read_text(encoding="utf-8"))]


def prepare_load(batches_path: str, work_dir: str) -> None:
    """Before the clock: the warehouse's tables, as every night after the first finds them."""
    from ingest.catalogue import load_catalogue
    from pipeline.load import connect_for_night, ensure_tables

    with connect_for_night(Path(work_dir) / "load.duckdb") as con:
        ensure_tables(con, load_catalogue())


def load(batches_path: str, work_dir: str) -> dict[str, Any]:
    """As a night loads: its connection (one DuckDB thread), a dataset's partitions a
    transaction (pipeline.load_set), into the warehouse's existing tables."""
    from ingest.catalogue import load_catalogue
    from pipeline.load import connect_for_night
    from pipeline.load_set import held_partitions, replace_partitions

    catalogue = load_catalogue()
    by_dataset: dict[str, list] = {}
    for batch in _batches(batches_path):
        by_dataset.setdefault(batch.dataset, []).append(batch)
    rows = 0
    with connect_for_night(Path(work_dir) / "load.duckdb") as con:
        held = held_partitions(con, by_dataset)
        for dataset_id, batches in by_dataset.items():
            con.execute("begin transaction")
            dataset = catalogue.dataset(dataset_id)
            rows += replace_partitions(con, dataset, batches, held.get(dataset_id, {}))
            con.execute("commit")
    return {"rows": rows}


def _files_by_dataset(batches_path: str) -> dict[str, list[str]]:
    by_dataset: dict[str, list[str]] = {}
    for batch in _batches(batches_path):
        if batch.row_count:
            by_dataset.setdefault(batch.dataset, []).append(str(batch.records_path))
    return by_dataset


def prepare_load_sql(batches_path: str, work_dir: str) -> None:
    """Before the clock, as for our side: a table per dataset, its columns text."""
    import duckdb

    from ingest.catalogue import load_catalogue
    from pipeline.load import quote

    catalogue = load_catalogue()
    with duckdb.connect(str(Path(work_dir) / "load_sql.duckdb")) as con:
        for dataset_id in _files_by_dataset(batches_path):
            names = catalogue.dataset(dataset_id).column_names
            columns = ", ".join(f"{quote(n)} varchar" for n in [*names, "filename"])
            con.execute(f"create table {quote(dataset_id)} ({columns})")


def load_sql(batches_path: str, work_dir: str) -> dict[str, Any]:
    """One read_json per dataset over all its landed files into its table: what DuckDB alone
    does, with the night's connection settings (one thread: fewer CPU-seconds for DuckDB
    too, so the limit is not made to look slower than it is)."""
    import duckdb

    from ingest.catalogue import load_catalogue
    from pipeline.load import quote

    catalogue = load_catalogue()
    rows = 0
    with duckdb.connect(str(Path(work_dir) / "load_sql.duckdb"), config={"threads": 1}) as con:
        for dataset_id, files in _files_by_dataset(batches_path).items():
            names = catalogue.dataset(dataset_id).column_names
            types = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
            con.execute(
                f"insert into {quote(dataset_id)} select * from read_json(?, "
                f"format = 'newline_delimited', columns = {types}, filename = true)",
                [files],
            )
            rows += con.execute(f"select count(*) from {quote(dataset_id)}").fetchone()[0]
    return {"rows": rows}


def validate(batches_path: str, work_dir: str) -> dict[str, Any]:
    """Great Expectations as a night validates: one run per dataset (pipeline.validate_set)."""
    from ingest.catalogue import load_catalogue
    from pipeline.validate_set import BatchToValidate, validate_batches

    catalogue = load_catalogue()
    batches = _batches(batches_path)
    by_dataset: dict[str, list] = {}
    for batch in batches:
        item = BatchToValidate(batch, catalogue.area(batch.borough_code))
        by_dataset.setdefault(batch.dataset, []).append(item)
    failed = []
    for dataset_id, items in by_dataset.items():
        verdicts = validate_batches(items, catalogue.dataset(dataset_id), catalogue.settings)
        failed.extend(batch_id for batch_id, verdict in verdicts.items() if not verdict.success)
    return {"batches": len(batches), "failed": sorted(failed)}


def validate_sql(batches_path: str, work_dir: str) -> dict[str, Any]:
    from bench.sql_checks import failing_batches
    from ingest.catalogue import load_catalogue

    batches = _batches(batches_path)
    return {"batches": len(batches), "failed": sorted(failing_batches(load_catalogue(), batches))}


def fetch_one(feed_id: str, day: str, data_dir: str) -> dict[str, Any]:
    from ingest.catalogue import load_catalogue
    from ingest.fetch import fetch_feed

    catalogue = load_catalogue()
    batch = fetch_feed(
        catalogue, catalogue.feed(feed_id), date.fromisoformat(day), Path(data_dir) / "landing"
    )
    size = sum(p.stat().st_size for p in Path(batch.path).glob("page-*"))
    return {"rows": batch.row_count, "response_mb": round(size / 2**20, 1)}


_PREPARE = {
    "ingest": ["pipeline.steps", "ingest.fetch", "ingest.http"],
    "load": ["duckdb", "pipeline.load", "pipeline.load_set"],
    "load_sql": ["duckdb", "pipeline.load"],
    "validate": ["pipeline.validate", "great_expectations"],
    "validate_sql": ["duckdb", "bench.sql_checks"],
    "fetch_one": ["ingest.fetch"],
    "manifest": [],
}


def main(argv: list[str]) -> int:
    import importlib

    kind, *arguments = argv
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for module in _PREPARE[kind]:
        importlib.import_module(module)  # imports are not the work: before the clock
    if kind == "validate":
        from pipeline.validate import ge_context

        ge_context()
    if kind in ("load", "load_sql", "validate_sql"):
        import duckdb

        # DuckDB imports pandas and numpy at the first bound parameter (~0.23 CPU-s): before the
        # clock on every side (the validate side has them from importing GE)
        duckdb.connect().execute("select ?", [1]).fetchall()
    from ingest.catalogue import load_catalogue

    load_catalogue()
    prepare = globals().get(f"prepare_{kind}")
    if prepare:  # what the work finds ready (a warehouse's tables): before the clock
        prepare(*arguments)
    work = globals()[kind]
    cpu, wall = time.process_time(), time.perf_counter()
    figures = work(*arguments)
    print(
        json.dumps(
            figures
            | {
                "work_cpu_s": round(time.process_time() - cpu, 4),
                "work_wall_s": round(time.perf_counter() - wall, 4),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
