"""A night's dbt build is a full refresh exactly when the incremental models' code changed.

The incremental record models are exact only while the code that turns raw rows into
records is the code that built the rows already there (pipeline/dbt_incremental.py). No
dbt runs here: the dbt command is captured.
"""

from __future__ import annotations

import shutil
import subprocess

import duckdb
import pytest

from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from pipeline import dbt_runner
from pipeline.dbt_incremental import PROJECT_INPUTS, fingerprint
from pipeline.load import ensure_tables, write_areas


@pytest.fixture
def project(tmp_path):
    """A copy of the dbt project's inputs, to change."""
    copy = tmp_path / "dbt_project"
    for name in PROJECT_INPUTS:
        source = dbt_runner.DBT_PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        else:
            copy.mkdir(exist_ok=True)
            shutil.copyfile(source, copy / name)
    return copy


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "city.duckdb"
    catalogue = load_catalogue()
    with duckdb.connect(str(path)) as con:
        ensure_tables(con, catalogue)
        write_areas(con, catalogue)
    return path


def test_the_fingerprint_changes_with_the_models_the_settings_and_the_aliases(project, warehouse):
    variables = {"null_markers": ["", "n/a"], "date_formats": ["%Y-%m-%d"]}
    first = fingerprint(project, variables, warehouse)
    assert fingerprint(project, dict(variables), warehouse) == first

    macro = project / "macros" / "clean_text.sql"
    macro.write_text(macro.read_text() + "\n-- a change\n")
    changed_macro = fingerprint(project, variables, warehouse)
    assert changed_macro != first

    changed_vars = fingerprint(project, variables | {"null_markers": [""]}, warehouse)
    assert changed_vars not in (first, changed_macro)

    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into raw.area_aliases values ('E09000007', 'Camden Town Hall')")
    assert fingerprint(project, variables, warehouse) not in (first, changed_macro, changed_vars)


def test_a_build_is_a_full_refresh_first_and_after_a_change_else_incremental(tmp_path, monkeypatch):
    paths = DataPaths(tmp_path / "data")
    paths.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        ensure_tables(con, load_catalogue())
    commands = []

    def fake_dbt(command, **kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(dbt_runner.subprocess, "run", fake_dbt)
    catalogue = load_catalogue()

    assert dbt_runner.dbt_build(catalogue, paths)["full_refresh"]  # first build
    assert not dbt_runner.dbt_build(catalogue, paths)["full_refresh"]
    assert dbt_runner.dbt_build(catalogue, paths, full_refresh=True)["full_refresh"]  # asked
    monkeypatch.setattr(
        dbt_runner, "dbt_vars", lambda c: {"null_markers": ["??"], "date_formats": []}
    )
    assert dbt_runner.dbt_build(catalogue, paths)["full_refresh"]  # a setting changed
    assert not dbt_runner.dbt_build(catalogue, paths)["full_refresh"]
    assert ["--full-refresh" in c for c in commands] == [True, False, True, True, False]
