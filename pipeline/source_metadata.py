"""The latest of what each borough says about each dataset: the catalogue audit's view.

A connector records what the portal says about a dataset (CKAN package_show: title,
licence, last modified) in the landed batch's manifest; this keeps the latest per feed
in `raw.source_metadata`, so an audit can set each borough's own words beside the
catalogue's. A later fetch replaces a feed's row, an older batch (a catch-up day
landed out of order) never does; a feed whose portal says nothing keeps no row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["write_source_metadata", "COLUMNS"]

COLUMNS = (
    "dataset",
    "borough_code",
    "title",
    "licence",
    "licence_url",
    "metadata_modified",
    "resource_last_modified",
    "url",
    "error",
    "batch_id",
    "fetched_at",
)
_DDL = f"""
    create table if not exists raw.source_metadata (
        {", ".join(f"{c} {'timestamp' if c == 'fetched_at' else 'varchar'}" for c in COLUMNS)},
        primary key (dataset, borough_code)
    )"""


def write_source_metadata(con, outcomes: Iterable[dict[str, Any]]) -> int:
    """Upsert the source metadata of every landed batch among `outcomes`, in one statement (a
    row a feed cost three, 0.3-0.5 CPU-s a night); returns the feeds written."""
    con.execute("create schema if not exists raw")
    con.execute(_DDL)
    latest: dict[tuple[str, str], tuple] = {}
    for outcome in outcomes:
        row = _row((outcome.get("batch") or {}).get("path"))
        if row is not None and (row[:2] not in latest or row[-1] > latest[row[:2]][-1]):
            latest[row[:2]] = row
    if latest:
        columns = [list(c) for c in zip(*latest.values(), strict=True)]
        kinds = ["timestamp" if c == "fetched_at" else "varchar" for c in COLUMNS]
        con.execute(
            f"""insert into raw.source_metadata
                select {", ".join(f"unnest(${n}::{k}[])" for n, k in enumerate(kinds, start=1))}
                on conflict (dataset, borough_code) do update set
                    {", ".join(f"{c} = excluded.{c}" for c in COLUMNS[2:])}
                where coalesce(fetched_at <= excluded.fetched_at, true)""",
            columns,
        )
    return len(latest)


def _row(batch_path: str | None) -> tuple | None:
    """One table row from a batch's manifest, or None when it holds no source metadata."""
    if not batch_path:
        return None
    manifest = json.loads((Path(batch_path) / "manifest.json").read_text(encoding="utf-8"))
    said = manifest.get("source_metadata")
    if not said:
        return None
    fetched_at = datetime.fromisoformat(manifest["fetched_at"]).replace(tzinfo=None)
    return (
        manifest["dataset"],
        manifest["borough_code"],
        *(_text(said.get(c)) for c in COLUMNS[2:9]),
        manifest["batch_id"],
        fetched_at,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
