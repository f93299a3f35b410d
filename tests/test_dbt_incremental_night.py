"""An incremental night builds every table and runs every data test that can change verdict.

dbt_project/selectors.yml `incremental_night` leaves out the views and seeds (the last build,
of the same fingerprint, made them) and the tests that read seeds alone. This checks the
selection against the manifest: a new materialization or test kind must not drop out of the
night unnoticed. One `dbt ls` on the published fixture's parse (no build).
"""

from __future__ import annotations

import json
import shutil
import subprocess

from published_fixture import published_warehouse

from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from pipeline.dbt_runner import DBT_PROJECT_DIR, INCREMENTAL, dbt_command


def test_the_incremental_night_selects_tables_and_every_test_not_on_seeds_alone(tmp_path):
    fixture = published_warehouse()
    paths = DataPaths(tmp_path)  # a target of its own: the fixture's stays as other modules read it
    paths.dbt_target.mkdir(parents=True)
    for name in ("partial_parse.msgpack", "manifest.json"):
        shutil.copyfile(fixture.dbt_target / name, paths.dbt_target / name)
    manifest = json.loads((paths.dbt_target / "manifest.json").read_text(encoding="utf-8"))
    command, env = dbt_command(load_catalogue(), paths, "ls", *INCREMENTAL, "--output", "json")
    env["CITY_WAREHOUSE_PATH"] = str(fixture.warehouse)  # the same profile: partial parse holds
    listed = subprocess.run(
        command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=True
    )
    selected = {
        json.loads(line)["unique_id"] for line in listed.stdout.splitlines() if line[:1] == "{"
    }
    nodes = manifest["nodes"]

    def kind(node_id: str) -> str:
        node = nodes.get(node_id)
        return "source" if node is None else node["config"]["materialized"]

    expected = {
        node_id
        for node_id, node in nodes.items()
        if (node["resource_type"] == "model" and kind(node_id) in ("table", "incremental"))
        or (
            node["resource_type"] == "test"
            and {kind(p) for p in node["depends_on"]["nodes"]} != {"seed"}
        )
    }
    assert selected == expected
    assert sum(nodes[n]["resource_type"] == "test" for n in selected) > 200
