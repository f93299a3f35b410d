"""Crash safety: a run killed at any step, or stopped by a full disk, leaves nothing that
blocks or corrupts, and running the day again gives what an uninterrupted run gives.

Kills are real `kill -9`s of a child process that runs the night's steps
(tests/night_steps.py), sent by the child to itself at a chosen point so the test is
deterministic. A full disk is simulated: a write raises ENOSPC as the kernel would.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import killed_night
import night_steps
import pytest

from ingest.paths import DataPaths
from pipeline import steps
from pipeline.guard import DiskFull, disk_full
from pipeline.lock import warehouse_lock

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

AS_OF = date(2026, 11, 12)
DAY = date(2026, 11, 11)
BOROUGHS = ["barnet", "havering"]  # CKAN and a bulk CSV file
# two daily datasets and a monthly one: every kind of partition, without a first night's
# periodic history of every dataset
DATASETS = ["road_casualties", "service_requests", "public_transport_journeys"]


@pytest.fixture(scope="module")
def pinned_sandbox():
    with killed_night.pinned_sandbox(AS_OF) as process:
        yield process


@pytest.fixture(scope="module")
def reference(pinned_sandbox, tmp_path_factory):
    """An uninterrupted night: its data directory, raw partitions and published city_metrics."""
    paths = DataPaths(tmp_path_factory.mktemp("reference") / "data")
    previous = os.environ.get("CITY_DATA_DIR")
    os.environ["CITY_DATA_DIR"] = str(paths.root)
    try:
        night_steps.night(DAY, BOROUGHS, DATASETS)
    finally:
        if previous is None:
            os.environ.pop("CITY_DATA_DIR", None)
        else:
            os.environ["CITY_DATA_DIR"] = previous
    return paths, raw_snapshot(paths.warehouse), city_metrics(paths.published)


def raw_snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows (without batch ids and load times) and every partition's row count."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'raw' and table_name not in "
                "('feed_partitions', 'feed_watermarks')"
            ).fetchall()
        ]
        snapshot = {
            t: con.execute(
                f'select * exclude (_batch_id, _loaded_at) from raw."{t}" order by all'
            ).fetchall()
            for t in tables
            if con.execute(
                "select count(*) from information_schema.columns where "
                "table_schema = 'raw' and table_name = ? and column_name = "
                "'_batch_id'",
                [t],
            ).fetchone()[0]
        }
        snapshot["feed_partitions"] = con.execute(
            "select dataset, borough_code, data_day, row_count from raw.feed_partitions order by all"
        ).fetchall()
    return snapshot


def city_metrics(published: Path) -> list[tuple]:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("select * from analytics.city_metrics order by all").fetchall()


def test_killed_during_load_then_run_again_gives_the_uninterrupted_warehouse(reference, data_dir):
    killed_night.run_killed(
        "load", DAY, BOROUGHS, after=1, datasets=DATASETS
    )  # one dataset's partitions committed, the second's half-way
    with warehouse_lock(data_dir, step="check", wait_s=0):
        pass  # the dead run holds nothing
    interrupted = raw_snapshot(data_dir.warehouse)
    assert 0 < len(interrupted["feed_partitions"]) < len(reference[1]["feed_partitions"])
    night_steps.land(DAY, BOROUGHS, DATASETS)  # the same day again
    assert raw_snapshot(data_dir.warehouse) == reference[1]


def test_killed_during_publish_leaves_the_published_file_whole_and_the_rerun_cleans_up(
    reference, monkeypatch
):
    paths, _, expected = reference
    monkeypatch.setenv("CITY_DATA_DIR", str(paths.root))
    before = _sha256(paths.published)
    killed_night.run_killed(
        "publish", DAY, BOROUGHS, datasets=DATASETS
    )  # the same night again, killed mid-copy
    leftovers = list(paths.published.parent.glob(".*.tmp"))
    assert leftovers, "the kill left no candidate: it did not hit the copy"
    assert _sha256(paths.published) == before  # analysts' file untouched, never half-written
    with warehouse_lock(paths, step="check", wait_s=0):
        pass
    steps.publish_warehouse()  # re-run the step that died
    assert not any(leftover.exists() for leftover in leftovers)
    assert city_metrics(paths.published) == expected


def test_a_full_disk_during_publish_leaves_the_published_warehouse_unchanged(
    data_dir, monkeypatch, tmp_path
):
    _tiny_warehouse(data_dir.warehouse, rows=1)
    steps.publish_warehouse()
    before = _sha256(data_dir.published)
    _tiny_warehouse(data_dir.warehouse, rows=2)
    cause = tmp_path / "run.cause"
    monkeypatch.setenv("CITY_RUN_CAUSE_FILE", str(cause))

    def copy_until_full(source, target, *args, **kwargs):
        Path(target).write_bytes(Path(source).read_bytes()[:4096])
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    with monkeypatch.context() as full:
        full.setattr(shutil, "copyfile", copy_until_full)
        with pytest.raises(
            DiskFull,
            match=r"^disk full: \d+ MB free on /\S* \(publish stopped at .*; "
            r"the published warehouse is unchanged\)$",
        ):
            steps.publish_warehouse()
    assert _sha256(data_dir.published) == before
    assert list(data_dir.published.parent.glob(".*.tmp")) == []
    assert cause.read_text().startswith("publish: disk full: ")
    assert steps.publish_warehouse()["city_metrics_rows"] == 2  # space freed: the next run recovers


def test_a_full_disk_during_load_is_named_and_the_next_run_loads(
    pinned_sandbox, data_dir, monkeypatch
):
    from pipeline import load_set

    def no_space(*args, **kwargs):
        raise duckdb.IOException(
            'IO Error: Could not write file "city.duckdb.wal": No space left on device'
        )

    with monkeypatch.context() as full:
        full.setattr(load_set, "replace_partitions", no_space)
        with pytest.raises(DiskFull, match=r"^disk full: \d+ MB free on .*\(load stopped at "):
            night_steps.land(DAY, ["barnet"], ["road_casualties"])
    summary = night_steps.land(DAY, ["barnet"], ["road_casualties"])
    assert summary["loaded_batches"] == 1 and summary["fetch_failed"] == []


def test_a_dbt_build_that_ran_out_of_space_counts_as_a_full_disk():
    from pipeline.dbt_runner import DbtBuildFailed

    assert disk_full(
        DbtBuildFailed(
            "dbt build failed; nothing published:\nIO Error: Could not write "
            "file: No space left on device"
        )
    )
    assert not disk_full(
        DbtBuildFailed("dbt build failed; nothing published:\nmodel.x: division by zero")
    )


def test_publish_removes_candidates_an_earlier_kill_left(data_dir):
    _tiny_warehouse(data_dir.warehouse, rows=1)
    data_dir.published.parent.mkdir(parents=True)
    leftover = data_dir.published.with_name(f".{data_dir.published.name}.deadbeef.tmp")
    leftover.write_bytes(b"half a warehouse")
    other = data_dir.published.with_name("notes.tmp")  # not a publish candidate: kept
    other.write_text("mine")
    steps.publish_warehouse()
    assert not leftover.exists() and other.exists()


def _tiny_warehouse(path: Path, rows: int) -> None:
    """The two tables publish checks, with `rows` city_metrics rows (no dbt needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists analytics")
        con.execute("create schema if not exists raw")
        con.execute(
            "create or replace table analytics.city_metrics as select range as n from range(?)",
            [rows],
        )
        con.execute(
            "create or replace table raw.feed_partitions as select date '2026-11-11' as data_day"
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_run_gets_its_own_log_file(tmp_path):
    from pipeline.airflow_runner import run_log_path

    first = run_log_path(tmp_path, "city_nightly", DAY)
    first.write_text("the first run's error\n")
    second = run_log_path(tmp_path, "city_nightly", DAY)  # the same day, the same second
    assert first != second and first.read_text() == "the first run's error\n"
    assert second.name.startswith(f"city_nightly_{DAY}_") and second.suffix == ".log"


def test_the_console_shows_the_cause_of_a_run_that_wrote_no_report(data_dir, tmp_path, monkeypatch):
    import pipeline.guard
    from pipeline.cli import _report

    log, cause = tmp_path / "run.log", tmp_path / "run.cause"
    cause.write_text(
        "publish: disk full: 18 MB free on /data (publish stopped at /data/city; "
        "the published warehouse is unchanged)\n"
    )
    line = _report(DAY, log, since=0, cause_path=cause)
    assert line == (
        f"no report: publish: disk full: 18 MB free on /data (publish stopped at /data/city; "
        f"the published warehouse is unchanged) (log: {log})"
    )
    # no room even for the cause: the console says how little is left
    monkeypatch.setattr(pipeline.guard, "free_mb", lambda path: 3)
    assert _report(DAY, log, since=0, cause_path=tmp_path / "none.cause").startswith(
        "no report: disk full: 3 MB free on "
    )
