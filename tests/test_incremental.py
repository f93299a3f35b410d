"""Incremental dbt models give exactly the full-refresh warehouse, rebuilding only what changed.

The hand-made fixture warehouse, built once per test run (tests/test_headline.py), is the
warehouse of the nights so far. The loader then changes it as later nights do: a corrected
day (a record dropped, one changed), a record re-published in a later month, a day replaced
by an empty one, late data for an older day, a late year-earlier period and a quarantined
batch (recorded, never loaded). One incremental `dbt run` brings the models up to date; a
copy rebuilt with `--full-refresh` must hold the same rows in every staging, intermediate
and analytics table. Two `dbt run`s (models only, no tests): about 20 s on 2 cores.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from test_headline import built_warehouse

from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from pipeline.dbt_runner import DBT_PROJECT_DIR, dbt_command
from pipeline.load import connect, load_partition

pytestmark = pytest.mark.slow

DATASETS = [
    "road_casualties",
    "housing_completions",
    "service_requests",
    "public_transport_journeys",
    "bus_performance",
    "temporary_accommodation",
    "planning_applications",
    "house_prices",
    "household_waste",
]
# (dataset, borough, data day) -> the records the loader now lands for it (replacing the day).
CHANGES = {
    # a corrected day: BD2 dropped, BD1 downgraded
    ("road_casualties", "E09000002", "2024-03-01"): [
        {
            "casualty_ref": "BD1",
            "accident_date": "01/03/2024",
            "borough": "Barking & Dagenham",
            "severity": "Slight",
            "road_user_type": "Car occupant",
            "casualty_age": "45",
        },
        {
            "casualty_ref": "BD3",
            "accident_date": "01/03/2024",
            "borough": "Barking & Dagenham",
            "severity": "Serious",
            "road_user_type": "Pedestrian",
            "casualty_age": "12",
        },
    ],
    # KC2 (landed on 1 March) re-published on 1 April: the later copy wins, March loses it
    ("road_casualties", "E09000020", "2024-04-01"): [
        {
            "casualty_ref": "KC2",
            "accident_date": "2024-03-01",
            "borough": "RBKC",
            "severity": "Fatal",
            "road_user_type": "Other vehicle occupant",
            "casualty_age": "51",
        },
    ],
    # a day replaced by an empty one (its request withdrawn)
    ("service_requests", "E09000012", "2024-03-02"): [],
    # late data for an older day
    ("service_requests", "E09000033", "2024-02-15"): [
        {
            "request_ref": "W9",
            "requested_date": "2024-02-15T00:00:00.000",
            "borough": "City of Westminster",
            "category": "Potholes",
            "channel": "App",
            "status": "Open",
            "closed_date": "",
        },
    ],
    # a late period: Tower Hamlets' March 2023, so March 2024 gains its change on last year
    ("public_transport_journeys", "E09000030", "2023-03-01"): [
        {
            "journeys_ref": "TJ0",
            "month": "2023-03-01T00:00:00.000",
            "borough": "LB Tower Hamlets",
            "mode": "DLR",
            "journeys": "29,000",
        },
    ],
}


def _dbt_run(paths: DataPaths, *args: str) -> list[dict]:
    command, env = dbt_command(load_catalogue(), paths, "run", *args)
    done = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    return json.loads((paths.dbt_target / "run_results.json").read_text())["results"]


def _land_changes(warehouse: Path, folder: Path) -> None:
    catalogue = load_catalogue()
    con = connect(warehouse)
    try:
        for n, ((dataset_id, borough, day), rows) in enumerate(CHANGES.items()):
            records = folder / f"records-{n}.jsonl"
            records.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
            dataset = catalogue.dataset(dataset_id)
            load_partition(con, dataset, borough, day, f"later-{n}", records, len(rows))
        con.execute(
            "insert into audit.batches (batch_id, run_id, dataset, borough_code, data_day, "
            "status, row_count, reason, recorded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                "bad-1",
                "later",
                "housing_completions",
                "E09000005",
                "2024-03-02",
                "quarantined",
                1,
                "units_completed='abc'",
                datetime(2024, 3, 3, 2, 0),
            ],
        )
    finally:
        con.close()


MARKED = {"fct_road_casualties": "casualty_age", "fct_household_waste": "tonnes"}
MARK = -7


def _mark_rows(warehouse: Path) -> None:
    """Give every row of two facts an impossible value (the originals kept aside): a row
    the next run does not rewrite keeps it."""
    with duckdb.connect(str(warehouse)) as con:
        for fact, column in MARKED.items():
            con.execute(
                f"create table main.{fact} as select rowid as r, {column} as v, * from analytics.{fact}"
            )
            con.execute(f"update analytics.{fact} set {column} = {MARK}")


def _unmark_rows(warehouse: Path) -> dict[str, set[str]]:
    """The record ids still marked, and all marked, per fact; then the values come back."""
    kept = {}
    with duckdb.connect(str(warehouse)) as con:
        for fact, column in MARKED.items():
            key = "casualty_id" if fact == "fct_road_casualties" else "waste_id"
            kept[fact] = {
                r[0]
                for r in con.execute(
                    f"select {key} from analytics.{fact} where {column} = {MARK}"
                ).fetchall()
            }
            con.execute(
                f"update analytics.{fact} as f set {column} = o.v from main.{fact} as o "
                f"where f.{key} = o.{key} and f.{column} = {MARK}"
            )
            kept[f"all {fact}"] = {
                r[0] for r in con.execute(f"select {key} from main.{fact}").fetchall()
            }
            con.execute(f"drop table main.{fact}")
    return kept


def _oids(warehouse: Path) -> dict[str, int]:
    """Each table's oid: a table dbt rebuilt (create and rename) gets a new one."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute(
                "select schema_name || '.' || table_name, table_oid from duckdb_tables()"
            ).fetchall()
        )


def _tables(con, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = ? and schema_name in ('staging', 'intermediate', 'analytics') "
        "order by all",
        [catalog],
    ).fetchall()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    """(incremental, full refresh) warehouse paths, and what the incremental run rewrote:
    table oids before and after it, and the records whose rows it left in place."""
    root = tmp_path_factory.mktemp("incremental")
    incremental = DataPaths(root / "incremental")
    incremental.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(DataPaths(built_warehouse()).warehouse, incremental.warehouse)
    _land_changes(incremental.warehouse, root)
    _mark_rows(incremental.warehouse)
    before = _oids(incremental.warehouse)
    full = DataPaths(root / "full")
    full.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(incremental.warehouse, full.warehouse)
    _dbt_run(incremental)
    after = _oids(incremental.warehouse)
    kept = _unmark_rows(incremental.warehouse)
    _dbt_run(full, "--full-refresh")
    return incremental.warehouse, full.warehouse, (before, after, kept)


def test_an_incremental_run_equals_a_full_refresh_table_by_table(warehouses):
    """Every staging, intermediate and analytics table holds the same rows either way."""
    incremental, full, _ = warehouses
    con = duckdb.connect()
    con.execute(f"attach '{incremental}' as inc (read_only)")
    con.execute(f"attach '{full}' as ful (read_only)")
    tables = _tables(con, "inc")
    assert tables == _tables(con, "ful")
    assert ("analytics", "fct_road_casualties") in tables
    differ = {}
    for schema, table in tables:
        a, b = f"inc.{schema}.{table}", f"ful.{schema}.{table}"
        only_inc = con.execute(f"select count(*) from (from {a} except all from {b})").fetchone()[0]
        only_full = con.execute(f"select count(*) from (from {b} except all from {a})").fetchone()[
            0
        ]
        if only_inc or only_full:
            differ[f"{schema}.{table}"] = (only_inc, only_full)
    assert differ == {}, f"rows only in the incremental / only in the full-refresh build: {differ}"


def test_the_changes_reached_the_facts(warehouses):
    """The corrected, moved, withdrawn and late records are where the loader put them."""
    incremental, _, _ = warehouses
    with duckdb.connect(str(incremental), read_only=True) as con:
        casualties = dict(
            con.execute(
                "select casualty_id, severity_code || ' ' || period_start "
                "from analytics.fct_road_casualties where area_code in ('E09000002', 'E09000020')"
            ).fetchall()
        )
        requests = {
            r[0]
            for r in con.execute("select request_id from analytics.fct_service_requests").fetchall()
        }
    assert casualties["E09000002/BD1"] == "slight 2024-03-01"
    assert "E09000002/BD2" not in casualties and "E09000002/BD3" in casualties
    assert casualties["E09000020/KC2"] == "fatal 2024-04-01"
    assert "E09000012/R4" not in requests and "E09000033/W9" in requests


def test_a_night_rewrites_only_the_changed_records(warehouses):
    """The record models are updated in place, not rebuilt; only the changed records'
    rows are rewritten, every other row is left as it was."""
    _, _, (before, after, kept) = warehouses
    for model in [f"analytics.fct_{d}" for d in DATASETS] + [
        f"staging.stg_borough_feeds__{d}" for d in DATASETS
    ]:
        assert after[model] == before[model], f"{model} was rebuilt, not updated"
    rebuilt = {"E09000002/BD1", "E09000002/BD3", "E09000020/KC2"}  # BD2 is deleted
    assert kept["fct_road_casualties"] == kept["all fct_road_casualties"] - rebuilt - {
        "E09000002/BD2"
    }
    # no change touched household waste
    assert kept["fct_household_waste"] == kept["all fct_household_waste"] != set()
