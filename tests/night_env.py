"""What the step-level night tests share: a pinned sandbox with its own data directory,
and small read-only queries of the warehouse.

The sandbox is pinned (`as_of`) so what it has published never depends on today's date;
each scenario gets its own data directory so scenarios cannot see each other's state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.catalogue import load_catalogue
from ingest.paths import REPO_ROOT, DataPaths
from sandbox.generator import truth_records
from sandbox.process import SandboxProcess
from sandbox.settings import load_settings


@contextmanager
def pinned_night(
    root: Path,
    as_of: date,
    *,
    region: str | None = None,
    config_dir: Path | None = None,
    port: int | None = None,
) -> Iterator[tuple[SandboxProcess, DataPaths]]:
    """A sandbox that has published up to `as_of`, and the environment the steps read pointed at it
    (`config_dir`: the sandbox serves that config too; `port`: known before, for a config naming it)."""
    paths = DataPaths(root / "data")
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("CITY_DATA_DIR", str(paths.root))
        if region:
            mp.setenv("CITY_REGION", region)
        if config_dir:
            mp.setenv("CITY_CONFIG_DIR", str(config_dir))
        with SandboxProcess(as_of=as_of, region=region, port=port) as sandbox:
            mp.setenv("CITY_API_BASE_URL", sandbox.url)
            yield sandbox, paths
    finally:
        mp.undo()


def query(path: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def partitions(path: Path) -> dict[tuple, int]:
    """(dataset, borough code, day) -> rows, as raw.feed_partitions records them."""
    rows = query(
        path, "select dataset, borough_code, data_day::varchar, row_count from raw.feed_partitions"
    )
    return {(d, b, day): n for d, b, day, n in rows}


def raw_counts(path: Path) -> dict[tuple, tuple[int, int]]:
    """(dataset, borough code, day) -> (rows, distinct keys) in the raw tables."""
    catalogue = load_catalogue()
    counts = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for dataset in catalogue.datasets.values():
            rows = con.execute(
                f'select _borough_code, _data_day::varchar, count(*), count(distinct "{dataset.key}") '
                f"from raw.{dataset.id} group by all"
            ).fetchall()
            counts.update({(dataset.id, b, d): (n, k) for b, d, n, k in rows})
    return counts


def raw_rows(path: Path) -> dict[str, set[tuple]]:
    """Every raw table's rows (all columns but the batch and load time), to compare two states of the warehouse."""
    catalogue = load_catalogue()
    found = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for dataset in catalogue.datasets:
            cursor = con.execute(f"select * exclude (_batch_id, _loaded_at) from raw.{dataset}")
            found[dataset] = set(cursor.fetchall())
    return found


def metrics(path: Path) -> dict[tuple, tuple]:
    """city_metrics by its key (metric, area, period type, period start): a month and a quarter
    starting the same day are two rows."""
    rows = query(
        path,
        "select metric_id, area_code, period_type, period_start::varchar, value, numerator, "
        "denominator, days_covered, boroughs_covered from analytics.city_metrics",
    )
    return {r[:4]: r[4:] for r in rows}


def truth_count(dataset: str, slug: str, day: date) -> int:
    """Rows the sandbox holds for a feed-day, from the repository's config (the sandbox process reads that one)."""
    catalogue = load_catalogue(REPO_ROOT / "config")
    seed = load_settings(catalogue).seed
    return len(truth_records(dataset, catalogue.area(slug), day, seed=seed, catalogue=catalogue))
