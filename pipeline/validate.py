"""Validate a landed batch with its dataset's Great Expectations suite.

The batch is read into a DataFrame shaped for the suite (see expectations/README.md):
text read per its declared type, with anything unreadable listed in `_type_errors`
instead of becoming a silent null. Great Expectations (slow to import) is imported only
here, inside the task that validates, never at DAG-parse time.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.catalogue import Area, Dataset, Settings
from ingest.landing import LandedBatch
from pipeline.borough_text import TextReader
from pipeline.suite import DERIVED_COLUMNS, suite_path, suite_spec

__all__ = [
    "BatchValidation",
    "validate_batch",
    "validate_frame",
    "verdict_from_result",
    "suite_parameters",
    "batch_frame",
    "frame_columns",
    "read_records",
    "normalise_name",
    "suite_path",
    "suite_spec",
    "RESULT_FORMAT",
    "LANDED",
    "ge_context",
    "ge_suite",
    "expectation_ids",
    "landed_batch_definition",
]

log = logging.getLogger(__name__)
SEVERITY_BLOCKING = "critical"
DERIVED = DERIVED_COLUMNS  # columns batch_frame adds
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
"""What each batch's stored result holds: counts and the first 5 unexpected values."""


@dataclass
class BatchValidation:
    """The verdict on one batch: blocking failures quarantine it, warnings are reported."""

    success: bool
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    rows: int = 0
    extra_columns: list[str] = field(default_factory=list)


def normalise_name(value: Any, settings: Settings | None = None) -> str | None:
    """How borough spellings are compared: clean text, lower case (pipeline.borough_text).

    Without settings no null markers apply (a configured name is never a marker).
    """
    reader = TextReader.from_settings(settings) if settings else TextReader((), ())
    return reader.normalise_name(value)


def validate_batch(
    batch: LandedBatch,
    dataset: Dataset,
    area: Area,
    settings: Settings,
    row_count_bounds: tuple[int | None, int | None] = (None, None),
) -> BatchValidation:
    """Run the dataset's suite on one landed batch alone; never raises for bad data.

    `row_count_bounds` come from the feed's own history (pipeline.history); (None, None)
    means no bound. The nightly step validates a dataset's batches together
    (pipeline.validate_set), which must give each batch exactly this verdict; this path
    is the reference, and validates a batch whose columns the joint run cannot judge.
    """
    frame = batch_frame(read_records(batch.records_path), dataset, settings)
    return validate_frame(
        frame, dataset, suite_parameters(batch.data_day, area, settings, row_count_bounds)
    )


def suite_parameters(
    data_day: str, area: Area, settings: Settings, row_count_bounds: tuple[int | None, int | None]
) -> dict[str, Any]:
    """The `$PARAMETER`s of a suite for one batch (expectations/README.md)."""
    return {
        "data_days": [data_day],
        "borough_spellings": list(
            _spellings((area.name, *area.aliases), settings.null_markers, settings.date_formats)
        ),
        "row_count_min": row_count_bounds[0],
        "row_count_max": row_count_bounds[1],
    }


@functools.lru_cache(maxsize=4096)
def _spellings(
    names: tuple[str, ...], null_markers: tuple[str, ...], date_formats: tuple[str, ...]
) -> tuple[str, ...]:
    """An area's names as rows spell them, normalised (once per area: every dataset asks)."""
    reader = TextReader(tuple(m.lower() for m in null_markers), tuple(date_formats))
    return tuple(sorted({reader.normalise_name(n) for n in names} - {None}))


def validate_frame(frame, dataset: Dataset, parameters: dict[str, Any]) -> BatchValidation:
    """One Great Expectations run of the suite over one batch's frame."""
    return verdict_from_result(
        _run_suite(dataset, frame, parameters), len(frame), list(frame.columns), dataset
    )


def verdict_from_result(
    result: dict[str, Any], rows: int, columns: list[str], dataset: Dataset
) -> BatchValidation:
    """A batch's verdict from its GE result: a failed critical check fails it, others warn."""
    verdict = BatchValidation(
        success=True,
        result=result,
        rows=rows,
        extra_columns=sorted(set(columns) - set(dataset.column_names) - set(DERIVED)),
    )
    for outcome in result["results"]:
        if outcome["success"]:
            continue
        message = _describe(outcome)
        if outcome["expectation_config"].get("severity", SEVERITY_BLOCKING) == SEVERITY_BLOCKING:
            verdict.success = False
            verdict.failures.append(message)
        else:
            verdict.warnings.append(message)
    return verdict


def batch_frame(records: list[dict[str, Any]], dataset: Dataset, settings: Settings):
    """Records as a DataFrame of declared types; unreadable values listed in `_type_errors`.

    Each value is read as dbt staging reads it (pipeline.borough_text); a column the
    catalogue does not declare is kept as published.
    """
    import pandas as pd

    reader = TextReader.from_settings(settings)
    present = frame_columns(records, dataset)[: -len(DERIVED)]
    columns: dict[str, list[Any]] = {}
    type_errors: list[list[str]] = [[] for _ in records]
    declared = {f.name: f for f in dataset.fields}
    for name in present:
        spec = declared.get(name)
        if spec is None:
            columns[name] = [record.get(name) for record in records]
            continue
        values = []
        seen: dict[tuple, tuple[Any, bool]] = {}  # a column repeats its values (days, names)
        for index, record in enumerate(records):
            raw = record.get(name)
            key = (raw.__class__, raw) if isinstance(raw, (str, int, float)) else None
            read = seen.get(key) if key else None
            if read is None:
                parsed = reader.read(raw, spec.type)
                read = (_for_suite(parsed), parsed is None and reader.clean_text(raw) is not None)
                if key:
                    seen[key] = read
            if read[1]:
                type_errors[index].append(f"{name}={raw!r}")
            values.append(read[0])
        columns[name] = values
    frame = pd.DataFrame(
        {name: pd.Series(columns[name], dtype="object") for name in present},
        index=range(len(records)),
    )
    for name in present:
        spec = declared.get(name)
        if spec is not None and spec.type in ("integer", "number"):
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
    frame["_type_errors"] = pd.Series(["; ".join(e) or None for e in type_errors], dtype="object")
    borough = (
        frame["borough"] if "borough" in frame else pd.Series([None] * len(records), dtype="object")
    )
    frame["_borough_normalised"] = borough.map(reader.normalise_name).astype("object")
    return frame


def frame_columns(records: list[dict[str, Any]], dataset: Dataset) -> list[str]:
    """The columns of `batch_frame(records)`, in order, without building it: the published
    columns as they first appear (the declared ones for no records), then the derived ones."""
    present = dict.fromkeys(() if records else dataset.column_names)
    for record in records:
        present.update(dict.fromkeys(record))
    return [*present, *DERIVED]


def _for_suite(value: Any) -> Any:
    """Days as ISO text and decimals as floats: the types the suites compare."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def read_records(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@functools.lru_cache(maxsize=1)
def ge_context():
    """One ephemeral GE context per process, with progress bars off (logs stay readable)."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    except Exception:  # older/newer GE without the setting: bars are cosmetic
        log.debug("could not switch off GE progress bars", exc_info=True)
    return context


@functools.cache
def ge_suite(dataset: Dataset):
    """The dataset's suite (pipeline.suite) as a GE ExpectationSuite, built once per process.

    Not added to the context's store (adding serialises it, and GE would give its checks
    new random ids each process): each check's id is derived from the dataset and the check,
    so a result names the same check in every run.
    """
    import great_expectations as gx

    spec = suite_spec(dataset)
    expectations = [
        e | {"id": id_}
        for e, id_ in zip(spec["expectations"], expectation_ids(dataset), strict=True)
    ]
    return gx.ExpectationSuite(name=dataset.id, expectations=expectations, meta=spec["meta"])


@functools.cache
def expectation_ids(dataset: Dataset) -> tuple[str, ...]:
    """The id of each check of the dataset's suite, from the dataset and the check itself."""
    return tuple(
        str(uuid.uuid5(_IDS, json.dumps([dataset.id, n, e], sort_keys=True)))
        for n, e in enumerate(suite_spec(dataset)["expectations"])
    )


_IDS = uuid.UUID("5b7e0f64-3c1d-4c4e-9a59-6c1f3c7a2d10")  # namespace of the checks' ids


LANDED = "landed"
"""The data source and asset a batch validated alone goes through (its results' `batch_id`)."""


@functools.cache
def landed_batch_definition():
    """The whole-DataFrame batch definition every batch validated alone goes through, made once
    per process whatever the dataset: each of GE's `add_*` serialises the context's config."""
    source = ge_context().data_sources.add_pandas(LANDED)
    return source.add_dataframe_asset(LANDED).add_batch_definition_whole_dataframe("batch")


def _run_suite(dataset: Dataset, frame, parameters: dict[str, Any]) -> dict[str, Any]:
    batch = landed_batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        ge_suite(dataset), result_format=RESULT_FORMAT, expectation_parameters=parameters
    )
    return result.to_json_dict()


def _describe(outcome: dict[str, Any]) -> str:
    """One line a data engineer can act on: which check, which column, what was found."""
    config = outcome["expectation_config"]
    kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
    check = config["type"].removeprefix("expect_")
    column = kwargs.get("column") or (
        f"{kwargs['column_A']}/{kwargs['column_B']}" if "column_A" in kwargs else "table"
    )
    result = outcome.get("result") or {}
    exception = _first_exception(outcome.get("exception_info") or {})
    if exception:
        detail = exception.get("exception_message") or "check could not run"
        if column != "table" and "column" in str(detail).lower():
            detail = f"column {column!r} is missing"
        return f"{check} on {column}: {detail}"
    if check == "table_row_count_to_be_between":
        bounds = f"{kwargs.get('min_value', 'no minimum')}..{kwargs.get('max_value', 'no maximum')}"
        return f"row count {result.get('observed_value')!r} outside the expected {bounds}"
    if "unexpected_count" in result:
        sample = result.get("partial_unexpected_list") or []
        return (
            f"{check} on {column}: {result['unexpected_count']} of {result.get('element_count')} rows"
            f" unexpected, e.g. {sample[:3]}"
        )
    if check.startswith("table_columns"):
        mismatched = result.get("details", {}).get("mismatched", {})
        if mismatched.get("missing"):
            return f"schema drift: missing column(s) {sorted(mismatched['missing'])}"
        new = sorted(
            set(mismatched.get("unexpected", [])) - {"_type_errors", "_borough_normalised"}
        )
        return f"new column(s) {new}: kept in the landed batch, not loaded"
    return f"{check} on {column}: observed {result.get('observed_value')!r}"


def _first_exception(info: dict[str, Any]) -> dict[str, Any] | None:
    """GE reports exceptions flat or keyed by metric id; return the first raised one."""
    if info.get("raised_exception"):
        return info
    for value in info.values():
        if (
            isinstance(value, dict)
            and value.get("raised_exception", True)
            and value.get("exception_message")
        ):
            return value
    return None
