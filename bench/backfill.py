"""Row group `backfill` of `make bench`, and `python -m bench.backfill`: a range backfill against nights one by one.

Backfills of 30 and 365 data days of every dataset for every borough of the region, against
the sandbox at default volume (scale 1), each into a fresh data directory, beside
`python -m pipeline nightly --days 7` (Airflow's dag.test, one child process a day) on the
same machine, now. Printed per run: wall time, CPU-seconds, peak RSS, rows landed and loaded,
requests the sandbox answered (its request log), feed-days, and the backfill's own step
times. Issue 11's targets on 2 cores: a year under 10 minutes, a month under 2.
Figures only, never assertions: `--days 3 --nightly-days 0` is a quick check that it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.measure import load_average, machine, run_child

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
TARGETS_S = {30: 120, 365: 600}  # issue 11, on 2 cores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backfill", description=__doc__)
    parser.add_argument(
        "--days", type=int, nargs="+", default=[30, 365], help="range lengths (0: none)"
    )
    parser.add_argument(
        "--nightly-days", type=int, default=7, help="the nightly run beside it (0: none)"
    )
    parser.add_argument("--end-day", type=date.fromisoformat, help="last data day (yesterday)")
    parser.add_argument("--boroughs", help="a,b (default: every borough of the region)")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--probe", nargs=2, metavar=("FIRST", "LAST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        return _probe(date.fromisoformat(args.probe[0]), date.fromisoformat(args.probe[1]), args)
    from sandbox.process import SandboxProcess

    end = args.end_day or date.today() - timedelta(days=1)
    figures: dict[str, Any] = {"machine": machine(), "end_day": end.isoformat(), "runs": []}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_average())}", flush=True)
    with SandboxProcess(as_of=end) as sandbox:
        for days in [d for d in args.days if d > 0]:
            figures["runs"].append(_backfill(sandbox, end, days, args.boroughs))
            _print(figures["runs"][-1])
        if args.nightly_days:
            figures["runs"].append(_nightly(sandbox, end, args.nightly_days, args.boroughs))
            _print(figures["runs"][-1])
    figures["load_after"] = load_average()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in figures['load_after'])}")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


def _env(sandbox, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CITY_DATA_DIR=str(data_dir),
        CITY_API_BASE_URL=sandbox.url,
        PYTHONPATH=str(ROOT),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="False",
    )
    for name, value in (  # as the Makefile exports them: the nightly run is Airflow's dag.test
        ("AIRFLOW_HOME", str(ROOT / ".airflow")),
        ("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags")),
        ("AIRFLOW__CORE__LOAD_EXAMPLES", "False"),
        ("AIRFLOW__CORE__UNIT_TEST_MODE", "False"),
        ("AIRFLOW__LOGGING__COLORED_CONSOLE_LOG", "False"),
    ):
        env.setdefault(name, value)
    return env


def _requests(sandbox) -> int:
    """Borough API requests the sandbox answered since its log was last cleared."""
    import requests

    reply = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=30)
    reply.raise_for_status()
    body = reply.json()
    entries = body["requests"] if isinstance(body, dict) else body
    return sum(not str(e.get("path", "")).startswith("/_sandbox") for e in entries)


def _clear(sandbox) -> None:
    import requests

    requests.delete(f"{sandbox.url}/_sandbox/requests", timeout=30).raise_for_status()


def _figures(run: str, days: int, sample, sandbox, load) -> dict[str, Any]:
    """What every run of this benchmark reports: its times, memory, requests and the load."""
    return {
        "run": run,
        "days": days,
        "wall_s": round(sample.wall_s, 1),
        "cpu_s": round(sample.cpu_s, 1),
        "peak_rss_mb": round(sample.peak_rss_mb),
        "requests": _requests(sandbox),
        "load_before": load,
    }


def _backfill(sandbox, end: date, days: int, boroughs: str | None) -> dict[str, Any]:
    first = end - timedelta(days=days - 1)
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-backfill-{days}-")) / "data"
    _clear(sandbox)
    argv = [sys.executable, "-m", "bench.backfill", "--probe", first.isoformat(), end.isoformat()]
    if boroughs:
        argv += ["--boroughs", boroughs]
    load = load_average()
    sample = run_child(argv, env=_env(sandbox, data_dir), cwd=str(ROOT))
    return {
        **_figures(f"backfill {days} days ({first} .. {end})", days, sample, sandbox, load),
        "target_s": TARGETS_S.get(days),
        **sample.inner,
        "data_dir": str(data_dir),
    }


def _probe(first: date, last: date, args) -> int:
    """The child: one backfill; its last stdout line is its figures as JSON."""
    from pipeline.backfill import run_backfill

    boroughs = args.boroughs.split(",") if args.boroughs else None
    result = run_backfill(first, last, boroughs=boroughs, out=lambda line: print(line, flush=True))
    print(
        json.dumps(
            {
                "feeds": result["feeds"],
                "feed_days": result["feed_days"],
                "rows_landed": result["rows_landed"],
                "rows_loaded": result["rows_loaded"],
                "requests_counted": result["requests"],
                "failures": len(result["failures"]),
                "published": result["published"],
                "steps_s": {k: round(v, 1) for k, v in result["steps"].items()},
            }
        )
    )
    return 0 if result["published"] else 1


def _nightly(sandbox, end: date, days: int, boroughs: str | None) -> dict[str, Any]:
    """`python -m pipeline nightly --days N` into a fresh data directory (Airflow's dag.test)."""
    import duckdb

    data_dir = Path(tempfile.mkdtemp(prefix="bench-nightly-")) / "data"
    _clear(sandbox)
    argv = [sys.executable, "-m", "pipeline", "nightly", "--days", str(days)]
    argv += ["--end-day", end.isoformat(), "--no-sandbox"]
    if boroughs:
        print("(the nightly run has no borough filter: it runs every borough)")
    load = load_average()
    sample = run_child(argv, env=_env(sandbox, data_dir), cwd=str(ROOT))
    with duckdb.connect(str(data_dir / "warehouse" / "city.duckdb"), read_only=True) as con:
        rows, feed_days = con.execute(
            "select sum(row_count), count(*) from raw.feed_partitions"
        ).fetchone()
    return {
        **_figures(f"nightly --days {days} (.. {end})", days, sample, sandbox, load),
        "rows_loaded": int(rows or 0),
        "feed_days": int(feed_days),
        "data_dir": str(data_dir),
    }


def _print(run: dict[str, Any]) -> None:
    target = f" (target under {run['target_s']} s)" if run.get("target_s") else ""
    print(
        f"{run['run']}: {run['wall_s']:.0f} s wall{target}, {run['cpu_s']:.0f} CPU-s, "
        f"{run['peak_rss_mb']} MB peak; {run.get('rows_loaded', 0):,} rows loaded, "
        f"{run['requests']:,} requests, {run.get('feed_days', 0):,} feed-days"
        + (f", {run['failures']} failed feed-days" if "failures" in run else "")
        + "; "
        f"load before {' '.join(f'{x:.2f}' for x in run['load_before'])}"
        + (f"; steps {run['steps_s']}" if run.get("steps_s") else ""),
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
