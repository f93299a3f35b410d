"""Each dataset's Table Schema and Data Package: valid Frictionless, and saying what the spec says."""

from __future__ import annotations

import csv
import json

import frictionless
import pytest

from ingest.catalogue import load_catalogue
from pipeline.data_standard import data_package, table_schema, write_data_standards

CATALOGUE = load_catalogue()
DATASETS = sorted(CATALOGUE.datasets)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    directory = tmp_path_factory.mktemp("open_data")
    return directory, write_data_standards(CATALOGUE, directory)


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_the_written_descriptors_are_valid_frictionless(written, dataset_id):
    """Both files exist beside the export and frictionless finds no error in either."""
    directory, paths = written
    schema = json.loads((directory / paths[dataset_id]["tableschema"]).read_text())
    package = json.loads((directory / paths[dataset_id]["datapackage"]).read_text())
    for report in (
        frictionless.Schema.validate_descriptor(schema),
        frictionless.Package.validate_descriptor(package),
    ):
        assert report.valid, report.flatten(["type", "note"])
    assert package["resources"][0]["schema"] == schema


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_the_descriptors_say_what_the_spec_says(dataset_id):
    """Columns, types, required, allowed values, ranges, key, licence, title and owner."""
    dataset = CATALOGUE.dataset(dataset_id)
    schema = frictionless.Schema.from_descriptor(table_schema(dataset))
    assert schema.primary_key == [dataset.key]
    assert [f.name for f in schema.fields] == list(dataset.column_names)
    for spec in dataset.fields:
        field = schema.get_field(spec.name)
        assert field.type == spec.type
        assert field.constraints.get("required", False) == spec.required
        assert field.constraints.get("enum") == (list(spec.values) if spec.values else None)
        assert field.constraints.get("minimum") == spec.min
        assert field.constraints.get("maximum") == spec.max
    package = data_package(dataset)
    assert package["title"] == dataset.title
    assert package["licenses"] == [{"name": dataset.licence}]
    assert package["contributors"][0]["email"] == dataset.owner


def test_a_borough_file_is_checked_against_the_standard(tmp_path):
    """A file that keeps the standard passes; a value outside the vocabulary, a value out of
    range and a repeated key are each reported by frictionless itself."""
    dataset = CATALOGUE.dataset("road_casualties")
    rows = [
        ["c1", "2026-11-10", "Camden", "Serious", "Pedestrian", "34"],
        ["c2", "2026-11-10", "Camden", "Slight", "Car occupant", ""],
    ]
    good = _resource(tmp_path / "good.csv", dataset, rows)
    assert good.valid, good.flatten(["type", "note"])
    bad = _resource(
        tmp_path / "bad.csv",
        dataset,
        [*rows, ["c3", "2026-11-10", "Camden", "Grazed", "Pedestrian", "200"], rows[0]],
    )
    found = {(e[0], e[1]) for e in bad.flatten(["rowNumber", "fieldName"]) if e[1]}
    assert {(4, "severity"), (4, "casualty_age")} <= found
    assert "primary-key" in {e[0] for e in bad.flatten(["type"])}


def _resource(path, dataset, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(dataset.column_names)
        writer.writerows(rows)
    schema = frictionless.Schema.from_descriptor(table_schema(dataset))
    resource = frictionless.Resource(path=path.name, basepath=str(path.parent), schema=schema)
    return resource.validate()
