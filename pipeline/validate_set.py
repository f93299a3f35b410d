"""Validate a dataset's whole night in one Great Expectations run, with a verdict per batch.

A GE run costs about the same whatever the rows (~0.1 CPU-s), so validating batch by
batch made validation the largest cost of a night (1,221 batches on a first night). Here
every landed batch of one dataset goes into one DataFrame; GE runs the suite's row-level
expectations over it once, listing every unexpected row (result format COMPLETE); then
each batch gets its own result from GE's own verdict code (`Expectation._validate`) fed
with that batch's share of the metrics: its rows, nulls, unexpected rows and columns.
A batch's success, failures, warnings and stored result are therefore those validating
it alone gives (`pipeline.validate.validate_batch`; tests/test_validate_set.py checks it).

- A check whose parameter is the batch's own (its data day, its borough's spellings) and
  a key's uniqueness (within its batch) run on a column pairing each value with its batch,
  so one expectation judges every batch on its own terms.
- Table-level checks (columns present, row count within the batch's history bounds) are
  the suite's expectations evaluated on each batch's own column list and row count.
- A batch lacking a column of the dataset is validated alone (GE reports a missing
  column as an error of the whole run), as is every batch of a suite using a check this
  module cannot split (it says so in the log).
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from typing import Any

from ingest.catalogue import Area, Dataset, Settings
from ingest.landing import LandedBatch
from pipeline.validate import (
    RESULT_FORMAT,
    BatchValidation,
    batch_frame,
    frame_columns,
    ge_context,
    read_records,
    registered_name,
    suite_parameters,
    suite_spec,
    validate_frame,
    validation_definition,
    verdict_from_result,
)

__all__ = ["BatchToValidate", "validate_batches"]

log = logging.getLogger(__name__)
_PER_BATCH = "_per_batch__"  # prefix of the columns that pair a value with its batch
_TABLE_METRICS = {"expect_table_row_count_to_be_between", "expect_table_columns_to_match_set"}
_NO_EXCEPTION = {"raised_exception": False, "exception_traceback": None, "exception_message": None}


@dataclass(frozen=True)
class BatchToValidate:
    """One landed batch, its borough, and its row-count bounds from the feed's history."""

    batch: LandedBatch
    area: Area
    row_count_bounds: tuple[int | None, int | None] = (None, None)


def validate_batches(
    items: list[BatchToValidate], dataset: Dataset, settings: Settings
) -> dict[str, BatchValidation]:
    """{batch id: verdict} for batches of one dataset, with one GE run for all that fit it."""
    batches = _Batches(dataset, settings)
    for item in items:
        batches.add(item)
    plan = _plan(dataset)
    needed = set(dataset.column_names) | plan.columns
    together = [b for b in batches.records if plan.splittable and needed <= set(batches.columns[b])]
    verdicts: dict[str, BatchValidation] = {}
    if together:
        verdicts = _validate_together(plan, batches, together)
    for batch_id in batches.records:
        if batch_id not in verdicts:
            verdicts[batch_id] = validate_frame(
                batches.frame(batch_id), dataset, batches.parameters[batch_id]
            )
    return {i.batch.batch_id: verdicts[i.batch.batch_id] for i in items}


class _Batches:
    """The batches' records, columns and suite parameters; a batch's own frame only when asked
    (for the values of its unexpected rows, or to validate it alone)."""

    def __init__(self, dataset: Dataset, settings: Settings):
        self.dataset, self.settings = dataset, settings
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.columns: dict[str, list[str]] = {}
        self.parameters: dict[str, dict[str, Any]] = {}
        self._frames: dict[str, Any] = {}

    def add(self, item: BatchToValidate) -> None:
        batch_id = item.batch.batch_id
        self.records[batch_id] = read_records(item.batch.records_path)
        self.columns[batch_id] = frame_columns(self.records[batch_id], self.dataset)
        self.parameters[batch_id] = suite_parameters(
            item.batch.data_day, item.area, self.settings, item.row_count_bounds
        )

    def frame(self, batch_id: str):
        if batch_id not in self._frames:
            self._frames[batch_id] = batch_frame(
                self.records[batch_id], self.dataset, self.settings
            )
        return self._frames[batch_id]


@dataclass(frozen=True)
class _Check:
    """One expectation of the suite, as the joint run treats it."""

    index: int  # position in the suite file
    spec: dict  # as written in the suite
    kind: str  # "table", "column", "pair", or "unsplittable"
    per_batch: str | None = None  # "unique" or the name of the batch's own parameter
    map_metric: str | None = None
    parameters: tuple[str, ...] = ()  # the suite parameters its kwargs name


@dataclass(frozen=True)
class _Plan:
    name: str
    checks: tuple[_Check, ...]
    order: tuple[int, ...]  # the order GE reports results in (grouped by column)
    ids: tuple[str, ...]  # the ids the suite's expectations have in this process
    columns: frozenset[str]  # every column a row-level check names
    splittable: bool


@functools.cache
def _plan(dataset: Dataset) -> _Plan:
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
    )

    spec = suite_spec(dataset)
    checks, columns = [], set()
    for index, expectation in enumerate(spec["expectations"]):
        kwargs = expectation["kwargs"]
        impl = _expectation_class(expectation["type"])
        parameters = [k for k, v in kwargs.items() if isinstance(v, dict) and "$PARAMETER" in v]
        names = tuple(sorted(_parameter_names(kwargs)))
        condition_ok = "row_condition" not in kwargs or (
            isinstance(kwargs["row_condition"], str) and kwargs.get("condition_parser") == "pandas"
        )
        if expectation["type"] in _TABLE_METRICS:
            check = _Check(index, expectation, "table", parameters=names)
        elif issubclass(impl, (ColumnMapExpectation, ColumnPairMapExpectation)) and condition_ok:
            kind = "column" if issubclass(impl, ColumnMapExpectation) else "pair"
            per_batch = None
            if expectation["type"] == "expect_column_values_to_be_unique":
                per_batch = "unique"
            if (
                parameters == ["value_set"]
                and expectation["type"] == "expect_column_values_to_be_in_set"
            ):
                per_batch = kwargs["value_set"]["$PARAMETER"]
            elif parameters:
                kind = "unsplittable"
            check = _Check(index, expectation, kind, per_batch, impl.map_metric, names)
            columns |= {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs}
        else:
            check = _Check(index, expectation, "unsplittable")
        checks.append(check)
    unsplittable = [c.spec["type"] for c in checks if c.kind == "unsplittable"]
    if unsplittable:
        log.warning(
            "%s: validated batch by batch, the suite uses checks a joint run cannot split: %s",
            dataset.id,
            ", ".join(unsplittable),
        )
    suite = validation_definition(dataset).suite
    return _Plan(
        registered_name(dataset),
        tuple(checks),
        _ge_order(spec["expectations"]),
        tuple(e.id for e in suite.expectations),
        frozenset(columns),
        not unsplittable,
    )


def _parameter_names(value: Any) -> set[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return {value["$PARAMETER"]}
        return set().union(*map(_parameter_names, value.values()))
    if isinstance(value, list):
        return set().union(*map(_parameter_names, value))
    return set()


def _expectation_class(type_name: str):
    from great_expectations.expectations.registry import get_expectation_impl

    return get_expectation_impl(type_name)


def _ge_order(expectations: list[dict]) -> tuple[int, ...]:
    """GE reports results grouped by `column`, groups in order of first appearance
    (Validator.process_expectations_for_validation); expectations without one form a group."""
    groups: dict[str, list[int]] = {}
    for index, expectation in enumerate(expectations):
        column = expectation["kwargs"].get("column")
        groups.setdefault(column if isinstance(column, str) else "\0", []).append(index)
    return tuple(i for group in groups.values() for i in group)


def _validate_together(
    plan: _Plan, batches: _Batches, batch_ids: list[str]
) -> dict[str, BatchValidation]:
    """One GE run over the batches' rows; each batch's result from its share of the metrics.

    Returns {} (so every batch is validated alone) if a check raised in the joint run.
    """
    import numpy as np

    dataset = batches.dataset
    sizes = np.array([len(batches.records[b]) for b in batch_ids], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    batch_no = np.repeat(np.arange(len(batch_ids)), sizes)
    combined = batch_frame(
        [r for b in batch_ids for r in batches.records[b]], dataset, batches.settings
    )
    joint_parameters: dict[str, list[str]] = {}
    for check in plan.checks:
        if check.per_batch == "unique":
            column = check.spec["kwargs"]["column"]
            combined[_PER_BATCH + "unique__" + column] = _paired(
                combined[column], batch_no, lambda b, v: (b, v)
            )
        elif check.per_batch:
            # batches with the same value of the parameter (a day, a borough) share a group:
            # the value set stays small, and GE's cost per expectation with it
            column, name = check.spec["kwargs"]["column"], check.per_batch
            groups: dict[str, int] = {}
            group_of = np.array(
                [
                    groups.setdefault(json.dumps(batches.parameters[b][name]), len(groups))
                    for b in batch_ids
                ],
                dtype=np.int64,
            )
            combined[f"{_PER_BATCH}{name}__{column}"] = _paired(
                combined[column],
                group_of[batch_no],
                lambda g, v: f"{g}\x1f{v}" if isinstance(v, str) else f"{g}\x1e",
            )
            joint_parameters[name] = sorted(
                {f"{g}\x1f{v}" for key, g in groups.items() for v in json.loads(key)}
            )
    run = _joint_definition(dataset).run(
        batch_parameters={"dataframe": combined},
        expectation_parameters=joint_parameters,
        result_format={"result_format": "COMPLETE"},
    )
    unexpected: dict[int, Any] = {}
    for outcome in run.results:
        index = outcome.expectation_config.meta["suite_index"]
        if outcome.exception_info.get("raised_exception"):
            log.warning(
                "%s: the joint validation run could not run check %d (%s): %s; validating batch by batch",
                dataset.id,
                index,
                outcome.expectation_config.type,
                outcome.exception_info.get("exception_message"),
            )
            return {}
        unexpected[index] = np.sort(
            np.asarray(outcome.result.get("unexpected_index_list") or [], dtype=np.int64)
        )
    shares = {c.index: _shares(c, combined, batch_no, len(batch_ids)) for c in plan.checks}
    meta = _json(dict(run.meta))
    same: dict[tuple, dict] = {}  # a result already made for the same check and metrics
    verdicts = {}
    for n, batch_id in enumerate(batch_ids):
        results = []
        for index in plan.order:
            check = plan.checks[index]
            expectation, config = _expectation(plan, index, batches.parameters[batch_id])
            metrics, key = _metrics(
                check, batches, batch_id, n, starts[n], shares[index], unexpected.get(index)
            )
            key = (index, id(expectation), *key) if key else None
            if key is None or key not in same:
                outcome = expectation._validate(
                    metrics, runtime_configuration={"result_format": dict(RESULT_FORMAT)}
                )
                made = {
                    "success": bool(outcome["success"]),
                    "expectation_config": config,
                    "result": _json(outcome.get("result", {})),
                    "meta": {},
                    "exception_info": _NO_EXCEPTION,
                }
                if key is None:
                    results.append(made)
                    continue
                same[key] = made
            results.append(dict(same[key]))
        successful = sum(r["success"] for r in results)
        result = {
            "success": successful == len(results),
            "results": results,
            "suite_name": plan.name,
            "suite_parameters": {},
            "statistics": {
                "evaluated_expectations": len(results),
                "successful_expectations": successful,
                "unsuccessful_expectations": len(results) - successful,
                "success_percent": successful / len(results) * 100 if results else None,
            },
            "meta": meta
            | {
                "validated_in_one_run": {
                    "batches": len(batch_ids),
                    "rows": int(starts[-1]),
                    "this_batch": batch_id,
                }
            },
            "id": None,
        }
        verdicts[batch_id] = verdict_from_result(
            result, int(sizes[n]), batches.columns[batch_id], dataset
        )
    return verdicts


def _paired(column, batch_no, pair):
    """A column of (batch or group, value) keys; null where the value is null, as GE skips nulls."""
    import pandas as pd

    missing = column.isna().to_numpy()
    return pd.Series(
        [
            None if gone else pair(int(b), v)
            for b, v, gone in zip(batch_no, column, missing, strict=True)
        ],
        index=column.index,
        dtype="object",
    )


def _shares(check: _Check, combined, batch_no, batches: int) -> dict[str, Any]:
    """Per batch: rows in the check's domain and rows it skips as null, counted in one pass."""
    import numpy as np

    if check.kind == "table":
        return {}
    kwargs = check.spec["kwargs"]
    domain = np.ones(len(combined), dtype=bool)
    if "row_condition" in kwargs:
        domain[:] = False
        domain[
            combined.query(
                kwargs["row_condition"], parser=kwargs["condition_parser"]
            ).index.to_numpy()
        ] = True
    if check.kind == "pair":
        a, b = (
            combined[kwargs["column_A"]].isna().to_numpy(),
            combined[kwargs["column_B"]].isna().to_numpy(),
        )
        ignore = {"both_values_are_missing": a & b, "either_value_is_missing": a | b}.get(
            kwargs.get("ignore_row_if", "both_values_are_missing"),
            np.zeros(len(combined), dtype=bool),
        )
        skipped = domain & ignore
    else:
        skipped = domain & combined[kwargs["column"]].isna().to_numpy()
    return {
        "rows": np.bincount(batch_no[domain], minlength=batches),
        "nulls": np.bincount(batch_no[skipped], minlength=batches),
    }


def _metrics(
    check: _Check,
    batches: _Batches,
    batch_id: str,
    n: int,
    start: int,
    share: dict[str, Any],
    unexpected,
) -> tuple[dict[str, Any], tuple | None]:
    """The metrics GE's `_validate` reads, for batch `n` alone, and a key for metrics that
    other batches may share (none when the batch has unexpected rows: their values are its own)."""
    import numpy as np

    records = batches.records[batch_id]
    if check.kind == "table":
        columns = batches.columns[batch_id]
        metrics = {
            "table.row_count": len(records),
            "table.columns": columns,
            "table.column_count": len(columns),
        }
        return metrics, (len(records), tuple(columns))
    kwargs = check.spec["kwargs"]
    lo, hi = np.searchsorted(unexpected, [start, start + len(records)])
    local = [int(i) for i in unexpected[lo:hi] - start]
    shown = local[
        : min(RESULT_FORMAT["partial_unexpected_count"], 200)
    ]  # GE's limit below COMPLETE
    values: list[Any] = []
    if shown:  # from the batch's own frame: its dtypes (an integer column without nulls stays int)
        frame = batches.frame(batch_id)
        if check.kind == "pair":
            pairs = frame[[kwargs["column_A"], kwargs["column_B"]]].iloc[shown]
            values = list(
                zip(pairs[kwargs["column_A"]].values, pairs[kwargs["column_B"]].values, strict=True)
            )
        else:
            values = list(frame[kwargs["column"]].iloc[shown])
    rows, nulls = int(share["rows"][n]), int(share["nulls"][n])
    name = check.map_metric
    metrics = {
        "table.row_count": rows,
        "column_values.nonnull.unexpected_count": nulls,
        f"{name}.filtered_row_count": rows - nulls,
        f"{name}.unexpected_count": len(local),
        f"{name}.unexpected_values": values,
        f"{name}.unexpected_index_list": local,
        f"{name}.unexpected_index_query": None,
    }
    return metrics, None if local else (rows, nulls)


def _substituted(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return parameters[value["$PARAMETER"]]
        return {k: _substituted(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_substituted(v, parameters) for v in value]
    return value


_EXPECTATIONS: dict[tuple, tuple[Any, dict]] = {}


def _expectation(plan: _Plan, index: int, parameters: dict[str, Any]) -> tuple[Any, dict]:
    """The suite's expectation with this batch's parameters, and its config as GE reports it
    (built once per distinct parameters: most checks have none)."""
    check = plan.checks[index]
    key = (
        plan.name,
        index,
        *(json.dumps(parameters[name], default=str) for name in check.parameters),
    )
    if key not in _EXPECTATIONS:
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        config = ExpectationConfiguration(
            type=check.spec["type"],
            kwargs=_substituted(check.spec["kwargs"], parameters),
            meta=check.spec.get("meta"),
            severity=check.spec.get("severity", "critical"),
            id=plan.ids[index],
        )
        expectation = config.to_domain_obj()
        reported = expectation.configuration.to_json_dict()
        reported["kwargs"] = {"batch_id": f"landed_{plan.name}-{plan.name}"} | reported["kwargs"]
        _EXPECTATIONS[key] = (expectation, reported)
    return _EXPECTATIONS[key]


def _json(value: Any) -> Any:
    from great_expectations.util import convert_to_json_serializable

    return convert_to_json_serializable(value)


@functools.cache
def _joint_definition(dataset: Dataset):
    """The suite's row-level checks, per-batch ones on their paired columns, on a DataFrame asset."""
    import great_expectations as gx

    plan = _plan(dataset)
    dataset_id = plan.name
    expectations = []
    for check in plan.checks:
        if check.kind not in ("column", "pair"):
            continue
        kwargs = dict(check.spec["kwargs"])
        if check.per_batch == "unique":
            kwargs["column"] = _PER_BATCH + "unique__" + kwargs["column"]
        elif check.per_batch:
            kwargs["column"] = f"{_PER_BATCH}{check.per_batch}__{kwargs['column']}"
        expectations.append(
            {"type": check.spec["type"], "kwargs": kwargs, "meta": {"suite_index": check.index}}
        )
    context = ge_context()
    suite = context.suites.add(
        gx.ExpectationSuite(name=f"{dataset_id}__night", expectations=expectations)
    )
    source = context.data_sources.add_pandas(f"night_{dataset_id}")
    batch_definition = source.add_dataframe_asset(dataset_id).add_batch_definition_whole_dataframe(
        "night"
    )
    return context.validation_definitions.add(
        gx.ValidationDefinition(
            name=f"validate_{dataset_id}__night", data=batch_definition, suite=suite
        )
    )
