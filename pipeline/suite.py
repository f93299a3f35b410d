"""The Great Expectations suite of a dataset: what its spec says, and what needs judgement.

The mechanical checks (columns present, no new column, types, required fields, key unique,
the data day, the feed's borough, allowed values, ranges) follow from the dataset's spec in
config/datasets.yml and are built here when a suite is loaded, in one fixed order. The
suite file `expectations/<dataset>.json` adds only what needs judgement (row-count bounds,
cross-field rules, conditional checks); a dataset without one is validated with the derived
checks alone. See expectations/README.md.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from ingest.catalogue import Dataset
from ingest.paths import REPO_ROOT

__all__ = ["DERIVED_COLUMNS", "derived_expectations", "suite_path", "suite_spec"]

DERIVED_COLUMNS = ("_type_errors", "_borough_normalised")
"""Columns pipeline.validate.batch_frame adds to every batch, in this order."""


def suite_path(dataset_id: str) -> Path:
    """The dataset's suite file (judgement only); it may not exist."""
    return REPO_ROOT / "expectations" / f"{dataset_id}.json"


@functools.cache
def suite_spec(dataset: Dataset) -> dict[str, Any]:
    """{name, meta, expectations}: the derived checks, then the suite file's own."""
    path = suite_path(dataset.id)
    written = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if written.get("name", dataset.id) != dataset.id:
        raise ValueError(f"{path}: name {written['name']!r} is not the dataset's id {dataset.id!r}")
    meta = {"dataset": dataset.id, "catalogue": "config/datasets.yml"} | written.get("meta", {})
    return {
        "name": dataset.id,
        "meta": meta,
        "expectations": [*derived_expectations(dataset), *written.get("expectations", [])],
    }


def derived_expectations(dataset: Dataset) -> list[dict[str, Any]]:
    """The checks the spec implies, in the order the suites have always listed them."""
    columns = list(dataset.column_names)
    checks = [
        _check(
            "expect_table_columns_to_match_set",
            {"column_set": columns, "exact_match": False},
            "Every published column must be there: a renamed or missing column is schema "
            "drift, never silent nulls.",
        ),
        _check(
            "expect_table_columns_to_match_set",
            {"column_set": [*columns, *DERIVED_COLUMNS], "exact_match": True},
            "A new extra column is kept in the landed batch and reported, but not loaded.",
            severity="warning",
        ),
        _check(
            "expect_column_values_to_be_null",
            {"column": "_type_errors"},
            "Every value must read as its declared type (dates in an accepted format, "
            "whole numbers).",
        ),
    ]
    checks += [
        _check(
            "expect_column_values_to_not_be_null",
            {"column": f.name},
            f"{f.name} is required by the published schema.",
        )
        for f in dataset.fields
        if f.required
    ]
    checks += [
        _check(
            "expect_column_values_to_be_unique",
            {"column": dataset.key},
            f"{dataset.key} identifies a record; duplicates would double-count.",
        ),
        _check(
            "expect_column_values_to_be_in_set",
            {"column": dataset.date_field, "value_set": {"$PARAMETER": "data_days"}},
            "A batch for a data day (or a period) holds only that day's (period's) records.",
        ),
        _check(
            "expect_column_values_to_be_in_set",
            {"column": "_borough_normalised", "value_set": {"$PARAMETER": "borough_spellings"}},
            "Each row names the area whose feed it came from (any known spelling).",
        ),
    ]
    checks += [
        _check(
            "expect_column_values_to_be_in_set",
            {"column": f.name, "value_set": list(f.values)},
            f"{f.name} uses the published vocabulary; a new category needs a staging mapping first.",
        )
        for f in dataset.fields
        if f.values
    ]
    checks += [
        _check(
            "expect_column_values_to_be_between",
            {"column": f.name}
            | ({"min_value": f.min} if f.min is not None else {})
            | ({"max_value": f.max} if f.max is not None else {}),
            f"{f.name} outside {_bound(f.min)}..{_bound(f.max)} is not a plausible value.",
        )
        for f in dataset.fields
        if f.min is not None or f.max is not None
    ]
    return checks


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _check(kind: str, kwargs: dict[str, Any], why: str, severity: str = "critical") -> dict:
    return {
        "type": kind,
        "kwargs": kwargs,
        "severity": severity,
        "meta": {"why": why, "derived_from": "config/datasets.yml"},
    }
