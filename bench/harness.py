"""What every row of `python -m bench` shares: the modes, the child environment, the row format.

Split from bench/run.py so the row groups (bench/ingest_load_rows.py,
bench/dbt_night_memory_rows.py) and the command line (bench/run.py) import one definition of
a mode, of a row's fields and of how a child process is launched.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.measure import Sample, run_child, summarise

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_PYTHON = ROOT / "bench" / ".venv" / "bin" / "python"
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


class BenchBase:
    """Holds the scratch folder, the sandbox and the mode while the rows run."""

    def __init__(self, mode: Mode, scratch: Path, baseline_ref: str):
        self.mode, self.scratch, self.baseline_ref = mode, scratch, baseline_ref
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._counter = 0

    def fresh(self, name: str) -> Path:
        self._counter += 1
        return self.scratch / f"{self._counter:04d}-{name}"

    def commit_tree(self, ref: str, prefix: str, compiled: bool = False) -> tuple[Path, str]:
        """(a `git archive` of `ref` in the scratch folder, its sha); `compiled`: its .pyc
        files written, so that no first run of it pays for them."""
        import subprocess

        sha = subprocess.run(
            ["git", "rev-parse", ref], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        tree = self.fresh(f"{prefix}-{sha[:10]}")
        tree.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", sha], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        if compiled:
            subprocess.run([PYTHON, "-m", "compileall", "-q", str(tree)], check=True)
        return tree, sha

    # --- the children every row launches ------------------------------------------------------
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
