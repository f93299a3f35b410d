"""The fixed 3-night sandbox run whose `analytics.city_metrics` no refactoring may change.

Three data days (9-11 November 2026) for the boroughs of night_steps.BOROUGHS, against a
sandbox pinned to publish up to 12 November (so the result never depends on today's date),
then one dbt build and publish. `python tests/reference_run.py` records the table in
tests/fixtures/reference_city_metrics.csv; test_reference_run.py runs it again and compares.
"""

from __future__ import annotations

import csv
import os
import sys
from datetime import date
from pathlib import Path

import duckdb

AS_OF = date(2026, 11, 12)
NIGHTS = [date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)]
RECORDED = Path(__file__).resolve().parent / "fixtures" / "reference_city_metrics.csv"
COLUMNS_SQL = "select * from analytics.city_metrics order by all"


def run_reference(data_dir: Path) -> tuple[list[str], list[tuple]]:
    """Run the three nights into `data_dir`; (column names, city_metrics rows in a fixed order)."""
    import night_steps

    from sandbox.process import SandboxProcess

    saved = {k: os.environ.get(k) for k in ("CITY_DATA_DIR", "CITY_API_BASE_URL")}
    os.environ["CITY_DATA_DIR"] = str(data_dir)
    try:
        with SandboxProcess(as_of=AS_OF) as sandbox:
            os.environ["CITY_API_BASE_URL"] = sandbox.url
            summary = None
            for day in NIGHTS:
                summary = night_steps.land(day, night_steps.BOROUGHS)
            night_steps.publish(NIGHTS[-1], summary)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return published_city_metrics(data_dir)


def published_city_metrics(data_dir: Path) -> tuple[list[str], list[tuple]]:
    """(column names, city_metrics rows in a fixed order) of the run's published warehouse."""
    with duckdb.connect(str(data_dir / "published" / "city.duckdb"), read_only=True) as con:
        cursor = con.execute(COLUMNS_SQL)
        return [c[0] for c in cursor.description], cursor.fetchall()


def shared_reference() -> Path:
    """The data directory of the reference run, run once per test run whichever module asks
    first (test_reference_run.py, test_backfill.py: tests/shared_build.py)."""
    from shared_build import built_once

    return built_once("reference-run", lambda folder: run_reference(folder / "data")) / "data"


def as_text(value) -> str:
    """One cell as the recorded CSV holds it (floats at full precision)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    columns, rows = run_reference(Path(tempfile.mkdtemp(prefix="reference-run-")) / "data")
    with RECORDED.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([as_text(v) for v in row] for row in rows)
    print(f"{len(rows)} city_metrics rows -> {RECORDED}")
