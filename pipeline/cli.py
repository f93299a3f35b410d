"""`python -m pipeline …`: the commands people run (make run calls `nightly`).

nightly   run the city_nightly DAG with Airflow for recent data days, against the
          bundled sandbox unless --no-sandbox, then print the headline metrics.
          Holds the data directory's warehouse lock for the whole run (a second
          run waits run.lock_wait_s, then refuses naming the holder); each day's
          log is its own file under <CITY_DATA_DIR>/logs/, and the console shows
          each day's report line or, when there is none, the one-line cause
backfill  data days --from A --to B (both inclusive) at the speed of the data: each feed's
          range in as few requests as its API allows, loaded once, one dbt build and
          publish; --dry-run says what it would do, --from-landing makes no request
headline  print the headline metrics of the published warehouse
pools     create or update the Airflow pool of each borough API host (config/pipeline.yml)
sandbox   start the borough API sandbox on its own (demos, benchmarks)
check-config  check config/ (or CITY_CONFIG_DIR) like a compiler; non-zero on an error
metrics   write the dbt files config/metrics.yml decides (--check: say which are stale)
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
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    nightly = commands.add_parser("nightly", help="run the nightly DAG for recent data days")
    nightly.add_argument(
        "--days", type=int, help="how many data days (default: schedule.default_days)"
    )
    nightly.add_argument(
        "--end-day", type=date.fromisoformat, help="last data day (default: yesterday, London time)"
    )
    nightly.add_argument(
        "--no-sandbox",
        action="store_true",
        help="use CITY_API_BASE_URL as it is instead of starting the sandbox",
    )
    nightly.add_argument("--sandbox-scale", type=float, default=1.0)
    backfill = commands.add_parser(
        "backfill",
        help="data days A..B (both inclusive) in range queries, one dbt build and publish",
        description="Backfill data days --from A --to B, both inclusive (a data day is the day "
        "a night processes: the night of the 23rd processes the 22nd). Daily feeds fetch every "
        "day of the range, monthly/quarterly/yearly feeds every period those nights owed.",
    )
    backfill.add_argument(
        "--from",
        dest="first",
        type=date.fromisoformat,
        required=True,
        help="first data day, YYYY-MM-DD",
    )
    backfill.add_argument(
        "--to",
        dest="last",
        type=date.fromisoformat,
        required=True,
        help="last data day, YYYY-MM-DD (inclusive)",
    )
    backfill.add_argument("--boroughs", type=_names, help="only these boroughs (slug or code), a,b")
    backfill.add_argument("--datasets", type=_names, help="only these datasets, x,y")
    backfill.add_argument(
        "--dry-run",
        action="store_true",
        help="say which days and feeds would be fetched or replayed; change nothing",
    )
    backfill.add_argument(
        "--from-landing",
        action="store_true",
        help="rebuild from the landing zone only: no borough API request",
    )
    backfill.add_argument(
        "--no-sandbox",
        action="store_true",
        help="use CITY_API_BASE_URL as it is instead of starting the sandbox",
    )
    backfill.add_argument("--sandbox-scale", type=float, default=1.0)
    commands.add_parser("headline", help="print the published headline metrics")
    commands.add_parser("pools", help="create or update one Airflow pool per borough API host")
    commands.add_parser(
        "sandbox", help="start the borough API sandbox (see --help)", add_help=False
    )
    commands.add_parser(
        "check-config",
        add_help=False,
        help="check config/ (or CITY_CONFIG_DIR) like a compiler; non-zero on an error",
    )
    commands.add_parser(
        "metrics",
        add_help=False,
        help="write the dbt files config/metrics.yml decides (--check: exit 1 when stale)",
    )
    commands.add_parser(
        "query", help="query the published warehouse read-only (see --help)", add_help=False
    )
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
    if args.command == "metrics":
        from pipeline.metric_files import main as metric_files_main

        return metric_files_main(rest)
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
    from pipeline.lock import WarehouseBusy

    try:
        return _backfill(args) if args.command == "backfill" else _nightly(args)
    except CatalogueError as exc:  # a config mistake: its one clear message, no traceback
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except WarehouseBusy as exc:  # another run holds the data directory: say who, do nothing
        print(f"refused: {exc}", file=sys.stderr)
        return 3

    except OSError as exc:
        from pipeline.guard import disk_full, free_mb

        if not disk_full(exc):
            raise
        print(
            f"disk full: {free_mb(data_paths().root)} MB free on {data_paths().root} ({exc})",
            file=sys.stderr,
        )
        return 1


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _backfill(args: argparse.Namespace) -> int:
    """The range backfill; the sandbox is started only when borough APIs are asked."""
    from pipeline.backfill import run_backfill

    if args.last < args.first:
        print(f"error: --to {args.last} is before --from {args.first}", file=sys.stderr)
        return 2
    sandbox = None
    if not (args.no_sandbox or args.dry_run or args.from_landing):
        sandbox = _start_sandbox(args.sandbox_scale)
    try:
        result = run_backfill(
            args.first,
            args.last,
            datasets=args.datasets,
            boroughs=args.boroughs,
            dry_run=args.dry_run,
            from_landing=args.from_landing,
        )
    finally:
        if sandbox is not None:
            sandbox.stop()
    if result.get("dry_run"):
        return 0
    return 0 if result["published"] and not result["failures"] else 1


def _nightly(args: argparse.Namespace) -> int:
    from ingest.catalogue import load_catalogue
    from pipeline.lock import warehouse_lock
    from pipeline.plan import resolve_data_day

    catalogue = load_catalogue()
    days = args.days or catalogue.settings.default_days
    end = args.end_day or date.fromisoformat(resolve_data_day(None, None, catalogue))
    data_days = [end - timedelta(days=n) for n in range(days - 1, -1, -1)]
    paths = data_paths()
    with warehouse_lock(
        paths,
        step="python -m pipeline nightly",
        data_day=data_days[0].isoformat(),
        wait_s=catalogue.settings.lock_wait_s,
    ) as hold:
        return _run_days(args, data_days, hold)


def _run_days(args: argparse.Namespace, data_days: list[date], hold) -> int:
    """Each day in its own child process, lent this process's warehouse lock."""
    from pipeline.airflow_runner import run_dag_for_day_logged, run_log_path

    sandbox = None if args.no_sandbox else _start_sandbox(args.sandbox_scale)
    started = time.monotonic()
    failures = 0
    try:
        logs = data_paths().root / "logs"
        for index, day in enumerate(data_days, start=1):
            hold.update(step="python -m pipeline nightly", data_day=day.isoformat())
            print(f"[{index}/{len(data_days)}] data day {day}: running city_nightly …", flush=True)
            tick = time.monotonic()
            log_path = run_log_path(logs, "city_nightly", day)
            cause_path = log_path.with_suffix(".cause")
            started_at = time.time()
            state = run_dag_for_day_logged(
                "city_nightly", day, log_path, lock_fd=hold.fd, cause_path=cause_path
            )
            failures += state != "success"
            print(
                f"[{index}/{len(data_days)}] data day {day}: {state} in {time.monotonic() - tick:.0f} s"
                f" — {_report(day, log_path, started_at, cause_path)}",
                flush=True,
            )
    finally:
        if sandbox is not None:
            sandbox.stop()
    print(
        f"\n{len(data_days)} data days in {time.monotonic() - started:.0f} s "
        f"({failures} run(s) not green)\n"
    )
    from pipeline.headline import print_headline

    print_headline(data_paths())
    return 1 if failures else 0


def _report(
    day: date, log_path: Path, since: float | None = None, cause_path: Path | None = None
) -> str:
    """The run's one-line summary from the file its report step wrote, else its cause; and the log.

    A summary older than `since` (the run's start) is an earlier run's: this run wrote none.
    The cause is the first failing step's one line (pipeline/guard.py), which says more than a
    red summary's "nothing was loaded"; without either, a nearly full disk is the likely cause.
    """
    from pipeline.report import summary_path

    cause = _first_line(cause_path)
    path = summary_path(data_paths(), day.isoformat())
    try:
        if since is not None and path.stat().st_mtime < since:
            raise FileNotFoundError(path)
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no report: {cause or _disk_note()} (log: {log_path})"
    except ValueError as exc:
        return f"no report: {path} is not JSON ({exc}); {cause or _disk_note()} (log: {log_path})"
    line = f"{summary['state']}: {summary['summary']}"
    if cause and summary.get("state") != "green":
        line += f" — cause: {cause}"
    return f"{line} (log: {log_path})"


def _first_line(path: Path | None) -> str | None:
    try:
        return path.read_text(encoding="utf-8").splitlines()[0].strip() or None
    except (AttributeError, OSError, IndexError):
        return None


def _disk_note() -> str:
    """The one cause a run may have had no room to write down."""
    from pipeline.guard import free_mb

    root = data_paths().root
    free = free_mb(root)
    if free < LOW_DISK_MB:
        return f"disk full: {free} MB free on {root} (the run could not even write its cause)"
    return "the run ended before its report step (see the log's last lines)"


LOW_DISK_MB = 200


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
