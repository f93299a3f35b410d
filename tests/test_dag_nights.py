"""Two real nights of the city_nightly DAG (Airflow's `dag.test`), for what only they prove.

The night's behaviour is asserted by calling its steps (test_night_sequence.py and others);
these nights prove the wiring: the per-host ingest tasks (mapped over runs of feeds) in their pools, a host with
nothing to fetch skipped without stopping the night, and the publish path — a green night
publishes and exports, a night whose dbt test fails is red and leaves the analysts' file
byte-for-byte as it was. Two hosts: Camden on `localhost`, everyone else on 127.0.0.1; a
sandbox pinned to 13 November 2026; two boroughs, then Camden alone, and three datasets (two
daily, one monthly: every mapped step has several instances) to keep each night short.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from night_env import pinned_night, query, sha256
from test_pools import _two_host_config

from ingest.catalogue import load_catalogue
from pipeline.airflow_runner import run_dag_for_day_logged
from pipeline.pools import host_pools

pytestmark = pytest.mark.e2e
GREEN_DAY, RED_DAY = date(2026, 11, 12), date(2026, 11, 13)
BOROUGHS = ["camden", "barnet"]
DATASETS = ["road_casualties", "service_requests", "public_transport_journeys"]


@pytest.fixture(scope="module")
def dag_nights(airflow_db, tmp_path_factory):
    """A green two-host night for two boroughs, then a Camden-only night whose dbt test fails."""
    base = tmp_path_factory.mktemp("dag-nights")
    seen: dict = {}
    with pinned_night(base, RED_DAY) as (sandbox, paths):
        config = _two_host_config(base / "config", sandbox.url.replace("127.0.0.1", "localhost"))
        mp = pytest.MonkeyPatch()
        mp.setenv("CITY_CONFIG_DIR", str(config))
        try:
            seen["catalogue"], seen["paths"] = load_catalogue(config), paths
            seen["green"] = run_dag_for_day_logged(
                "city_nightly",
                GREEN_DAY,
                paths.root / "logs" / "green.log",
                {"boroughs": BOROUGHS, "datasets": DATASETS},
            )
            seen["published_green"] = sha256(paths.published)
            seen["open_data_green"] = sorted(
                p.name for p in (paths.published.parent / "open_data").glob("*.csv")
            )
            seen["metric_areas_green"] = {
                a
                for (a,) in query(
                    paths.published,
                    "select distinct area_code from analytics.city_metrics "
                    "where metric_id = 'ksi_per_100k' and period_type = 'month'",
                )
            }
            # A row whose borough spelling no alias resolves makes a dbt test fail.
            with duckdb.connect(str(paths.warehouse)) as con:
                con.execute(
                    "insert into raw.road_casualties (casualty_ref, accident_date, borough, severity, "
                    "road_user_type, casualty_age, _borough_code, _data_day, _batch_id, _loaded_at) "
                    "values ('X-1', '2026-11-12', 'Gotham City', 'Slight', 'Pedestrian', '30', "
                    "'E09000007', '2026-11-12', 'sabotage', now())"
                )
            red_log = paths.root / "logs" / "red.log"
            seen["red"] = run_dag_for_day_logged(
                "city_nightly", RED_DAY, red_log, {"boroughs": ["camden"], "datasets": DATASETS}
            )
            seen["red_log"] = red_log.read_text(errors="replace")
            seen["published_red"] = sha256(paths.published)
            yield seen
        finally:
            mp.undo()


def _ingest_tis(data_day: str) -> dict[str, list[tuple[str, str]]]:
    """Ingest task instances of the run for a data day: task id -> [(state, pool)]."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = [
            r
            for r in session.scalars(select(DagRun).where(DagRun.dag_id == "city_nightly"))
            if (r.conf or {}).get("data_day") == data_day
        ]
        tis = session.scalars(
            select(TaskInstance).where(
                TaskInstance.run_id == runs[-1].run_id,
                TaskInstance.task_id.like("ingest_feed.%"),
                ~TaskInstance.task_id.like("%_plans"),
            )
        ).all()
        found: dict[str, list[tuple[str, str]]] = {}
        for ti in tis:
            found.setdefault(ti.task_id, []).append(
                (str(getattr(ti.state, "value", ti.state)), ti.pool)
            )
        return found


def test_a_green_night_ingests_each_host_in_its_pool_and_publishes(dag_nights):
    """Each host's mapped task fetches its own feeds in its pool (Camden's 3 feeds in its 2
    slots' tasks); load records every feed of the day once; the night publishes the warehouse
    and exports the open data."""
    assert dag_nights["green"] == "success"
    catalogue, paths = dag_nights["catalogue"], dag_nights["paths"]
    datasets = len(DATASETS)
    tis = _ingest_tis(GREEN_DAY.isoformat())
    slots = {pool.name: pool.slots for pool in host_pools(catalogue)}
    for host in ("localhost", "127_0_0_1"):  # a task per feed, at most one per slot of its pool
        pool = f"borough_api__{host}"
        tasks = min(datasets, slots[pool])
        assert sorted(tis[f"ingest_feed.{host}"]) == [("success", pool)] * tasks, host
    assert slots["borough_api__localhost"] < datasets  # so Camden's feeds share its tasks
    batches = query(
        paths.warehouse,
        "select dataset || '/' || borough_code, count(*) from audit.batches "
        "where data_day = ? group by 1",
        [GREEN_DAY],
    )
    daily = [f.id for f in catalogue.feeds(DATASETS, BOROUGHS) if not f.dataset.periodic]
    assert sorted(feed for feed, _ in batches) == sorted(daily)
    assert all(count == 1 for _, count in batches)
    assert dag_nights["metric_areas_green"] == {catalogue.area(s).code for s in BOROUGHS} | {
        catalogue.region.code
    }
    assert "city_metrics.csv" in dag_nights["open_data_green"]


def test_a_host_with_nothing_to_fetch_is_skipped_and_the_night_still_loads(dag_nights):
    """A Camden-only night: 127.0.0.1's task is skipped, validate and load still see Camden's
    outcomes (its daily feeds: the monthly and quarterly ones loaded their periods the night before)."""
    catalogue, paths = dag_nights["catalogue"], dag_nights["paths"]
    tis = _ingest_tis(RED_DAY.isoformat())
    daily = sum(not catalogue.datasets[d].periodic for d in DATASETS)
    assert [state for state, _ in tis["ingest_feed.127_0_0_1"]] == ["skipped"]
    assert [state for state, _ in tis["ingest_feed.localhost"]] == ["success"] * daily
    loaded = query(
        paths.warehouse,
        "select borough_code, count(*) from raw.feed_partitions where data_day = ? group by 1",
        [RED_DAY],
    )
    assert loaded == [(catalogue.area("camden").code, daily)]


def test_a_night_whose_dbt_test_fails_is_red_and_publishes_nothing(dag_nights):
    """dbt's failing test turns the run red and the analysts' file is byte-for-byte unchanged."""
    assert dag_nights["red"] == "failed"
    assert "dbt build failed" in dag_nights["red_log"]
    assert dag_nights["published_red"] == dag_nights["published_green"]
