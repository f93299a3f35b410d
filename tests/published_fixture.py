"""A published warehouse as analysts get it, built once per test session.

The fixture script lands 3 sandbox days of March 2024 (monthly and quarterly datasets
from January 2023, so trends and changes on last year exist), `dbt build` builds it,
publish copies it to published/city.duckdb and publish_docs puts the dbt docs site
beside it. About a minute on 2 cores; test_query, test_published_docs and
test_dashboard share it (the first to ask builds it).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from pipeline.dbt_runner import DBT_PROJECT_DIR, dbt_command
from pipeline.publish import publish, publish_docs

__all__ = ["published_warehouse", "TIMINGS"]

TIMINGS: dict[str, float] = {}
_BUILT: dict[Path, DataPaths] = {}


def published_warehouse(root: Path) -> DataPaths:
    """DataPaths under root with a built, published and documented warehouse (cached per root)."""
    if root in _BUILT:
        return _BUILT[root]
    paths = DataPaths(root)
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
    command, env = dbt_command(catalogue, paths, "build")
    built = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:]
    TIMINGS["fixture_and_dbt_build_s"] = round(time.monotonic() - started, 1)
    publish(paths)
    TIMINGS["docs_s"] = publish_docs(catalogue, paths)["elapsed_s"]
    _BUILT[root] = paths
    return paths
