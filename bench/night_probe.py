"""One night of a given checkout, stage by stage: CPU-seconds and wall per stage.

    PYTHONPATH=<checkout> python bench/night_probe.py <data dir> <data day> [borough,borough,...]

Run as a file (never imported from bench/) so that it can drive an older commit's
pipeline: it calls the same steps, in the same order, as the DAG (tests/night_steps.py),
from `pipeline.plan`/`steps`/`report`, or from `pipeline.run` in commits before the split.
CPU per stage is this process's and its waited-for children's (dbt) user+system time.
CITY_API_BASE_URL must point at a running sandbox. Prints one JSON line.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
from pathlib import Path


def _cpu() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _api():
    """(plan, steps, report) modules of this checkout, whatever its layout."""
    try:
        return (
            importlib.import_module("pipeline.plan"),
            importlib.import_module("pipeline.steps"),
            importlib.import_module("pipeline.report"),
        )
    except ImportError:
        run = importlib.import_module("pipeline.run")
        return run, run, run


def main(argv: list[str]) -> int:
    data_dir, data_day = argv[0], argv[1]
    boroughs = argv[2].split(",") if len(argv) > 2 and argv[2] else None
    os.environ["CITY_DATA_DIR"] = data_dir
    stages: dict[str, dict[str, float]] = {}
    state: dict = {}

    def stage(name: str, work):
        cpu, wall = _cpu(), time.perf_counter()
        result = work()
        stages[name] = {
            "cpu_s": round(_cpu() - cpu, 3),
            "wall_s": round(time.perf_counter() - wall, 3),
        }
        return result

    plan, steps, report = stage("import", _api)
    plans = stage("plan", lambda: plan.plan_feeds(data_day, None, boroughs))
    landed = stage(
        "ingest",
        lambda: [
            steps.ingest_feed(
                p["feed_id"], p["days"], p.get("loaded"), watermark=p.get("watermark")
            )
            for p in plans
        ],
    )
    validated = stage(
        "validate", lambda: [steps.validate_dataset(d, landed) for d in plan.plan_datasets()]
    )
    summary = stage(
        "load", lambda: steps.load_outcomes(validated, f"bench__{data_day}__{time.time_ns()}")
    )
    state["red"] = None
    if (
        os.environ.get("BENCH_NIGHT_STAGES", "all") == "all"
    ):  # "land": plan..load only (bench --tiny)
        stage("dbt", steps.build_models)
        published = stage("publish", steps.publish_warehouse)
        exported = stage("export", steps.export_open_data)
        try:
            stage("report", lambda: report.summarise_run(data_day, summary, published, exported))
        except Exception as exc:  # a red night still ran every stage; say why
            state["red"] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    total = {
        "cpu_s": round(sum(s["cpu_s"] for s in stages.values()), 3),
        "wall_s": round(sum(s["wall_s"] for s in stages.values()), 3),
    }
    metrics = Path(data_dir) / "published" / "city.duckdb"
    print(
        json.dumps(
            {
                "stages": stages,
                "total": total,
                "feeds": len(plans),
                "batches": summary.get("batches"),
                "loaded_rows": summary.get("loaded_rows"),
                "red": state["red"],
                "city_metrics_digest": _digest(metrics),
            }
        )
    )
    return 0


def _digest(database: Path) -> str | None:
    """A digest of the published city_metrics, so two checkouts' nights can be compared."""
    if not database.exists():
        return None
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        try:
            return con.execute(
                "select md5(string_agg(t::varchar, '|' order by t::varchar)) "
                "from analytics.city_metrics as t"
            ).fetchone()[0]
        except duckdb.Error:
            return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
