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
Each run writes its own log file (`run_log_path`: day and start time in the name, never
opened over another run's), and may be lent the parent's warehouse lock (pipeline/lock.py)
and a cause file where a failing step leaves its one-line cause (pipeline/guard.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.paths import REPO_ROOT

__all__ = ["run_dag_for_day", "run_dag_for_day_logged", "load_dag", "run_log_path"]

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
    """Run the DAG for one data day in this process; returns the run's final state.

    The whole run holds the data directory's warehouse lock (lent by `python -m pipeline
    nightly`, else taken here), so no other run interleaves with it, and a `dag.test` run
    that a killed driver left `running` can be failed: nothing else can be running it.
    The logical date is now, as a trigger from the UI would have it (honest durations).
    """
    from ingest.catalogue import load_catalogue
    from ingest.paths import data_paths
    from pipeline.lock import warehouse_lock
    from pipeline.pools import ensure_pools

    with warehouse_lock(
        data_paths(),
        step=f"{dag_id} (dag.test)",
        data_day=day.isoformat(),
        wait_s=load_catalogue().settings.lock_wait_s,
    ):
        for run_id in fail_orphaned_test_runs(dag_id):
            print(
                f"marked {dag_id} run {run_id} failed: a driver that was killed left it running",
                flush=True,
            )
        ensure_pools()  # the host pools of the config this run sees (python -m pipeline pools)
        dag = load_dag(dag_id)
        for task in dag.tasks:
            task.retries = 0
        # No scheduler watches deadlines here, and dag.test (Airflow 3.3) crashes marking a run
        # with a DeadlineAlert successful ('dict' object has no attribute 'hex'): it is the scheduler's.
        dag.deadline = None
        now = datetime.now(ZoneInfo("UTC"))
        dag_run = dag.test(
            logical_date=now, run_after=now, run_conf={**(conf or {}), "data_day": day.isoformat()}
        )
    return str(getattr(dag_run.state, "value", dag_run.state))


def fail_orphaned_test_runs(dag_id: str) -> list[str]:
    """Fail the `dag.test` runs of `dag_id` still marked running; returns their run ids.

    Only a driver holding the warehouse lock calls this, so such a run has no process left
    (its driver was killed); left `running`, it would block every later run of a DAG with
    max_active_runs=1, scheduled ones included. Scheduler-made runs are never touched.
    """
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(
            select(DagRun).where(
                DagRun.dag_id == dag_id,
                DagRun.state == DagRunState.RUNNING,
                DagRun.triggered_by == DagRunTriggeredByType.TEST,
            )
        ).all()
        for run in runs:
            run.set_state(DagRunState.FAILED)
        return [run.run_id for run in runs]


def run_log_path(logs: Path, dag_id: str, day: date) -> Path:
    """A new log file for one run of one day: `<dag>_<day>_<UTC start>.log`, created here so no
    other run (of the same day, started the same second) can open it."""
    logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for suffix in ("", *(f"-{n}" for n in range(1, 100))):
        path = logs / f"{dag_id}_{day.isoformat()}_{stamp}{suffix}.log"
        try:
            with path.open("x", encoding="utf-8"):
                return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free log file name for {dag_id} {day} in {logs}")


def run_dag_for_day_logged(
    dag_id: str,
    day: date,
    log_path: Path,
    conf: dict | None = None,
    lock_fd: int | None = None,
    cause_path: Path | None = None,
) -> str:
    """Run one day in a child process with Airflow's logs appended to `log_path`; returns the state.

    `lock_fd`: the parent's held warehouse lock, lent to the child; `cause_path`: where a
    failing step writes its one-line cause.
    """
    from pipeline.guard import CAUSE_FILE_ENV
    from pipeline.lock import LOCK_FD_ENV
    from pipeline.steps import DATA_DAY_ENV

    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ | {DATA_DAY_ENV: day.isoformat()}
    if lock_fd is not None:
        env[LOCK_FD_ENV] = str(lock_fd)
    if cause_path is not None:
        env[CAUSE_FILE_ENV] = str(cause_path)
    with log_path.open("a", encoding="utf-8") as log:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipeline.airflow_runner",
                dag_id,
                day.isoformat(),
                json.dumps(conf or {}),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env=env,
            pass_fds=() if lock_fd is None else (lock_fd,),
        )
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    state = next(
        (line.split("=", 1)[1] for line in reversed(lines) if line.startswith("DAG_RUN_STATE=")),
        None,
    )
    return state or f"crashed (exit {done.returncode})"


if __name__ == "__main__":
    conf = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    print(
        f"DAG_RUN_STATE={run_dag_for_day(sys.argv[1], date.fromisoformat(sys.argv[2]), conf)}",
        flush=True,
    )
