"""The ingest, sandbox-serving, load and validation rows of `python -m bench`.

Split from bench/run.py: these rows fetch from the borough API sandbox or load and validate
what it served; each runs our side against a peer (bench/peers.py) or a SQL baseline
(bench/probes.py) as child processes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from bench.harness import BENCH_PYTHON, DAY, PYTHON, BenchBase, _env, _row
from bench.measure import Sample, alternate, run_child, summarise


class IngestLoadRows(BenchBase):
    """Rows `ingest`, `large`, `serving` and `load` (load and validation)."""

    # --- ingest -------------------------------------------------------------------------------
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
                    "steps.ingest_feeds, serial, one HTTP session (as a night's task)",
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
                    "steps.ingest_feeds, serial, one HTTP session (as a night's task)",
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
                "pipeline.load_set.replace_partitions, a dataset a transaction (as a night)",
                "DuckDB read_json over the same files into its tables (one thread, as ours)",
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
