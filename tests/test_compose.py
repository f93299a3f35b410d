"""docker-compose.yml is a deployment that would start: same DAGs, requirements and Airflow,
volumes the containers can write, dbt found, no default secrets, the warehouse reachable."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "POSTGRES_PASSWORD": "pg-test-secret",
    "AIRFLOW_FERNET_KEY": "fernet-test-secret",
    "AIRFLOW_JWT_SECRET": "jwt-test-secret",
    "AIRFLOW_API_SECRET_KEY": "api-test-secret",
}


def _compose(env: dict[str, str]) -> subprocess.CompletedProcess:
    assert shutil.which("docker-compose"), (
        "docker-compose is missing: `make test` installs Debian's package"
    )
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "AIRFLOW_UID"}
    return subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean | env,
    )


def _compose_config(**extra: str) -> dict:
    done = _compose(SECRETS | {"AIRFLOW_UID": "1234"} | extra)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def _pinned(name: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.lower().startswith(f"{name}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def _mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each volume, whichever syntax `docker-compose config` printed."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts.append((str(volume.get("source")), volume["target"]))
        else:
            source, target = str(volume).split(":")[:2]
            mounts.append((source, target))
    return mounts


AIRFLOW_SERVICES = ("airflow-scheduler", "airflow-dag-processor", "airflow-apiserver")


def test_compose_file_is_valid_and_has_the_airflow_services():
    """`docker-compose config` accepts the file; it runs postgres, scheduler, dag-processor, api-server, sandbox."""
    services = _compose_config()["services"]
    assert {"postgres", "airflow-init", *AIRFLOW_SERVICES, "sandbox"} <= set(services)
    assert services["airflow-scheduler"]["command"] in ("scheduler", ["scheduler"])


def test_compose_mounts_this_dags_folder_and_keeps_data_in_volumes():
    """The scheduler reads this repository's dags/; the landing zone and pipeline warehouse live in a volume."""
    scheduler = _compose_config()["services"]["airflow-scheduler"]
    mounts = _mounts(scheduler)
    assert (str(ROOT / "dags"), "/opt/airflow/dags") in mounts, mounts
    assert ("city-data", "/opt/city-data") in mounts, mounts
    assert scheduler["environment"]["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_every_secret_is_required_never_defaulted(missing):
    """Without one of the secrets, `docker-compose config` refuses, naming it (no `change-me`, no empty key)."""
    done = _compose({k: v for k, v in SECRETS.items() if k != missing} | {"AIRFLOW_UID": "1234"})
    assert done.returncode != 0
    assert missing in done.stderr


def test_the_secrets_reach_airflow_from_the_environment_only():
    """The JWT secret, Fernet key, API secret key and database password are the ones given, in every service."""
    services = _compose_config()["services"]
    for name in ("airflow-init", *AIRFLOW_SERVICES):
        env = services[name]["environment"]
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "jwt-test-secret"
        assert env["AIRFLOW__CORE__FERNET_KEY"] == "fernet-test-secret"
        assert env["AIRFLOW__API__SECRET_KEY"] == "api-test-secret"
        assert "pg-test-secret" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pg-test-secret"
    assert "change-me" not in (ROOT / "docker-compose.yml").read_text()


def test_init_owns_the_volumes_as_root_then_the_services_run_as_the_airflow_user():
    """As the official compose: init runs as root and chowns every writable mount to ${AIRFLOW_UID}:0."""
    services = _compose_config()["services"]
    init = services["airflow-init"]
    assert str(init["user"]).split(":")[0] == "0"
    script = " ".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    chowned = [
        path
        for line in re.findall(r'chown -R "?1234:0"? ([^\n]+)', script)
        for path in line.split()
    ]
    assert all(
        target in [t for _, t in _mounts(init)] for target in chowned
    )  # init sees what it chowns
    for name in AIRFLOW_SERVICES:
        assert str(services[name]["user"]) == "1234:0", name
        for source, target in _mounts(services[name]):
            if not source.startswith(str(ROOT / "config")) and not source.startswith(
                str(ROOT / "dags")
            ):
                assert any(target == path or target.startswith(path + "/") for path in chowned), (
                    f"{name} writes {target}, which init does not chown"
                )
    assert (
        script.index("chown")
        < script.index("airflow db migrate")
        < script.index("python -m pipeline pools")
    )
    for name in AIRFLOW_SERVICES:
        assert (
            services[name]["depends_on"]["airflow-init"]["condition"]
            == "service_completed_successfully"
        )


def test_the_published_warehouse_is_a_host_directory_analysts_can_open(tmp_path):
    """published/ (city.duckdb, open data) is a bind mount from the host, in every service that writes it."""
    services = _compose_config(CITY_PUBLISHED_DIR=str(tmp_path / "published"))["services"]
    for name in AIRFLOW_SERVICES:
        assert (str(tmp_path / "published"), "/opt/city-data/published") in _mounts(
            services[name]
        ), name
    default = _compose_config()["services"]["airflow-scheduler"]
    assert (str(ROOT / "published"), "/opt/city-data/published") in _mounts(default)


def test_image_uses_the_pinned_airflow_python_and_requirements():
    """The Dockerfile builds on the Airflow version requirements.txt pins, installs it, and ships every package."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM apache/airflow:(\S+)-python(\S+)$", dockerfile, re.M)
    assert base, "Dockerfile must build FROM apache/airflow:<version>-python<version>"
    assert base.group(1) == _pinned("apache-airflow")
    assert base.group(2) == "3.11"
    assert (
        "-r /opt/city/requirements.txt" in dockerfile
        and "-c /opt/city/constraints.txt" in dockerfile
    )
    for package in ("ingest", "pipeline", "sandbox", "config", "expectations", "dbt_project"):
        assert re.search(rf"^COPY .*\b{package} /opt/city/{package}$", dockerfile, re.M), package
    assert _pinned("psycopg2-binary") and _pinned(
        "asyncpg"
    )  # Airflow on PostgreSQL: sync and async drivers


def test_init_creates_the_host_pools_after_migrating():
    """airflow-init migrates, then creates the pools, before the scheduler starts."""
    services = _compose_config()["services"]
    command = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in command and "python -m pipeline pools" in command
    assert command.index("airflow db migrate") < command.index("python -m pipeline pools")
    assert (
        services["airflow-scheduler"]["depends_on"]["airflow-init"]["condition"]
        == "service_completed_successfully"
    )


def test_dbt_is_found_on_path_when_it_is_not_beside_python(tmp_path, monkeypatch):
    """The official image installs dbt in ~/.local/bin, not beside sys.executable: PATH is the fallback."""
    from ingest.errors import IngestError
    from pipeline.dbt_runner import dbt_executable

    python_dir, bin_dir = tmp_path / "python", tmp_path / "local-bin"
    python_dir.mkdir()
    bin_dir.mkdir()
    monkeypatch.setattr(sys, "executable", str(python_dir / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(IngestError, match="nor on PATH"):
        dbt_executable()
    dbt = bin_dir / "dbt"
    dbt.write_text("#!/bin/sh\n")
    dbt.chmod(dbt.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert dbt_executable() == dbt
