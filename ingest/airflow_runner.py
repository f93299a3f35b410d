"""Drive a DAG with Airflow itself for one data day (`dag.test`: no scheduler needed).

Used by `make run` and the end-to-end tests, so what they exercise is the real DAG —
its mapping, trigger rules and XComs — not a re-implementation of the chain. The
logical date is the nightly slot that processes the day (02:00 London the day after),
and the data day is also passed explicitly as the `data_day` param.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ingest.paths import REPO_ROOT

__all__ = ["run_dag_for_day", "load_dag"]

DAGS_FOLDER = REPO_ROOT / "dags"


def load_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise RuntimeError(f"no DAG {dag_id!r} in {DAGS_FOLDER}")
    return dag


def run_dag_for_day(dag_id: str, day: date, timezone: str = "Europe/London") -> str:
    """Run the DAG for one data day in-process; returns the run's final state."""
    dag = load_dag(dag_id)
    slot = datetime.combine(day + timedelta(days=1), time(2, 0), tzinfo=ZoneInfo(timezone))
    dag_run = dag.test(logical_date=slot, run_conf={"data_day": day.isoformat()})
    return str(getattr(dag_run.state, "value", dag_run.state))
