"""Build an expensive test fixture once per test run, whichever pytest-xdist worker asks first.

The fixture warehouses (make_fixture_warehouse.py + `dbt build`) cost half a minute or more
each; several modules read the same one. Under xdist every worker is its own process, so a
per-process cache would build it once per worker: this keeps it in a folder the workers of
one run share (named by xdist's run id), and an flock makes the others wait for the first.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["built_once"]


def _run_root() -> Path:
    """A folder for this test run, shared by its xdist workers (one process: its own)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    root = Path(tempfile.gettempdir()) / f"city-tests-shared-{run}"
    root.mkdir(parents=True, exist_ok=True)
    return root


def built_once(name: str, build: Callable[[Path], None]) -> Path:
    """The folder `name` of this run, after `build(folder)` ran in exactly one process."""
    folder = _run_root() / name
    with open(_run_root() / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        done = folder / ".built"
        if not done.exists():
            folder.mkdir(parents=True, exist_ok=True)
            build(folder)
            done.touch()
    return folder
