"""Not-null columns are declared once, as column constraints, and one test per model checks them.

dbt_project/tests/generic/columns_not_null.sql replaced 258 per-column `not_null` tests (one
dbt node each) with one scan per model. These check that the swap lost nothing: every model
with a declared not-null column carries the test, the test reads exactly those columns, and
on a null it fails naming the column.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from published_fixture import build_results, published_warehouse


@pytest.fixture(scope="module")
def paths():
    return published_warehouse()


def _manifest(paths) -> dict:
    return json.loads((paths.dbt_target / "manifest.json").read_text(encoding="utf-8"))


def _not_null_columns(manifest: dict) -> dict[str, set[str]]:
    """model or seed unique id -> its columns declared `constraints: [{type: not_null}]`."""
    declared: dict[str, set[str]] = {}
    for node_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed"):
            continue
        for column in node["columns"].values():
            if any(c["type"] == "not_null" for c in column.get("constraints", [])):
                declared.setdefault(node_id, set()).add(column["name"])
    return declared


def _columns_not_null_tests(manifest: dict) -> dict[str, str]:
    """model or seed unique id -> the unique id of its columns_not_null test."""
    return {
        node["attached_node"]: node_id
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "columns_not_null"
    }


def test_every_model_with_a_not_null_column_carries_the_test_and_only_those(paths):
    manifest = _manifest(paths)
    declared, tests = _not_null_columns(manifest), _columns_not_null_tests(manifest)
    assert len(declared) > 40  # staging, intermediate, marts and seeds all declare some
    assert set(tests) == set(declared)


def test_the_test_reads_exactly_the_declared_columns(paths):
    manifest = _manifest(paths)
    declared, tests = _not_null_columns(manifest), _columns_not_null_tests(manifest)
    compiled = {r["unique_id"]: r["compiled_code"] for r in build_results(paths)}
    for node_id, test_id in tests.items():
        checked = {
            line.split('"')[1]
            for line in compiled[test_id].splitlines()
            if "is null)" in line and '"' in line
        }
        assert checked == declared[node_id], node_id


def test_a_null_in_a_declared_column_fails_the_test_naming_the_column(paths, tmp_path):
    """One not-null column of a mart set to null: its model's test returns that column, and the
    same test on the untouched warehouse returns nothing (the fixture's build passed)."""
    results = {r["unique_id"]: r for r in build_results(paths)}
    manifest = _manifest(paths)
    tests = _columns_not_null_tests(manifest)
    model_id = "model.city_region.city_metrics"
    test = results[tests[model_id]]
    assert test["status"] == "pass"
    column = sorted(_not_null_columns(manifest)[model_id])[0]
    copy = tmp_path / "city.duckdb"
    shutil.copyfile(paths.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            f'update analytics.city_metrics set "{column}" = null '
            "where rowid in (select rowid from analytics.city_metrics limit 2)"
        )
        failing = con.execute(test["compiled_code"]).fetchall()
    assert failing == [(column, 2)]
