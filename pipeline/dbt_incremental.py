"""When a night's dbt build must rebuild the incremental models from scratch.

The record models (staging of each borough feed, and the facts) are incremental: a night
rebuilds only the records of partitions loaded since the last build
(dbt_project/macros/incremental_records.sql). That is exact as long as the code that
turns raw rows into records is the one that built the rows already there. So each build
records a fingerprint of everything that code reads besides the raw rows — the dbt
project's models, macros, seeds and settings, the dbt vars the pipeline passes, and the
region's borough names and aliases (config) — in `audit.dbt_builds`; when it differs from
the last successful build's (a model, a seed, a null marker or an alias changed), the
build is a `--full-refresh`. A build asked for with full_refresh=True is one too.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.load import connect  # the loader's configuration: one DuckDB instance per process

__all__ = ["fingerprint", "last_fingerprint", "record_build", "PROJECT_INPUTS"]

# What the models' SQL is made of, relative to the dbt project (target/ and logs/ are not).
PROJECT_INPUTS = ("models", "macros", "seeds", "dbt_project.yml")


def fingerprint(project_dir: Path, variables: dict[str, Any], warehouse: Path) -> str:
    """A digest of the dbt project's files, the vars and the warehouse's areas and aliases."""
    digest = hashlib.sha256()
    for name in PROJECT_INPUTS:
        top = project_dir / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    digest.update(json.dumps(variables, sort_keys=True).encode())
    digest.update(json.dumps(_areas(warehouse)).encode())
    return digest.hexdigest()


def last_fingerprint(warehouse: Path) -> str | None:
    """The fingerprint of the last successful build of this warehouse (None: none recorded)."""
    if not warehouse.exists():
        return None
    with connect(warehouse) as con:
        if not _has_table(con):
            return None
        row = con.execute(
            "select fingerprint from audit.dbt_builds order by built_at desc limit 1"
        ).fetchone()
    return row[0] if row else None


def record_build(warehouse: Path, digest: str, full_refresh: bool) -> None:
    """Remember a successful build's fingerprint (and whether it was a full refresh)."""
    with connect(warehouse) as con:
        con.execute("create schema if not exists audit")
        con.execute(
            "create table if not exists audit.dbt_builds ("
            "built_at timestamp, fingerprint varchar, full_refresh boolean)"
        )
        con.execute(
            "insert into audit.dbt_builds values (?, ?, ?)",
            [datetime.now(UTC).replace(tzinfo=None), digest, full_refresh],
        )


def _has_table(con) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() "
            "where schema_name = 'audit' and table_name = 'dbt_builds'"
        ).fetchone()[0]
    )


def _areas(warehouse: Path) -> list[list[str]]:
    """raw.areas and raw.area_aliases as sorted rows (staging resolves borough names by them)."""
    if not warehouse.exists():
        return []
    with connect(warehouse) as con:
        present = {
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw' "
                "and table_name in ('areas', 'area_aliases')"
            ).fetchall()
        }
        rows = []
        for table in sorted(present):
            rows += [
                [table, *map(str, row)]
                for row in con.execute(f"select * from raw.{table} order by all").fetchall()
            ]
    return rows
