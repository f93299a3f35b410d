"""A night's steps in a child process that kill -9s itself at a chosen step, and a pinned sandbox.

The kill is real (SIGKILL: no cleanup, no finally) and lands at a chosen point, so the
tests that use it are deterministic: after N feeds ingested, N datasets' partitions loaded, or
half-way through publish's copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from ingest.paths import REPO_ROOT
from sandbox.process import SandboxProcess

TESTS = Path(__file__).resolve().parent

CHILD = """
import os, shutil, signal, sys
from datetime import date
sys.path.insert(0, sys.argv[1])
import night_steps
from pipeline import load_set, steps

where, after, day, boroughs = sys.argv[2], int(sys.argv[3]), date.fromisoformat(sys.argv[4]), sys.argv[5].split(",")
datasets = sys.argv[6].split(",") if sys.argv[6] else None
calls = 0

def die_after(original):
    def wrapper(*args, **kwargs):
        global calls
        calls += 1
        if calls > after:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return wrapper

def half_a_copy_then_die(source, target, *args, **kwargs):
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.write(src.read(os.path.getsize(source) // 2))
        dst.flush()
        os.fsync(dst.fileno())
    os.kill(os.getpid(), signal.SIGKILL)

if where == "ingest":
    steps.ingest_feed = die_after(steps.ingest_feed)
elif where == "load":
    load_set.replace_partitions = die_after(load_set.replace_partitions)
elif where == "publish":
    shutil.copyfile = half_a_copy_then_die
if where == "publish":
    night_steps.night(day, boroughs, datasets)
else:
    night_steps.land(day, boroughs, datasets)
print("NOT KILLED")
"""


def run_killed(
    where: str,
    day: date,
    boroughs: list[str],
    after: int = 0,
    datasets: list[str] | None = None,
) -> None:
    """Run a night's steps (of `datasets`, default all) in a child process that kill -9s itself
    at `where` (after `after` calls)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(TESTS),
            where,
            str(after),
            day.isoformat(),
            ",".join(boroughs),
            ",".join(datasets or []),
        ],
        env=os.environ | {"PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != -9:
        raise AssertionError(
            f"the child was not killed at {where}: exit {done.returncode}\n{done.stderr[-3000:]}"
        )


@contextmanager
def pinned_sandbox(as_of: date):
    """The sandbox publishing up to `as_of` (results never depend on today), as CITY_API_BASE_URL."""
    previous = os.environ.get("CITY_API_BASE_URL")
    try:
        with SandboxProcess(as_of=as_of) as process:
            os.environ["CITY_API_BASE_URL"] = process.url
            yield process
    finally:
        if previous is None:
            os.environ.pop("CITY_API_BASE_URL", None)
        else:
            os.environ["CITY_API_BASE_URL"] = previous
