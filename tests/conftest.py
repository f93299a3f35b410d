"""Shared test set-up: an isolated Airflow home and data directory, the sandbox process.

Airflow reads AIRFLOW_HOME when first imported, so it is set here, before any test
module imports Airflow. Nothing a test writes lands in the repository's data/ or .airflow/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="city-tests-"))
os.environ["AIRFLOW_HOME"] = str(_SESSION_DIR / "airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parent.parent / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["CITY_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from ingest.catalogue import load_catalogue  # noqa: E402
from ingest.paths import DataPaths  # noqa: E402
from sandbox.process import SandboxProcess  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated Airflow metadata database (SQLite) for DAG runs, with the host pools."""
    home = Path(os.environ["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    subprocess.run(
        [sys.executable, "-m", "pipeline", "pools"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return home


@pytest.fixture(scope="session")
def sandbox():
    """The borough API sandbox in its own process, on a free port (real HTTP)."""
    with SandboxProcess() as process:
        previous = os.environ.get("CITY_API_BASE_URL")
        os.environ["CITY_API_BASE_URL"] = process.url
        yield process
        if previous is None:
            os.environ.pop("CITY_API_BASE_URL", None)
        else:
            os.environ["CITY_API_BASE_URL"] = previous


@pytest.fixture
def catalogue(sandbox):
    """The real catalogue, pointed at the running sandbox."""
    return load_catalogue()


@pytest.fixture
def loader_warehouse(tmp_path: Path):
    """A connection to a fresh warehouse holding the loader's tables (pipeline/load.py)."""
    from pipeline.load import connect, ensure_tables

    con = connect(tmp_path / "city.duckdb")
    ensure_tables(con, load_catalogue())
    yield con
    con.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> DataPaths:
    """A fresh data directory (landing, quarantine, warehouse, published) for one test."""
    monkeypatch.setenv("CITY_DATA_DIR", str(tmp_path / "data"))
    return DataPaths(tmp_path / "data")


@pytest.fixture
def config_copy(tmp_path: Path, monkeypatch) -> Path:
    """A copy of config/ the test may edit, used as CITY_CONFIG_DIR (no CITY_REGION)."""
    import shutil

    target = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parent.parent / "config", target)
    monkeypatch.setenv("CITY_CONFIG_DIR", str(target))
    monkeypatch.delenv("CITY_REGION", raising=False)
    return target


@pytest.fixture(scope="session")
def fast_config(tmp_path_factory) -> Path:
    """The real config with retries that give up in about a second instead of half a minute
    (use with CITY_CONFIG_DIR; the sandbox process still reads the repository's config)."""
    import shutil

    import yaml

    target = tmp_path_factory.mktemp("config") / "config"
    shutil.copytree(Path(__file__).resolve().parent.parent / "config", target)
    settings = yaml.safe_load((target / "pipeline.yml").read_text())
    settings["http"].update(
        {"retries": 4, "backoff_factor_s": 0.05, "backoff_max_s": 0.3, "retry_after_max_s": 1}
    )
    (target / "pipeline.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return target


# The costliest modules first, so that the two xdist workers finish together: `--dist loadfile`
# hands whole modules out in collection order (pytest.ini turns off xdist's own reordering,
# which puts the modules with the most tests first whatever they cost). Heaviest first, by
# each module's wall time on 2 cores (measured 2026-12-05; only the packing depends on it):
_HEAVIEST_FIRST = (
    "test_scheduler",
    "test_dag_nights",
    "test_bench",
    "test_resilience_steps",
    "test_night_sequence",
    "test_crash_safety",
    "test_readers",
    "test_incremental",
    "test_second_region",
    "test_dashboard",
    "test_backfill",
    "test_empty_is_not_zero",
    "test_scorecard",
    "test_realdata_london",
    "test_self_healing",
    "test_pools",
    "test_connectors",
    "test_watermarks",
)
# A module not listed above: marked ones before the rest.
_COST_RANK = {"scheduler": 0, "e2e": 1, "reference": 2, "slow": 2}


def _cost_order(item) -> tuple[int, int]:
    module = item.path.stem
    if module in _HEAVIEST_FIRST:
        return (0, _HEAVIEST_FIRST.index(module))
    rank = min((_COST_RANK[m.name] for m in item.iter_markers() if m.name in _COST_RANK), default=3)
    return (1, rank)


def pytest_collection_modifyitems(config, items):
    """Order modules by cost (a stable sort keeps each module's own order of tests)."""
    items.sort(key=_cost_order)
