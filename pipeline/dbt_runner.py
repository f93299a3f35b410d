"""Run `dbt build` as one process on the pipeline's database (DuckDB has one writer).

Seeds, models and data tests run together; a failing test fails the build, which stops
the run before publish. dbt's unit tests check the models' SQL, not the night's data, so
the nightly build leaves them out (`make test` runs them once, in tests/test_metric_truth.py's
build). The raw-text settings of config/pipeline.yml are passed as dbt vars
so that validation and staging read borough text the same way.

The record models are incremental (a night rebuilds the records of the partitions it
loaded); the build is a `--full-refresh` when asked, or when the dbt project or its
settings changed since the last successful build (pipeline/dbt_incremental.py).
`python -m pipeline.dbt_runner [--full-refresh]` builds the pipeline's warehouse by hand.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingest.catalogue import Catalogue
from ingest.errors import IngestError
from ingest.paths import REPO_ROOT, DataPaths
from pipeline.dbt_incremental import fingerprint, last_fingerprint, record_build
from pipeline.metric_files import dbt_project_for

__all__ = [
    "DbtBuildFailed",
    "dbt_build",
    "source_freshness",
    "DBT_PROJECT_DIR",
    "dbt_command",
    "dbt_vars",
    "dbt_executable",
    "node_results",
    "results_table",
]

log = logging.getLogger(__name__)
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt's log file defaults to debug: every statement of every node, logged from 4 threads
# through one lock, ~8% of a night's build (13.6 -> 12.4 CPU-s). A failure's message and
# compiled SQL are in run_results.json and the task log; pass `--log-level-file debug` by hand.
FILE_LOG_LEVEL = "info"
# What an incremental night builds: tables, incremental models and their tests; the views and
# seeds, unchanged since the last build, are not made again (selectors.yml).
INCREMENTAL = ["--selector", "incremental_night"]


class DbtBuildFailed(IngestError):
    """A model or test failed: nothing is published."""


def dbt_command(
    catalogue: Catalogue, paths: DataPaths, *args: str
) -> tuple[list[str], dict[str, str]]:
    """The dbt command line and environment for this pipeline's warehouse (the project: the
    repository's, or a copy with the metrics of a CITY_CONFIG_DIR that declares others)."""
    dbt = dbt_executable()
    variables = dbt_vars(catalogue)
    project = dbt_project_for(catalogue, paths.dbt_target.parent)
    command = [
        str(dbt),
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(paths.dbt_target),
        "--log-path",
        str(paths.dbt_logs),
        "--log-level-file",
        FILE_LOG_LEVEL,
        "--vars",
        json.dumps(variables),
        "--no-use-colors",
    ]
    env = os.environ | {
        "CITY_WAREHOUSE_PATH": str(paths.warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    return command, env


def dbt_vars(catalogue: Catalogue) -> dict[str, Any]:
    """The dbt vars the pipeline passes: how borough text is read (config/pipeline.yml)."""
    return {
        "null_markers": list(catalogue.settings.null_markers),
        "date_formats": list(catalogue.settings.date_formats),
    }


def dbt_executable() -> Path:
    """dbt beside this Python (a venv), else on PATH (the official Airflow image puts it in ~/.local/bin)."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return beside
    found = shutil.which("dbt")
    if found:
        return Path(found)
    raise IngestError(
        f"dbt was found neither beside {sys.executable} nor on PATH; "
        f"install requirements.txt into this environment (dbt-core, dbt-duckdb)"
    )


def node_results(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per dbt node (model, seed, test): what Airflow shows of the build, per model."""
    return [
        {
            "node": r["unique_id"].split(".", 2)[-1]
            if r["unique_id"].count(".") >= 2
            else r["unique_id"],
            "type": r["unique_id"].split(".", 1)[0],
            "status": r["status"],
            "seconds": round(r.get("execution_time") or 0, 2),
            "rows": (r.get("adapter_response") or {}).get("rows_affected"),
            **(
                {"message": r["message"]}
                if r["status"] not in ("success", "pass") and r.get("message")
                else {}
            ),
        }
        for r in results
    ]


def results_table(nodes: list[dict[str, Any]]) -> str:
    """A fixed-width table of models and seeds (tests only counted), slowest first, for the task log."""
    built = sorted(
        (n for n in nodes if n["type"] in ("model", "seed", "snapshot")),
        key=lambda n: -n["seconds"],
    )
    tests = [n for n in nodes if n["type"] == "test"]
    width = max([len(n["node"]) for n in built] + [10])
    lines = [f"{'node':<{width}}  {'type':<6}  {'status':<8}  {'seconds':>7}  rows"]
    lines += [
        f"{n['node']:<{width}}  {n['type']:<6}  {n['status']:<8}  {n['seconds']:>7.2f}  "
        f"{'' if n['rows'] is None else n['rows']}"
        for n in built
    ]
    by_status: dict[str, int] = {}
    for n in tests:
        by_status[n["status"]] = by_status.get(n["status"], 0) + 1
    lines.append(
        f"tests: {len(tests)} ({', '.join(f'{k} {v}' for k, v in sorted(by_status.items())) or 'none'})"
    )
    return "\n".join(lines)


def dbt_build(
    catalogue: Catalogue,
    paths: DataPaths,
    full_refresh: bool = False,
    freshness: bool = False,
    docs: bool = False,
) -> dict[str, Any]:
    """Build seeds, models and data tests; raise DbtBuildFailed listing each failing node.

    Incremental unless `full_refresh` or the project's fingerprint changed since the last
    successful build of this warehouse. With `freshness`, `dbt source freshness` runs after a
    build that passed, in the same dbt process on the same parse (pipeline/dbt_session.py),
    and its summary is the result's `source_freshness`. With `docs`, the same process then
    writes the docs site (`static_index.html`) that publish_docs copies once published.
    """
    digest = fingerprint(
        dbt_project_for(catalogue, paths.dbt_target.parent), dbt_vars(catalogue), paths.warehouse
    )
    previous = last_fingerprint(paths.warehouse)
    if full_refresh:
        why = "asked for"
    elif previous != digest:
        why = "first build" if previous is None else "the dbt project or its settings changed"
        full_refresh = True
    log.info("dbt build: %s", f"full refresh ({why})" if full_refresh else "incremental")
    # an incremental night builds the tables and runs the tests; views and seeds stay as the
    # last build (same fingerprint) made them (dbt_project/selectors.yml)
    selection = ["--full-refresh", "--exclude", "test_type:unit"] if full_refresh else INCREMENTAL
    args = ["build", *selection]
    command, env = dbt_command(catalogue, paths, *args)
    if freshness or docs:  # one dbt process: build, then freshness and docs on the same manifest
        (paths.dbt_target / "sources.json").unlink(missing_ok=True)
        request = {
            "common": command[len(args) + 1 :],
            "build": args,
            "freshness": freshness,
            "docs": docs,
        }
        command = [sys.executable, "-m", "pipeline.dbt_session", json.dumps(request)]
        env = env | {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        }
    completed = subprocess.run(
        command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True
    )
    for line in completed.stdout.splitlines():
        log.info("dbt: %s", line)
    results = _run_results(paths.dbt_target / "run_results.json")
    failed = [r for r in results if r["status"] in ("error", "fail", "runtime error")]
    failing_rows = {
        r["unique_id"]: _failing_rows(paths, r) for r in failed if r["status"] == "fail"
    }
    nodes = node_results(results)
    if nodes:
        log.info("dbt build, per node:\n%s", results_table(nodes))
    summary = {
        "full_refresh": full_refresh,
        "nodes": len(results),
        "failed": [
            f"{r['unique_id']}: {r.get('message')}{failing_rows.get(r['unique_id'], '')}"
            for r in failed
        ],
        "warned": [r["unique_id"] for r in results if r["status"] == "warn"],
        "elapsed_s": round(sum(r.get("execution_time") or 0 for r in results), 1),
        "models": [n for n in nodes if n["type"] != "test"],
        "tests": {
            s: sum(n["status"] == s for n in nodes if n["type"] == "test")
            for s in sorted({n["status"] for n in nodes if n["type"] == "test"})
        },
    }
    if completed.returncode != 0:
        detail = "\n".join(summary["failed"]) or (
            completed.stdout[-3000:] + completed.stderr[-2000:]
        )
        raise DbtBuildFailed(f"dbt build failed; nothing published:\n{detail}")
    record_build(paths.warehouse, digest, full_refresh)
    if freshness:
        summary["source_freshness"] = _freshness_results(paths, completed)
    return summary


def source_freshness(catalogue: Catalogue, paths: DataPaths) -> dict[str, Any]:
    """`dbt source freshness` (per raw table, on `_loaded_at`): reported, never fatal.

    A stale table is a fact for the report, not a reason to withhold the night's
    warehouse; the per-borough view is `intermediate.int_feed_freshness__by_borough`.
    """
    command, env = dbt_command(catalogue, paths, "source", "freshness")
    (paths.dbt_target / "sources.json").unlink(missing_ok=True)
    completed = subprocess.run(
        command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True
    )
    return _freshness_results(paths, completed)


def _freshness_results(paths: DataPaths, completed: subprocess.CompletedProcess) -> dict[str, Any]:
    """The summary of the `sources.json` that `dbt source freshness` wrote: pass, warn or error."""
    output = paths.dbt_target / "sources.json"
    try:
        results = json.loads(output.read_text(encoding="utf-8"))["results"]
    except (FileNotFoundError, ValueError, KeyError):
        log.warning(
            "dbt source freshness gave no results (exit %s): %s",
            completed.returncode,
            completed.stdout[-2000:],
        )
        return {"checked": 0, "not_fresh": [], "error": f"exit {completed.returncode}"}
    not_fresh = [
        f"{r['unique_id'].removeprefix('source.city_region.')}: {r['status']}"
        for r in results
        if r.get("status") != "pass"
    ]
    return {
        "checked": len(results),
        "not_fresh": not_fresh,
        "elapsed_s": round(sum(r.get("execution_time") or 0 for r in results), 1),
    }


def _failing_rows(paths: DataPaths, result: dict[str, Any], limit: int = 5) -> str:
    """The first rows a failed data test returned (its compiled query, read-only), so that the
    message says what failed: which column holds nulls, which key repeats, which value is odd."""
    import duckdb

    sql = (result.get("compiled_code") or "").strip().rstrip(";")
    if not sql:
        return ""
    try:
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            cursor = con.execute(f"select * from ({sql}) as failing limit {int(limit)}")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except duckdb.Error as exc:  # the message stays dbt's own; this is only a help
        return f" (its rows could not be read: {' '.join(str(exc).split())[:300]})"
    shown = "; ".join(
        ", ".join(f"{n}={v!r}" for n, v in zip(names, row, strict=True)) for row in rows
    )
    return f"; first rows: {shown}" if shown else ""


def _run_results(path: Path) -> list[dict[str, Any]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["results"]
    except (FileNotFoundError, ValueError, KeyError):
        return []


def main(argv: list[str] | None = None) -> int:
    """Build the pipeline's warehouse by hand, holding its lock (no publish)."""
    import argparse

    from ingest.catalogue import load_catalogue
    from ingest.paths import data_paths
    from pipeline.lock import warehouse_lock

    parser = argparse.ArgumentParser(prog="python -m pipeline.dbt_runner", description=main.__doc__)
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models from all raw rows (after changing raw rows by hand)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    catalogue, paths = load_catalogue(), data_paths()
    with warehouse_lock(paths, step="dbt build", wait_s=catalogue.settings.lock_wait_s):
        summary = dbt_build(catalogue, paths, full_refresh=args.full_refresh)
    print(
        f"dbt build ({'full refresh' if summary['full_refresh'] else 'incremental'}): "
        f"{summary['nodes']} nodes, {summary['elapsed_s']} s, tests {summary['tests']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
