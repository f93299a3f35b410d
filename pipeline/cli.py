"""`python -m pipeline …`: the commands people run (make run calls `nightly`).

    nightly   run the city_nightly DAG with Airflow for recent data days, against the
              bundled sandbox unless --no-sandbox, then print the headline metrics
    headline  print the headline metrics of the published warehouse
    pools     create or update the Airflow pool of each borough API host (config/pipeline.yml)
    sandbox   start the borough API sandbox on its own (demos, benchmarks)
    check-config  check config/ (or CITY_CONFIG_DIR) like a compiler; non-zero on an error
    query     run SQL on the published warehouse, read-only (table, --csv or --parquet)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from ingest.paths import REPO_ROOT, data_paths

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    nightly = commands.add_parser("nightly", help="run the nightly DAG for recent data days")
    nightly.add_argument("--days", type=int, help="how many data days (default: schedule.default_days)")
    nightly.add_argument("--end-day", type=date.fromisoformat,
                         help="last data day (default: yesterday, London time)")
    nightly.add_argument("--no-sandbox", action="store_true",
                         help="use CITY_API_BASE_URL as it is instead of starting the sandbox")
    nightly.add_argument("--sandbox-scale", type=float, default=1.0)
    commands.add_parser("headline", help="print the published headline metrics")
    commands.add_parser("pools", help="create or update one Airflow pool per borough API host")
    commands.add_parser("sandbox", help="start the borough API sandbox (see --help)", add_help=False)
    commands.add_parser("check-config", add_help=False,
                        help="check config/ (or CITY_CONFIG_DIR) like a compiler; non-zero on an error")
    commands.add_parser("query", help="query the published warehouse read-only (see --help)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "query":
        from pipeline.query import main as query_main
        return query_main(rest)
    if args.command == "sandbox":
        from sandbox.__main__ import main as sandbox_main
        return sandbox_main(rest)
    if args.command == "check-config":
        from pipeline.check_config import main as check_config_main
        return check_config_main(rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if args.command == "headline":
        from pipeline.headline import print_headline
        print_headline(data_paths())
        return 0
    if args.command == "pools":
        from pipeline.pools import print_pools
        return print_pools()
    from ingest.errors import CatalogueError

    try:
        return _nightly(args)
    except CatalogueError as exc:   # a config mistake: its one clear message, no traceback
        print(f"config error: {exc}", file=sys.stderr)
        return 2


def _nightly(args: argparse.Namespace) -> int:
    from ingest.catalogue import load_catalogue
    from pipeline.plan import resolve_data_day

    catalogue = load_catalogue()
    days = args.days or catalogue.settings.default_days
    end = args.end_day or date.fromisoformat(resolve_data_day(None, None, catalogue))
    data_days = [end - timedelta(days=n) for n in range(days - 1, -1, -1)]
    sandbox = None if args.no_sandbox else _start_sandbox(args.sandbox_scale)
    started = time.monotonic()
    failures = 0
    try:
        from pipeline.airflow_runner import run_dag_for_day_logged

        logs = data_paths().root / "logs"
        for index, day in enumerate(data_days, start=1):
            print(f"[{index}/{len(data_days)}] data day {day}: running city_nightly …", flush=True)
            tick = time.monotonic()
            log_path = logs / f"city_nightly_{day}.log"
            started_at = time.time()
            state = run_dag_for_day_logged("city_nightly", day, log_path)
            failures += state != "success"
            print(f"[{index}/{len(data_days)}] data day {day}: {state} in {time.monotonic() - tick:.0f} s"
                  f" — {_report(day, log_path, started_at)}", flush=True)
    finally:
        if sandbox is not None:
            sandbox.stop()
    print(f"\n{len(data_days)} data days in {time.monotonic() - started:.0f} s "
          f"({failures} run(s) not green)\n")
    from pipeline.headline import print_headline
    print_headline(data_paths())
    return 1 if failures else 0


def _report(day: date, log_path: Path, since: float | None = None) -> str:
    """The run's one-line summary from the file its report step wrote, and where the log is.

    A summary older than `since` (the run's start) is an earlier run's: this run wrote none.
    """
    from pipeline.report import summary_path

    path = summary_path(data_paths(), day.isoformat())
    try:
        if since is not None and path.stat().st_mtime < since:
            return f"no report (log: {log_path})"
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no report (log: {log_path})"
    except ValueError as exc:
        return f"no report: {path} is not JSON ({exc}) (log: {log_path})"
    return f"{summary['state']}: {summary['summary']} (log: {log_path})"


def _start_sandbox(scale: float):
    """The sandbox in its own process on a free loopback port; the catalogue points at it."""
    from sandbox.process import SandboxProcess

    sandbox = SandboxProcess(scale=scale).start()
    os.environ["CITY_API_BASE_URL"] = sandbox.url
    print(f"borough API sandbox: {sandbox.url} (seeded, deterministic)", flush=True)
    return sandbox


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    sys.exit(main())
