"""One run at a time holds a data directory's warehouse.

DuckDB allows one writing process per file, and two runs that interleave their load,
dbt and publish steps would publish each other's half-nights. So the steps that touch
the pipeline's warehouse hold `<CITY_DATA_DIR>/warehouse.lock`: writers (load, dbt,
publish, export) exclusively, readers (plan, validate's row-count history) shared.
It is an `fcntl.flock` on an open file: the kernel drops it when the holder's process
ends, however it ends (kill -9, OOM, reboot), so a crash never leaves a lock that
blocks the next run. The holder writes who it is (pid, data day, step, since) into
the file; a second run waits up to `run.lock_wait_s`, then refuses naming the holder.

`python -m pipeline nightly` holds the lock for its whole night and lends it to its
child process (the open descriptor is inherited; `CITY_WAREHOUSE_LOCK_FD` names it), so
the steps inside that child find it held and nothing else can slip in between them.
A process that already holds the lock may take it again (nested: a no-op).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.errors import IngestError
from ingest.paths import DataPaths

__all__ = [
    "WarehouseBusy",
    "Hold",
    "warehouse_lock",
    "lock_path",
    "holder",
    "describe_holder",
    "LOCK_FD_ENV",
]

log = logging.getLogger(__name__)

LOCK_FD_ENV = "CITY_WAREHOUSE_LOCK_FD"
_held: dict[str, int] = {}  # lock path -> nesting depth, in this process


class WarehouseBusy(IngestError):
    """Another run holds the warehouse and did not let go within the wait."""


def lock_path(paths: DataPaths) -> Path:
    return paths.root / "warehouse.lock"


@dataclass
class Hold:
    """A held lock: `fd` is its open descriptor when this hold owns it (to lend to a child)."""

    path: Path
    fd: int | None = None

    def update(self, *, step: str, data_day: str | None) -> None:
        """A holder moving on (the CLI's next data day) says so to whoever waits."""
        if self.fd is not None:
            _write_holder(self.fd, step, data_day)


@contextmanager
def warehouse_lock(
    paths: DataPaths,
    *,
    step: str,
    data_day: str | None = None,
    shared: bool = False,
    wait_s: float = 600.0,
) -> Iterator[Hold]:
    """Hold the data directory's warehouse for `step`; raise WarehouseBusy after `wait_s`."""
    path = lock_path(paths)
    key = str(path)
    if _held.get(key) or _inherited(path) is not None:
        _held[key] = _held.get(key, 0) + 1  # nested, or lent by the parent: never unlocked here
        try:
            yield Hold(path)
        finally:
            _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, fcntl.LOCK_SH if shared else fcntl.LOCK_EX, step, wait_s)
        if not shared:
            _write_holder(fd, step, data_day)
        _held[key] = 1
        try:
            yield Hold(path, None if shared else fd)
        finally:
            _held[key] = 0
            if not shared:
                _clear_holder(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def holder(paths: DataPaths) -> dict | None:
    """Who wrote themselves into the lock file last (None when nobody holds it exclusively)."""
    return _read_holder(lock_path(paths))


def describe_holder(info: dict | None) -> str:
    """'pid 123 (host), data day 2026-11-21, since 2026-11-22T02:00:01+00:00, step load'."""
    if not info or not _may_be_alive(info):
        return "holder unknown (a run that reads the warehouse, e.g. planning or validating)"
    host = (
        f" on {info['host']}"
        if info.get("host") and info.get("host") != socket.gethostname()
        else ""
    )
    return (
        f"pid {info.get('pid', '?')}{host}, data day {info.get('data_day') or 'not given'}, "
        f"since {info.get('since', '?')}, step {info.get('step', '?')}"
    )


def _may_be_alive(info: dict) -> bool:
    """False only for a holder on this host whose process is gone (its details outlived it)."""
    if info.get("host") not in (None, socket.gethostname()):
        return True
    try:
        os.kill(int(info.get("pid")), 0)
    except ProcessLookupError:
        return False
    except (OSError, TypeError, ValueError):
        return True
    return True


def _acquire(fd: int, path: Path, mode: int, step: str, wait_s: float) -> None:
    """flock, polling until `wait_s` has passed; the error names the holder."""
    deadline = time.monotonic() + wait_s
    announced, pause = False, 0.05
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        info = _read_holder(path)
        if time.monotonic() >= deadline:
            raise WarehouseBusy(
                f"another run holds the warehouse: {describe_holder(info)}; "
                f"{step} waited {wait_s:.0f} s and gave up (run.lock_wait_s); "
                f"lock file {path}"
            )
        if not announced:
            log.warning(
                "%s: another run holds the warehouse (%s); waiting up to %.0f s",
                step,
                describe_holder(info),
                wait_s,
            )
            announced = True
        time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, 1.0)


def _inherited(path: Path) -> int | None:
    """The lock descriptor a parent lent this process, when it is this lock and still held."""
    value = os.environ.get(LOCK_FD_ENV)
    if not value:
        return None
    try:
        fd = int(value)
        mine, lent = os.stat(path), os.fstat(fd)
        if (mine.st_dev, mine.st_ino) != (lent.st_dev, lent.st_ino):
            return None
        fcntl.flock(
            fd, fcntl.LOCK_EX | fcntl.LOCK_NB
        )  # already ours (same open file): returns at once
        return fd
    except (ValueError, OSError):
        return None


def _write_holder(fd: int, step: str, data_day: str | None) -> None:
    """Who holds the lock, for whoever waits; a full disk must not stop the lock itself."""
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "data_day": data_day,
        "step": step,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
    except OSError as exc:
        log.warning("could not write the lock holder's details: %s", exc)


def _clear_holder(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
    except OSError:
        pass


def _read_holder(path: Path) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None
