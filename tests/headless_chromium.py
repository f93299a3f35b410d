"""Open a local HTML file in Debian's headless Chromium over the DevTools protocol.

No driver and no browser download: /usr/bin/chromium with a fresh profile, every
background service off, spoken to over its DevTools websocket (the `websockets` package
already in the venv). `open_page` loads a file and records what a person would worry
about: console errors, uncaught exceptions, and every request the page made.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM", "chromium_available", "open_page", "Page"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--window-size=1200,900",
]
TIMEOUT_S = 60


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


@dataclass
class Page:
    """A loaded page: its console errors, exceptions and requested URLs, and a way to ask it things."""

    _socket: Any
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def call(self, method: str, **params) -> dict:
        call_id = next(self._ids)
        self._socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            message = json.loads(self._socket.recv(timeout=TIMEOUT_S))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._record(message)
        raise TimeoutError(f"no answer to {method}")

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            message = json.loads(self._socket.recv(timeout=TIMEOUT_S))
            self._record(message)
            if message.get("method") == event:
                return
        raise TimeoutError(f"no {event}")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """The whole page, not just the window."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=1200,
            height=int(size["height"]),
            deviceScaleFactor=1,
            mobile=False,
        )
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def _record(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console_errors.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(
                str(params["exceptionDetails"].get("exception", {}).get("description"))
            )
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.console_errors.append(
                f"{params['entry'].get('source')}: {params['entry'].get('text')}"
            )
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])


@contextmanager
def open_page(html_file: Path, settle_s: float = 1.0) -> Iterator[Page]:
    """Load html_file in a fresh headless Chromium; yield the Page once loaded (and settled)."""
    from websockets.sync.client import connect

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    browser = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = _devtools_port(browser)
        targets = json.loads(
            urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read()
        )
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(page_ws, max_size=None, open_timeout=TIMEOUT_S) as socket:
            page = Page(socket)
            for domain in ("Runtime", "Log", "Network", "Page"):
                page.call(f"{domain}.enable")
            page.call("Page.navigate", url=html_file.resolve().as_uri())
            page.wait_for("Page.loadEventFired")
            _drain(page, settle_s)
            yield page
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(browser: subprocess.Popen) -> int:
    lines = []
    for line in browser.stderr:
        lines.append(line)
        found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
        if found:
            return int(found.group(1))
    raise RuntimeError("chromium exited before opening DevTools:\n" + "".join(lines[-20:]))


def _drain(page: Page, seconds: float) -> None:
    """Record whatever the page does in its first moments after load (late requests, errors)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            page._record(json.loads(page._socket.recv(timeout=left)))
        except TimeoutError:
            return
