"""dbt's committed files say what config/datasets.yml says (no dbt run: the files are read).

The dbt sources, staging models, their column tests and the borough-feed macro are kept
in the repository so that `dbt build` run by hand needs nothing generated first; these
tests fail, naming the dataset and column, when one drifts from the dataset's spec. The
same rules hold for the files written from the spec of a dataset declared in config alone
(pipeline/dataset_files.py), checked on the project copy the pipeline would build.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from new_dataset import with_noise_complaints

from ingest.catalogue import load_catalogue
from ingest.paths import REPO_ROOT
from pipeline.dataset_files import READERS, as_code
from pipeline.metric_files import DBT, dbt_project_for

CATALOGUE = load_catalogue()
DATASETS = sorted(CATALOGUE.datasets)
STAGING = REPO_ROOT / "dbt_project" / "models" / "staging"
MACRO = REPO_ROOT / "dbt_project" / "macros" / "borough_feed_datasets.sql"


def _folder(dataset) -> str:
    return "london_datastore" if dataset.source else "borough_feeds"


def _yaml_files(kind: str, staging: Path = STAGING) -> dict[str, dict]:
    """{table or model name: its entry} over every staging `_src_*.yml` / `_stg_*.yml`."""
    entries = {}
    for path in staging.glob(f"*/_{kind}_*.yml"):
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


def _staging_sql(dataset, staging: Path = STAGING) -> tuple[str, str]:
    name = f"stg_{_folder(dataset)}__{dataset.id}"
    path = staging / _folder(dataset) / f"{name}.sql"
    assert path.exists(), f"{dataset.id}: no staging model {path}"
    return name, path.read_text(encoding="utf-8")


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_the_source_table_lists_the_published_columns(dataset_id):
    """The dbt source table has exactly the spec's columns (plus the loader's `_` ones), and a
    column whose description lists its values lists the spec's."""
    _check_source_table(CATALOGUE.dataset(dataset_id), SOURCES)


def _check_source_table(dataset, sources: dict[str, dict]) -> None:
    dataset_id = dataset.id
    table = sources.get(f"{_folder(dataset)}.{dataset_id}")
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
    _check_staging_readers(dataset, _staging_sql(dataset)[1])


def _check_staging_readers(dataset, sql: str) -> None:
    dataset_id = dataset.id
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
    _check_accepted_values(dataset, *_staging_sql(dataset), MODELS)


def _check_accepted_values(dataset, name: str, sql: str, models: dict[str, dict]) -> None:
    dataset_id = dataset.id
    columns = {c["name"]: c for c in models.get(name, {}).get("columns", [])}
    for field in (f for f in dataset.fields if f.values):
        codes = [as_code(v) for v in field.values]
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
    _check_macro(CATALOGUE, MACRO)


def _check_macro(catalogue, macro: Path) -> None:
    text = macro.read_text(encoding="utf-8")
    body = text[text.index("macro borough_feed_record_refs") :]
    listed = dict(re.findall(r"'(\w+)':\s*'(\w+)'", body))
    expected = {d.id: d.key for d in catalogue.datasets.values() if d.source is None}
    missing = sorted(set(expected) - set(listed))
    extra = sorted(set(listed) - set(expected))
    assert not missing and not extra, f"{macro.name}: missing {missing}, not borough feeds {extra}"
    wrong = {d: (listed[d], k) for d, k in expected.items() if listed[d] != k}
    assert not wrong, f"{macro.name}: record ref is not the spec's key: {wrong}"


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


def test_a_dataset_declared_in_config_alone_gets_dbt_files_that_keep_these_rules(
    config_copy, tmp_path
):
    """noise_complaints has a spec and no hand-written dbt files: the project copy the pipeline
    builds has its source table, staging model, column tests and macro entry, passing each
    rule above; the hand-written models are copied as they are and dbt_project/ is untouched."""
    catalogue = load_catalogue(with_noise_complaints(config_copy))
    project = dbt_project_for(catalogue, tmp_path)
    assert project == tmp_path / "dbt_project"
    staging, dataset = project / "models" / "staging", catalogue.dataset("noise_complaints")
    _check_source_table(dataset, _yaml_files("src", staging))
    name, sql = _staging_sql(dataset, staging)
    _check_staging_readers(dataset, sql)
    _check_accepted_values(dataset, name, sql, _yaml_files("stg", staging))
    assert "noise_source_code" in {
        c["name"] for c in _yaml_files("stg", staging)[name]["columns"]
    }  # its accepted_values test was checked, not skipped
    _check_macro(catalogue, project / "macros" / "borough_feed_datasets.sql")
    assert "{{ feed_record_columns() }}" in sql
    hand_written = "borough_feeds/stg_borough_feeds__road_casualties.sql"
    assert (staging / hand_written).read_text("utf-8") == (STAGING / hand_written).read_text(
        "utf-8"
    )
    assert not (STAGING / "borough_feeds" / f"{name}.sql").exists()
    assert _yaml_files("src") == SOURCES and "noise_complaints" not in MACRO.read_text("utf-8")
    assert dbt_project_for(load_catalogue(REPO_ROOT / "config"), tmp_path / "again") == DBT
