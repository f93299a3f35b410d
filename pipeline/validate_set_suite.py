"""The suite as one joint validation run uses it: how each check splits by batch (`_plan`),
the expectation a batch is judged by with its own parameters (`_expectation`), and the GE
metrics the joint run computes (`_joint_metrics`). Kept apart from the run itself
(pipeline.validate_set) so the rules for which checks can be shared sit in one place.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from typing import Any

from ingest.catalogue import Dataset
from pipeline.validate import LANDED, expectation_ids, suite_spec

log = logging.getLogger(__name__)
_PER_BATCH = "_per_batch__"  # prefix of the columns that pair a value with its batch
_TABLE_METRICS = {"expect_table_row_count_to_be_between", "expect_table_columns_to_match_set"}


@dataclass(frozen=True)
class _Check:
    """One expectation of the suite, as the joint run treats it."""

    index: int  # position in the suite file
    spec: dict  # as written in the suite
    kind: str  # "table", "column", "pair", or "unsplittable"
    per_batch: str | None = None  # "unique" or the name of the batch's own parameter
    map_metric: str | None = None
    parameters: tuple[str, ...] = ()  # the suite parameters its kwargs name
    # GE's verdict on it reads only its metrics, `mostly` and the result format: shared by
    # the checks of its type with its `mostly` (None: the verdict may read its other kwargs)
    verdict_key: tuple | None = None


@dataclass(frozen=True)
class _Plan:
    name: str
    checks: tuple[_Check, ...]
    order: tuple[int, ...]  # the order GE reports results in (grouped by column)
    ids: tuple[str, ...]  # the ids of the suite's expectations (pipeline.validate.ge_suite)
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
            shared = (expectation["type"], json.dumps(kwargs.get("mostly")))
            alike = shared if impl._validate in _METRICS_ONLY_VERDICTS() else None
            check = _Check(index, expectation, kind, per_batch, impl.map_metric, names, alike)
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
    return _Plan(
        dataset.id,
        tuple(checks),
        _ge_order(spec["expectations"]),
        expectation_ids(dataset),
        frozenset(columns),
        not unsplittable,
    )


@functools.cache
def _METRICS_ONLY_VERDICTS() -> tuple:  # noqa: N802 (a constant, once GE is imported)
    """GE's verdict code (`_validate`) of the map expectations that read nothing of their
    configuration but `mostly` and the result format (great_expectations 1.24: the generic
    column and column-pair map verdicts, and the null / not-null ones)."""
    from great_expectations.expectations.core import (
        ExpectColumnValuesToBeNull,
        ExpectColumnValuesToNotBeNull,
    )
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
    )

    return (
        ColumnMapExpectation._validate,
        ColumnPairMapExpectation._validate,
        ExpectColumnValuesToBeNull._validate,
        ExpectColumnValuesToNotBeNull._validate,
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


def _substituted(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return parameters[value["$PARAMETER"]]
        return {k: _substituted(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_substituted(v, parameters) for v in value]
    return value


_EXPECTATIONS: dict[tuple, tuple[Any, dict, tuple]] = {}


def _expectation(
    plan: _Plan, index: int, parameters: dict[str, Any], texts: dict[str, str]
) -> tuple[Any, dict, tuple]:
    """The expectation judging a batch, its config as GE reports it with this batch's
    parameters (`texts`: each as JSON), and the key of its verdict: GE's verdict is the same
    for every check with that key and the same metrics. Built once per distinct parameters
    (most checks have none). A check whose verdict reads none of its parameters
    (`verdict_key`) is judged by its expectation as written whatever the batch's parameters;
    any other check's verdict key is its type and kwargs, all that GE's verdict reads."""
    check = plan.checks[index]
    values = tuple(texts[name] for name in check.parameters)
    key = (id(plan), index, *values)  # plans live as long as the process (cached)
    if key not in _EXPECTATIONS:
        if values and check.verdict_key:
            written = (id(plan), index)
            if written not in _EXPECTATIONS:
                _EXPECTATIONS[written] = (*_built(plan, index, None), ())
            expectation, reported, _ = _EXPECTATIONS[written]
            reported = reported | {"kwargs": _substituted(reported["kwargs"], parameters)}
        else:
            expectation, reported = _built(plan, index, parameters)
        judge = (
            ("any column", *check.verdict_key)
            if check.verdict_key
            else (
                "kwargs",
                reported["type"],
                json.dumps(reported["kwargs"], sort_keys=True, default=str),
            )
        )
        _EXPECTATIONS[key] = (expectation, reported, judge)
    return _EXPECTATIONS[key]


def _built(plan: _Plan, index: int, parameters: dict[str, Any] | None) -> tuple[Any, dict]:
    """The suite's expectation with `parameters` filled in (None: as written), and its config as
    GE reports it for a batch validated alone."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    check = plan.checks[index]
    config = ExpectationConfiguration(
        type=check.spec["type"],
        kwargs=_substituted(check.spec["kwargs"], parameters)
        if parameters
        else check.spec["kwargs"],
        meta=check.spec.get("meta"),
        severity=check.spec.get("severity", "critical"),
        id=plan.ids[index],
    )
    expectation = config.to_domain_obj()
    reported = expectation.configuration.to_json_dict()
    reported["kwargs"] = {"batch_id": f"{LANDED}-{LANDED}"} | reported["kwargs"]
    return expectation, reported


NIGHT = "night"
"""The name of the joint runs' batch (one DataFrame of a dataset's whole night)."""
_COMPLETE = {"result_format": {"result_format": "COMPLETE"}}


def _joint_metrics(dataset: Dataset, parameters: dict[str, Any]) -> list[tuple[int, Any]]:
    """(suite index, GE metric configuration) of each row-level check in the joint run: its
    unexpected rows over the whole night, a per-batch check on its paired column with the
    night's `parameters` (pairs of a batch's group and its values)."""
    plan = _plan(dataset)
    return [
        (
            c.index,
            _joint_metric(
                dataset, c.index, json.dumps({n: parameters[n] for n in c.parameters}, default=str)
            ),
        )
        for c in plan.checks
        if c.kind in ("column", "pair")
    ]


@functools.lru_cache(maxsize=1024)
def _joint_metric(dataset: Dataset, index: int, parameters: str):
    """The metric GE lists check `index`'s unexpected rows from: its map condition (what its
    `unexpected_index_list` filters the domain with, without that copy of the domain).

    GE's own `get_metric_kwargs` turns the check into that metric; the joint run computes only
    it, not the expectation's whole result (each batch's verdict is made from its share, by
    pipeline.validate_set). Built once per process for a check without parameters.
    """
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.registry import get_metric_kwargs
    from great_expectations.validator.metric_configuration import MetricConfiguration

    check = _plan(dataset).checks[index]
    kwargs = _substituted(check.spec["kwargs"], json.loads(parameters))
    kwargs["batch_id"] = f"{NIGHT}-{NIGHT}"
    if check.per_batch == "unique":
        kwargs["column"] = _PER_BATCH + "unique__" + kwargs["column"]
    elif check.per_batch:
        kwargs["column"] = f"{_PER_BATCH}{check.per_batch}__{kwargs['column']}"
    name = f"{check.map_metric}.condition"
    config = ExpectationConfiguration(type=check.spec["type"], kwargs=kwargs)
    found = get_metric_kwargs(name, configuration=config, runtime_configuration=_COMPLETE)
    return MetricConfiguration(name, found["metric_domain_kwargs"], found["metric_value_kwargs"])


def _unexpected_rows(
    dataset: Dataset, combined, parameters: dict[str, Any]
) -> tuple[dict[int, Any], dict[Any, Any]]:
    """({suite index: row numbers of the night's unexpected rows}, {metric id: why it failed})
    of each row-level check, computed by GE on the night's DataFrame in one metric graph."""
    from great_expectations.validator.metrics_calculator import MetricsCalculator

    engine = _engine()
    engine.load_batch_data(f"{NIGHT}-{NIGHT}", combined)  # replaces the previous night's frame
    metrics = _joint_metrics(dataset, parameters)
    resolved, aborted = MetricsCalculator(engine).compute_metrics(
        [m for _, m in metrics], runtime_configuration=_COMPLETE
    )
    return {index: _rows(resolved.get(m.id)) for index, m in metrics}, aborted


def _rows(condition) -> list[int]:
    """The row numbers a map condition marks unexpected (GE's pandas `condition` metric: a
    boolean Series over the check's domain, indexed by the frame's row numbers)."""
    if condition is None:
        return []
    unexpected = condition[0]
    return unexpected.index[unexpected.to_numpy(dtype=bool)].tolist()


@functools.cache
def _engine():
    """GE's pandas execution engine the joint runs compute their metrics on, one per process:
    a DataFrame loaded into it directly, not through a data source (whose `get_batch` hashes
    the frame and measures its memory for batch markers nobody reads here)."""
    from great_expectations.execution_engine import PandasExecutionEngine

    return PandasExecutionEngine()
