"""An interrupted run never leaves a DAG run that blocks the schedule (issue 11, item 7).

A `make run` killed mid-night leaves its `dag.test` run `running` with no process behind
it; with max_active_runs=1 that run would block every later manual and scheduled run.
The next run's driver, holding the warehouse lock (so nothing else can be running the
DAG here), fails such runs before it starts its own. Airflow's metadata database only:
the DAG itself is replaced by a stand-in that records the run it was asked for.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

DAG_ID = "city_nightly"


def _add_run(run_id: str, triggered_by, started: datetime) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunType

    with create_session() as session:
        session.add(
            DagRun(
                dag_id=DAG_ID,
                run_id=run_id,
                run_type=DagRunType.MANUAL,
                state=DagRunState.RUNNING,
                triggered_by=triggered_by,
                logical_date=started,
                run_after=started,
                start_date=started,
            )
        )


def _states() -> dict[str, str]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return {
            run.run_id: str(getattr(run.state, "value", run.state))
            for run in session.scalars(select(DagRun).where(DagRun.dag_id == DAG_ID))
        }


@pytest.fixture
def left_running(airflow_db):
    """A run a killed driver left running, and one a live scheduler is running; removed after."""
    from airflow.utils.types import DagRunTriggeredByType

    started = datetime.now(UTC) - timedelta(hours=3)
    try:
        _add_run("manual__killed_driver", DagRunTriggeredByType.TEST, started)
        _add_run(
            "scheduled__live_scheduler", DagRunTriggeredByType.TIMETABLE, started - timedelta(1)
        )
        yield
    finally:
        _remove_runs()


def _remove_runs() -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(
            delete(DagRun).where(
                DagRun.run_id.in_(["manual__killed_driver", "scheduled__live_scheduler"])
            )
        )


def test_a_run_a_killed_driver_left_running_is_failed_and_the_next_run_proceeds(
    left_running, data_dir, monkeypatch, capsys
):
    from pipeline import airflow_runner

    asked = []

    def stand_in_test(**kwargs):
        asked.append(kwargs)
        return SimpleNamespace(state="success")

    dag = SimpleNamespace(tasks=[], deadline=object(), test=stand_in_test)
    monkeypatch.setattr(airflow_runner, "load_dag", lambda dag_id: dag)

    state = airflow_runner.run_dag_for_day(DAG_ID, date(2026, 11, 20))

    states = _states()
    assert states["manual__killed_driver"] == "failed"
    # a scheduler's run has a live owner: never touched
    assert states["scheduled__live_scheduler"] == "running"
    assert "marked city_nightly run manual__killed_driver failed" in capsys.readouterr().out
    assert state == "success"
    assert [a["run_conf"]["data_day"] for a in asked] == ["2026-11-20"]


def test_no_run_left_running_means_nothing_is_failed(airflow_db, data_dir, monkeypatch):
    """A clean history: the driver fails nothing and starts its run."""
    from pipeline import airflow_runner

    assert airflow_runner.fail_orphaned_test_runs(DAG_ID) == []
    assert "running" not in _states().values()
