"""Drive a DAG with Airflow itself for one data day (`dag.test`: no scheduler needed).

Used by `make run` and the end-to-end tests, so what they exercise is the real DAG —
its mapping, trigger rules and XComs — not a re-implementation of the chain. The data
day is passed as the `data_day` param, and the run is stamped like a manual trigger from
the UI: logical date = now. (`dag.test` takes the run's start date from its logical date;
the nightly slot of a past day, 02:00 the day after, made the UI show durations of days.)

`dag.test` runs tasks in-process and would sleep through each task's retry_delay, so
this driver runs with task retries off: a failure shows at once; and without the DAG's
publish DeadlineAlert, which only a scheduler acts on. Under a scheduler the
DAG's own retries apply. `python -m pipeline.airflow_runner DAG_ID DAY` runs one day in a
child process, so Airflow's task logs can go to a file while the parent shows progress.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.paths import REPO_ROOT

__all__ = ["run_dag_for_day", "run_dag_for_day_logged", "load_dag"]

DAGS_FOLDER = REPO_ROOT / "dags"


def load_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags.get(dag_id)
    if dag is None:
        raise RuntimeError(f"no DAG {dag_id!r} in {DAGS_FOLDER}")
    return dag


def run_dag_for_day(dag_id: str, day: date, conf: dict | None = None) -> str:
    """Run the DAG for one data day in this process; returns the run's final state."""
    from pipeline.pools import ensure_pools

    ensure_pools()  # the host pools of the config this run sees (python -m pipeline pools)
    dag = load_dag(dag_id)
    for task in dag.tasks:
        task.retries = 0
    # No scheduler watches deadlines here, and dag.test (Airflow 3.3) crashes marking a run with a
    # DeadlineAlert successful ('dict' object has no attribute 'hex'): the alert is the scheduler's.
    dag.deadline = None
    now = datetime.now(ZoneInfo("UTC"))
    dag_run = dag.test(logical_date=now, run_after=now, run_conf={**(conf or {}), "data_day": day.isoformat()})
    return str(getattr(dag_run.state, "value", dag_run.state))


def run_dag_for_day_logged(dag_id: str, day: date, log_path: Path, conf: dict | None = None) -> str:
    """Run one day in a child process with Airflow's logs in `log_path`; returns the state."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        done = subprocess.run([sys.executable, "-m", "pipeline.airflow_runner", dag_id, day.isoformat(),
                               json.dumps(conf or {})],
                              stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    state = next((l.split("=", 1)[1] for l in reversed(lines) if l.startswith("DAG_RUN_STATE=")), None)
    return state or f"crashed (exit {done.returncode})"


if __name__ == "__main__":
    conf = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    print(f"DAG_RUN_STATE={run_dag_for_day(sys.argv[1], date.fromisoformat(sys.argv[2]), conf)}", flush=True)
