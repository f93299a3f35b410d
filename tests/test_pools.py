"""One Airflow pool per borough API host: config, the DAG's shape, the pools in Airflow.

Mirrors Airflow's own example-DAG tests (DagBag, task attributes). The sandbox serves every
borough from one host, so a second host is made by pointing Camden at `localhost` while the
rest stay on 127.0.0.1; a real two-host night is in test_dag_nights.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from config_files import copy_config, edit_yaml

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError, IngestError
from ingest.paths import REPO_ROOT
from pipeline.pools import host_pools, plans_by_pool

DAGS_FOLDER = REPO_ROOT / "dags"


def _two_host_config(target: Path, camden_base: str = "http://localhost:8765") -> Path:
    """The real config with Camden on `localhost` (2 slots) and every other borough on 127.0.0.1."""
    copy_config(target)

    def camden_elsewhere(region):
        camden = next(a for a in region["areas"] if a["slug"] == "camden")
        camden["portal"]["base_url"] = f"{camden_base}/camden"

    edit_yaml(target / "regions" / "london.yml", camden_elsewhere)
    edit_yaml(target / "pipeline.yml", lambda d: d["pools"].__setitem__("hosts", {"localhost": 2}))
    return target


@pytest.fixture
def two_hosts(tmp_path, monkeypatch) -> Path:
    config = _two_host_config(tmp_path / "config")
    monkeypatch.setenv("CITY_CONFIG_DIR", str(config))
    monkeypatch.delenv("CITY_API_BASE_URL", raising=False)
    return config


def _dag(dag_id: str = "city_nightly"):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags[dag_id]


def _ingest_tasks(dag) -> dict[str, str]:
    """Mapped ingest task id -> its pool."""
    return {
        t.task_id: t.pool for t in dag.tasks if t.task_id.startswith("ingest_feed.") and t.is_mapped
    }


# --- config ---------------------------------------------------------------------------------


def test_the_sandbox_is_one_host_with_the_default_slots(monkeypatch):
    """Every borough of the default config is served from 127.0.0.1, whatever the sandbox's port."""
    monkeypatch.setenv("CITY_API_BASE_URL", "http://127.0.0.1:41234")
    [pool] = host_pools()
    assert (pool.name, pool.host, pool.slots, len(pool.boroughs)) == (
        "borough_api__127_0_0_1",
        "127.0.0.1",
        8,
        33,
    )


def test_two_hosts_give_two_pools_with_their_own_slots(two_hosts):
    """Camden on localhost gets its own pool with its override; the other 32 share the default."""
    pools = {p.name: (p.host, p.slots, len(p.boroughs)) for p in host_pools()}
    assert pools == {
        "borough_api__127_0_0_1": ("127.0.0.1", 8, 32),
        "borough_api__localhost": ("localhost", 2, 1),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.__setitem__("slots_per_host", 0), "pools.slots_per_host: must be at least 1"),
        (
            lambda p: p.__setitem__("hosts", {"https://data.camden.gov.uk": 2}),
            "bare lowercase host name",
        ),
        (
            lambda p: p.__setitem__("hosts", {"localhost": "two"}),
            "pools.hosts.localhost: expected a whole number",
        ),
        (lambda p: p.pop("slots_per_host"), "pools: missing required key 'slots_per_host'"),
    ],
)
def test_bad_pool_settings_are_refused_naming_the_key(tmp_path, change, message):
    """A mistake in pools: stops the catalogue load with the file, the key and what is wrong."""
    config = copy_config(tmp_path / "config")
    edit_yaml(config / "pipeline.yml", lambda d: change(d["pools"]))
    with pytest.raises(CatalogueError, match="pipeline.yml") as raised:
        load_catalogue(config)
    assert message in str(raised.value)


# --- the plan split -------------------------------------------------------------------------


def test_every_feed_is_planned_for_exactly_one_host(two_hosts):
    """The night's plans split per pool: nothing lost, nothing twice, Camden's feeds on localhost."""
    catalogue = load_catalogue()
    plans = [{"feed_id": f.id, "label": f.label, "days": ["2026-11-12"]} for f in catalogue.feeds()]
    split = plans_by_pool(plans, ["borough_api__127_0_0_1", "borough_api__localhost"])
    ids = [p["feed_id"] for group in split.values() for p in group]
    assert sorted(ids) == sorted(p["feed_id"] for p in plans)
    assert {p["feed_id"].split("/")[1] for p in split["borough_api__localhost"]} == {"E09000007"}


def test_a_host_without_feeds_tonight_gets_an_empty_list(two_hosts):
    """Running for one borough leaves the other host's list empty (its task is skipped), not missing."""
    feed = load_catalogue().feeds(areas=["camden"])[0]
    split = plans_by_pool(
        [{"feed_id": feed.id, "label": feed.label}],
        ["borough_api__127_0_0_1", "borough_api__localhost"],
    )
    assert split["borough_api__127_0_0_1"] == [] and len(split["borough_api__localhost"]) == 1


def test_a_feed_whose_host_has_no_task_is_an_error_not_a_gap(two_hosts):
    """Workers seeing another host than the DAG was parsed with must not drop feeds silently."""
    feed = load_catalogue().feeds(areas=["camden"])[0]
    with pytest.raises(IngestError, match="has no ingest task"):
        plans_by_pool([{"feed_id": feed.id, "label": feed.label}], ["borough_api__127_0_0_1"])


# --- the DAG --------------------------------------------------------------------------------


def test_the_dag_has_one_ingest_task_in_the_sandbox_pool():
    """Default config: one mapped ingest task, in the sandbox host's pool, readable labels."""
    tasks = _ingest_tasks(_dag())
    assert tasks == {"ingest_feed.127_0_0_1": "borough_api__127_0_0_1"}


def test_two_hosts_give_two_ingest_tasks_each_in_its_pool_feeding_validate(two_hosts):
    """One mapped ingest task per host with that host's pool; validate waits for both and tolerates a skip."""
    dag = _dag()
    tasks = _ingest_tasks(dag)
    assert tasks == {
        "ingest_feed.127_0_0_1": "borough_api__127_0_0_1",
        "ingest_feed.localhost": "borough_api__localhost",
    }
    validate = dag.get_task("validate")
    assert set(tasks) <= validate.upstream_task_ids
    assert validate.trigger_rule == "none_failed"
    for task_id in tasks:
        assert dag.get_task(task_id).map_index_template == "{{ feed_label }}"


def test_the_warehouse_pool_lets_one_writer_or_a_few_readers_hold_the_duckdb_file():
    """Whatever a backfill's --max-active-runs: a writer step takes every slot of `city_warehouse` (runs
    alone), a step that reads the file takes one; steps that never open it are not in the pool."""
    from pipeline.pools import WAREHOUSE_SLOTS

    dag = _dag()
    slots = {t.task_id: t.pool_slots for t in dag.tasks if t.pool == "city_warehouse"}
    assert slots == {
        "load": WAREHOUSE_SLOTS,
        "dbt_build": WAREHOUSE_SLOTS,
        "publish": WAREHOUSE_SLOTS,
        "export_open_data": WAREHOUSE_SLOTS,
        "docs_and_dashboard": WAREHOUSE_SLOTS,  # dbt docs generate opens the pipeline's file
        "plan_feeds": 1,
        "validate": 1,
    }
    assert WAREHOUSE_SLOTS > 1


# --- the pools in Airflow -------------------------------------------------------------------


def _airflow_pools() -> dict[str, int]:
    from airflow.models.pool import Pool

    return {p.pool: int(p.slots) for p in Pool.get_pools()}


def test_pools_are_created_and_updated_with_the_configured_slots(airflow_db, two_hosts, capsys):
    """`python -m pipeline pools` creates each host's pool; re-running after a config change updates it.

    Called in-process (the airflow_db fixture already runs the command line once).
    """
    from pipeline.pools import print_pools

    assert print_pools(load_catalogue()) == 0
    pools = _airflow_pools()
    assert pools["borough_api__127_0_0_1"] == 8 and pools["borough_api__localhost"] == 2
    assert pools["city_warehouse"] == 4  # a writer takes all 4, a reader one (see below)
    edit_yaml(
        two_hosts / "pipeline.yml", lambda d: d["pools"].__setitem__("hosts", {"localhost": 3})
    )
    capsys.readouterr()
    assert print_pools(load_catalogue()) == 0
    assert "borough_api__localhost: 3 slots" in capsys.readouterr().out
    assert _airflow_pools()["borough_api__localhost"] == 3


def test_a_hosts_feeds_go_to_at_most_one_task_per_pool_slot_each_feed_once():
    """More ingest tasks than the host's slots would not run at once, only add Airflow's cost per
    task: 403 feeds go to 8 tasks; a host with fewer feeds than slots keeps a task
    per feed; every feed is in exactly one task, in plan order."""
    from pipeline.pools import chunk_label, task_chunks

    plans = [{"feed_id": f"f{n}", "label": f"feed {n}"} for n in range(403)]
    chunks = task_chunks(plans, 8)
    assert len(chunks) == 8 and {len(c) for c in chunks} == {50, 51}
    assert [p for c in chunks for p in c] == plans
    assert [len(c) for c in task_chunks(plans[:3], 8)] == [1, 1, 1]
    assert task_chunks([], 8) == []
    assert chunk_label(chunks[0]) == "feed 0 .. feed 50 (51 feeds)"
    assert chunk_label(plans[:1]) == "feed 0"
