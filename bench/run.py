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
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.measure import Sample, alternate, load_average, machine, run_child, summarise
from bench.report import RESULTS, table, write_results

__all__ = ["main", "MODES"]

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_PYTHON = ROOT / "bench" / ".venv" / "bin" / "python"
CACHE = ROOT / "bench" / ".cache"  # generated fixtures, reused between runs (gitignored)
DAY = date(2026, 11, 9)


@dataclass(frozen=True)
class Mode:
    runs: int  # runs of each side of a quick row
    slow_runs: int  # of a row taking minutes (large ingest, dbt, nights)
    boroughs: tuple[str, ...] | None
    large_scale: float  # ingest where rows dominate: sandbox --scale and days
    large_days: int
    serving_scale: float  # the sandbox's own rate is measured at this scale
    big_response_scale: float  # a bulk CSV of ~50 MB
    dbt_days: tuple[int, int]  # 1 year vs 3 years of history
    dbt_select: tuple[str, ...]  # what the dbt row builds (everything, or a toy selection)
    night_stages: str  # "all", or "land" (plan..load, no dbt) in tiny mode


MODES = {
    "full": Mode(
        runs=5,
        slow_runs=3,
        boroughs=None,
        large_scale=20,
        large_days=30,
        serving_scale=50,
        big_response_scale=160,
        dbt_days=(365, 1095),
        dbt_select=(),
        night_stages="all",
    ),
    "tiny": Mode(
        runs=1,
        slow_runs=1,
        boroughs=("barnet", "camden"),
        large_scale=1,
        large_days=2,
        serving_scale=1,
        big_response_scale=1,
        dbt_days=(1, 3),
        dbt_select=("--select", "resource_type:seed"),
        night_stages="land",
    ),
}


def _env(**extra: str) -> dict[str, str]:
    return (
        os.environ
        | {
            "PYTHONPATH": str(ROOT),
            "GX_ANALYTICS_ENABLED": "False",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
        | extra
    )


def _row(
    name: str,
    what: str,
    subject: str,
    baseline: str,
    subjects: list[Sample],
    baselines: list[Sample],
    metric: str,
    goal: str | None,
    met: Callable[[float], bool] | None,
    **extra: Any,
) -> dict[str, Any]:
    figures = summarise(subjects, baselines, metric)
    ratio = figures["ratio"]
    return {
        "name": name,
        "what": what,
        "subject": subject,
        "baseline": baseline,
        **figures,
        "goal": goal,
        "goal_met": None if met is None or ratio is None else bool(met(ratio)),
        **extra,
    }


class Bench:
    """Holds the scratch folder, the sandbox and the mode while the rows run."""

    def __init__(self, mode: Mode, scratch: Path, baseline_ref: str):
        self.mode, self.scratch, self.baseline_ref = mode, scratch, baseline_ref
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._counter = 0

    def fresh(self, name: str) -> Path:
        self._counter += 1
        return self.scratch / f"{self._counter:04d}-{name}"

    # --- ingest -------------------------------------------------------------------------------
    def specs(self, url: str, days: list[date]) -> Path:
        from bench.specs import feed_specs
        from ingest.catalogue import load_catalogue

        os.environ["CITY_API_BASE_URL"] = url
        specs = feed_specs(load_catalogue(), days)
        if self.mode.boroughs:
            codes = {load_catalogue().area(b).code for b in self.mode.boroughs}
            specs = [s for s in specs if s["borough_code"] in codes]
        path = self.fresh("specs.json")
        path.write_text(json.dumps(specs), encoding="utf-8")
        return path

    def ours(self, specs: Path, url: str) -> Sample:
        return run_child(
            [PYTHON, "-m", "bench.probes", "ingest", str(specs), str(self.fresh("ours"))],
            env=_env(CITY_API_BASE_URL=url),
        )

    def peer(self, kind: str, specs: Path, url: str) -> Sample:
        python = BENCH_PYTHON if kind == "dlt" else PYTHON
        return run_child(
            [str(python), "-m", "bench.peers", kind, str(specs), str(self.fresh(kind))],
            env=_env(CITY_API_BASE_URL=url),
        )

    def ingest_rows(self, label: str, scale: float, days: list[date], runs: int) -> None:
        from sandbox.process import SandboxProcess

        with SandboxProcess(scale=scale, as_of=days[-1]) as sandbox:
            specs = self.specs(sandbox.url, days)
            what = f"ingest {label}: {len(json.loads(specs.read_text()))} feed-days, sandbox scale {scale:g}"
            bare_ours, bare = alternate(
                lambda: self.ours(specs, sandbox.url),
                lambda: self.peer("bare", specs, sandbox.url),
                runs,
            )
            rows = bare_ours[0].inner["rows"]
            common = {
                "rows": rows,
                "rows_per_side": [bare_ours[0].inner["rows"], bare[0].inner["rows"]],
                "wall": summarise(bare_ours, bare, "wall_s"),
                "peak_rss_mb": summarise(bare_ours, bare, "peak_rss_mb"),
            }
            self.rows.append(
                _row(
                    f"ingest_{label}_vs_bare",
                    what,
                    "steps.ingest_feed per feed, serial",
                    "requests + DuckDB read_json",
                    bare_ours,
                    bare,
                    "cpu_s",
                    "ratio <= 1.5",
                    lambda r: r <= 1.5,
                    **common,
                )
            )
            if not BENCH_PYTHON.exists():
                self.rows.append(
                    {
                        "name": f"ingest_{label}_vs_dlt",
                        "skipped": "dlt not installed (make bench creates bench/.venv)",
                    }
                )
                return
            dlt_ours, dlt = alternate(
                lambda: self.ours(specs, sandbox.url),
                lambda: self.peer("dlt", specs, sandbox.url),
                runs,
            )
            self.rows.append(
                _row(
                    f"ingest_{label}_vs_dlt",
                    what,
                    "steps.ingest_feed per feed, serial",
                    "dlt REST API source -> duckdb, parquet loader files",
                    dlt_ours,
                    dlt,
                    "cpu_s",
                    "ratio <= 0.5 (2x dlt)",
                    lambda r: r <= 0.5,
                    rows=rows,
                    rows_per_side=[dlt_ours[0].inner["rows"], dlt[0].inner["rows"]],
                    wall=summarise(dlt_ours, dlt, "wall_s"),
                    peak_rss_mb=summarise(dlt_ours, dlt, "peak_rss_mb"),
                )
            )

    def serving_row(self) -> None:
        """The sandbox's own rate: a client that only asks and parses, vs our ingest, same pages."""
        from sandbox.process import SandboxProcess

        scale = self.mode.serving_scale
        with SandboxProcess(scale=scale, as_of=DAY) as sandbox:
            specs = self.specs(sandbox.url, [DAY])
            fetch, ours = alternate(
                lambda: self.peer("fetch", specs, sandbox.url),
                lambda: self.ours(specs, sandbox.url),
                self.mode.slow_runs,
            )
        wall = summarise(fetch, ours, "wall_s")
        inner = fetch[0].inner
        self.rows.append(
            _row(
                "sandbox_serving",
                f"sandbox at scale {scale:g}: ask every page, parse, keep nothing",
                "fetch-only client (requests)",
                "our ingest of the same pages",
                fetch,
                ours,
                "wall_s",
                "ratio < 0.5 (sandbox not the bound)",
                lambda r: r < 0.5,
                requests_per_s=round(inner["requests"] / wall["median"], 1),
                rows_per_s=round(inner["rows"] / wall["median"]),
                rows=inner["rows"],
                requests=inner["requests"],
                client_cpu_s=summarise(fetch, ours, "cpu_s"),
            )
        )

    # --- load and validation ------------------------------------------------------------------
    def landed(self) -> Path:
        """Land one default night (all feeds of the mode) once; the batches for load and validation."""
        from sandbox.process import SandboxProcess

        with SandboxProcess(scale=1.0, as_of=DAY) as sandbox:
            specs = self.specs(sandbox.url, [DAY])
            data = self.fresh("landed")
            run_child(
                [PYTHON, "-m", "bench.probes", "ingest", str(specs), str(data)],
                env=_env(CITY_API_BASE_URL=sandbox.url),
            )
        batches = self.fresh("batches.json")
        run_child([PYTHON, "-m", "bench.probes", "manifest", str(data), str(batches)], env=_env())
        return batches

    def probe(self, kind: str, batches: Path) -> Sample:
        work = self.fresh(kind)
        work.mkdir(parents=True)
        return run_child([PYTHON, "-m", "bench.probes", kind, str(batches), str(work)], env=_env())

    def load_and_validation_rows(self) -> None:
        batches = self.landed()
        count = len(json.loads(batches.read_text()))
        ours, duck = alternate(
            lambda: self.probe("load", batches),
            lambda: self.probe("load_sql", batches),
            self.mode.runs,
        )
        self.rows.append(
            _row(
                "load_vs_duckdb",
                f"landed records.jsonl of {count} batches -> DuckDB raw",
                "pipeline.load.load_partition per batch",
                "DuckDB read_json over the same files",
                ours,
                duck,
                "work_cpu_s",
                "ratio <= 1.5",
                lambda r: r <= 1.5,
                rows=ours[0].inner["rows"],
                wall=summarise(ours, duck, "work_wall_s"),
                process_cpu=summarise(ours, duck, "cpu_s"),
            )
        )
        ge, sql = alternate(
            lambda: self.probe("validate", batches),
            lambda: self.probe("validate_sql", batches),
            self.mode.slow_runs,
        )
        same = all(g.inner["failed"] == s.inner["failed"] for g, s in zip(ge, sql, strict=False))
        self.rows.append(
            _row(
                "validation_ge_vs_sql",
                f"the suites over {count} landed batches",
                "Great Expectations, batch by batch (pipeline.validate)",
                "the same checks as DuckDB SQL, one query a dataset (bench/sql_checks.py)",
                ge,
                sql,
                "work_cpu_s",
                "ratio <= 2",
                lambda r: r <= 2,
                same_verdicts=same,
                failed_batches=len(ge[0].inner["failed"]),
                wall=summarise(ge, sql, "work_wall_s"),
                process_cpu=summarise(ge, sql, "cpu_s"),
            )
        )

    # --- dbt -----------------------------------------------------------------------------------
    def fixture(self, days: int) -> Path:
        """A data dir whose warehouse holds `days` days of sandbox history (monthly and quarterly
        periods over the same span), from make_fixture_warehouse.py; kept in bench/.cache
        (a year costs ~13 CPU-minutes) until the sandbox, the config or the script change."""
        import hashlib

        digest = hashlib.sha256()
        sources = [
            *sorted((ROOT / "sandbox").glob("*.py")),
            *sorted((ROOT / "config").rglob("*.yml")),
            ROOT / "dbt_project" / "scripts" / "make_fixture_warehouse.py",
            ROOT / "pipeline" / "load.py",
        ]
        for source in sources:
            digest.update(source.read_bytes())
        cached = CACHE / f"dbt-{days}d-{DAY}-{digest.hexdigest()[:12]}"
        if not (cached / "warehouse" / "city.duckdb").exists():
            partial = cached.with_name(cached.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            (partial / "warehouse").mkdir(parents=True)
            start = (DAY - timedelta(days=days)).isoformat()
            subprocess.run(
                [
                    PYTHON,
                    str(ROOT / "dbt_project" / "scripts" / "make_fixture_warehouse.py"),
                    str(partial / "warehouse" / "city.duckdb"),
                    "--sandbox-days",
                    str(days),
                    "--sandbox-start",
                    start,
                    "--sandbox-periods-from",
                    start,
                ],
                env=_env(),
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            partial.rename(cached)
        return cached

    def dbt_row(self) -> None:
        from ingest.catalogue import load_catalogue
        from ingest.paths import DataPaths
        from pipeline.dbt_runner import dbt_command

        short, long = self.mode.dbt_days
        fixtures = {days: self.fixture(days) for days in (short, long)}

        def build(days: int) -> Sample:
            root = self.fresh(f"dbtrun{days}")
            shutil.copytree(fixtures[days], root)
            excluded = ["test_type:unit"] + (["resource_type:test"] if self.mode.dbt_select else [])
            command, env = dbt_command(
                load_catalogue(),
                DataPaths(root),
                "build",
                *self.mode.dbt_select,
                "--exclude",
                *excluded,
            )
            return run_child(command, env=_env() | env, cwd=str(ROOT / "dbt_project"))

        if (
            self.mode.slow_runs > 1
        ):  # one untimed build first: imports and OS cache warm for both sides
            build(short)
        longer, shorter = alternate(lambda: build(long), lambda: build(short), self.mode.slow_runs)
        self.rows.append(
            _row(
                "dbt_3y_vs_1y",
                f"dbt build (no unit tests) with {long} vs {short} days of history",
                f"{long} days",
                f"{short} days",
                longer,
                shorter,
                "cpu_s",
                "ratio < 1.3",
                lambda r: r < 1.3,
                wall=summarise(longer, shorter, "wall_s"),
                selection=" ".join(self.mode.dbt_select) or "everything",
            )
        )

    # --- a night vs a baseline commit -------------------------------------------------------------
    def baseline_tree(self) -> tuple[Path, str]:
        sha = subprocess.run(
            ["git", "rev-parse", self.baseline_ref],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        tree = self.fresh(f"baseline-{sha[:10]}")
        tree.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", sha], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        return tree, sha

    def night_rows(self) -> None:
        from sandbox.process import SandboxProcess

        tree, sha = self.baseline_tree()
        boroughs = ",".join(self.mode.boroughs or ())
        probe = ROOT / "bench" / "night_probe.py"

        def nights(checkout: Path) -> tuple[Sample, Sample]:
            data = self.fresh("night")
            env = _env(
                CITY_API_BASE_URL=sandbox.url,
                PYTHONPATH=str(checkout),
                BENCH_NIGHT_STAGES=self.mode.night_stages,
            )
            first = run_child(
                [PYTHON, str(probe), str(data), DAY.isoformat(), boroughs],
                env=env,
                cwd=str(checkout),
            )
            later = run_child(
                [PYTHON, str(probe), str(data), (DAY + timedelta(days=1)).isoformat(), boroughs],
                env=env,
                cwd=str(checkout),
            )
            return first, later

        with SandboxProcess(scale=1.0, as_of=DAY + timedelta(days=1)) as sandbox:
            ours, theirs = alternate(
                lambda: nights(ROOT), lambda: nights(tree), self.mode.slow_runs
            )
        for index, which in enumerate(("first", "later")):
            mine, base = [pair[index] for pair in ours], [pair[index] for pair in theirs]
            stages = {
                name: summarise(mine, base, f"stage:{name}") for name in mine[0].inner["stages"]
            }
            self.rows.append(
                _row(
                    f"night_{which}_vs_baseline",
                    f"a {which} night, stage by stage ({mine[0].inner['feeds']} feeds, "
                    f"{mine[0].inner['batches']} batches), steps called directly (no Airflow)",
                    "this checkout",
                    f"commit {sha[:10]} ({self.baseline_ref})",
                    mine,
                    base,
                    "total_cpu_s",
                    "ratio <= 0.333",
                    lambda r: r <= 1 / 3,
                    stages=stages,
                    wall=summarise(mine, base, "total_wall_s"),
                    same_city_metrics=mine[0].inner["city_metrics_digest"]
                    == base[0].inner["city_metrics_digest"],
                    red=[mine[0].inner["red"], base[0].inner["red"]],
                )
            )
            self.rows.append(
                _row(
                    f"memory_night_{which}",
                    f"peak RSS of a {which} night (largest process, dbt included)",
                    "this checkout",
                    f"commit {sha[:10]}",
                    mine,
                    base,
                    "peak_rss_mb",
                    None,
                    None,
                )
            )

    def big_response_row(self) -> None:
        """Peak RSS fetching one bulk CSV of ~50 MB: our fetch_feed vs streaming it to disk."""
        from ingest.catalogue import load_catalogue
        from ingest.protocols import protocol_for
        from sandbox.process import SandboxProcess

        with SandboxProcess(scale=self.mode.big_response_scale, as_of=DAY) as sandbox:
            os.environ["CITY_API_BASE_URL"] = sandbox.url
            catalogue = load_catalogue()
            feed = next(
                f for f in catalogue.feeds(["service_requests"]) if f.portal.protocol == "bulk_csv"
            )
            specs = self.fresh("bulk.json")
            specs.write_text(json.dumps([{"url": protocol_for("bulk_csv").endpoint(feed)}]))
            env = _env(CITY_API_BASE_URL=sandbox.url)
            ours, bare = alternate(
                lambda: run_child(
                    [
                        PYTHON,
                        "-m",
                        "bench.probes",
                        "fetch_one",
                        feed.id,
                        DAY.isoformat(),
                        str(self.fresh("bulk-ours")),
                    ],
                    env=env,
                ),
                lambda: self.peer("download", specs, sandbox.url),
                self.mode.runs,
            )
        size = bare[0].inner["response_mb"]
        self.rows.append(
            _row(
                "memory_big_response",
                f"one bulk CSV response of {size} MB ({feed.label})",
                "ingest.fetch.fetch_feed",
                "requests streamed to disk + DuckDB read_csv",
                ours,
                bare,
                "peak_rss_mb",
                "ours < 500 MB",
                None,
                response_mb=size,
            )
        )
        row = self.rows[-1]
        row["goal_met"] = row["median"] < 500  # an absolute goal: the ratio is context
        if size < 50:
            self.notes.append(f"the bulk response was {size} MB, not 50: raise big_response_scale")


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
        help="comma-separated groups: ingest,large,serving,load,dbt,night,memory (default all)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--runs", type=int, default=None, help="runs of each side of a quick row (full: 5)"
    )
    parser.add_argument(
        "--boroughs", default="", help="only these boroughs (slugs, comma-separated): a quicker run"
    )
    parser.add_argument(
        "--dbt-days", default="", help="days of history of the dbt row, short,long (full: 365,1095)"
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
    if args.dbt_days:
        mode = replace(mode, dbt_days=tuple(int(d) for d in args.dbt_days.split(",")))
    if args.boroughs:
        mode = replace(mode, boroughs=tuple(args.boroughs.split(",")))
    groups = set(filter(None, args.only.split(","))) or {
        "ingest",
        "large",
        "serving",
        "load",
        "dbt",
        "night",
        "memory",
    }
    results: dict[str, Any] = {
        "mode": mode_name,
        "runs": mode.runs,
        "slow_runs": mode.slow_runs,
        "boroughs": list(mode.boroughs or ["all"]),
        "groups": sorted(groups),
        "dbt_days": list(mode.dbt_days),
        "machine": machine(),
        "load_average_start": load_average(),
        "baseline_ref": args.baseline,
        "notes": [],
        "rows": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        bench = Bench(mode, Path(scratch), args.baseline)
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
            ("dbt", bench.dbt_row),
            ("night", bench.night_rows),
            ("memory", bench.big_response_row),
        ]
        for group, step in steps:
            if group in groups:
                began = time.perf_counter()
                print(f"bench: {group} ...", file=sys.stderr, flush=True)
                step()
                results.setdefault("elapsed_s", {}).setdefault(group, 0)
                results["elapsed_s"][group] += round(time.perf_counter() - began, 1)
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
    return 0
