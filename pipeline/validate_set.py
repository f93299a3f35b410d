"""Validate a dataset's whole night in one Great Expectations run, with a verdict per batch.

A GE run costs about the same whatever the rows (~0.1 CPU-s), so validating batch by
batch made validation the largest cost of a night (1,592 batches on a first night). Here
every landed batch of one dataset goes into one DataFrame; GE's pandas engine computes,
in one metric graph, each row-level expectation's map condition (the `condition` metric
its `unexpected_index_list` is made from, as GE's own `get_metric_kwargs` maps the check:
a boolean Series marking the unexpected rows of its domain);
then each batch gets its own result from GE's own verdict code (`Expectation._validate`)
fed with that batch's share of the metrics: its rows, nulls, unexpected rows and columns.
A batch's success, failures, warnings and stored result are therefore those validating
it alone gives (`pipeline.validate.validate_batch`; tests/test_validate_set.py checks it).
GE's verdict on the same kind of check with the same metrics (most batches pass with few
rows) is made once per process and shared (`_VERDICTS`; pipeline.validate_set_suite).
Not used here, because they cost more than the checks: a `ValidationDefinition` (its
stores serialise the suite, the config and every result) and a data source's `get_batch`
(it hashes the frame and measures its memory for batch markers).

- A check whose parameter is the batch's own (its data day, its borough's spellings) and
  a key's uniqueness (within its batch) run on a column pairing each value with its batch,
  so one expectation judges every batch on its own terms.
- Table-level checks (columns present, row count within the batch's history bounds) are
  the suite's expectations evaluated on each batch's own column list and row count.
- A batch lacking a column of the dataset is validated alone (GE reports a missing
  column as an error of the whole run), as is every batch of a suite using a check this
  module cannot split (it says so in the log).

Which checks split, and how, is pipeline.validate_set_suite; a batch's share of the metrics,
pipeline.validate_set_metrics.
"""

from __future__ import annotations

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
    read_records,
    suite_parameters,
    validate_frame,
    verdict_from_result,
)
from pipeline.validate_set_metrics import _metrics, _shared_key, _shares
from pipeline.validate_set_suite import (
    _PER_BATCH,
    _expectation,
    _Plan,
    _plan,
    _unexpected_rows,
)

__all__ = ["BatchToValidate", "validate_batches"]

log = logging.getLogger(__name__)
_VERDICTS: dict[tuple, tuple[bool, dict]] = {}
"""GE's verdict on a kind of check (its verdict key) with given metrics, for every dataset of
this process."""
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
    found, aborted = _unexpected_rows(dataset, combined, joint_parameters)
    if aborted:
        failure = next(iter(aborted.values()))
        log.warning(
            "%s: the joint validation run could not compute %s: %s; validating batch by batch",
            dataset.id,
            ", ".join(sorted({m[0] for m in aborted})),
            (failure.get("exception_info") or {}).get("exception_message"),
        )
        return {}
    unexpected = {
        index: np.sort(np.asarray(rows or [], dtype=np.int64)) for index, rows in found.items()
    }
    shares = {
        c.index: _shares(c, combined, batch_no, len(batch_ids), unexpected.get(c.index))
        for c in plan.checks
    }
    meta = {"great_expectations_version": _ge_version()}
    judged = _VERDICTS if len(_VERDICTS) < 100_000 else _VERDICTS.clear() or _VERDICTS
    verdicts = {}
    for n, batch_id in enumerate(batch_ids):
        results = []
        parameters = batches.parameters[batch_id]
        texts = {name: json.dumps(value, default=str) for name, value in parameters.items()}
        for index in plan.order:
            check = plan.checks[index]
            expectation, config, judge = _expectation(plan, index, parameters, texts)
            key = _shared_key(check, batches, batch_id, n, shares[index])
            key = (judge, *key) if key else None
            verdict = judged.get(key) if key else None
            if verdict is None:
                metrics = _metrics(
                    check, batches, batch_id, n, starts[n], shares[index], unexpected.get(index)
                )
                outcome = expectation._validate(
                    metrics, runtime_configuration={"result_format": dict(RESULT_FORMAT)}
                )
                verdict = (bool(outcome["success"]), _json(outcome.get("result", {})))
                if key:
                    judged[key] = verdict
            results.append(
                {
                    "success": verdict[0],
                    "expectation_config": config,
                    "result": verdict[1],
                    "meta": {},
                    "exception_info": _NO_EXCEPTION,
                }
            )
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


def _json(value: Any) -> Any:
    from great_expectations.util import convert_to_json_serializable

    return convert_to_json_serializable(value)


def _ge_version() -> str:
    from great_expectations import __version__

    return __version__
