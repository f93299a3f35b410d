"""`python -m pipeline check-config`: every region checked, each error one line, exit status says which."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingest.paths import REPO_ROOT
from pipeline.check_config import main


def _typo(path: Path, old: str, new: str) -> int:
    """Edit the file as text; the 1-based line of the edit."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_the_shipped_config_passes_for_every_region(config_copy, capsys):
    """Both configured regions load: exit 0, one line each with their areas."""
    assert main([]) == 0
    out = capsys.readouterr().out
    assert (
        "region London (london): 33 areas" in out
        and "region Greater Manchester (greater-manchester): 10 areas" in out
    )


def test_a_typo_in_a_region_file_fails_with_one_line(config_copy, capsys):
    """An area code outside the register: exit 1, one line naming file, line, key path and the allowed codes."""
    _typo(config_copy / "regions" / "london.yml", "  - code: E09000033\n", "  - code: E09000034\n")
    assert main([]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"config error: {config_copy / 'regions' / 'london.yml'}:"
    )
    assert (
        "areas[32] (E09000034).code: 'E09000034' is not in the register of London's areas"
        in lines[0]
    )
    assert "allowed: E09000001-E09000033" in lines[0]
    assert "region Greater Manchester" in captured.out  # the other region is still checked


def test_a_broken_pipeline_file_is_reported_once(config_copy, capsys):
    """pipeline.yml is shared by every region: its error is printed once, not once per region."""
    line = _typo(config_copy / "pipeline.yml", "  retries: 5 ", "  retires: 5 ")
    assert main([]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert (
        len(lines) == 1
        and f"pipeline.yml:{line}: http.retires: unknown key (did you mean 'retries'?)" in lines[0]
    )


def test_one_region_can_be_checked_alone(config_copy, capsys):
    """--region limits the check: a broken London does not fail a Greater Manchester check."""
    _typo(config_copy / "regions" / "london.yml", "  - code: E09000033\n", "  - code: E09000034\n")
    assert main(["--region", "greater-manchester"]) == 0
    assert main(["--region", "london"]) == 1


def test_run_as_a_program_it_prints_no_traceback(config_copy):
    """As a command, a config error is the one line and exit status 1, no Python traceback."""
    line = _typo(
        config_copy / "datasets.yml", "casualty_age: {type: integer,", "casualty_age: {type: int,"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.check_config"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"config error: {config_copy / 'datasets.yml'}:{line}: datasets.road_casualties.fields.casualty_age.type: "
        f"unknown type 'int' (did you mean 'integer'?); allowed: ['string', 'date', 'integer', 'number']"
    ]
