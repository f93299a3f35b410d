"""Two real nights of the city_nightly DAG (Airflow's `dag.test`), for what only they prove.

The night's behaviour is asserted by calling its steps (test_night_sequence.py and others);
these nights prove the wiring: the per-host ingest tasks (mapped over runs of feeds) in their pools, a host with
nothing to fetch skipped without stopping the night, and the publish path — a green night
publishes and exports, a night whose dbt test fails is red and leaves the analysts' file
byte-for-byte as it was. Two hosts: Camden on `localhost`, everyone else on 127.0.0.1; a
sandbox pinned to 13 November 2026; two boroughs, then Camden alone, and four datasets (three
daily, one monthly: every mapped step has several instances) to keep each night short.

One of the daily datasets, noise_complaints, and a metric over it exist only in the nights'
temporary config (issue 9: "adding a dataset"): its spec, its measures and metric, and its
sandbox volume, nothing else. The sandbox serves it from the spec, validation checks it
from the spec, and dbt builds it from a copy of the project with its staging written from
the spec (pipeline/dataset_files.py); the green night's metric values are checked against
the sandbox's records, and the repository is left as it was.
"""

from __future__ import annotations

import subprocess
from datetime import date

import duckdb
import pytest
from new_dataset import with_noise_complaints
from night_env import pinned_night, query, sha256
from test_pools import _two_host_config

from ingest.catalogue import Catalogue, load_catalogue
from ingest.paths import REPO_ROOT
from pipeline.airflow_runner import run_dag_for_day_logged
from pipeline.pools import host_pools
from sandbox.generator import truth_records
from sandbox.process import free_port
from sandbox.settings import load_settings
from sandbox.volumes import Volumes

pytestmark = pytest.mark.e2e
GREEN_DAY, RED_DAY = date(2026, 11, 12), date(2026, 11, 13)
BOROUGHS = ["camden", "barnet"]
DATASETS = ["road_casualties", "service_requests", "public_transport_journeys", "noise_complaints"]


@pytest.fixture(scope="module")
def dag_nights(airflow_db, tmp_path_factory):
    """A green two-host night for two boroughs, then a Camden-only night whose dbt test fails."""
    base = tmp_path_factory.mktemp("dag-nights")
    seen: dict = {"repo_before": _repo_state()}
    port = free_port()
    config = with_noise_complaints(_two_host_config(base / "config", f"http://localhost:{port}"))
    with pinned_night(base, RED_DAY, config_dir=config, port=port) as (sandbox, paths):
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
            seen["standards_green"] = sorted(
                str(p.relative_to(paths.published.parent / "open_data"))
                for p in (paths.published.parent / "open_data" / "standards").glob("*/*.json")
            )
            seen["metric_areas_green"] = {
                a
                for (a,) in query(
                    paths.published,
                    "select distinct area_code from analytics.city_metrics "
                    "where metric_id = 'ksi_per_100k' and period_type = 'month'",
                )
            }
            seen["noise_metric_green"] = dict(
                query(
                    paths.published,
                    "select area_code, value from analytics.city_metrics "
                    "where metric_id = 'construction_noise_pct' and period_type = 'month' "
                    "and period_start = ?",
                    [GREEN_DAY.replace(day=1)],
                )
            )
            seen["noise_days_green"] = query(
                paths.warehouse,
                "select distinct data_day from raw.feed_partitions "
                "where dataset = 'noise_complaints'",
            )
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
            seen["repo_after"] = _repo_state()
            yield seen
        finally:
            mp.undo()


def _repo_state() -> str:
    """What git sees of the working tree: changed and new files anywhere, and ignored ones too
    where a config-only dataset's files could leak (the dbt project's sources, config, suites;
    not dbt's target/ and logs/, which other test modules' builds may write meanwhile)."""

    def status(*args: str) -> str:
        return subprocess.run(
            ["git", "status", "--porcelain", *args],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    leaks = ["dbt_project/models", "dbt_project/macros", "dbt_project/seeds", "dbt_project/tests"]
    return status() + status("--ignored", "--", *leaks, "config", "expectations")


def _noise_truth(catalogue: Catalogue, day: date) -> dict[str, float]:
    """construction_noise_pct per borough and for the region (a ratio of sums), from the
    sandbox's own records of the day (no pipeline code)."""
    seed, volumes = load_settings(catalogue).seed, Volumes.load(catalogue)
    counts = {}
    for slug in BOROUGHS:
        area = catalogue.area(slug)
        records = truth_records(
            "noise_complaints", area, day, seed=seed, volumes=volumes, catalogue=catalogue
        )
        counts[area.code] = (
            sum(r["noise_source"] == "Construction" for r in records),
            len(records),
        )
    counts[catalogue.region.code] = tuple(sum(c) for c in zip(*counts.values(), strict=True))
    return {code: 100 * part / whole for code, (part, whole) in counts.items()}


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
    # each dataset's Table Schema and Data Package beside the open data (pipeline.data_standard)
    assert "standards/road_casualties/tableschema.json" in dag_nights["standards_green"]
    assert "standards/road_casualties/datapackage.json" in dag_nights["standards_green"]


def test_a_host_with_nothing_to_fetch_is_skipped_and_the_night_still_loads(dag_nights):
    """A Camden-only night: 127.0.0.1's task is skipped, validate and load still see Camden's
    outcomes (its daily feeds: the monthly and quarterly ones loaded their periods the night before)."""
    catalogue, paths = dag_nights["catalogue"], dag_nights["paths"]
    tis = _ingest_tis(RED_DAY.isoformat())
    daily = sum(not catalogue.datasets[d].periodic for d in DATASETS)
    assert [state for state, _ in tis["ingest_feed.127_0_0_1"]] == ["skipped"]
    slots = {pool.name: pool.slots for pool in host_pools(catalogue)}["borough_api__localhost"]
    # Camden's daily feeds in at most its pool's slots' tasks (pipeline.pools.task_chunks)
    assert [state for state, _ in tis["ingest_feed.localhost"]] == ["success"] * min(daily, slots)
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


def test_a_dataset_and_metric_declared_in_config_alone_get_the_sandboxs_values(dag_nights):
    """noise_complaints and construction_noise_pct exist only in the temporary config: the green
    night loads the day's complaints and publishes the metric for each borough and the region,
    equal to the sandbox's records; nothing in the repository is added or changed."""
    catalogue = dag_nights["catalogue"]
    assert dag_nights["green"] == "success"
    assert dag_nights["noise_days_green"] == [(GREEN_DAY,)]
    truth = _noise_truth(catalogue, GREEN_DAY)
    assert len(truth) == len(BOROUGHS) + 1 and all(0 < v < 100 for v in truth.values())
    assert dag_nights["noise_metric_green"] == pytest.approx(truth)
    assert dag_nights["repo_after"] == dag_nights["repo_before"]
