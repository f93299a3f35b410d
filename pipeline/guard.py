"""What every warehouse step does around its work: hold the lock, name a full disk, leave a cause.

A full disk shows up as an OSError (ENOSPC), a DuckDB IO error or dbt output saying
"No space left on device", far from the step that met it. `guarded` turns each into
one `DiskFull` error naming the free space and the disk, and says what was left as it
was. When the console that started the run set `CITY_RUN_CAUSE_FILE`, the first
failing step's one-line cause is appended there, so the console can print it instead
of pointing at a task log.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import IngestError
from ingest.paths import DataPaths
from pipeline.lock import warehouse_lock

__all__ = ["DiskFull", "guarded", "disk_full", "free_mb", "record_cause", "CAUSE_FILE_ENV"]

CAUSE_FILE_ENV = "CITY_RUN_CAUSE_FILE"
_NO_SPACE = ("no space left on device", "disk quota exceeded")


class DiskFull(IngestError):
    """The disk filled during a step; what the step writes was left as it was before."""


@contextmanager
def guarded(
    paths: DataPaths,
    step: str,
    *,
    wait_s: float,
    data_day: str | None = None,
    shared: bool = False,
    left: str = "the published warehouse is unchanged",
) -> Iterator[None]:
    """Run a step holding the warehouse; a full disk becomes DiskFull; any failure leaves its cause."""
    try:
        with warehouse_lock(paths, step=step, data_day=data_day, shared=shared, wait_s=wait_s):
            try:
                yield
            except Exception as exc:
                if disk_full(exc):
                    raise DiskFull(
                        f"disk full: {free_mb(paths.root)} MB free on {_mount(paths.root)} "
                        f"({step} stopped at {paths.root}; {left})"
                    ) from exc
                raise
    except Exception as exc:
        record_cause(f"{step}: {exc}")
        raise


def disk_full(exc: BaseException) -> bool:
    """Whether an error, or one it was raised from, is the disk running out of space."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(marker in str(exc).lower() for marker in _NO_SPACE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def free_mb(path: Path) -> int:
    """Free megabytes on the disk holding `path` (its nearest existing folder)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free // (1024 * 1024)


def _mount(path: Path) -> str:
    path = Path(path).resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return str(path)


def record_cause(line: str) -> None:
    """Append a step's one-line cause to the console's cause file, if it asked for one."""
    target = os.environ.get(CAUSE_FILE_ENV)
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as out:
            out.write(" ".join(line.split())[:500] + "\n")
    except OSError:
        pass  # a full disk may refuse even this line; the console then says what it can
