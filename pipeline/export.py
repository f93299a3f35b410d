"""Open-data exports of the published warehouse, with small-cell suppression.

Runs after publish, reading the analysts' read-only copy. What is counted, and which
count a value rests on, is mart logic (analytics.open_data_city_metrics and
analytics.open_data_record_counts); this module suppresses small cells
(pipeline/suppression.py) and writes files under `published/<open_data.directory>/`:
    city_metrics.csv / .parquet          every metric row, with "computed from N of M boroughs"
    metrics/<metric_id>.csv / .parquet   one metric's rows, and
    metrics/<metric_id>.json             its metadata: definition, unit, direction, licence,
                                         source boroughs, freshness, suppression
    <dataset>_borough_month.csv / .parquet / .json
                                         records per borough (and the region) and month, for
                                         each daily dataset (its rows are events)
    open_data.json                       threshold, files, how many cells were suppressed
A cell whose `cell_count` (the numerator, or the records behind a median; null for a
metric counting no people: counts_people in config/metrics.yml) is below
`open_data.min_cell_count` is blanked, flagged `suppressed`, and protected from recovery
by subtraction where its count is additive. Each file is written beside its target and
renamed into place; Parquet is converted from the CSV by DuckDB with the warehouse's types.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from ingest.catalogue import Catalogue
from ingest.paths import DataPaths
from pipeline.publish import open_published
from pipeline.suppression import suppress_group

__all__ = ["export_open_data", "suppress_rows"]

_METRIC_COLUMNS = (
    "metric_id",
    "metric_name",
    "domain",
    "area_code",
    "area_name",
    "area_type",
    "period_type",
    "period_start",
    "period_end",
    "days_covered",
    "value",
    "numerator",
    "denominator",
    "unit",
    "direction",
    "target",
    "boroughs_covered",
    "boroughs_expected",
    "coverage",
    "is_complete",
    "is_period_complete",
    "missing_boroughs",
    "suppressed",
    "suppression_reason",
)
_COUNT_COLUMNS = (
    "dataset",
    "area_code",
    "area_name",
    "area_type",
    "period_start",
    "records",
    "suppressed",
    "suppression_reason",
)
_ADDED_TYPES = {"suppressed": "BOOLEAN", "suppression_reason": "VARCHAR"}
_METRICS_SQL = (
    "select * from analytics.open_data_city_metrics "
    "order by metric_id, period_type, period_start, area_type, area_code"
)
_COUNTS_SQL = (
    "select * from analytics.open_data_record_counts "
    "order by dataset, period_start, area_type, area_code"
)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def export_open_data(catalogue: Catalogue, paths: DataPaths) -> dict[str, Any]:
    """Write the suppressed open-data files from the published warehouse; returns a summary."""
    settings = catalogue.settings.open_data
    target = paths.published.parent / settings.directory
    (target / "metrics").mkdir(parents=True, exist_ok=True)
    with open_published(paths) as con:
        metrics, metric_types = _rows(con, _METRICS_SQL)
        counts, count_types = _rows(con, _COUNTS_SQL)
    threshold = settings.min_cell_count
    summary: dict[str, Any] = {"min_cell_count": threshold, "files": {}}
    shown = suppress_rows(
        [dict(r, count=r["cell_count"]) for r in metrics],
        ("metric_id", "period_type", "period_start"),
        threshold,
        blank=("value", "numerator"),
        additive=lambda r: r["is_additive"],
    )
    summary["files"]["city_metrics.csv"] = _write_table(
        target, "city_metrics", shown, _METRIC_COLUMNS, metric_types
    )
    for metric_id, rows in _grouped(shown, "metric_id").items():
        name = f"metrics/{metric_id}"
        written = _write_table(target, name, rows, _METRIC_COLUMNS, metric_types)
        _atomic_json(target / f"{name}.json", _metric_metadata(catalogue, rows, written, threshold))
        written["metadata"] = f"{name}.json"
        summary["files"][f"{name}.csv"] = written
    by_dataset = _grouped(counts, "dataset")
    for dataset in (d for d in catalogue.datasets.values() if not d.periodic):
        rows = [dict(r, count=r["records"]) for r in by_dataset.get(dataset.id, [])]
        shown = suppress_rows(rows, ("region_code", "period_start"), threshold, blank=("records",))
        name = f"{dataset.id}_borough_month"
        written = _write_table(target, name, shown, _COUNT_COLUMNS, count_types)
        _atomic_json(target / f"{name}.json", _count_metadata(dataset, shown, written, threshold))
        written["metadata"] = f"{name}.json"
        summary["files"][f"{name}.csv"] = written
    _atomic_json(target / "open_data.json", summary)
    summary["directory"] = str(target)
    return summary


def suppress_rows(
    rows: list[dict[str, Any]],
    group_by: tuple[str, ...],
    threshold: int,
    blank: tuple[str, ...],
    additive=lambda row: True,
) -> list[dict[str, Any]]:
    """Copies of `rows` with `suppressed`/`suppression_reason` set and `blank` columns emptied."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[tuple(row[k] for k in group_by)].append(index)
    out = [dict(row, suppressed=False, suppression_reason=None) for row in rows]
    for members in groups.values():
        cells = [rows[i] for i in members]
        reasons = suppress_group(cells, threshold, additive=all(additive(c) for c in cells))
        for position, reason in reasons.items():
            row = out[members[position]]
            row.update(
                {"suppressed": True, "suppression_reason": reason}, **{k: None for k in blank}
            )
    return out


def _metric_metadata(
    catalogue: Catalogue, rows: list[dict[str, Any]], written: dict[str, Any], threshold: int
) -> dict[str, Any]:
    """What a reader of one metric's files needs to know to use them."""
    first = rows[0]
    dataset = catalogue.datasets.get(first["dataset"]) if first["dataset"] else None
    licences = (
        [dataset.licence] if dataset else sorted({d.licence for d in catalogue.datasets.values()})
    )
    regions = [r for r in rows if r["area_type"] == "region"]
    calendar = [r for r in regions if not r["period_type"].startswith("rolling")] or regions
    latest = max(calendar, key=lambda r: (r["period_end"], r["period_start"]), default=None)
    return {
        "metric_id": first["metric_id"],
        "metric_name": first["metric_name"],
        "domain": first["domain"],
        "definition": first["definition"],
        "unit": first["unit"],
        "direction": first["direction"],
        "has_better_direction": first["has_better_direction"],
        "target": first["target"],
        "aggregation": first["aggregation"],
        "dataset": first["dataset"],
        "source": dataset.title if dataset else "every dataset of the catalogue",
        "licence": " / ".join(licences),
        "source_boroughs": sorted({r["area_name"] for r in rows if r["area_type"] == "borough"}),
        "freshness": None
        if latest is None
        else {
            "latest_period_type": latest["period_type"],
            "latest_period_start": str(latest["period_start"]),
            "latest_period_end": str(latest["period_end"]),
            "days_covered": latest["days_covered"],
            "last_data_day": None
            if latest["last_data_day"] is None
            else str(latest["last_data_day"]),
            "is_period_complete": latest["is_period_complete"],
            "boroughs_covered": latest["boroughs_covered"],
            "boroughs_expected": latest["boroughs_expected"],
            "missing_boroughs": latest["missing_boroughs"].split(", ")
            if latest["missing_boroughs"]
            else [],
        },
        "small_cell_suppression": {
            "min_cell_count": threshold,
            "counts_people": first["counts_people"],
            "cells_suppressed": written["suppressed"],
        },
        "files": {"csv": written["csv"], "parquet": written["parquet"]},
    }


def _count_metadata(
    dataset, rows: list[dict[str, Any]], written: dict[str, Any], threshold: int
) -> dict[str, Any]:
    latest = max((r["period_start"] for r in rows), default=None)
    return {
        "dataset": dataset.id,
        "title": dataset.title,
        "owner": dataset.owner,
        "licence": dataset.licence,
        "definition": f"Records (events) of {dataset.title} per borough and month of their data day; "
        "the region row sums its boroughs",
        "unit": "records",
        "source_boroughs": sorted({r["area_name"] for r in rows if r["area_type"] == "borough"}),
        "freshness": {"latest_period_start": None if latest is None else str(latest)},
        "small_cell_suppression": {
            "min_cell_count": threshold,
            "cells_suppressed": written["suppressed"],
        },
        "files": {"csv": written["csv"], "parquet": written["parquet"]},
    }


def _rows(con, sql: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The rows as dicts, and each column's DuckDB type (for the Parquet file)."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    types = {d[0]: str(d[1]) for d in cursor.description}
    return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()], types


def _grouped(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


def _write_table(
    directory: Path,
    name: str,
    rows: list[dict[str, Any]],
    columns: tuple[str, ...],
    types: dict[str, str],
) -> dict[str, Any]:
    """<name>.csv and <name>.parquet (same rows, typed as in the warehouse)."""
    path = directory / f"{name}.csv"
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    os.replace(temporary, path)
    _csv_to_parquet(
        path, path.with_suffix(".parquet"), {c: (types | _ADDED_TYPES)[c] for c in columns}
    )
    return {
        "rows": len(rows),
        "suppressed": sum(1 for r in rows if r["suppressed"]),
        "csv": f"{name}.csv",
        "parquet": f"{name}.parquet",
    }


def _csv_to_parquet(source: Path, target: Path, types: dict[str, str]) -> None:
    """DuckDB COPY ... (FORMAT parquet) of a CSV we just wrote, with explicit column types."""
    for column, kind in types.items():
        if not _NAME.match(column) or not re.fullmatch(r"[A-Z][A-Z0-9_() ,]*", kind):
            raise ValueError(
                f"open-data export: unexpected column {column!r} of type {kind!r} for {target.name}"
            )
    spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
    temporary = target.with_name(f".{target.name}.tmp")
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_csv({_literal(source)}, header = true, nullstr = '', "
            f"auto_detect = false, columns = {spec})) to {_literal(temporary)} (format parquet)"
        )
    os.replace(temporary, target)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _atomic_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(temporary, path)
