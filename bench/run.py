"""`make bench` / `python -m bench [--tiny]`: every comparison of issue 13, side by side.

Each row runs our side and its baseline as fresh child processes, alternated, several
times, on this machine, now; it reports the medians and their ratio (bench/measure.py).
The borough API sandbox serves every ingest row; its own rate is a row too, so a reader
can see which figures it bounds. --tiny runs every row at toy sizes in a minute or two
(tests/test_bench.py), so the code cannot rot; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.cli_night import ISSUE_13_COMMIT, CliNightRows
from bench.dbt_night_memory_rows import DbtNightMemoryRows
from bench.harness import DAY, MODES, ROOT
from bench.history_backfill_rows import HistoryBackfillRows
from bench.ingest_load_rows import IngestLoadRows
from bench.measure import load_average, machine
from bench.report import RESULTS, table, write_results

__all__ = ["main", "MODES"]


class Bench(IngestLoadRows, DbtNightMemoryRows, CliNightRows, HistoryBackfillRows):
    """Every row group on one scratch folder (bench/harness.py: the mode, the children)."""


def _before_last_product_change() -> str:
    """The parent of the newest commit touching the product (not bench/, tests/ or docs): "before the change"."""
    last = subprocess.run(
        [
            "git",
            "log",
            "-1",
            "--format=%H",
            "--",
            "pipeline",
            "ingest",
            "dags",
            "dbt_project",
            "config",
            "expectations",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{last}~1" if last else "HEAD~1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tiny", action="store_true", help="every row at toy sizes (seconds to minutes)"
    )
    parser.add_argument(
        "--baseline",
        default=os.environ.get("BASELINE") or _before_last_product_change(),
        help="the commit the night is compared with (default $BASELINE, else the parent of the "
        "last commit that changed the product: pipeline, ingest, dags, dbt_project, config)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated groups: ingest,large,serving,load,night,cli_night,memory,"
        "dbt_history,backfill (default all)",
    )
    parser.add_argument(
        "--cli-baseline",
        default=ISSUE_13_COMMIT,
        help="the commit whose whole nights (its own CLI) the cli_night row compares HEAD with "
        f"(default {ISSUE_13_COMMIT}, where issue 13 measured)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--runs", type=int, default=None, help="runs of each side of a quick row (full: 5)"
    )
    parser.add_argument(
        "--boroughs", default="", help="only these boroughs (slugs, comma-separated): a quicker run"
    )
    parser.add_argument(
        "--slow-runs", type=int, default=None, help="runs of each side of a slow row (full: 3)"
    )
    args = parser.parse_args(argv)
    mode_name = "tiny" if args.tiny or os.environ.get("BENCH_MODE") == "tiny" else "full"
    mode = MODES[mode_name]
    if args.runs or args.slow_runs:
        mode = replace(
            mode, runs=args.runs or mode.runs, slow_runs=args.slow_runs or mode.slow_runs
        )
    if args.boroughs:
        mode = replace(mode, boroughs=tuple(args.boroughs.split(",")))
    groups = set(filter(None, args.only.split(","))) or {
        "ingest",
        "large",
        "serving",
        "load",
        "night",
        "cli_night",
        "memory",
        "dbt_history",
        "backfill",
    }
    results: dict[str, Any] = {
        "mode": mode_name,
        "runs": mode.runs,
        "slow_runs": mode.slow_runs,
        "boroughs": list(mode.boroughs or ["all"]),
        "groups": sorted(groups),
        "machine": machine(),
        "load_average_start": load_average(),
        "baseline_ref": args.baseline,
        "cli_baseline_ref": args.cli_baseline,
        "notes": [],
        "rows": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        bench = Bench(mode, Path(scratch), args.baseline)
        bench.cli_baseline = args.cli_baseline
        steps = [
            ("ingest", lambda: bench.ingest_rows("default", 1.0, [DAY], mode.runs)),
            (
                "large",
                lambda: bench.ingest_rows(
                    "large",
                    mode.large_scale,
                    [DAY - timedelta(days=n) for n in range(mode.large_days)][::-1],
                    mode.slow_runs,
                ),
            ),
            ("serving", bench.serving_row),
            ("load", bench.load_and_validation_rows),
            ("night", bench.night_rows),
            ("cli_night", bench.cli_night_rows),
            ("memory", bench.big_response_row),
            ("dbt_history", bench.dbt_history_row),
            ("backfill", bench.backfill_rows),
        ]
        failed: list[str] = []
        for group, step in steps:
            if group in groups:
                began = time.perf_counter()
                print(f"bench: {group} ...", file=sys.stderr, flush=True)
                try:  # an hour's run keeps the other groups' figures when one group fails
                    step()
                except Exception as error:  # noqa: BLE001 - reported below, and the exit is 1
                    failed.append(group)
                    bench.notes.append(f"group {group} failed: {error!s:.3000}")
                    print(f"bench: {group} FAILED: {error!s:.3000}", file=sys.stderr, flush=True)
                results.setdefault("elapsed_s", {}).setdefault(group, 0)
                results["elapsed_s"][group] += round(time.perf_counter() - began, 1)
                partial = results | {"rows": bench.rows, "notes": bench.notes}
                (args.results / "partial.json").parent.mkdir(parents=True, exist_ok=True)
                (args.results / "partial.json").write_text(json.dumps(partial, default=str))
        results["rows"], results["notes"] = bench.rows, bench.notes
    results["load_average_end"] = load_average()
    results["notes"].append(
        f"load average {results['load_average_start']} at the start, "
        f"{results['load_average_end']} at the end (a shared machine: CPU-seconds, not wall, "
        "are the figures to compare)"
    )
    target = write_results(results, args.results)
    print(table(results))
    print(f"results: {target}")
    if failed:
        print(f"failed groups: {', '.join(failed)} (their errors are in the notes)")
    return 1 if failed else 0
