"""city_nightly under a real Airflow: PostgreSQL, scheduler, dag-processor, api-server (LocalExecutor).

`dag.test` runs tasks one by one and ignores pools; this starts the real thing the way
`make airflow` does (pipeline/local_airflow_instance.py, on free ports, in a temporary home),
triggers a data day through the public REST API (/api/v2, a JWT from /auth/token) and
checks what happened: the published warehouse equals the same day driven through the
steps directly (tests/night_steps.py); Camden, served from its own host (`localhost`,
one pool slot) and slowed by the sandbox, fetched its feeds one at a time while the other
host's feeds finished first; the warehouse steps held the `city_warehouse` pool (a writer
all its slots); dbt's per-model results are in Airflow; a run late for its deadline was
announced to the webhook; a backfill's dates map
to the data days the README says. Everything started is stopped.

Marked `scheduler`: part of `make test`, skipped by a fast run (`-m "not e2e and not scheduler"`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import duckdb
import pytest
import requests
import yaml
from sandbox_control import add_fault

from ingest.paths import REPO_ROOT, DataPaths

pytestmark = pytest.mark.scheduler

AS_OF = date(
    2026, 11, 12
)  # the sandbox has published up to here: the result never depends on today
DAY = date(2026, 11, 11)
BOROUGHS = ["camden", "barnet"]  # camden: host `localhost`, 1 slot, slowed; barnet: host 127.0.0.1
# the daily datasets only (CKAN, Socrata with its watermark): monthly and quarterly feeds would
# fetch 13 months of history on this first night, which proves nothing more here
DATASETS = ["road_casualties", "housing_completions", "service_requests"]
SLOW_S = 1
DEADLINE_S = 20  # publish_by 02:00:20 for the 02:00 slot (_config)
RUN_TIMEOUT_S = 900
VOLATILE = re.compile(
    r"(^_?batch_id$|_batch_id$|loaded_at$|_at$|run_id$|^updated_by_run$|_path$|"
    r"^validation_result$|^scorecard_id$|^batch_record_id$)"
)


def _config(target: Path, sandbox_url: str, webhook: str) -> Path:
    """The real config; Camden on `localhost` with one slot; a 20-second publish deadline to the test's webhook."""
    shutil.copytree(REPO_ROOT / "config", target)
    region_file = target / "regions" / "london.yml"
    region = yaml.safe_load(region_file.read_text())
    camden = next(a for a in region["areas"] if a["slug"] == "camden")
    camden["portal"]["base_url"] = f"{sandbox_url.replace('127.0.0.1', 'localhost')}/camden"
    region_file.write_text(yaml.safe_dump(region, sort_keys=False))
    settings = yaml.safe_load((target / "pipeline.yml").read_text())
    settings["pools"]["hosts"] = {"localhost": 1}
    settings["alerts"].update(
        {"webhook_url": webhook, "publish_by": "02:00:20"}
    )  # DEADLINE_S after the slot
    (target / "pipeline.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return target


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        type(self).received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every analytics and raw table, volatile columns (ids, timestamps, paths) left out, rows sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "select table_schema || '.' || table_name, column_name from information_schema.columns "
            "join information_schema.tables using (table_catalog, table_schema, table_name) "
            "where table_schema in ('analytics', 'raw') and table_type = 'BASE TABLE' "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall():
            if not VOLATILE.search(column):
                columns.setdefault(table, []).append(column)
        return {
            table: con.execute(
                f"select {', '.join(_quoted(c) for c in cols)} from {table} order by all"
            ).fetchall()
            for table, cols in columns.items()
        }


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _steps_reference(sandbox_url: str, config: Path, data: Path) -> dict[str, list[tuple]]:
    import night_steps

    saved = {
        k: os.environ.get(k) for k in ("CITY_DATA_DIR", "CITY_API_BASE_URL", "CITY_CONFIG_DIR")
    }
    os.environ.update(
        {
            "CITY_DATA_DIR": str(data),
            "CITY_API_BASE_URL": sandbox_url,
            "CITY_CONFIG_DIR": str(config),
        }
    )
    try:
        night_steps.night(DAY, BOROUGHS, DATASETS)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return _tables(DataPaths(data).published)


class _Api:
    def __init__(self, airflow):
        self.base = f"{airflow.url}/api/v2"
        self.headers = {"Authorization": f"Bearer {airflow.token()}"}

    def get(self, path: str, **params) -> dict:
        reply = requests.get(f"{self.base}{path}", headers=self.headers, params=params, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def wait_for_dag(self, dag_id: str, timeout_s: float = 180) -> None:
        """Until the dag-processor has parsed the DAG (a healthy Airflow may not have yet)."""
        deadline = time.monotonic() + timeout_s
        while True:
            reply = requests.get(f"{self.base}/dags/{dag_id}", headers=self.headers, timeout=30)
            if reply.status_code == 200:
                return
            assert time.monotonic() < deadline, f"{dag_id} not parsed: {reply.status_code}"
            time.sleep(1)

    def patch(self, path: str, body: dict) -> dict:
        reply = requests.patch(f"{self.base}{path}", headers=self.headers, json=body, timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def post(self, path: str, body: dict) -> dict:
        reply = requests.post(f"{self.base}{path}", headers=self.headers, json=body, timeout=30)
        assert reply.status_code in (200, 201), reply.text
        return reply.json()


@pytest.fixture(scope="module")
def airflow_night(tmp_path_factory):
    """Start everything, run the reference and the Airflow night, yield what happened, stop everything."""
    from pipeline.local_airflow_instance import LocalAirflow
    from sandbox.process import SandboxProcess, free_port

    base = tmp_path_factory.mktemp("scheduler")
    hook = type("Webhook", (_Webhook,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sandbox = SandboxProcess(as_of=AS_OF).start()
    config = _config(base / "config", sandbox.url, f"http://127.0.0.1:{server.server_port}/hook")
    pg_root = Path(
        tempfile.mkdtemp(prefix="city-test-pg-")
    )  # pytest's folders are 0700: `postgres` needs a way in
    pg_root.chmod(0o755)
    airflow = LocalAirflow(
        home=base / "airflow",
        api_port=free_port(),
        pg_port=free_port(),
        parallelism=8,
        pg_root=pg_root,
        extra_env={
            "CITY_CONFIG_DIR": str(config),
            "CITY_DATA_DIR": str(base / "data"),
            "CITY_API_BASE_URL": sandbox.url,
        },
    )
    started: list[BaseException] = []
    triggered: dict = {}

    def start_and_trigger() -> None:
        """Start Airflow, then trigger the run while the DAG is paused.

        Triggered paused, the run waits queued past its deadline (publish_by 02:00:20,
        counted from queued_at): the alert is certain however fast the machine, not a race
        between the run and the clock. The wait overlaps the reference night's steps.
        """
        try:
            airflow.start()
            api = _Api(airflow)
            api.wait_for_dag("city_nightly")
            api.patch("/dags/city_nightly", {"is_paused": True})
            triggered["run"] = api.post(
                "/dags/city_nightly/dagRuns",
                {
                    "logical_date": None,
                    "conf": {
                        "data_day": DAY.isoformat(),
                        "boroughs": BOROUGHS,
                        "datasets": DATASETS,
                    },
                },
            )
            triggered["at"] = time.monotonic()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            started.append(exc)

    try:
        starting = threading.Thread(target=start_and_trigger)
        starting.start()  # Airflow starts (and the paused run waits) while the steps build the reference
        reference = _steps_reference(sandbox.url, config, base / "reference")
        starting.join()
        if started:
            raise started[0]
        add_fault(sandbox, kind="slow", borough="camden", delay_s=SLOW_S)
        time.sleep(max(0.0, triggered["at"] + DEADLINE_S + 5 - time.monotonic()))
        api = _Api(airflow)
        api.patch("/dags/city_nightly", {"is_paused": False})
        run = triggered["run"]
        run_id = run["dag_run_id"]
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while (state := api.get(f"/dags/city_nightly/dagRuns/{run_id}"))["state"] not in (
            "success",
            "failed",
        ):
            assert time.monotonic() < deadline, (
                f"run {run_id} still {state['state']} after {RUN_TIMEOUT_S} s"
            )
            time.sleep(3)
        tis = api.get(f"/dags/city_nightly/dagRuns/{run_id}/taskInstances", limit=500)[
            "task_instances"
        ]
        dry_run = api.post(
            "/backfills/dry_run",
            {
                "dag_id": "city_nightly",
                "from_date": "2026-11-22T00:00:00Z",
                "to_date": "2026-11-23T02:00:00Z",
                "reprocess_behavior": "completed",
                "max_active_runs": 3,
            },
        )
        dbt_xcom = api.get(
            f"/dags/city_nightly/dagRuns/{run_id}/taskInstances/dbt_build/xcomEntries/return_value",
            deserialize=True,
        )
        for _ in range(60):  # the deadline callback runs in the executor, just after
            if hook.received or state["state"] != "success":
                break
            time.sleep(1)
        yield {
            "run": state,
            "tis": tis,
            "reference": reference,
            "airflow": airflow,
            "config": config,
            "published": _tables(DataPaths(base / "data").published)
            if state["state"] == "success"
            else {},
            "alerts": list(hook.received),
            "dry_run": dry_run,
            "load_log": _task_log(airflow, run_id, "load"),
            "dbt_log": _task_log(airflow, run_id, "dbt_build"),
            "dbt_xcom": dbt_xcom,
        }
    finally:
        stopped = airflow.stop()
        sandbox.stop()
        server.shutdown()
        server.server_close()
        shutil.rmtree(pg_root, ignore_errors=True)
        assert not any(airflow._pid(c) for c in airflow.components), (
            f"still running after stop: {stopped}"
        )


def _task_log(airflow, run_id: str, task_id: str) -> str:
    logs = list(
        (airflow.home / "logs").glob(f"dag_id=city_nightly/run_id={run_id}/task_id={task_id}/*.log")
    )
    return "\n".join(p.read_text(errors="replace") for p in logs)


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_a_triggered_night_publishes_what_the_steps_publish(airflow_night):
    """Triggered through /api/v2 for one data day: green, and the published warehouse equals the steps' result."""
    assert airflow_night["run"]["state"] == "success", airflow_night["run"]
    assert airflow_night["run"]["conf"]["data_day"] == DAY.isoformat()
    published, reference = airflow_night["published"], airflow_night["reference"]
    assert sorted(published) == sorted(reference)
    assert published["analytics.city_metrics"], "no city metrics were published"
    for table in reference:
        assert published[table] == reference[table], f"{table} differs from the steps' result"


def test_the_slow_host_fetched_one_feed_at_a_time_and_finished_last(airflow_night):
    """Camden's host has one slot: its feeds ran in one task, one after another, in that host's
    pool, and 127.0.0.1's feeds all ended before it (the sandbox slows Camden)."""
    tis = [
        t
        for t in airflow_night["tis"]
        if t["task_id"].startswith("ingest_feed.") and not t["task_id"].endswith("_plans")
    ]
    slow = [t for t in tis if t["pool"] == "borough_api__localhost"]
    fast = [_when(t["end_date"]) for t in tis if t["pool"] == "borough_api__127_0_0_1"]
    assert len(slow) == 1 and slow[0]["state"] == "success" and fast, tis
    assert f"({len(DATASETS)} feeds)" in slow[0]["rendered_map_index"], slow[0]
    assert max(fast) < _when(slow[0]["end_date"])


def test_the_warehouse_steps_ran_in_the_warehouse_pool(airflow_night):
    """Writers took every slot of `city_warehouse` (one DuckDB writer across runs), readers one each."""
    airflow = airflow_night["airflow"]
    reply = requests.get(
        f"{airflow.url}/api/v2/pools/city_warehouse",
        headers={"Authorization": f"Bearer {airflow.token()}"},
        timeout=10,
    )
    slots = reply.json()["slots"]
    held = {(t["task_id"], t["pool"], t["pool_slots"]) for t in airflow_night["tis"]}
    for writer in ("load", "dbt_build", "publish", "export_open_data"):
        assert (writer, "city_warehouse", slots) in held, writer
    assert ("plan_feeds", "city_warehouse", 1) in held and ("validate", "city_warehouse", 1) in held


def test_load_reads_every_validate_result_without_an_xcom_error(airflow_night):
    """Green runs used to log `XCom not found ... for task 'validate'`; load reads the mapped results once."""
    log = airflow_night["load_log"]
    assert log, "no load task log found"
    assert "XCom not found" not in log


def test_dbt_results_are_visible_per_model_in_airflow(airflow_night):
    """dbt_build's XCom lists each model's status and time; its log has the per-node table."""
    value = airflow_night["dbt_xcom"]["value"]
    value = json.loads(value) if isinstance(value, str) else value
    models = {m["node"].rsplit(".", 1)[-1]: m for m in value["models"]}
    assert (
        models["city_metrics"]["status"] == "success" and models["city_metrics"]["type"] == "model"
    )
    assert all(m["status"] == "success" for m in models.values())
    assert value["tests"].get("pass", 0) > 0 and not value["failed"]
    assert (
        "dbt build, per node:" in airflow_night["dbt_log"]
        and "city_metrics" in airflow_night["dbt_log"]
    )


def test_a_run_late_for_its_deadline_is_announced(airflow_night):
    """publish_by 20 seconds after the slot: a run that started only after it (queued while the
    DAG was paused) raised the deadline alert on the webhook."""
    run = airflow_night["run"]
    assert _when(run["start_date"]) - _when(run["queued_at"]) > timedelta(seconds=DEADLINE_S)
    late = [a for a in airflow_night["alerts"] if a["kind"] == "publish_deadline_missed"]
    assert late and late[0]["data_day"] == DAY.isoformat(), airflow_night["alerts"]


def test_backfill_dates_map_to_the_documented_data_days(airflow_night):
    """--from-date 2026-11-22 --to-date 2026-11-23T02:00 makes two runs: data days 11-21 and 11-22."""
    from pipeline.plan import resolve_data_day

    dates = [_when(b["logical_date"]) for b in airflow_night["dry_run"]["backfills"]]
    os.environ["CITY_CONFIG_DIR"] = str(airflow_night["config"])
    try:
        assert sorted(resolve_data_day(d, None) for d in dates) == ["2026-11-21", "2026-11-22"]
    finally:
        os.environ.pop("CITY_CONFIG_DIR")
