"""Outcomes: one status enum that Python, SQL and dbt agree on, and a lossless XCom round trip."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from ingest.landing import LandedBatch
from ingest.outcomes import RECORDED, Outcome, Status

MODELS = Path(__file__).resolve().parent.parent / "dbt_project" / "models"
BATCH = LandedBatch(
    dataset="road_casualties",
    borough_code="E09000003",
    borough_name="Barnet",
    data_day="2026-11-09",
    batch_id="20261110T020000Z-abcd1234",
    path="/data/landing/road_casualties/E09000003/2026-11-09/20261110T020000Z-abcd1234",
    row_count=12,
    protocol="ckan",
)


def _status_columns(node, where: str):
    """(where, accepted values) for every column named `status` with an accepted_values test, anywhere in `node`."""
    if isinstance(node, dict):
        if node.get("name") == "status":
            for test in node.get("data_tests") or node.get("tests") or []:
                if isinstance(test, dict) and "accepted_values" in test:
                    spec = test["accepted_values"]
                    yield where, (spec.get("arguments") or spec)["values"]
        for key, value in node.items():
            yield from _status_columns(
                value, f"{where} {node.get('name', key)}" if key == "columns" else where
            )
    elif isinstance(node, list):
        for item in node:
            yield from _status_columns(item, where)


def test_dbt_accepts_exactly_the_statuses_the_pipeline_records():
    """Every dbt `accepted_values` on a `status` column lists exactly the statuses load writes to audit.batches."""
    found = [
        (f"{path.relative_to(MODELS)}{where}", values)
        for path in sorted(MODELS.rglob("*.yml"))
        for where, values in _status_columns(yaml.safe_load(path.read_text(encoding="utf-8")), "")
    ]
    assert found, "no accepted_values on a status column under dbt_project/models"
    for where, values in found:
        assert sorted(values) == sorted(s.value for s in RECORDED), where


def test_every_status_literal_in_dbt_sql_is_a_recorded_status():
    """`status = '...'` / `status in (...)` in the dbt models only name statuses audit.batches can hold."""
    compared = re.compile(
        r"(?<![\w])(?:\w+\.)?(?:first_)?status\s*(?:=\s*'([^']*)'|in\s*\(([^)]*)\))", re.I
    )
    literals = set()
    for path in MODELS.rglob("*.sql"):
        for equal, listed in compared.findall(path.read_text(encoding="utf-8")):
            literals |= {equal} if equal else set(re.findall(r"'([^']*)'", listed))
    assert literals, "no status literal found in the dbt models: has the column been renamed?"
    assert literals <= {s.value for s in RECORDED}, literals - {s.value for s in RECORDED}


def test_status_values_are_the_strings_stored_and_sent():
    """A Status is its string: it equals, formats and serialises as the value the audit table holds."""
    assert Status.FETCH_FAILED == "fetch_failed" and f"{Status.NOT_PUBLISHED}" == "not_published"
    assert json.dumps({"status": Status.LOADED}) == '{"status": "loaded"}'
    assert len({s.value for s in Status}) == len(Status) == 8


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome(
            "road_casualties/E09000003",
            "road_casualties · Barnet",
            "road_casualties",
            "E09000003",
            "Barnet",
            "2026-11-09",
            Status.FETCH_FAILED,
            error="unexpected error: ValueError: bad page",
        ),
        Outcome(
            "road_casualties/E09000003",
            "road_casualties · Barnet",
            "road_casualties",
            "E09000003",
            "Barnet",
            "2026-11-09",
            Status.QUARANTINED,
            batch=BATCH,
            failures=("severity: 3 unexpected values",),
            warnings=("row count low",),
            validation_path="/data/validation/x.json",
            quarantine_path="/data/quarantine/x",
            watermark={
                "changed_field": ":updated_at",
                "candidate": "2026-11-10T01:00:00.000+00:00",
            },
        ),
    ],
)
def test_an_outcome_survives_xcom_json(outcome):
    """to_dict -> JSON -> from_dict gives back an equal outcome, status and batch typed again."""
    back = Outcome.from_dict(json.loads(json.dumps(outcome.to_dict())))
    assert back == outcome
    assert type(back.status) is Status and (
        back.batch is None or isinstance(back.batch, LandedBatch)
    )
    assert type(outcome.to_dict()["status"]) is str, "XCom and DuckDB get a plain string"


def test_a_wrong_outcome_dict_is_rejected_with_its_feed_and_day():
    good = Outcome(
        "service_requests/E09000007",
        "service_requests · Camden",
        "service_requests",
        "E09000007",
        "Camden",
        "2026-11-09",
        Status.LANDED,
        batch=BATCH,
    ).to_dict()
    with pytest.raises(
        ValueError, match=r"service_requests/E09000007 \(2026-11-09\): unknown status 'lnaded'"
    ):
        Outcome.from_dict(good | {"status": "lnaded"})
    with pytest.raises(
        ValueError, match=r"service_requests/E09000007 \(2026-11-09\): unknown keys stauts"
    ):
        Outcome.from_dict(good | {"stauts": "landed"})
    with pytest.raises(ValueError, match=r"service_requests/E09000007 \(2026-11-09\)"):
        Outcome.from_dict({k: v for k, v in good.items() if k != "borough_code"})


def test_an_outcome_moves_on_without_changing_the_one_before():
    landed = Outcome("a/E1", "a · One", "a", "E1", "One", "2026-11-09", Status.LANDED, batch=BATCH)
    warned = landed.becomes(Status.WARNED, warnings=("late rows",))
    assert (landed.status, landed.warnings) == (Status.LANDED, ())
    assert (warned.status, warned.warnings, warned.batch) == (Status.WARNED, ("late rows",), BATCH)
