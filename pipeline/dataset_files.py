"""The dbt files a borough-feed dataset declared only in config needs, written from its spec.

The nine datasets of config/datasets.yml have hand-written, committed dbt sources and
staging models (tests/test_dbt_spec_drift.py keeps them to the spec); a hand-written
model always wins. A dataset a CITY_CONFIG_DIR adds without one gets, in the copy of the
project the pipeline builds (pipeline.metric_files.dbt_project_for; the repository's
dbt_project/ is never edited), from its spec alone:
  its table in source `borough_feeds` (raw.<id>, as the loader creates it);
  models/staging/borough_feeds/stg_borough_feeds__<id>.sql, reading each column by its
    declared type with the project's readers (READERS; a column with allowed values as a
    code), the feed's standard columns by macro `feed_record_columns`, the latest copy of
    each record kept, incremental like the hand-written ones;
  its YAML (_stg_borough_feeds__from_spec.yml): the record id unique, the borough
    resolved, required columns not null, codes within the spec's values;
  macros/borough_feed_datasets.sql listing it with its key, so the record-level tests
    (every loaded row has a partition, partition row counts) and coverage include it.
The drift rules of tests/test_dbt_spec_drift.py hold for these files by construction
(that test checks them too).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.catalogue import Catalogue
from ingest.catalogue_records import Dataset, Field
from ingest.paths import REPO_ROOT

__all__ = [
    "READERS",
    "STAGING_DIR",
    "as_code",
    "dataset_files",
    "staging_model",
    "unstaged_datasets",
]

DBT = REPO_ROOT / "dbt_project"
STAGING_DIR = "models/staging/borough_feeds"
SOURCES_FILE = f"{STAGING_DIR}/_src_borough_feeds.yml"
MODELS_FILE = f"{STAGING_DIR}/_stg_borough_feeds__from_spec.yml"
MACRO_FILE = "macros/borough_feed_datasets.sql"
READERS = {  # the staging macro that reads each declared type from its published text
    "date": "parse_day",
    "integer": "parse_integer",
    "number": "parse_decimal",
}
_HEADER = (
    "-- Written from the spec of dataset `{id}`\n"
    "-- by pipeline/dataset_files.py into a copy of the project: the dataset\n"
    "-- has no hand-written staging model.\n"
)
_YAML_HEADER = "# Written from config by pipeline/dataset_files.py: see its docstring.\n"
_BOROUGHS = {"to": "ref('stg_borough_feeds__areas')", "field": "area_code"}
_LOADER_COLUMNS = [
    ("_borough_code", "GSS code of the borough whose feed delivered the row (set by the loader)."),
    ("_data_day", "Data day the batch was fetched for (DATE)."),
    ("_batch_id", "Loader batch that landed the row."),
    ("_loaded_at", "When the loader wrote the partition (TIMESTAMP)."),
]


def as_code(value: str) -> str:
    """What the to_code macro makes of a published value (macros/to_code.sql)."""
    return re.sub("[^a-z0-9]+", "_", value.lower()).strip("_")


def staging_model(dataset: Dataset) -> str:
    """The name of a borough-feed dataset's staging model."""
    return f"stg_borough_feeds__{dataset.id}"


def unstaged_datasets(catalogue: Catalogue, project: Path = DBT) -> list[Dataset]:
    """The catalogue's borough-feed datasets (no region-wide `source`) with no staging model
    in `project`: those whose dbt files are written from their spec."""
    return [
        d
        for d in catalogue.datasets.values()
        if d.source is None and not (project / STAGING_DIR / f"{staging_model(d)}.sql").exists()
    ]


def dataset_files(catalogue: Catalogue, project: Path = DBT) -> dict[str, str]:
    """{path under the project: text} for the unstaged datasets (empty when there are none):
    their staging models and YAML, the source file with their tables added, the macro."""
    datasets = unstaged_datasets(catalogue, project)
    if not datasets:
        return {}
    files = {f"{STAGING_DIR}/{staging_model(d)}.sql": _staging_sql(d) for d in datasets}
    files[MODELS_FILE] = _models_yml(datasets)
    files[SOURCES_FILE] = _sources_yml((project / SOURCES_FILE).read_text("utf-8"), datasets)
    files[MACRO_FILE] = _macro(catalogue)
    return files


def _column(field: Field) -> tuple[str, str]:
    """(staging expression, column name) of a published field."""
    if field.values:
        return f"{{{{ to_code('{field.name}') }}}}", f"{field.name}_code"
    reader = READERS.get(field.type, "clean_text")
    return f"{{{{ {reader}('{field.name}') }}}}", field.name


def _fields(dataset: Dataset) -> list[Field]:
    """The published fields staging reads itself (`borough` is a standard feed column)."""
    return [f for f in dataset.fields if f.name != "borough"]


def _staging_sql(dataset: Dataset) -> str:
    key, period = dataset.key, "quarter" if dataset.cadence == "quarterly" else "month"
    read = ",\n".join(_aliased(*_column(f)) for f in _fields(dataset))
    names = [_column(f)[1] for f in _fields(dataset) if f.name != key]
    return (
        _HEADER.format(id=dataset.id)
        + "{{ config(\n    materialized='incremental',\n"
        + "    incremental_strategy='replace_records',\n"
        + f"    unique_key=['area_code', '{key}'],\n) }}}}\n"
        + f"{{%- set dataset, ref_column = '{dataset.id}', '{key}' %}}\n"
        + "-- depends_on: {{ ref('stg_borough_feeds__record_copies') }}\n\n"
        + "with\n\nsource as (\n\n    select landed.*\n"
        + f"    from {{{{ source('borough_feeds', '{dataset.id}') }}}} as landed\n"
        + "    {{ only_partitions_to_reread(dataset, ref_column, 'landed') }}\n\n),\n\n"
        + "aliases as (\n\n"
        + "    select * from {{ ref('stg_borough_feeds__area_aliases') }}\n\n),\n\n"
        + "renamed as (\n\n    select\n        {{ feed_record_columns() }}\n\n"
        + f"{read}\n\n    from source\n\n),\n\n"
        + "resolved as (\n\n"
        + f"    {{{{ latest_with_reported_area('renamed', 'aliases', '{key}') }}}}\n\n),\n\n"
        + "final as (\n\n    select\n"
        + f"        area_code || '/' || {key} as record_id,\n        {key},\n"
        + "        area_code,\n        reported_area_code,\n        reported_borough,\n"
        + "".join(f"        {name},\n" for name in names)
        + "        data_day,\n"
        + f"        cast(date_trunc('{period}', data_day) as date) as period_start,\n"
        + "        batch_id,\n        loaded_at\n    from resolved\n\n)\n\n"
        + "select final.* from final\n"
        + "{{ only_records_to_rebuild(dataset, ref_column, 'final') }}\n"
        + "{{ rebuilt_record_markers(dataset, ref_column) }}\n"
    )


def _aliased(expression: str, name: str) -> str:
    """`expression as name` in the select list, the alias on its own line past 80 columns."""
    line = f"        {expression} as {name}"
    return line if len(line) <= 80 else f"        {expression}\n            as {name}"


def _models_yml(datasets: list[Dataset]) -> str:
    models = []
    for dataset in datasets:
        columns = [
            _described("record_id", f"area_code/{dataset.key}: the row's key.", True, ["unique"]),
            _described(dataset.key, "The borough's identifier of the record.", True),
            _described(
                "area_code",
                "GSS code of the borough whose feed delivered the row.",
                True,
                [{"relationships": {"arguments": _BOROUGHS}}],
            ),
            _described(
                "reported_area_code",
                "GSS code the row's `borough` text resolves to; must equal area_code.",
                True,
                [{"equals_column": {"arguments": {"other_column": "area_code"}}}],
            ),
        ]
        for field in _fields(dataset):
            if field.name == dataset.key:
                continue
            name = _column(field)[1]
            tests = []
            if field.values:
                codes = [as_code(v) for v in field.values]
                tests.append({"accepted_values": {"arguments": {"values": codes}}})
                text = " | ".join(codes) + "."
            else:
                text = f"{field.name} ({field.type})."
            columns.append(_described(name, text, field.required, tests))
        columns.append(_described("period_start", "First day of the data day's period.", True))
        models.append(
            {
                "name": staging_model(dataset),
                "description": (
                    f"{dataset.title}: one row per borough and {dataset.key} (the latest loaded "
                    "copy kept), written from the dataset's spec."
                ),
                "data_tests": ["columns_not_null"],
                "columns": columns,
            }
        )
    return _YAML_HEADER + yaml.safe_dump(
        {"version": 2, "models": models}, sort_keys=False, width=88
    )


def _described(name: str, description: str, not_null: bool, tests: list | None = None) -> dict:
    column: dict = {"name": name, "description": description}
    if not_null:
        column["constraints"] = [{"type": "not_null"}]
    if tests:
        column["data_tests"] = tests
    return column


def _sources_yml(committed: str, datasets: list[Dataset]) -> str:
    """The committed source file with a table per dataset added to source borough_feeds."""
    data = yaml.safe_load(committed)
    [source] = [s for s in data["sources"] if s["name"] == "borough_feeds"]
    for dataset in datasets:
        columns = [
            {
                "name": f.name,
                "description": " | ".join(f.values) + "."
                if f.values
                else f"{f.name} as published ({f.type}).",
            }
            for f in dataset.fields
        ]
        columns += [{"name": n, "description": d} for n, d in _LOADER_COLUMNS]
        source["tables"].append(
            {
                "name": dataset.id,
                "description": f"{dataset.title} (config/datasets.yml `{dataset.id}`, "
                f"key {dataset.key}).",
                "columns": columns,
            }
        )
    return _YAML_HEADER + yaml.safe_dump(data, sort_keys=False, width=88)


def _macro(catalogue: Catalogue) -> str:
    refs = {d.id: d.key for d in catalogue.datasets.values() if d.source is None}
    entries = "".join(f"        '{d}': '{k}',\n" for d, k in refs.items())
    return (
        "{#- Written from config by pipeline/dataset_files.py (a dataset declared in config\n"
        "    alone): the borough feed datasets and their record keys. -#}\n"
        "{% macro borough_feed_datasets() -%}\n"
        "    {{ return(borough_feed_record_refs().keys() | list) }}\n"
        "{%- endmacro %}\n\n"
        "{% macro borough_feed_record_refs() -%}\n"
        f"    {{{{ return({{\n{entries}    }}) }}}}\n"
        "{%- endmacro %}\n"
    )
