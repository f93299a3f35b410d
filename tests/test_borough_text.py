"""Validation and dbt staging read borough text the same way.

One table of cases, dbt_project/tests/fixtures/borough_text_cases.csv: each row is a text
a borough might publish, the reader (a dbt macro, and the TextReader method of the same
name that validation uses) and the reading both must give (an empty cell: no reading).
Here the Python side runs over every row; `test_dbt_reads_every_case_alike` runs the
dbt unit tests over the same rows (and over periods_due_cases.csv, whose Python side is
tests/test_periods_due.py). The null markers and date layouts come from
config/pipeline.yml; dbt_project.yml must hold the same defaults for a hand-run build.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml

from ingest.catalogue import load_catalogue
from ingest.paths import REPO_ROOT, DataPaths
from pipeline.borough_text import TextReader
from pipeline.dbt_runner import DBT_PROJECT_DIR, dbt_command
from pipeline.validate import batch_frame

CASES = DBT_PROJECT_DIR / "tests" / "fixtures" / "borough_text_cases.csv"
READERS = ("clean_text", "normalise_name", "parse_day", "parse_integer", "parse_decimal")
UNIT_TESTS = ("borough_text_cases", "periods_due_cases")


def _cases() -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _as_text(reading: Any) -> str:
    """A reading as the case table writes it (as stg_reading_rules__borough_text_read does)."""
    if reading is None:
        return ""
    if isinstance(reading, date):
        return reading.isoformat()
    if isinstance(reading, Decimal):
        return re.sub(r"\.?0+$", "", format(reading, "f"))
    return str(reading)


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader.from_settings(load_catalogue().settings)


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c['reader']}:{c['text']!r}")
def test_python_reads_each_case_as_the_table_says(reader, case):
    """validate.py's reader gives each case its expected reading (an empty cell: none)."""
    assert case["reader"] in READERS, f"unknown reader {case['reader']!r} in {CASES.name}"
    text = case["text"] or None  # an empty cell is null, as dbt reads csv fixtures
    got = getattr(reader, case["reader"])(text)
    assert _as_text(got) == case["reading"], case["note"]


def test_the_cases_cover_every_reader_and_every_null_marker(reader):
    """A reader or a configured marker without a case would be a rule no test holds."""
    cases = _cases()
    assert {c["reader"] for c in cases} == set(READERS)
    nulled = {
        c["text"].strip().lower() for c in cases if c["reader"] == "clean_text" and not c["reading"]
    }
    assert set(reader.null_markers) <= nulled


def test_dbt_project_defaults_are_the_pipeline_config():
    """A hand-run `dbt build` (no --vars) reads text as the pipeline does, which passes raw_text."""
    pipeline = yaml.safe_load((REPO_ROOT / "config" / "pipeline.yml").read_text(encoding="utf-8"))[
        "raw_text"
    ]
    dbt = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    assert dbt["null_markers"] == pipeline["null_markers"]
    assert dbt["date_formats"] == pipeline["date_formats"]
    settings = load_catalogue().settings
    command, _ = dbt_command(load_catalogue(), DataPaths(REPO_ROOT / "data"), "build")
    passed = json.loads(command[command.index("--vars") + 1])
    assert passed == {
        "null_markers": list(settings.null_markers),
        "date_formats": list(settings.date_formats),
    }


def test_validation_lists_what_staging_could_not_read():
    """A value staging would read as null is a type error in validation, never a silent null or a crash."""
    catalogue = load_catalogue()
    dataset = catalogue.dataset("bus_performance")
    fields = {f.type: f.name for f in reversed(dataset.fields)}
    records = [
        {fields["integer"]: "1,234", fields["number"]: "5.25", fields["date"]: "05/03/2024"},
        {fields["integer"]: "1,5", fields["number"]: "NaN", fields["date"]: "05/03/24"},
        {fields["integer"]: "None", fields["number"]: " n/a ", fields["date"]: "-"},
    ]
    frame = batch_frame(records, dataset, catalogue.settings)
    assert frame[fields["integer"]].tolist()[0] == 1234
    assert frame[fields["number"]].tolist()[0] == 5.25
    assert frame[fields["date"]].tolist()[0] == "2024-03-05"
    errors = frame["_type_errors"].tolist()
    assert errors[0] is None and errors[2] is None  # null markers are nulls, not errors
    for name, raw in (
        (fields["integer"], "1,5"),
        (fields["number"], "NaN"),
        (fields["date"], "05/03/24"),
    ):
        assert f"{name}={raw!r}" in errors[1]


def test_dbt_reads_every_case_alike(tmp_path):
    """The dbt unit tests over both case tables pass, with the vars the pipeline passes.

    The case models need no raw tables: an empty warehouse will do (about 20 s, dbt's parse).
    """
    paths = DataPaths(tmp_path)
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    command, env = dbt_command(
        load_catalogue(), paths, "build", "--select", "path:models/staging/reading_rules"
    )
    built = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    results = json.loads((paths.dbt_target / "run_results.json").read_text(encoding="utf-8"))[
        "results"
    ]
    status = {
        r["unique_id"].rsplit(".", 1)[-1]: r["status"]
        for r in results
        if r["unique_id"].startswith("unit_test.")
    }
    assert {name: status.get(name) for name in UNIT_TESTS} == {
        name: "pass" for name in UNIT_TESTS
    }, built.stdout[-4000:]
    assert built.returncode == 0, built.stdout[-4000:]
