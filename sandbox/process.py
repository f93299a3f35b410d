"""Run the borough API sandbox as a separate process, as a real API would be.

Used by `make run` and the tests: traffic crosses real HTTP between processes. The
process is started on a free loopback port and stopped (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest.paths import REPO_ROOT

__all__ = ["SandboxProcess", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SandboxProcess:
    def __init__(
        self,
        *,
        port: int | None = None,
        seed: int | None = None,
        scale: float = 1.0,
        faults: str = "none",
        region: str | None = None,
        as_of=None,
    ):
        self.port = port or free_port()
        self.seed, self.scale, self.faults, self.region = seed, scale, faults, region
        self.as_of = as_of  # the last day the sandbox has published (a date), else yesterday
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30) -> SandboxProcess:
        ready = Path(tempfile.mkdtemp(prefix="sandbox-")) / "ready"
        command = [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            str(self.port),
            "--scale",
            str(self.scale),
            "--faults",
            self.faults,
            "--ready-file",
            str(ready),
        ]
        if self.seed is not None:
            command += ["--seed", str(self.seed)]
        if self.region:
            command += ["--region", self.region]
        if self.as_of:
            command += ["--as-of", self.as_of.isoformat()]
        env = os.environ | {
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
            )
        }
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
        deadline = time.monotonic() + timeout_s
        while not ready.exists():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the sandbox exited with code {self.process.returncode} before it was ready"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox was not ready within {timeout_s} s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
