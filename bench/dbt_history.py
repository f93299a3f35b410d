"""Row group `dbt_history` of `make bench`, and `python -m bench.dbt_history`: a night's dbt cost vs history.

The incremental record models (dbt_project/macros/incremental_records.sql) should make a
night's `dbt build` cost follow the night's new data, not the years already loaded. This
builds two warehouses at the sandbox's default volume, one with 1 year and one with 3
years of history, then times the dbt build of the same next nights on each, side by
side, and prints the ratio (the goal: within 1.3x).

History is made cheaply: the sandbox's generator lands `--base-days` real days of every
daily dataset and every monthly and quarterly period of the whole range (few rows); the
daily days are then copied back in time in DuckDB, a week at a time, with their dates
shifted, their record references made unique and their batches recorded in
audit.batches as a night records them. Each following night lands the sandbox's next day
(`land_sandbox`), then runs pipeline.dbt_runner.dbt_build as a night does (incremental).
The first build of each warehouse (a full refresh: what every night cost before) is
timed too. Nothing is asserted: the figures are printed (and written with --json).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from bench.measure import load_average
from ingest.catalogue import load_catalogue
from ingest.paths import REPO_ROOT, DataPaths
from pipeline.load import write_areas, write_datasets

__all__ = ["main"]

SCRIPTS = REPO_ROOT / "dbt_project" / "scripts"
LAST_BASE_DAY = date(2026, 10, 31)  # the newest history day; the timed nights follow it
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S.000", "%Y-%m-%dT%H:%M:%S")


def _base(folder: Path, base_days: int, years: int) -> Path:
    """The sandbox's last `base_days` daily days and every period of `years` years, landed."""
    sys.path.insert(0, str(SCRIPTS))
    import make_fixture_warehouse as fixture

    path = folder / "base.duckdb"
    fixture.build(path, empty=True)
    catalogue = load_catalogue()
    with duckdb.connect(str(path)) as con:
        write_areas(con, catalogue)
        write_datasets(con, catalogue)
    start = LAST_BASE_DAY - timedelta(days=base_days - 1)
    fixture.land_sandbox(
        path, base_days, start=start, periods_from=date(start.year - years, start.month, 1)
    )
    return path


def _shifted(column: str, days: str) -> str:
    """SQL: a date text moved by `days` days, in the layout it was published in."""
    tries = ", ".join(
        f"strftime(try_strptime({column}, '{f}') + {days} * interval 1 day, '{f}')"
        for f in DATE_FORMATS
    )
    return f"coalesce({tries}, {column})"


def _add_history(path: Path, base_days: int, days: int) -> None:
    """Copy the daily datasets' base days back in time until `days` days are covered."""
    catalogue = load_catalogue()
    copies = -(-days // base_days) - 1  # the base itself is the newest copy
    first = LAST_BASE_DAY - timedelta(days=base_days - 1)
    with duckdb.connect(str(path)) as con:
        con.execute(f"create temp table copies as select range as n from range(1, {copies + 1})")
        for dataset in catalogue.datasets.values():
            if dataset.region_wide or dataset.periodic:
                continue
            shift = f"(- copies.n * {base_days})"
            dates = {f.name for f in dataset.fields if f.type == "date"}
            key = next(name for name in dataset.column_names if name.endswith("_ref"))
            columns = [
                _shifted(name, shift)
                if name in dates
                else f"{name} || '-h' || copies.n"
                if name == key
                else name
                for name in dataset.column_names
            ]
            con.execute(
                f"insert into raw.{dataset.id} select {', '.join(columns)}, _borough_code, "
                f"_data_day + {shift} * interval 1 day, _batch_id || '-h' || copies.n, "
                f"_loaded_at + {shift} * interval 1 day from raw.{dataset.id}, copies "
                f"where _data_day >= ?",
                [first],
            )
            con.execute(
                f"insert into raw.feed_partitions select dataset, borough_code, "
                f"data_day + {shift} * interval 1 day, batch_id || '-h' || copies.n, row_count, "
                f"loaded_at + {shift} * interval 1 day from raw.feed_partitions, copies "
                f"where dataset = ? and data_day >= ?",
                [dataset.id, first],
            )
        _record_batches(con)


def _record_batches(con) -> None:
    """audit.batches as nights record them: one loaded batch per partition not yet recorded."""
    con.execute(
        "insert into audit.batches (batch_id, run_id, dataset, borough_code, data_day, status, "
        "row_count, recorded_at) select p.batch_id, 'bench-' || p.data_day, p.dataset, "
        "p.borough_code, p.data_day, 'loaded', p.row_count, p.loaded_at "
        "from raw.feed_partitions as p anti join audit.batches as b on b.batch_id = p.batch_id"
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _night(paths: DataPaths, day: date) -> tuple[float, float, list[dict]]:
    """Land the sandbox's `day` (and any period starting then), then a night's dbt build:
    (its wall seconds, the dbt process's CPU-seconds, the models' times)."""
    import make_fixture_warehouse as fixture

    from pipeline.dbt_runner import dbt_build

    fixture.land_sandbox(paths.warehouse, 1, start=day)
    with duckdb.connect(str(paths.warehouse)) as con:
        _record_batches(con)
    started, cpu = time.monotonic(), _children_cpu()
    summary = dbt_build(load_catalogue(), paths)
    elapsed, cpu = time.monotonic() - started, _children_cpu() - cpu
    assert not summary["full_refresh"], "a timed night must be incremental"
    return elapsed, cpu, summary["models"]


def _first_build(paths: DataPaths) -> float:
    from pipeline.dbt_runner import dbt_build

    started = time.monotonic()
    dbt_build(load_catalogue(), paths)
    return time.monotonic() - started


def _rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return sum(
            con.execute(f"select count(*) from raw.{d.id}").fetchone()[0]
            for d in load_catalogue().datasets.values()
            if not d.region_wide
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dbt_history", description=__doc__)
    parser.add_argument("--years", type=int, nargs=2, default=[1, 3], metavar=("SHORT", "LONG"))
    parser.add_argument("--base-days", type=int, default=7, help="sandbox days copied back")
    parser.add_argument("--nights", type=int, default=2, help="timed nights on each side")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the warehouses (path printed)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    folder = Path(tempfile.mkdtemp(prefix="bench-dbt-history-"))
    try:
        started = time.monotonic()
        base = _base(folder, args.base_days, max(args.years))
        print(f"base: {args.base_days} sandbox days, {time.monotonic() - started:.0f} s")
        sides = {}
        for years in args.years:
            paths = DataPaths(folder / f"{years}y")
            paths.warehouse.parent.mkdir(parents=True)
            shutil.copyfile(base, paths.warehouse)
            with duckdb.connect(str(paths.warehouse)) as con:  # periods older than the side
                cutoff = date(LAST_BASE_DAY.year - years, LAST_BASE_DAY.month, 1)
                for d in load_catalogue().datasets.values():
                    if d.periodic and not d.region_wide:
                        con.execute(f"delete from raw.{d.id} where _data_day < ?", [cutoff])
                        con.execute(
                            "delete from raw.feed_partitions where dataset = ? and data_day < ?",
                            [d.id, cutoff],
                        )
            _add_history(paths.warehouse, args.base_days, 365 * years)
            sides[years] = {"raw_rows": _rows(paths.warehouse)}
            sides[years]["first_build_s"] = round(_first_build(paths), 1)
            print(
                f"{years} y: {sides[years]['raw_rows']:,} raw rows, first (full) build "
                f"{sides[years]['first_build_s']} s (load {load_average()})"
            )
        for night in range(1, args.nights + 1):
            day = LAST_BASE_DAY + timedelta(days=night)
            for years in args.years:  # alternated, so both sides share the machine's moods
                seconds, cpu, models = _night(DataPaths(folder / f"{years}y"), day)
                sides[years].setdefault("nights_s", []).append(round(seconds, 1))
                sides[years].setdefault("nights_cpu_s", []).append(round(cpu, 1))
                sides[years]["slowest_nodes"] = sorted(models, key=lambda m: -m["seconds"])[:8]
                print(f"night {day} on {years} y of history: dbt {seconds:.1f} s")
        short, long = (min(sides[y]["nights_s"]) for y in args.years)
        ratio = long / short
        print()
        print(f"{'history':<10}{'raw rows':>12}{'full build s':>14}{'nightly dbt s (each)':>24}")
        for years in args.years:
            s = sides[years]
            print(
                f"{years} y{'':<7}{s['raw_rows']:>12,}{s['first_build_s']:>14}"
                f"{', '.join(map(str, s['nights_s'])):>24}"
            )
        for years in args.years:
            slowest = ", ".join(
                f"{m['node']} {m['seconds']}" for m in sides[years]["slowest_nodes"]
            )
            print(f"{years} y, slowest nodes of the last night (s): {slowest}")
        print(
            f"nightly dbt, {args.years[1]} y vs {args.years[0]} y of history (best night each): "
            f"{ratio:.2f}x (goal: within 1.3x); load average {load_average()}, "
            f"{os.cpu_count()} cores"
        )
        if args.json:
            args.json.write_text(json.dumps({"sides": sides, "ratio": ratio}, indent=2) + "\n")
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
