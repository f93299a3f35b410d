"""One validation run per dataset gives each batch the verdict validating it alone gives.

Batches are landed from the sandbox with faults (a wrong type, a dropped column, values
out of range, a duplicated key, a pair out of order) and given row-count bounds that some
miss; each is then validated both ways: together (pipeline.validate_set, what the night
does) and alone (pipeline.validate.validate_batch, one Great Expectations run per batch,
as the night did before), and compared batch by batch, result by result.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sandbox_control import add_fault, clear_faults

import pipeline.validate
from ingest.landing import read_batch
from ingest.outcomes import Outcome, Status
from ingest.paths import DataPaths
from pipeline import plan, steps
from pipeline.history import NO_BOUNDS
from pipeline.validate import validate_batch
from pipeline.validate_set import BatchToValidate, validate_batches

DAY = "2026-11-10"
DATASETS = ["service_requests", "road_casualties", "temporary_accommodation"]
BOROUGHS = ["barnet", "camden", "ealing", "lambeth", "havering"]
FAULTS = [  # (borough, dataset, fault): what each should make the batch fail on
    (
        "barnet",
        "service_requests",
        {"kind": "wrong_type", "column": "requested_date", "value": "soon", "rows": 2},
    ),
    ("camden", "service_requests", {"kind": "drop_column", "column": "channel"}),
    (
        "ealing",
        "road_casualties",
        {"kind": "out_of_range", "column": "casualty_age", "value": 150, "rows": 3},
    ),
    (
        "lambeth",
        "road_casualties",
        {"kind": "out_of_range", "column": "casualty_ref", "value": "R-1", "rows": 2},
    ),
    (
        "barnet",
        "temporary_accommodation",
        {"kind": "out_of_range", "column": "households_with_children", "value": 20000, "rows": 1},
    ),
]
EXPECTED_FAILURE = {  # borough, dataset -> text in the batch's failures
    ("barnet", "service_requests"): "column_values_to_be_null on _type_errors",
    ("camden", "service_requests"): "schema drift: missing column(s) ['channel']",
    ("ealing", "road_casualties"): "column_values_to_be_between on casualty_age",
    ("lambeth", "road_casualties"): "column_values_to_be_unique on casualty_ref",
    ("barnet", "temporary_accommodation"): "column_pair_values_a_to_be_greater_than_b",
}
BOUNDS = [
    NO_BOUNDS,
    (0, 3),
    (500, 900),
    (0, 100_000),
    (None, 2),
]  # some batches fall outside theirs


@pytest.fixture(scope="module")
def landed(sandbox, tmp_path_factory):
    """The night's outcomes for DATASETS x BOROUGHS (daily days and owed periods), faults on."""
    import os

    data = tmp_path_factory.mktemp("validate_set") / "data"
    previous = os.environ.get("CITY_DATA_DIR")
    os.environ["CITY_DATA_DIR"] = str(data)
    try:
        for slug, dataset, fault in FAULTS:
            add_fault(sandbox, **fault, borough=slug, dataset=dataset)
        plans = plan.plan_feeds(DAY, DATASETS, BOROUGHS)
        outcomes = [
            steps.ingest_feed(
                p["feed_id"], p["days"], p.get("loaded"), watermark=p.get("watermark")
            )
            for p in plans
        ]
    finally:
        clear_faults(sandbox)
        if previous is None:
            os.environ.pop("CITY_DATA_DIR", None)
        else:
            os.environ["CITY_DATA_DIR"] = previous
    flat = [Outcome.from_dict(o) for group in outcomes for o in group]
    assert {o.status for o in flat} <= {Status.LANDED, Status.NOT_PUBLISHED}, [
        o.error for o in flat if o.error
    ]
    return flat, data


def _to_validate(catalogue, outcomes, dataset_id):
    return [
        BatchToValidate(
            read_batch(o.batch.path), catalogue.area(o.borough_code), BOUNDS[n % len(BOUNDS)]
        )
        for n, o in enumerate(
            o for o in outcomes if o.dataset == dataset_id and o.status is Status.LANDED
        )
    ]


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_each_batch_gets_the_verdict_and_result_it_gets_alone(catalogue, landed, dataset_id):
    """Success, failures, warnings, rows, new columns and every expectation's result match, batch by batch."""
    items = _to_validate(catalogue, landed[0], dataset_id)
    dataset = catalogue.dataset(dataset_id)
    together = validate_batches(items, dataset, catalogue.settings)
    assert list(together) == [i.batch.batch_id for i in items]
    for item in items:
        alone = validate_batch(
            item.batch, dataset, item.area, catalogue.settings, item.row_count_bounds
        )
        joint = together[item.batch.batch_id]
        where = (
            f"{dataset_id} {item.batch.borough_name} {item.batch.data_day} {item.row_count_bounds}"
        )
        assert (joint.success, joint.failures, joint.warnings) == (
            alone.success,
            alone.failures,
            alone.warnings,
        ), where
        assert (joint.rows, joint.extra_columns) == (alone.rows, alone.extra_columns), where
        assert joint.result["results"] == alone.result["results"], where
        assert joint.result["statistics"] == alone.result["statistics"], where
        assert joint.result["success"] == alone.result["success"], where


def test_the_faults_and_bounds_are_caught(catalogue, landed):
    """The comparison above is over batches that fail and warn: each fault fails its own batch only."""
    outcomes = landed[0]
    seen_failures, warned = {}, 0
    for dataset_id in DATASETS:
        items = _to_validate(catalogue, outcomes, dataset_id)
        verdicts = validate_batches(items, catalogue.dataset(dataset_id), catalogue.settings)
        for item in items:
            verdict = verdicts[item.batch.batch_id]
            slug = catalogue.area(item.batch.borough_code).slug
            expected = EXPECTED_FAILURE.get((slug, dataset_id))
            if expected is None:
                assert verdict.success, (slug, dataset_id, verdict.failures)
            else:
                seen_failures[(slug, dataset_id)] = "; ".join(verdict.failures)
            warned += any(
                "row count" in w and "outside the expected" in w for w in verdict.warnings
            )
    caught = {k: EXPECTED_FAILURE[k] in v for k, v in seen_failures.items()}
    assert caught == {k: True for k in EXPECTED_FAILURE}, seen_failures
    assert warned >= 3


def test_the_night_runs_great_expectations_once_per_dataset(
    catalogue, landed, monkeypatch, tmp_path
):
    """validate_dataset: one joint run per dataset; only a batch lacking a column is validated alone."""
    alone: list[str] = []
    real = pipeline.validate.validate_frame

    def counted(frame, dataset, parameters):
        alone.append(dataset.id)
        return real(frame, dataset, parameters)

    monkeypatch.setattr("pipeline.validate_set.validate_frame", counted)
    outcomes, _ = landed
    paths = DataPaths(tmp_path / "data")
    verdicts = [
        Outcome.from_dict(v)
        for d in DATASETS
        for v in steps.validate_dataset(d, outcomes, paths=paths)
    ]
    assert alone == ["service_requests"] * sum(
        o.borough_code == catalogue.area("camden").code and o.dataset == "service_requests"
        for o in verdicts
    )
    quarantined = {
        (catalogue.area(v.borough_code).slug, v.dataset)
        for v in verdicts
        if v.status is Status.QUARANTINED
    }
    assert quarantined == set(EXPECTED_FAILURE)
    # each batch's result file is its own: its day, its rows, its failures
    for verdict in verdicts:
        if verdict.status is Status.NOT_PUBLISHED:
            continue
        result = json.loads(Path(verdict.validation_path).read_text())
        by_type = {
            (r["expectation_config"]["type"], r["expectation_config"]["kwargs"].get("column")): r
            for r in result["results"]
        }
        days = by_type[
            ("expect_column_values_to_be_in_set", catalogue.dataset(verdict.dataset).date_field)
        ]
        assert days["expectation_config"]["kwargs"]["value_set"] == [verdict.data_day]
        assert (
            by_type[("expect_table_row_count_to_be_between", None)]["result"]["observed_value"]
            == verdict.batch.row_count
        )
        assert result["success"] == (verdict.status is not Status.QUARANTINED)
        if verdict.status is Status.QUARANTINED:
            assert (Path(verdict.quarantine_path) / "reason.txt").read_text().count("\n- ") == len(
                verdict.failures
            )
