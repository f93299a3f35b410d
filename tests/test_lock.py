"""One run at a time holds a data directory: a second waits or refuses naming the holder.

Every test here runs the holder in a real second process, as two runs would be.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ingest.paths import REPO_ROOT, DataPaths
from pipeline.lock import LOCK_FD_ENV, WarehouseBusy, warehouse_lock

HOLDER = """
import sys, time
from pathlib import Path
from ingest.paths import DataPaths
from pipeline.lock import warehouse_lock
root, flag, hold_s = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
with warehouse_lock(DataPaths(root), step="load", data_day="2026-11-21", wait_s=0):
    flag.write_text("held")
    time.sleep(hold_s)
    flag.write_text("done")
"""

LENT = """
import sys
from pathlib import Path
from ingest.paths import DataPaths
from pipeline.lock import warehouse_lock
with warehouse_lock(DataPaths(Path(sys.argv[1])), step="dbt build", wait_s=0):
    print("held")
"""


def _env() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": str(REPO_ROOT)}


def _start_holder(
    data_dir: DataPaths, tmp_path: Path, hold_s: float = 600
) -> tuple[subprocess.Popen, Path]:
    """A second process that holds the warehouse for `hold_s` (started, and holding, on return)."""
    flag = tmp_path / "holder.flag"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir.root), str(flag), str(hold_s)],
        env=_env(),
        cwd=REPO_ROOT,
    )
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert child.poll() is None, "the holder process died before it held the lock"
        assert time.monotonic() < deadline, "the holder process never took the lock"
        time.sleep(0.02)
    return child, flag


@pytest.fixture
def holder(data_dir, tmp_path):
    child, flag = _start_holder(data_dir, tmp_path)
    yield child
    if child.poll() is None:
        child.kill()
        child.wait()


def test_a_second_run_refuses_naming_the_holder(data_dir, holder):
    with pytest.raises(WarehouseBusy) as refused:
        with warehouse_lock(data_dir, step="load", wait_s=0.2):
            pytest.fail("two runs held the warehouse at once")
    message = str(refused.value)
    assert message.startswith("another run holds the warehouse: ")
    assert (
        f"pid {holder.pid}" in message
        and "data day 2026-11-21" in message
        and "since 20" in message
    )


def test_a_killed_holder_leaves_no_lock_behind(data_dir, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with warehouse_lock(
        data_dir, step="load", wait_s=0
    ):  # no wait: the kernel let go with the process
        pass


def test_a_second_run_waits_for_the_first_to_finish(data_dir, tmp_path):
    child, flag = _start_holder(data_dir, tmp_path, hold_s=1.0)
    try:
        with warehouse_lock(data_dir, step="load", wait_s=120):
            assert (
                flag.read_text() == "done"
            )  # the first run finished its work before the second began
    finally:
        child.wait(timeout=60)


def test_readers_share_but_never_overlap_a_writer(data_dir, holder):
    with pytest.raises(WarehouseBusy):
        with warehouse_lock(data_dir, step="plan", shared=True, wait_s=0.2):
            pass
    holder.kill()
    holder.wait()
    with warehouse_lock(data_dir, step="plan", shared=True, wait_s=0):
        with warehouse_lock(
            data_dir, step="validate", shared=True, wait_s=0
        ):  # nested in-process: no wait
            pass


def test_a_run_lends_its_lock_to_its_child_and_no_one_else(data_dir):
    with warehouse_lock(
        data_dir, step="python -m pipeline nightly", data_day="2026-11-21", wait_s=0
    ) as hold:
        lent = subprocess.run(
            [sys.executable, "-c", LENT, str(data_dir.root)],
            env=_env() | {LOCK_FD_ENV: str(hold.fd)},
            pass_fds=(hold.fd,),
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )
        stranger = subprocess.run(
            [sys.executable, "-c", LENT, str(data_dir.root)],
            env=_env(),
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )
    assert lent.returncode == 0 and lent.stdout.strip() == "held", lent.stderr
    assert stranger.returncode != 0 and "another run holds the warehouse" in stranger.stderr
    assert f"pid {os.getpid()}" in stranger.stderr


@pytest.fixture
def short_wait_config(tmp_path, monkeypatch) -> Path:
    """The real config with run.lock_wait_s cut to a fraction of a second."""
    target = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", target)
    settings = yaml.safe_load((target / "pipeline.yml").read_text())
    settings["run"]["lock_wait_s"] = 0.2
    (target / "pipeline.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    monkeypatch.setenv("CITY_CONFIG_DIR", str(target))
    return target


def test_a_warehouse_step_refuses_and_leaves_its_cause(
    data_dir, holder, short_wait_config, tmp_path, monkeypatch
):
    from pipeline import steps

    cause = tmp_path / "run.cause"
    monkeypatch.setenv("CITY_RUN_CAUSE_FILE", str(cause))
    with pytest.raises(WarehouseBusy, match="another run holds the warehouse: pid"):
        steps.load_outcomes([], "manual__2026-11-22")
    assert not data_dir.warehouse.exists()  # it never opened the warehouse
    assert cause.read_text().startswith(f"load: another run holds the warehouse: pid {holder.pid}")


def test_the_nightly_command_refuses_with_the_holders_name(data_dir, holder, short_wait_config):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "nightly",
            "--no-sandbox",
            "--days",
            "1",
            "--end-day",
            "2026-11-22",
        ],
        env=_env(),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert done.returncode == 3
    assert (
        f"another run holds the warehouse: pid {holder.pid}, data day 2026-11-21, since"
        in done.stderr
    )
    assert "running city_nightly" not in done.stdout  # it started nothing
