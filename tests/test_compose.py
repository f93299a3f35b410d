"""docker-compose.yml is a valid deployment of the same DAGs, requirements and Airflow."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose_config() -> dict:
    assert shutil.which("docker-compose"), "docker-compose is missing: `make test` installs Debian's package"
    done = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def _pinned(name: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.lower().startswith(f"{name}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def test_compose_file_is_valid_and_has_the_airflow_services():
    """`docker-compose config` accepts the file; it runs postgres, scheduler, dag-processor, api-server, sandbox."""
    services = _compose_config()["services"]
    assert {"postgres", "airflow-init", "airflow-scheduler", "airflow-dag-processor",
            "airflow-apiserver", "sandbox"} <= set(services)
    assert services["airflow-scheduler"]["command"] in ("scheduler", ["scheduler"])


def test_compose_mounts_this_dags_folder_and_keeps_data_in_volumes():
    """The scheduler reads this repository's dags/; landing zone and warehouse live in a volume."""
    scheduler = _compose_config()["services"]["airflow-scheduler"]
    volumes = [str(v) for v in scheduler["volumes"]]
    assert any(str(ROOT / "dags") in v and "/opt/airflow/dags" in v for v in volumes), volumes
    assert any("city-data" in v for v in volumes), volumes
    assert scheduler["environment"]["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"


def test_image_uses_the_pinned_airflow_python_and_requirements():
    """The Dockerfile builds on the Airflow version requirements.txt pins and installs requirements.txt."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM apache/airflow:(\S+)-python(\S+)$", dockerfile, re.M)
    assert base, "Dockerfile must build FROM apache/airflow:<version>-python<version>"
    assert base.group(1) == _pinned("apache-airflow")
    assert base.group(2) == "3.11"
    assert "-r /opt/city/requirements.txt" in dockerfile and "-c /opt/city/constraints.txt" in dockerfile


def test_init_creates_the_host_pools_after_migrating():
    """airflow-init migrates, then creates one pool per borough API host, before the scheduler starts."""
    services = _compose_config()["services"]
    command = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in command and "python -m pipeline pools" in command
    assert command.index("airflow db migrate") < command.index("python -m pipeline pools")
    assert services["airflow-scheduler"]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
