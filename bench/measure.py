"""How one thing is measured: a child process, its wall time, CPU-seconds and peak RSS.

Each run is a fresh child process, waited for with os.wait4, so its CPU includes the
children it waited for (dbt) and its peak RSS is the largest of them. A probe may also
print one JSON object on its last stdout line (e.g. CPU spent on the work alone, after
imports); it is kept as `inner`. Subject and baseline are alternated run by run, so a
neighbour's load on the shared machine falls on both.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Sample", "run_child", "alternate", "machine", "load_average", "summarise"]


@dataclass
class Sample:
    """One run of one probe."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    inner: dict[str, Any] = field(default_factory=dict)

    def metric(self, name: str) -> float:
        """A named figure: wall_s, cpu_s, peak_rss_mb, or one the probe reported (inner)."""
        if name in ("wall_s", "cpu_s", "peak_rss_mb"):
            return getattr(self, name)
        if name.startswith("stage:"):  # a night probe's stage: its CPU-seconds
            return float(self.inner["stages"][name.removeprefix("stage:")]["cpu_s"])
        if name in ("total_cpu_s", "total_wall_s"):
            return float(self.inner["total"][name.removeprefix("total_")])
        return float(self.inner[name])


class ProbeFailed(RuntimeError):
    """A probe exited non-zero: its command and the end of its output."""


def run_child(argv: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> Sample:
    """Run one probe to completion; raise ProbeFailed (with its stderr tail) if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # communicate() reads the pipes; wait4 then collects the child's own rusage
    out, err = _drain(process)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise ProbeFailed(
            f"{' '.join(argv[:4])} ... exited {process.returncode}:\n{err[-3000:]}{out[-1000:]}"
        )
    inner: dict[str, Any] = {}
    lines = [line for line in out.splitlines() if line.strip()]
    if lines and lines[-1].startswith("{"):
        inner = json.loads(lines[-1])
    return Sample(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        inner=inner,
    )


def _drain(process: subprocess.Popen) -> tuple[str, str]:
    """Read stdout and stderr to EOF without reaping the child (wait4 must do that)."""
    import threading

    chunks: dict[str, str] = {}

    def read(name: str, stream) -> None:
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=read, args=(n, s))
        for n, s in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return chunks.get("out", ""), chunks.get("err", "")


def alternate(
    subject: Callable[[], Sample],
    baseline: Callable[[], Sample],
    runs: int,
    prepare: Callable[[], None] | None = None,
) -> tuple[list[Sample], list[Sample]]:
    """`runs` samples of each, in the order S B, B S, S B ... so drift falls on both."""
    subjects, baselines = [], []
    for index in range(runs):
        order = [(subject, subjects), (baseline, baselines)]
        for probe, into in order if index % 2 == 0 else order[::-1]:
            if prepare:
                prepare()
            into.append(probe())
    return subjects, baselines


def summarise(subjects: list[Sample], baselines: list[Sample], metric: str) -> dict[str, Any]:
    """Medians, the ratio subject ÷ baseline, and every run's figure."""
    mine = [s.metric(metric) for s in subjects]
    theirs = [s.metric(metric) for s in baselines]
    median, base = statistics.median(mine), statistics.median(theirs)
    return {
        "metric": metric,
        "median": round(median, 4),
        "baseline_median": round(base, 4),
        "ratio": round(median / base, 3) if base else None,
        "runs": len(mine),
        "samples": [round(v, 4) for v in mine],
        "baseline_samples": [round(v, 4) for v in theirs],
    }


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def machine() -> dict[str, Any]:
    """What the figures ran on: cores, memory, CPU model, load."""
    model = ""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_mb = None
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal"):
                memory_mb = int(line.split()[1]) // 1024
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_mb": memory_mb,
        "cpu_model": model or platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
