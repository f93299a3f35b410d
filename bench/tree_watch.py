"""CPU-seconds of a process tree from outside, over time: which part of a night went where.

A whole night run through a commit's own CLI (bench/cli_night.py) is one process tree: the
CLI, Airflow's `dag.test` child, dbt children and the bundled sandbox. os.wait4 gives the
tree's exact total once it ends; this watcher samples /proc every `interval` seconds for
each descendant's own user+system ticks, so that (a) the sandbox's share can be taken out
(it stands in for the boroughs' APIs, it is not the night's cost) and (b) the CPU spent
between two instants (an Airflow task's start and end) can be read off the timeline.
A child that lives less than one interval is missed: the figures from the timeline are
estimates; the total comes from wait4.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["TreeWatch"]

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, own user+system CPU-seconds) of a live process, else None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


class TreeWatch:
    """Samples the descendants of `root` until stopped; `cpu_at(t)` and the sandbox's CPU."""

    def __init__(
        self,
        root: int,
        is_excluded: Callable[[list[str]], bool],
        interval: float = 0.2,
    ):
        self.root, self.is_excluded, self.interval = root, is_excluded, interval
        self.last: dict[int, float] = {}  # pid -> CPU last seen
        self.excluded: set[int] = set()
        self.times: list[float] = []  # time.time() of each sample
        self.totals: list[float] = []  # CPU of the tree, excluded processes left out, so far
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                found = _stat(int(entry))
                if found:
                    parents[int(entry)], cpu[int(entry)] = found
        tree, frontier = {self.root}, [self.root]
        children: dict[int, list[int]] = {}
        for pid, parent in parents.items():
            children.setdefault(parent, []).append(pid)
        while frontier:
            for child in children.get(frontier.pop(), []):
                if child not in tree:
                    tree.add(child)
                    frontier.append(child)
        for pid in tree & cpu.keys():
            if pid not in self.last and self.is_excluded(_cmdline(pid)):
                self.excluded.add(pid)
            self.last[pid] = max(self.last.get(pid, 0.0), cpu[pid])
        self.times.append(time.time())
        self.totals.append(sum(v for p, v in self.last.items() if p not in self.excluded))

    @property
    def excluded_cpu_s(self) -> float:
        """CPU last seen of the excluded processes (the sandbox), up to one interval short."""
        return sum(self.last[p] for p in self.excluded)

    def cpu_at(self, when: float) -> float:
        """The tree's CPU (excluded processes left out) at `when`, linearly between samples."""
        if not self.times:
            return 0.0
        index = bisect.bisect_left(self.times, when)
        if index == 0:
            return self.totals[0] if when >= self.times[0] else 0.0
        if index >= len(self.times):
            return self.totals[-1]
        t0, t1 = self.times[index - 1], self.times[index]
        c0, c1 = self.totals[index - 1], self.totals[index]
        return c0 + (c1 - c0) * ((when - t0) / (t1 - t0) if t1 > t0 else 1.0)
