"""A batch's share of a joint validation run: the rows and nulls each check counts per batch
(`_shares`), and the metrics GE's verdict code reads to judge one batch alone (`_metrics`),
so a batch's result is the one validating it alone gives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.validate import RESULT_FORMAT
from pipeline.validate_set_suite import _Check

if TYPE_CHECKING:
    from pipeline.validate_set import _Batches


def _shares(check: _Check, combined, batch_no, batches: int, unexpected) -> dict[str, Any]:
    """Per batch: rows in the check's domain, rows it skips as null, and its unexpected rows
    (of the night's row numbers `unexpected`), counted in one pass each."""
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
        "rows": np.bincount(batch_no[domain], minlength=batches).tolist(),
        "nulls": np.bincount(batch_no[skipped], minlength=batches).tolist(),
        "unexpected": np.bincount(batch_no[unexpected], minlength=batches).tolist(),
    }


def _metrics(
    check: _Check,
    batches: _Batches,
    batch_id: str,
    n: int,
    start: int,
    share: dict[str, Any],
    unexpected,
) -> dict[str, Any]:
    """The metrics GE's `_validate` reads, for batch `n` alone."""
    import numpy as np

    records = batches.records[batch_id]
    if check.kind == "table":
        columns = batches.columns[batch_id]
        metrics = {
            "table.row_count": len(records),
            "table.columns": columns,
            "table.column_count": len(columns),
        }
        return metrics
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
    rows, nulls = share["rows"][n], share["nulls"][n]
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
    return metrics


def _shared_key(
    check: _Check, batches: _Batches, batch_id: str, n: int, share: dict[str, Any]
) -> tuple | None:
    """A key for batch `n`'s metrics that other batches may share, without building them (None
    when the batch has unexpected rows: their values are its own)."""
    if check.kind == "table":
        # each table check's verdict reads one of its metrics (GE's `_validate`): the key is it
        if check.spec["type"] == "expect_table_row_count_to_be_between":
            return (len(batches.records[batch_id]),)
        return (tuple(batches.columns[batch_id]),)
    if share["unexpected"][n]:
        return None
    return (share["rows"][n], share["nulls"][n])
