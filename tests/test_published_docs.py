"""The published warehouse documents itself and works under any file name; its docs site is offline."""

from __future__ import annotations

import json
import shutil
import time
from urllib.parse import urlparse

import duckdb
import pytest
from headless_chromium import chromium_available, open_page
from published_fixture import published_warehouse

from pipeline.publish import docs_site_path


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    return published_warehouse(tmp_path_factory.getbasetemp() / "published")


def _documented_nodes(paths) -> list[dict]:
    """Models and seeds with a relation (an ephemeral model, e.g. int_metric__<id>, has none:
    it is compiled into the models that read it)."""
    manifest = json.loads((paths.dbt_target / "manifest.json").read_text(encoding="utf-8"))
    return [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "seed") and n["config"]["materialized"] != "ephemeral"
    ]


def test_every_analytics_column_has_a_comment(paths):
    """Issue #12 saw count(comment) = 0 over the 201 columns of analytics."""
    with duckdb.connect(str(paths.published), read_only=True) as con:
        total, commented = con.execute(
            "select count(*), count(comment) from duckdb_columns() where schema_name = 'analytics'"
        ).fetchone()
    assert total > 0 and commented == total


def test_every_description_in_dbt_is_the_comment_in_duckdb(paths):
    """Each model's and seed's description, and each documented column's, as dbt has it."""
    with duckdb.connect(str(paths.published), read_only=True) as con:
        relations = {
            (s, n): c
            for s, n, c in con.execute(
                "select schema_name, table_name, comment from duckdb_tables() union all "
                "select schema_name, view_name, comment from duckdb_views() where not internal"
            ).fetchall()
        }
        columns = {
            (s, t, c): m
            for s, t, c, m in con.execute(
                "select schema_name, table_name, column_name, comment from duckdb_columns()"
            ).fetchall()
        }
    wrong = []
    nodes = _documented_nodes(paths)
    for node in nodes:
        key = (node["schema"], node["alias"])
        if node["description"] and relations.get(key) != node["description"]:
            wrong.append(f"{key}: {relations.get(key)!r}")
        for name, column in node["columns"].items():
            if (
                column.get("description")
                and (*key, name) in columns
                and columns[(*key, name)] != column["description"]
            ):
                wrong.append(f"{key}.{name}: {columns[(*key, name)]!r}")
    assert len(nodes) > 40 and not wrong, wrong[:10]


def test_a_copy_under_another_name_answers_every_relation(paths, tmp_path):
    """Views name schema.table, not city.schema.table: a renamed copy (issue #12's Binder Error) works."""
    copy = tmp_path / "analysts_copy_2024.duckdb"
    shutil.copyfile(paths.published, copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
            "union all select schema_name, view_name from duckdb_views() "
            "where database_name = current_database() and not internal"
        ).fetchall()
        failed = []
        for schema, name in relations:
            try:
                con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            except duckdb.Error as exc:
                failed.append(f"{schema}.{name}: {exc}")
    assert {s for s, _ in relations} >= {"staging", "intermediate", "analytics", "reference", "raw"}
    assert not failed, failed[:5]


def test_the_docs_site_is_one_file_beside_the_warehouse(paths):
    site = docs_site_path(paths)
    assert site.parent.parent == paths.published.parent
    text = site.read_text(encoding="utf-8")
    assert "city_metrics" in text and "model.city_region.city_metrics" in text


@pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium (make test-deps)")
def test_the_docs_site_opens_offline_and_shows_a_models_description(paths):
    """No request leaves the machine; the page finds city_metrics and shows its description."""
    with open_page(docs_site_path(paths), settle_s=2.0) as page:
        page.evaluate('location.hash = "#!/model/model.city_region.city_metrics"')
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "metric x area" not in (
            page.evaluate("document.body.innerText") or ""
        ):
            time.sleep(0.5)
        text = page.evaluate("document.body.innerText")
        outside = [u for u in page.requests if urlparse(u).scheme not in ("file", "data", "about")]
    assert "The city-wide picture" in text
    assert not outside, outside[:5]
