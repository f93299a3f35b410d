"""Write-audit-publish: the analysts' warehouse is replaced only by a build that passed.

The run writes into the pipeline's own file; publish copies it (after a checkpoint, so
the copy is complete without its WAL), checks the copy opens and holds city_metrics,
makes it read-only and renames it over the published file in one atomic step. Analysts
who have the old file open keep reading the old snapshot; nobody ever sees half a file.

A publish killed mid-copy leaves its candidate behind (as big as the warehouse): the
next publish removes such leftovers first. Publish runs holding the warehouse lock
(pipeline/lock.py), so no other run's candidate can be in the middle of being written.

Beside it, publish_docs puts the dbt docs site (one static HTML file, no internet needed)
under published/docs/; the same descriptions are DuckDB comments inside the file itself.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.errors import PublishError
from ingest.paths import DataPaths

__all__ = ["publish", "open_published", "remove_stale_candidates", "publish_docs", "docs_site_path"]

log = logging.getLogger(__name__)


def publish(paths: DataPaths) -> dict[str, Any]:
    import duckdb

    if not paths.warehouse.exists():
        raise PublishError(f"no pipeline warehouse at {paths.warehouse}: nothing to publish")
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("checkpoint")
    target = paths.published
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_candidates(paths)
    candidate = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        shutil.copyfile(paths.warehouse, candidate)
        with duckdb.connect(str(candidate), read_only=True) as con:
            rows = con.execute("select count(*) from analytics.city_metrics").fetchone()[0]
            days = con.execute(
                "select min(data_day)::varchar, max(data_day)::varchar, count(distinct data_day) "
                "from raw.feed_partitions"
            ).fetchone()
        os.chmod(candidate, 0o444)
        os.replace(candidate, target)
    except duckdb.Error as exc:
        raise PublishError(
            f"the candidate warehouse failed its checks, published copy unchanged: {exc}"
        ) from None
    finally:
        candidate.unlink(missing_ok=True)
    info = {
        "path": str(target),
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "city_metrics_rows": rows,
        "first_data_day": days[0],
        "last_data_day": days[1],
        "data_days": days[2],
    }
    manifest = target.with_name("published.json")
    manifest.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def remove_stale_candidates(paths: DataPaths) -> list[str]:
    """Delete candidates an interrupted publish left in published/; returns their names."""
    target = paths.published
    stale = sorted(target.parent.glob(f".{target.name}.*.tmp"))
    for leftover in stale:
        leftover.unlink(missing_ok=True)
        log.warning("removed %s, left by an interrupted publish", leftover)
    return [p.name for p in stale]


def open_published(paths: DataPaths):
    """A read-only connection to the analysts' copy (what analysts and reports use)."""
    import duckdb

    if not paths.published.exists():
        raise PublishError(f"nothing published yet at {paths.published}: run `make run` first")
    return duckdb.connect(str(paths.published), read_only=True)


def _generate_docs(catalogue, paths: DataPaths, site: Path) -> None:
    from pipeline.dbt_runner import DBT_PROJECT_DIR, dbt_command

    # the night's build compiled every node into this target: reuse it (7 s -> 3 s)
    reuse = ["--no-compile"] if (paths.dbt_target / "manifest.json").exists() else []
    command, env = dbt_command(catalogue, paths, "docs", "generate", "--static", *reuse)
    completed = subprocess.run(
        command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True
    )
    if completed.returncode != 0 or not site.exists():
        raise PublishError(
            f"dbt docs generate failed (exit {completed.returncode}); docs site unchanged:\n"
            f"{completed.stdout[-2000:]}{completed.stderr[-1000:]}"
        )


def _newer(path: Path, than: Path) -> bool:
    """`path` exists and was written after `than` (which exists)."""
    try:
        return path.stat().st_mtime_ns >= than.stat().st_mtime_ns
    except FileNotFoundError:
        return False


def docs_site_path(paths: DataPaths) -> Path:
    """Where the analysts' dbt docs site lives: docs/index.html beside the published file."""
    return paths.published.parent / "docs" / "index.html"


def publish_docs(catalogue, paths: DataPaths) -> dict[str, Any]:
    """The dbt docs site of the warehouse just published, copied beside it: the one the night's
    dbt process wrote after its build (the same warehouse), else `dbt docs generate --static`.

    Run after publish (the pipeline's file then holds what was published). The single
    static_index.html embeds the manifest and catalogue; with anonymous usage stats off
    (dbt_command's environment) it makes no network request, so it opens from a file share.
    """
    started = time.monotonic()
    site = paths.dbt_target / "static_index.html"
    # the night's dbt process writes it right after the build (pipeline/dbt_session.py)
    if not _newer(site, paths.dbt_target / "run_results.json"):
        _generate_docs(catalogue, paths, site)
    target = docs_site_path(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    candidate = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        shutil.copyfile(site, candidate)
        os.replace(candidate, target)
    finally:
        candidate.unlink(missing_ok=True)
    return {
        "path": str(target),
        "bytes": target.stat().st_size,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
