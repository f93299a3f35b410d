"""Analysts are never blocked: readers of the published warehouse through a whole night.

The README tells analysts to open data/published/city.duckdb read-only (DuckDB CLI,
Python, a BI tool). While a night loads, builds, publishes and exports, two reader
processes do just that: one opens a new connection for every query, in a loop; one holds
a single connection from before the night to after it. Every query reads, in one
snapshot, a signature of the published state and a pair of figures that agree in any
whole state (the rows raw.feed_partitions says were loaded, and the rows there are). The
test counts zero errors, every read seeing the previous or the new published state and
never a mix; the held connection keeps the previous state, a new one sees the new.

The previous state is the hand-made fixture warehouse, built once per test run
(tests/test_headline.py); the night is one sandbox day for two boroughs, driven by its
steps (tests/night_steps.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import night_steps
import pytest
from night_env import pinned_night
from test_headline import built_warehouse

from ingest.paths import DataPaths

pytestmark = pytest.mark.slow

AS_OF = date(2026, 11, 12)
DAY = date(2026, 11, 11)
BOROUGHS = ["camden", "barnet"]
# One snapshot: (what state this is) and (two figures any whole state agrees on).
SNAPSHOT = """
    select
        (select count(*) from raw.feed_partitions) as partitions,
        (select count(*) from analytics.city_metrics) as metrics,
        (select coalesce(sum(row_count), 0) from raw.feed_partitions
            where dataset = 'service_requests') as requests_recorded,
        (select count(*) from raw.service_requests) as requests_loaded
"""


# A reader process (`python -c READER path stop out sql [--hold]`), importing nothing of the
# project: run `sql` on the published file until `stop` exists, then write what each read saw.
READER = """
import json, sys, time
from pathlib import Path
import duckdb
path, stop, out, sql = sys.argv[1:5]
reads, errors = [], []
held = duckdb.connect(path, read_only=True) if "--hold" in sys.argv[5:] else None
while True:
    stopping = Path(stop).exists()
    try:
        if held is not None:
            row = held.execute(sql).fetchone()
        else:
            with duckdb.connect(path, read_only=True) as con:
                row = con.execute(sql).fetchone()
        reads.append(list(row))
    except Exception as exc:
        errors.append(type(exc).__name__ + ": " + str(exc))
    if stopping:
        break
    time.sleep(0.02)
Path(out).write_text(json.dumps({"reads": reads, "errors": errors}))
"""


def _snapshot(path: Path) -> list:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return list(con.execute(SNAPSHOT).fetchone())


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    root = tmp_path_factory.mktemp("readers")
    with pinned_night(root, AS_OF) as (_, paths):
        fixture = DataPaths(built_warehouse())
        paths.warehouse.parent.mkdir(parents=True)
        paths.published.parent.mkdir(parents=True)
        shutil.copyfile(fixture.warehouse, paths.warehouse)
        shutil.copyfile(fixture.published, paths.published)
        previous = _snapshot(paths.published)
        stop = root / "stop"
        readers = {
            name: subprocess.Popen(
                [sys.executable, "-c", READER, str(paths.published), str(stop), str(root / name)]
                + [SNAPSHOT]
                + (["--hold"] if name == "held" else []),
            )
            for name in ("looping", "held")
        }
        time.sleep(1)  # both readers are reading before the night starts
        try:
            night_steps.night(DAY, BOROUGHS)
        finally:
            stop.touch()
            for process in readers.values():
                process.wait(timeout=60)
        seen = {name: json.loads((root / name).read_text()) for name in readers}
        for name, what in seen.items():
            print(f"{name} reader: {len(what['reads'])} reads, {len(what['errors'])} errors")
        return previous, _snapshot(paths.published), seen


def test_readers_never_see_an_error(night):
    _, _, seen = night
    assert len(seen["looping"]["reads"]) > 20
    assert seen["looping"]["errors"] == [] and seen["held"]["errors"] == []


def test_every_read_sees_the_previous_or_the_new_state_never_a_mix(night):
    previous, new, seen = night
    assert previous != new, "the night changed nothing published"
    for name, what in seen.items():
        for row in what["reads"]:
            assert row in (previous, new), f"{name} read a state that was never published: {row}"
            assert row[2] == row[3], f"{name} read a mix: {row}"
    states = [row for row in seen["looping"]["reads"]]
    assert states[0] == previous and states[-1] == new


def test_a_held_connection_keeps_its_snapshot_a_new_one_sees_the_new_data(night):
    previous, _, seen = night
    assert {tuple(row) for row in seen["held"]["reads"]} == {tuple(previous)}
