"""The sandbox on a real socket: a threaded stdlib HTTP server on loopback.

Clients under test use real HTTP (connection reuse, timeouts, a body cut mid-transfer),
so the sandbox must be a real server, not a mocked transport. It serves in a daemon
thread, so a test fixture or `python -m sandbox` can start and stop it at will.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ingest.catalogue import Area, Catalogue, load_catalogue
from sandbox.app import SandboxApp
from sandbox.messages import Request, Response, json_response
from sandbox.settings import load_settings

__all__ = ["SandboxServer"]


class SandboxServer:
    """Every borough portal of the catalogue's region, on http://host:port/<slug>/.

    `seed` defaults to config/sandbox/sandbox.yml; `port=0` picks a free port (see `.url`).
    Use as a context manager, or call start() and stop().
    """

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        *,
        seed: int | None = None,
        scale: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        fault_profile: str = "none",
        verbose: bool = False,
        as_of=None,
    ):
        self.catalogue = catalogue or load_catalogue()
        settings = load_settings(self.catalogue)
        self.app = SandboxApp(
            self.catalogue,
            settings,
            seed=settings.seed if seed is None else seed,
            scale=scale,
            fault_profile=fault_profile,
            as_of=as_of,
        )
        self.host, self.port, self.verbose = host, port, verbose
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def seed(self) -> int:
        return self.app.seed

    @property
    def url(self) -> str:
        """http://host:port once started (the real port when port=0 was asked for)."""
        return f"http://{self.host}:{self.port}"

    def portal_url(self, area: Area) -> str:
        """Where this server publishes one borough's portal."""
        return f"{self.url}/{area.slug}"

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer((self.host, self.port), _Handler)
        self._httpd.app, self._httpd.verbose = self.app, self.verbose
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"borough-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd, self._thread = None, None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a slow-fault request must not hold up stop()
    allow_reuse_address = True
    app: SandboxApp
    verbose: bool


class _Handler(BaseHTTPRequestHandler):
    """HTTP plumbing only: read the request, ask the app, write what it answers."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as real portals behind nginx
    disable_nagle_algorithm = True  # headers and body are separate writes: without this,

    # delayed ACKs add ~40 ms to every keep-alive request
    def version_string(self) -> str:
        return "BoroughAPISandbox/1"

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = (
            self.headers.get("Host")
            or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        )
        request = Request(
            self.command, self.path, f"http://{host}", body, tuple(self.headers.items())
        )
        try:
            response = self.server.app.handle(request)
        except Exception as exc:  # a sandbox bug: say so loudly, answer 500
            traceback.print_exc(file=sys.stderr)
            response = json_response(500, {"error": f"sandbox bug: {type(exc).__name__}: {exc}"})
        self._send(response)

    def _send(self, response: Response) -> None:
        if response.delay_s:
            time.sleep(response.delay_s)
        if response.reset:  # SO_LINGER 0: close() sends RST, the client reads "connection reset"
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        declared = (
            response.declared_length if response.declared_length is not None else len(response.body)
        )
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        try:
            self.wfile.write(response.body)
            if declared > len(response.body):  # truncated transfer: drop the connection mid-body
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)
