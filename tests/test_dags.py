"""DAG integrity, after Airflow's own example-DAG tests and mozilla's policy checks."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"
ALLOWED_TAGS = {"city-region", "ingest", "dbt", "nightly", "backfill", "publish"}
HEAVY_MODULES = ("great_expectations", "dbt", "duckdb", "pandas", "requests")


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS_FOLDER))


def test_every_dag_imports_without_errors(dagbag):
    """Every file in dags/ imports cleanly and defines at least one DAG."""
    assert dagbag.import_errors == {}
    assert dagbag.dags


def test_every_dag_has_owner_retries_and_allowed_tags(dagbag):
    """Each DAG names an owner, retries its tasks and uses only the allowed tags."""
    for dag in dagbag.dags.values():
        assert dag.tags and set(dag.tags) <= ALLOWED_TAGS, dag.dag_id
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", (dag.dag_id, task.task_id)
        assert max(task.retries for task in dag.tasks) >= 1
        assert dag.doc_md and "Triage" in dag.doc_md


def test_nightly_runs_at_two_london_time_without_catchup(dagbag):
    """city_nightly fires at 02:00 Europe/London (from config), one run at a time, catchup explicit."""
    from ingest.catalogue import load_catalogue

    settings = load_catalogue().settings
    assert (settings.cron, settings.timezone) == ("0 2 * * *", "Europe/London")
    dag = dagbag.dags["city_nightly"]
    assert dag.timetable.expression == "0 2 * * *"
    assert str(dag.timetable.timezone.name) == "Europe/London"
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_nightly_chain_and_mapping(dagbag):
    """ingest is mapped per dataset x borough (in its host's pool) with a readable label,
    then validate, load, dbt, publish, export."""
    dag = dagbag.dags["city_nightly"]
    ingest = dag.get_task("ingest_feed.127_0_0_1")  # the sandbox serves every borough from one host
    assert ingest.map_index_template == "{{ feed_label }}"
    assert ingest.pool == "borough_api__127_0_0_1"
    chain = [
        ingest.task_id,
        "validate",
        "load",
        "dbt_build",
        "publish",
        "export_open_data",
        "report",
    ]
    for upstream, downstream in zip(chain, chain[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    assert dag.get_task("report").trigger_rule == "all_done"


def test_dag_files_import_only_the_sdk_and_the_pipeline():
    """DAG files only wire steps: their imports are airflow.sdk, the pipeline package and the stdlib."""
    allowed_roots = {"airflow", "pipeline", "__future__", "datetime", "zoneinfo"}
    for path in DAGS_FOLDER.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module.split(".")[0] in allowed_roots, (path.name, node.module)
                if node.module.startswith("airflow"):
                    assert node.module == "airflow.sdk", (path.name, node.module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] in allowed_roots, (path.name, alias.name)


def test_parsing_dags_does_not_import_heavy_libraries():
    """The scheduler parses DAGs constantly: GE, dbt, DuckDB and pandas load only in tasks."""
    code = (
        "import sys, runpy, glob\n"
        f"for path in glob.glob({str(DAGS_FOLDER)!r} + '/*.py'): runpy.run_path(path)\n"
        f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1:] in ([], [""]), out.stdout


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2026-11-21", "2026-11-22"),  # the example in the README
        ("2026-03-27", "2026-03-31"),  # London goes to BST on 29 March
        ("2026-10-23", "2026-10-27"),
    ],
)  # and back on 25 October
def test_backfill_dates_cover_exactly_the_data_days_asked_for(dagbag, first, last):
    """make airflow-backfill FIRST..LAST gives Airflow dates whose runs process exactly those data days."""
    from datetime import date, datetime, timedelta

    from airflow.serialization.serialized_objects import DagSerialization

    from pipeline.local_airflow import backfill_arguments
    from pipeline.plan import resolve_data_day

    args = backfill_arguments(date.fromisoformat(first), date.fromisoformat(last))
    from_date = datetime.fromisoformat(args[args.index("--from-date") + 1]).replace(tzinfo=UTC)
    to_date = datetime.fromisoformat(args[args.index("--to-date") + 1]).replace(tzinfo=UTC)
    dag = DagSerialization.deserialize_dag(
        DagSerialization.serialize_dag(dagbag.dags["city_nightly"])
    )
    runs = [info.logical_date for info in dag.iter_dagrun_infos_between(from_date, to_date)]
    days = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    expected = [(date.fromisoformat(first) + timedelta(days=n)).isoformat() for n in range(days)]
    assert [resolve_data_day(run, None) for run in runs] == expected
