"""Suites: the mechanical checks come from the dataset's spec, the files add only judgement."""

from __future__ import annotations

import json

import pytest
from config_files import copy_config, edit_yaml

from ingest.catalogue import load_catalogue
from pipeline.suite import derived_expectations, suite_path, suite_spec
from pipeline.validate import batch_frame, suite_parameters, validate_frame

CATALOGUE = load_catalogue()
KNOWN_PARAMETERS = {"data_days", "borough_spellings", "row_count_min", "row_count_max"}


def _parameters(value) -> set[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return {value["$PARAMETER"]}
        return set().union(*(_parameters(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_parameters(v) for v in value)) if value else set()
    return set()


def _key(expectation: dict) -> str:
    return json.dumps([expectation["type"], expectation["kwargs"]], sort_keys=True)


@pytest.mark.parametrize("dataset_id", sorted(CATALOGUE.datasets))
def test_every_expectation_has_a_known_severity_and_a_reason(dataset_id):
    """Each expectation, derived or written, says critical or warning, and why it exists."""
    spec = suite_spec(CATALOGUE.dataset(dataset_id))
    assert spec["name"] == dataset_id
    for expectation in spec["expectations"]:
        assert expectation["severity"] in ("critical", "warning"), expectation
        assert expectation["meta"]["why"]
        assert _parameters(expectation["kwargs"]) <= KNOWN_PARAMETERS


@pytest.mark.parametrize("dataset_id", sorted(CATALOGUE.datasets))
def test_every_suite_checks_key_dates_borough_and_history(dataset_id):
    """Key unique, dates within the data day, the feed's borough, and row counts against history."""
    dataset = CATALOGUE.dataset(dataset_id)
    by_type: dict[str, list[dict]] = {}
    for expectation in suite_spec(dataset)["expectations"]:
        by_type.setdefault(expectation["type"], []).append(expectation)
    assert any(
        e["kwargs"]["column"] == dataset.key and e["severity"] == "critical"
        for e in by_type["expect_column_values_to_be_unique"]
    )
    in_set = {e["kwargs"]["column"]: e for e in by_type["expect_column_values_to_be_in_set"]}
    assert in_set[dataset.date_field]["kwargs"]["value_set"] == {"$PARAMETER": "data_days"}
    assert in_set["_borough_normalised"]["severity"] == "critical"
    history = [
        e
        for e in by_type["expect_table_row_count_to_be_between"]
        if _parameters(e["kwargs"]) == {"row_count_min", "row_count_max"}
    ]
    assert len(history) == 1 and history[0]["severity"] == "warning"
    for field in dataset.fields:
        if field.values:
            assert in_set[field.name]["kwargs"]["value_set"] == list(field.values)
        if field.min is not None:
            between = [
                e
                for e in by_type["expect_column_values_to_be_between"]
                if e["kwargs"]["column"] == field.name
            ]
            assert [(e["kwargs"]["min_value"], e["kwargs"]["max_value"]) for e in between] == [
                (field.min, field.max)
            ]
    required = {
        e["kwargs"]["column"]
        for e in by_type["expect_column_values_to_not_be_null"]
        if "row_condition" not in e["kwargs"]
    }
    assert required == {f.name for f in dataset.fields if f.required}


@pytest.mark.parametrize("dataset_id", sorted(CATALOGUE.datasets))
def test_a_suite_file_repeats_nothing_the_spec_says(dataset_id):
    """The file holds only judgement: no check the spec derives is written twice."""
    written = json.loads(suite_path(dataset_id).read_text(encoding="utf-8"))
    derived = {_key(e) for e in derived_expectations(CATALOGUE.dataset(dataset_id))}
    repeated = [e for e in written["expectations"] if _key(e) in derived]
    assert repeated == [], f"{suite_path(dataset_id).name} repeats the spec: {repeated}"
    with_values = {f.name for f in CATALOGUE.dataset(dataset_id).fields if f.values}
    sets = [
        e["kwargs"]["column"]
        for e in written["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set"
    ]
    assert not with_values & set(sets), "allowed values belong in config/datasets.yml only"


NEW_DATASET = {
    "domain": "services",
    "title": "Street trees planted, one row per tree",
    "owner": "services-data@cityregion.example",
    "licence": "OGL-UK-3.0",
    "resource": "street-trees",
    "date_field": "planted_date",
    "key": "tree_ref",
    "fields": {
        "tree_ref": {"type": "string", "required": True},
        "planted_date": {"type": "date", "required": True},
        "borough": {"type": "string", "required": True},
        "species": {"type": "string", "required": True, "values": ["Oak", "Plane", "Lime"]},
        "girth_cm": {"type": "integer", "required": False, "min": 1, "max": 900},
    },
}


@pytest.fixture(scope="module")
def street_trees(tmp_path_factory):
    """A catalogue with one more dataset, declared in datasets.yml only: no suite file."""
    config = copy_config(tmp_path_factory.mktemp("trees") / "config")
    edit_yaml(
        config / "datasets.yml", lambda d: d["datasets"].__setitem__("street_trees", NEW_DATASET)
    )
    catalogue = load_catalogue(config)
    assert not suite_path("street_trees").exists()
    return catalogue


def _verdict(catalogue, records):
    dataset = catalogue.dataset("street_trees")
    frame = batch_frame(records, dataset, catalogue.settings)
    parameters = suite_parameters(
        "2026-11-10", catalogue.area("camden"), catalogue.settings, (None, None)
    )
    return validate_frame(frame, dataset, parameters)


def _tree(ref, **change):
    return {
        "tree_ref": ref,
        "planted_date": "2026-11-10",
        "borough": "Camden",
        "species": "Oak",
        "girth_cm": "40",
    } | change


def test_a_dataset_without_a_suite_file_validates_with_the_checks_its_spec_implies(street_trees):
    """A new dataset needs no suite file: a good batch passes, each spec rule is enforced."""
    good = _verdict(street_trees, [_tree("t1"), _tree("t2", girth_cm=None)])
    assert good.success, good.failures
    bad = _verdict(
        street_trees,
        [
            _tree("t1", species="Birch"),
            _tree("t1", girth_cm="2000"),
            _tree("t3", planted_date="2026-11-09"),
            _tree("t4", borough="Barnet", species=None),
            _tree("t5", girth_cm="tall"),
        ],
    )
    assert not bad.success
    failed = "\n".join(bad.failures)
    for expected in (
        "to_be_in_set on species: 1 of 5",
        "to_be_unique on tree_ref",
        "to_be_between on girth_cm",
        "to_be_in_set on planted_date",
        "to_be_in_set on _borough_normalised",
        "not_be_null on species",
        "to_be_null on _type_errors",
    ):
        assert expected in failed, failed
    dropped = _verdict(street_trees, [{k: v for k, v in _tree("t1").items() if k != "species"}])
    assert "schema drift: missing column(s) ['species']" in dropped.failures
