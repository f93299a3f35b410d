"""dbt's committed files say what config/datasets.yml says (no dbt run: the files are read).

The dbt sources, staging models, their column tests and the borough-feed macro are kept
in the repository so that `dbt build` run by hand needs nothing generated first; these
tests fail, naming the dataset and column, when one drifts from the dataset's spec.
"""

from __future__ import annotations

import re

import pytest
import yaml

from ingest.catalogue import load_catalogue
from ingest.paths import REPO_ROOT

CATALOGUE = load_catalogue()
DATASETS = sorted(CATALOGUE.datasets)
STAGING = REPO_ROOT / "dbt_project" / "models" / "staging"
MACRO = REPO_ROOT / "dbt_project" / "macros" / "borough_feed_datasets.sql"
READERS = {  # the staging macro that reads each declared type from its published text
    "date": "parse_day",
    "integer": "parse_integer",
    "number": "parse_decimal",
}


def _folder(dataset) -> str:
    return "london_datastore" if dataset.source else "borough_feeds"


def _yaml_files(kind: str) -> dict[str, dict]:
    """{table or model name: its entry} over every staging `_src_*.yml` / `_stg_*.yml`."""
    entries = {}
    for path in STAGING.glob(f"*/_{kind}_*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if kind == "src":
            for source in data.get("sources", []):
                for table in source.get("tables", []):
                    entries[f"{source['name']}.{table['name']}"] = table
        else:
            entries |= {model["name"]: model for model in data.get("models", [])}
    return entries


SOURCES = _yaml_files("src")
MODELS = _yaml_files("stg")


def _code(value: str) -> str:
    """What the to_code macro makes of a published value (macros/to_code.sql)."""
    return re.sub("[^a-z0-9]+", "_", value.lower()).strip("_")


def _staging_sql(dataset) -> tuple[str, str]:
    name = f"stg_{_folder(dataset)}__{dataset.id}"
    path = STAGING / _folder(dataset) / f"{name}.sql"
    assert path.exists(), f"{dataset.id}: no staging model {path.relative_to(REPO_ROOT)}"
    return name, path.read_text(encoding="utf-8")


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_the_source_table_lists_the_published_columns(dataset_id):
    """The dbt source table has exactly the spec's columns (plus the loader's `_` ones), and a
    column whose description lists its values lists the spec's."""
    dataset = CATALOGUE.dataset(dataset_id)
    table = SOURCES.get(f"{_folder(dataset)}.{dataset_id}")
    assert table, f"{dataset_id}: no table in source {_folder(dataset)}"
    columns = {c["name"]: c for c in table["columns"] if not c["name"].startswith("_")}
    assert list(columns) == list(dataset.column_names), (
        f"{dataset_id}: source columns {list(columns)} != spec fields {list(dataset.column_names)}"
    )
    for field in dataset.fields:
        described = " ".join(str(columns[field.name].get("description", "")).split())
        if field.values and " | " in described:
            listed = [v.strip() for v in described.split(" | ")]
            listed[-1] = re.split(r" \(|;|\. ", listed[-1])[0].rstrip(".")  # the rest is prose
            assert listed == list(field.values), (
                f"{dataset_id}.{field.name}: source description lists {listed}, "
                f"spec values {list(field.values)}"
            )


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_staging_reads_each_column_as_its_declared_type(dataset_id):
    """A date, integer or number column read in staging is read by its type's parser, and a
    column with allowed values becomes a code."""
    dataset = CATALOGUE.dataset(dataset_id)
    _, sql = _staging_sql(dataset)
    calls: dict[str, set[str]] = {}
    for macro, column in re.findall(r"\{\{\s*(\w+)\(\s*'(\w+)'", sql):
        calls.setdefault(column, set()).add(macro)
    for field in dataset.fields:
        readers = calls.get(field.name, set()) & {*READERS.values(), "to_code", "clean_text"}
        expected = READERS.get(field.type)
        if expected and readers:
            assert readers == {expected}, (
                f"{dataset_id}.{field.name}: declared {field.type}, staging reads it with "
                f"{sorted(readers)}, not {expected}"
            )
        if field.values:
            assert "to_code" in readers, (
                f"{dataset_id}.{field.name}: has values, not read as a code"
            )


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_staging_accepts_exactly_the_spec_values(dataset_id):
    """Each code column's accepted_values are the spec's values as codes; a code used only
    inside the model must handle each of them."""
    dataset = CATALOGUE.dataset(dataset_id)
    name, sql = _staging_sql(dataset)
    columns = {c["name"]: c for c in MODELS.get(name, {}).get("columns", [])}
    for field in (f for f in dataset.fields if f.values):
        codes = [_code(v) for v in field.values]
        found = re.search(rf"to_code\('{field.name}'\)\s*\}}\}}\s+as\s+(\w+)", sql)
        assert found, f"{dataset_id}.{field.name}: staging gives its code no name"
        column = found.group(1)
        if column in columns:
            tests = columns[column].get("data_tests") or []
            accepted = [t["accepted_values"] for t in tests if "accepted_values" in t]
            assert accepted, f"{dataset_id}.{column}: no accepted_values test in {name}'s YAML"
            values = accepted[0].get("arguments", accepted[0])["values"]
            assert values == codes, (
                f"{dataset_id}.{column}: accepted_values {values} != spec values as codes {codes}"
            )
        else:
            unhandled = [c for c in codes if f"'{c}'" not in sql]
            assert not unhandled, f"{dataset_id}.{column}: {name} does not handle {unhandled}"


def test_the_borough_feed_macro_lists_every_borough_dataset_with_its_key():
    """borough_feed_record_refs(): every dataset without a region-wide source, by its key."""
    text = MACRO.read_text(encoding="utf-8")
    body = text[text.index("macro borough_feed_record_refs") :]
    listed = dict(re.findall(r"'(\w+)':\s*'(\w+)'", body))
    expected = {d.id: d.key for d in CATALOGUE.datasets.values() if d.source is None}
    missing = sorted(set(expected) - set(listed))
    extra = sorted(set(listed) - set(expected))
    assert not missing and not extra, f"{MACRO.name}: missing {missing}, not borough feeds {extra}"
    wrong = {d: (listed[d], k) for d, k in expected.items() if listed[d] != k}
    assert not wrong, f"{MACRO.name}: record ref is not the spec's key: {wrong}"


def test_a_drifted_accepted_value_is_named(monkeypatch):
    """The check itself: an accepted value missing from the YAML fails, naming the column."""
    name = "stg_borough_feeds__road_casualties"
    model = yaml.safe_load(yaml.safe_dump(MODELS[name]))
    for column in model["columns"]:
        if column["name"] == "severity_code":
            column["data_tests"][0]["accepted_values"]["arguments"]["values"].remove("fatal")
    monkeypatch.setitem(MODELS, name, model)
    with pytest.raises(AssertionError, match=r"road_casualties\.severity_code: accepted_values"):
        test_staging_accepts_exactly_the_spec_values("road_casualties")
