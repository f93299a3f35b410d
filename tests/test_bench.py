"""The benchmark cannot rot: its tiny mode runs every row, and its SQL baseline judges like GE.

`make bench` itself (minutes, dlt in bench/.venv) is not part of `make test`; this runs
`python -m bench --tiny` (every row at toy sizes; dlt rows are skipped when bench/.venv
is absent) and checks the JSON has every row with its figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.catalogue import load_catalogue
from ingest.landing import LandedBatch

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

ROOT = Path(__file__).resolve().parent.parent
ROWS = [
    "ingest_default_vs_bare",
    "ingest_default_vs_dlt",
    "ingest_large_vs_bare",
    "ingest_large_vs_dlt",
    "sandbox_serving",
    "load_vs_duckdb",
    "validation_ge_vs_sql",
    "night_first_vs_baseline",
    "memory_night_first",
    "night_later_vs_baseline",
    "memory_night_later",
    "cli_night_first_vs_issue",
    "cli_night_later_vs_issue",
    "memory_big_response",
    "dbt_night_3y_vs_1y",
    "backfill_year_vs_week",
    "memory_backfill_year",
]
TAKE_MINUTES = ("cli_night_", "dbt_night_3y", "backfill_year", "memory_backfill")


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench-results")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--results", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "ratio" in completed.stdout  # the table was printed
    files = sorted(out.glob("2*.json"))
    assert len(files) == 1 and (out / "latest.json").read_text() == files[0].read_text()
    return json.loads(files[0].read_text())


def test_tiny_bench_reports_every_row_with_median_runs_baseline_and_ratio(tiny_results):
    rows = {row["name"]: row for row in tiny_results["rows"]}
    assert sorted(rows) == sorted(ROWS)
    for name, row in rows.items():
        if row.get("skipped"):  # dlt only in bench/.venv; rows of minutes not in tiny mode
            assert (name.endswith("_vs_dlt") and "dlt not installed" in row["skipped"]) or (
                name.startswith(TAKE_MINUTES) and "tiny mode" in row["skipped"]
            ), name
            continue
        assert (
            row["runs"] >= 1 and len(row["samples"]) == len(row["baseline_samples"]) == row["runs"]
        ), name
        assert row["median"] > 0 and row["baseline_median"] > 0 and row["baseline"], name
        assert row["ratio"] == pytest.approx(row["median"] / row["baseline_median"], rel=0.01), name


def test_tiny_bench_records_the_machine_and_the_load(tiny_results):
    machine = tiny_results["machine"]
    assert machine["cores"] >= 1 and machine["memory_mb"] > 0 and machine["cpu_model"]
    assert len(tiny_results["load_average_start"]) == len(tiny_results["load_average_end"]) == 3


def test_ingest_rows_compare_the_same_rows(tiny_results):
    """Our ingest and each peer landed the same records: the comparison is like for like."""
    for row in tiny_results["rows"]:
        if row["name"].startswith("ingest_") and not row.get("skipped"):
            ours, theirs = row["rows_per_side"]
            assert ours == theirs > 0, row["name"]


def _batch(folder: Path, records: list[dict], borough_code: str = "E09000003") -> LandedBatch:
    folder.mkdir(parents=True)
    (folder / "records.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    return LandedBatch(
        dataset="road_casualties",
        borough_code=borough_code,
        borough_name="Barnet",
        data_day="2026-11-09",
        batch_id=folder.name,
        path=str(folder),
        row_count=len(records),
        protocol="ckan",
    )


def test_sql_checks_give_the_verdicts_great_expectations_gives(tmp_path):
    """The SQL baseline is only fair if it judges as GE does: a clean batch passes both,
    and each kind of bad batch fails both."""
    from bench.sql_checks import failing_batches
    from pipeline.validate import validate_batch

    good = dict(
        casualty_ref="R1",
        accident_date="09/11/2026",
        borough="LB Barnet",
        severity="Slight",
        road_user_type="Pedestrian",
        casualty_age="34",
    )
    batches = [
        _batch(tmp_path / "clean", [good, good | {"casualty_ref": "R2", "casualty_age": "n/a"}]),
        _batch(tmp_path / "bad-vocabulary", [good | {"severity": "Minor"}]),
        _batch(tmp_path / "wrong-day", [good | {"accident_date": "2026-11-08"}]),
        _batch(tmp_path / "duplicate-key", [good, good | {"severity": "Serious"}]),
        _batch(tmp_path / "other-borough", [good | {"borough": "Camden"}]),
        _batch(tmp_path / "bad-number", [good | {"casualty_age": "thirty"}]),
        _batch(
            tmp_path / "missing-column", [{k: v for k, v in good.items() if k != "road_user_type"}]
        ),
    ]
    catalogue = load_catalogue()
    dataset, area = catalogue.dataset("road_casualties"), catalogue.area("E09000003")
    by_ge = {
        b.batch_id
        for b in batches
        if not validate_batch(b, dataset, area, catalogue.settings).success
    }
    assert by_ge == {b.batch_id for b in batches} - {"clean"}
    assert failing_batches(catalogue, batches) == by_ge


def test_the_tree_watch_leaves_the_sandbox_out_and_reads_cpu_off_its_timeline():
    """A whole night's CPU comes from wait4; the watcher takes the bundled sandbox's share out of
    it and says how much of the rest fell between two instants (an Airflow task's start and end)."""
    import os
    import time

    from bench.cli_night import is_sandbox, stage_of
    from bench.tree_watch import TreeWatch

    spin = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"
    parent = spin + (
        "import subprocess, sys\n"
        f"subprocess.run([sys.executable, '-c', {spin!r}, 'excluded'])\n"
        "time.sleep(0.3)\n"
    )
    started = time.time()
    process = subprocess.Popen([sys.executable, "-c", parent])
    with TreeWatch(process.pid, lambda argv: "excluded" in argv, interval=0.05) as watch:
        _, _, usage = os.wait4(process.pid, 0)
    total = usage.ru_utime + usage.ru_stime
    assert 0.4 < watch.excluded_cpu_s <= total
    assert 0.4 < watch.cpu_at(time.time()) <= total - watch.excluded_cpu_s + 0.1
    assert watch.cpu_at(started - 1) == 0.0
    assert is_sandbox(["python", "-m", "sandbox", "--port", "1"])
    assert is_sandbox(["python", "-m", "ingest.sandbox", "--port", "1"])
    assert not is_sandbox(["python", "-m", "pipeline", "nightly"])
    assert [stage_of(t) for t in ("ingest_feed.127_0_0_1", "validate", "dbt_build", "report")] == [
        "ingest",
        "validate",
        "dbt",
        "plan_report",
    ]
