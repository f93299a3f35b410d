"""`python -m sandbox`: run the borough API sandbox in the foreground.

Prints one line with the URL once listening, then serves until SIGTERM or SIGINT.
--pidfile and --ready-file let a Makefile start it in the background and wait for
the ready file before running the pipeline against it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError
from sandbox.server import SandboxServer

__all__ = ["main"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port (0 = any free port; default 8765)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="data seed (default: config/sandbox/sandbox.yml seed)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier (default 1.0)")
    parser.add_argument(
        "--faults",
        default="none",
        help="fault profile from config/sandbox/sandbox.yml (default none)",
    )
    parser.add_argument(
        "--region", default=None, help="region config (default: pipeline.yml region)"
    )
    parser.add_argument("--pidfile", type=Path, default=None, help="write the process id here")
    parser.add_argument(
        "--ready-file", type=Path, default=None, help="write the URL here once listening"
    )
    parser.add_argument(
        "--as-of",
        type=_day,
        default=None,
        help="last day published, YYYY-MM-DD (default: yesterday in the region); pins the data",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def _day(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        server = SandboxServer(
            load_catalogue(region=args.region),
            seed=args.seed,
            scale=args.scale,
            host=args.host,
            port=args.port,
            fault_profile=args.faults,
            verbose=args.verbose,
            as_of=args.as_of,
        )
    except (CatalogueError, ValueError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server.start()
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    written = []
    try:
        if args.pidfile:
            args.pidfile.write_text(f"{os.getpid()}\n")
            written.append(args.pidfile)
        app = server.app
        print(
            f"borough API sandbox listening on {server.url} (region {app.catalogue.region.slug}, "
            f"seed {app.seed}, scale {app.scale:g}, faults {args.faults})",
            flush=True,
        )
        if args.ready_file:
            args.ready_file.write_text(f"{server.url}\n")
            written.append(args.ready_file)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for path in written:
            path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
