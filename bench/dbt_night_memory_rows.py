"""The night-vs-baseline and memory rows of `python -m bench`.

Split from bench/run.py: these rows take minutes (a whole night of this checkout against a
baseline commit, a bulk response's peak RSS). A night's dbt cost against 1 and 3 years of
history is row group `dbt_history` (bench/history_backfill_rows.py, bench/dbt_history.py): it times the
incremental build a night runs, which a row here could not do in a tiny mode (this file kept
its name from when it held a dbt row too).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from bench.harness import DAY, PYTHON, ROOT, BenchBase, _env, _row
from bench.measure import Sample, alternate, run_child, summarise


class DbtNightMemoryRows(BenchBase):
    """Rows `night` (and its peak RSS) and `memory` (one big response)."""

    # --- a night vs a baseline commit -------------------------------------------------------------
    def night_rows(self) -> None:
        from sandbox.process import SandboxProcess

        tree, sha = self.commit_tree(self.baseline_ref, "baseline")
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
