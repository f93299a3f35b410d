"""A published warehouse as analysts get it, built once per test session.

The fixture script lands 3 sandbox days of March 2024 (monthly and quarterly datasets
from January 2023, so trends and changes on last year exist), `dbt build` builds it,
publish copies it to published/city.duckdb and publish_docs puts the dbt docs site
beside it. About a minute on 2 cores; test_query, test_published_docs and
test_dashboard share it (the first to ask builds it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from shared_build import built_once

from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from pipeline.dbt_runner import DBT_PROJECT_DIR, dbt_command
from pipeline.publish import publish, publish_docs

__all__ = ["published_warehouse", "build_results", "TIMINGS"]

TIMINGS: dict[str, float] = {}


def published_warehouse(root: Path | None = None) -> DataPaths:
    """DataPaths of a built, published and documented warehouse, built once per test run
    (tests/shared_build.py: the xdist workers share it). `root` is accepted and ignored."""
    return DataPaths(built_once("published-sandbox-fixture", _build) / "data")


def _build(folder: Path) -> None:
    paths = DataPaths(folder / "data")
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    script = DBT_PROJECT_DIR / "scripts" / "make_fixture_warehouse.py"
    subprocess.run(
        [
            sys.executable,
            str(script),
            str(paths.warehouse),
            "--sandbox-days",
            "3",
            "--sandbox-start",
            "2024-03-01",
            "--sandbox-periods-from",
            "2023-01-01",
        ],
        check=True,
        capture_output=True,
    )
    catalogue = load_catalogue()
    command, env = dbt_command(catalogue, paths, "build")  # unit tests too: make test's one run
    built = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:]
    shutil.copyfile(paths.dbt_target / "run_results.json", folder / "build_run_results.json")
    TIMINGS["fixture_and_dbt_build_s"] = round(time.monotonic() - started, 1)
    publish(paths)
    TIMINGS["docs_s"] = publish_docs(catalogue, paths)["elapsed_s"]


def build_results(paths: DataPaths) -> list[dict]:
    """The `dbt build` run results of the shared fixture (unit tests included)."""
    import json

    return json.loads((paths.root.parent / "build_run_results.json").read_text())["results"]
