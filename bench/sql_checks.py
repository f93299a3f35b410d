"""A dataset's expectation suite as DuckDB SQL: the same checks, one query over all its batches.

The baseline for Great Expectations' cost (pipeline/validate.py): text read the same
way (null markers, date formats, '1,234'), the same per-batch parameters (data days,
the borough's spellings), one verdict per batch. Only what the suites use is
translated; an expectation type it does not know is an error, so the two cannot drift
apart silently.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.catalogue import Catalogue
from pipeline.load import quote
from pipeline.validate import normalise_name, suite_spec

__all__ = ["failing_batches", "UnsupportedExpectation"]


class UnsupportedExpectation(ValueError):
    """A suite uses an expectation type this translation does not know."""


def failing_batches(catalogue: Catalogue, batches) -> set[str]:
    """Batch ids with a failed critical check, one query (plus one for columns) per dataset."""
    import duckdb

    failed: set[str] = set()
    by_dataset: dict[str, list] = {}
    for batch in batches:
        if batch.row_count:
            by_dataset.setdefault(batch.dataset, []).append(batch)
    with duckdb.connect() as con:
        for dataset_id, group in by_dataset.items():
            failed |= _dataset_failures(con, catalogue, dataset_id, group)
    return failed


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _dataset_failures(con, catalogue: Catalogue, dataset_id: str, batches) -> set[str]:
    dataset, settings = catalogue.dataset(dataset_id), catalogue.settings
    suite = suite_spec(catalogue.dataset(dataset_id))["expectations"]
    fields = {f.name: f for f in dataset.fields}
    markers = ", ".join(_literal(m) for m in settings.null_markers)
    formats = [f for f in settings.date_formats]

    def text(name: str) -> str:
        return f"case when lower(trim({quote(name)})) in ({markers}) then null else trim({quote(name)}) end"

    def value(name: str) -> str:
        kind = fields[name].type
        if kind == "date":
            tries = ", ".join(f"try_strptime({text(name)}, {_literal(f)})" for f in formats)
            return f"cast(coalesce({tries}) as date)"
        if kind in ("integer", "number"):
            return f"try_cast(replace({text(name)}, ',', '') as double)"
        return text(name)

    def bad_type(name: str) -> str:
        kind = fields[name].type
        if kind == "string":
            return "false"
        wrong = f"{value(name)} is null"
        if kind == "integer":
            wrong = f"({wrong} or {value(name)} != floor({value(name)}))"
        return f"({text(name)} is not null and {wrong})"

    critical: list[str] = []
    columns_wanted: list[str] = []
    for expectation in suite:
        kwargs, kind = expectation["kwargs"], expectation["type"]
        blocking = expectation.get("severity", "critical") == "critical"
        check = _check(kind, kwargs, fields, text, value, bad_type)
        if kind == "expect_table_columns_to_match_set":
            if blocking:
                columns_wanted += [c for c in kwargs["column_set"] if not c.startswith("_")]
            continue
        (critical if blocking else []).append(check)
    names = dataset.column_names
    types = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    files = [str(b.records_path) for b in batches]
    area_spellings = [
        sorted(
            {
                normalise_name(n)
                for n in (
                    catalogue.area(b.borough_code).name,
                    *catalogue.area(b.borough_code).aliases,
                )
            }
        )
        for b in batches
    ]
    con.execute(
        "create or replace temp table batch_params as select unnest(?) as filename, "
        "unnest(?) as data_day, unnest(?) as spellings",
        [files, [b.data_day for b in batches], area_spellings],
    )
    failing = " or ".join(f"({c}) > 0" for c in critical) or "false"
    rows = con.execute(
        f"select t.filename from read_json(?, format = 'newline_delimited', columns = {types}, filename = true) as t "
        f"join batch_params as b using (filename) group by t.filename having {failing}",
        [files],
    ).fetchall()
    bad_files = {r[0] for r in rows}
    if columns_wanted:
        wanted = "[" + ", ".join(_literal(c) for c in columns_wanted) + "]"
        rows = con.execute(
            "select filename from read_json_objects(?, format = 'newline_delimited', filename = true) "
            f"group by filename having not list_has_all(list_distinct(flatten(list(json_keys(json)))), {wanted})",
            [files],
        ).fetchall()
        bad_files |= {r[0] for r in rows}
    return {b.batch_id for b in batches if str(b.records_path) in bad_files}


def _check(kind: str, kwargs: dict[str, Any], fields, text, value, bad_type) -> str:
    """An aggregate counting a batch's unexpected rows (0: the check passes)."""
    column = kwargs.get("column")
    if kind == "expect_table_columns_to_match_set":
        return ""
    if kind == "expect_column_values_to_be_null" and column == "_type_errors":
        return "count_if(" + " or ".join(bad_type(n) for n in fields) + ")"
    if kind == "expect_column_values_to_not_be_null":
        condition = _row_condition(kwargs.get("row_condition"), text)
        return f"count_if({condition}{text(column)} is null)"
    if kind == "expect_column_values_to_be_unique":
        return f"count({text(column)}) - count(distinct {text(column)})"
    if kind == "expect_column_values_to_be_in_set":
        wanted = kwargs["value_set"]
        if column == "_borough_normalised":
            normalised = "lower(trim(regexp_replace(borough, '\\s+', ' ', 'g')))"
            return f"count_if({text('borough')} is not null and not list_contains(b.spellings, {normalised}))"
        if isinstance(wanted, dict) and wanted.get("$PARAMETER") == "data_days":
            return f"count_if({value(column)} is not null and cast({value(column)} as varchar) != b.data_day)"
        listed = ", ".join(_literal(v) for v in wanted)
        return f"count_if({text(column)} is not null and {text(column)} not in ({listed}))"
    if kind == "expect_column_values_to_be_between":
        bounds = []
        if kwargs.get("min_value") is not None:
            bounds.append(f"{value(column)} < {float(kwargs['min_value'])}")
        if kwargs.get("max_value") is not None:
            bounds.append(f"{value(column)} > {float(kwargs['max_value'])}")
        return f"count_if({value(column)} is not null and ({' or '.join(bounds) or 'false'}))"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = value(kwargs["column_A"]), value(kwargs["column_B"])
        op = "<" if kwargs.get("or_equal") else "<="
        return f"count_if({a} is not null and {b} is not null and {a} {op} {b})"
    if kind == "expect_table_row_count_to_be_between":
        bounds = []
        if isinstance(kwargs.get("min_value"), (int, float)):
            bounds.append(f"count(*) < {kwargs['min_value']}")
        if isinstance(kwargs.get("max_value"), (int, float)):
            bounds.append(f"count(*) > {kwargs['max_value']}")
        return f"cast(({' or '.join(bounds) or 'false'}) as integer)"
    raise UnsupportedExpectation(
        f"no SQL for {kind} (kwargs {sorted(kwargs)}): add it to bench/sql_checks.py"
    )


_CONDITION = re.compile(r'^\s*(\w+)\s*==\s*"([^"]*)"\s*$')


def _row_condition(condition: str | None, text) -> str:
    if not condition:
        return ""
    match = _CONDITION.match(condition)
    if not match:
        raise UnsupportedExpectation(f'row_condition {condition!r} is not `column=="value"`')
    return f"{text(match.group(1))} = {_literal(match.group(2))} and "
