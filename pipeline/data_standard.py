"""Each dataset's spec as a Frictionless Table Schema and Data Package: the city's data standard.

A borough that publishes a dataset to this standard (columns, types, allowed values,
ranges, key) is read without any quirk handling. Both descriptors are derived from
config/datasets.yml and written beside the open-data export, under
`published/<open_data.directory>/standards/<dataset>/` (tableschema.json, datapackage.json),
each time the export runs. Table Schema and Data Package v1: https://specs.frictionlessdata.io/
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ingest.catalogue import Catalogue, Dataset

__all__ = ["STANDARDS_DIR", "data_package", "table_schema", "write_data_standards"]

STANDARDS_DIR = "standards"
"""The folder under the open-data directory that holds one folder per dataset."""

_TYPES = {"string": "string", "integer": "integer", "number": "number", "date": "date"}


def table_schema(dataset: Dataset) -> dict[str, Any]:
    """Fields with type and constraints (required, enum, minimum, maximum); the key as primaryKey."""
    fields = []
    for spec in dataset.fields:
        constraints: dict[str, Any] = {}
        if spec.required:
            constraints["required"] = True
        if spec.values:
            constraints["enum"] = list(spec.values)
        if spec.min is not None:
            constraints["minimum"] = spec.min
        if spec.max is not None:
            constraints["maximum"] = spec.max
        field: dict[str, Any] = {"name": spec.name, "type": _TYPES[spec.type]}
        if spec.type == "date":
            field["format"] = "default"  # ISO 8601, YYYY-MM-DD
        description = _description(dataset, spec.name)
        if description:
            field["description"] = description
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {"fields": fields, "primaryKey": [dataset.key], "missingValues": [""]}


def data_package(dataset: Dataset) -> dict[str, Any]:
    """A Data Package with one tabular resource: what a borough publishes for the dataset."""
    return {
        "profile": "tabular-data-package",
        "name": dataset.id.replace("_", "-"),
        "title": dataset.title,
        "description": f"{dataset.title}. Domain: {dataset.domain}; cadence: {dataset.cadence}; "
        + (
            "one file for the whole region."
            if dataset.source
            else f"one file per borough and {'day' if dataset.cadence == 'daily' else 'period'}."
        ),
        "licenses": [{"name": dataset.licence}],
        "contributors": [{"title": dataset.owner, "email": dataset.owner, "role": "publisher"}],
        "keywords": [dataset.domain, dataset.id],
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": dataset.id.replace("_", "-"),
                "path": f"{dataset.resource}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table_schema(dataset),
            }
        ],
    }


def write_data_standards(catalogue: Catalogue, directory: Path) -> dict[str, dict[str, str]]:
    """Both descriptors of every dataset under `directory`/standards; {dataset: {kind: path}}."""
    written = {}
    for dataset in catalogue.datasets.values():
        folder = directory / STANDARDS_DIR / dataset.id
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_json(folder / "tableschema.json", table_schema(dataset))
        _atomic_json(folder / "datapackage.json", data_package(dataset))
        written[dataset.id] = {
            kind: f"{STANDARDS_DIR}/{dataset.id}/{kind}.json"
            for kind in ("tableschema", "datapackage")
        }
    return written


def _description(dataset: Dataset, name: str) -> str | None:
    if dataset.measure and dataset.measure.field == name:
        return f"The series' value ({dataset.measure.unit}), summed over areas and periods."
    if name == dataset.date_field:
        if dataset.cadence == "daily":
            return "The day the record belongs to."
        return f"The first day of the {dataset.cadence.replace('_', ' ')} period."
    if name == dataset.key:
        return "Identifies the record; unique within one borough's file."
    if name == "borough":
        return "The borough (or area) the record belongs to."
    return None


def _atomic_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
