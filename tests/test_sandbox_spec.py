"""The sandbox generates what the dataset's spec declares: its columns, only its allowed values."""

from __future__ import annotations

import datetime as dt

import pytest
from config_files import copy_config, edit_yaml

from ingest.catalogue import load_catalogue
from sandbox.generator import truth_records
from sandbox.volumes import Volumes

CATALOGUE = load_catalogue()
VOLUMES = Volumes.load(CATALOGUE)
DAYS = [dt.date(2026, 1, 1) + dt.timedelta(days=d) for d in range(0, 365, 13)] + [
    dt.date(2026, m, 1) for m in (1, 4, 7, 10)
]


def _records(catalogue, volumes, dataset_id, areas, days=DAYS):
    return [
        r
        for area in areas
        for day in days
        for r in truth_records(
            dataset_id, area, day, seed=7, scale=3.0, volumes=volumes, catalogue=catalogue
        )
    ]


@pytest.mark.parametrize("dataset_id", sorted(CATALOGUE.borough_datasets))
def test_generated_records_keep_the_spec(dataset_id):
    """Columns in the spec's order, allowed values only, numbers within bounds, required filled."""
    dataset = CATALOGUE.dataset(dataset_id)
    records = _records(CATALOGUE, VOLUMES, dataset_id, CATALOGUE.region.areas[::5])
    assert records, dataset_id
    for record in records:
        assert tuple(record) == dataset.column_names
    for field in dataset.fields:
        values = [r[field.name] for r in records]
        if field.required:
            assert None not in values, f"{dataset_id}.{field.name}"
        present = [v for v in values if v is not None]
        if field.values:
            assert set(present) <= set(field.values), f"{dataset_id}.{field.name}"
        if field.min is not None:
            assert min(present) >= field.min and max(present) <= field.max, field.name


@pytest.fixture(scope="module")
def changed_spec(tmp_path_factory):
    """road_casualties with one value added, one dropped, and one optional column more."""
    config = copy_config(tmp_path_factory.mktemp("spec") / "config")

    def change(data):
        fields = data["datasets"]["road_casualties"]["fields"]
        users = fields["road_user_type"]["values"]
        users.remove("Bus or coach occupant")
        users.append("E-scooter rider")
        fields["vehicle_count"] = {"type": "integer", "required": False, "min": 1, "max": 9}

    edit_yaml(config / "datasets.yml", change)
    catalogue = load_catalogue(config)
    return catalogue, Volumes.load(catalogue)


def test_the_generator_follows_a_changed_spec(changed_spec):
    """A value the spec adds is generated, one it drops is not, a column it adds is filled."""
    catalogue, volumes = changed_spec
    records = _records(catalogue, volumes, "road_casualties", catalogue.region.areas[:6])
    users = {r["road_user_type"] for r in records}
    assert "E-scooter rider" in users and "Bus or coach occupant" not in users
    counts = {r["vehicle_count"] for r in records} - {None}
    assert counts and counts <= set(range(1, 10))
    assert tuple(records[0]) == catalogue.dataset("road_casualties").column_names
