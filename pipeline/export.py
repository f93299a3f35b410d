"""Open-data exports of the published warehouse, with small-cell suppression.

Runs after publish, reading the analysts' read-only copy, and writes under
`published/<open_data.directory>/`:
    city_metrics.csv                    every metric row, with "computed from N of M boroughs"
    <dataset>_borough_month.csv         records per borough (and the region) and month, for
                                        each daily dataset (its rows are events: casualties,
                                        requests, decisions); a monthly or quarterly dataset's
                                        rows are categories (modes, routes, property types),
                                        whose count says nothing: its figures are in city_metrics
    open_data.json                      threshold, files, how many cells were suppressed
A count below `open_data.min_cell_count` (config/pipeline.yml) is blanked with its value,
flagged `suppressed`, and protected from recovery by subtraction (pipeline/suppression.py).
The count a metric row is judged on is its numerator (a ratio of sums, also per_day and
ratio_change) or the records behind it (a median); metrics in `open_data.exempt_metrics`
count no people and are not suppressed.
Each file is written beside its target and renamed into place.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from ingest.catalogue import Catalogue
from pipeline.load import quote
from ingest.paths import DataPaths
from pipeline.publish import open_published
from pipeline.suppression import suppress_group

__all__ = ["export_open_data", "suppress_rows"]

_METRICS_SQL = """
select m.metric_id, m.metric_name, m.domain, m.area_code, m.area_name, m.area_type, m.period_type,
       m.period_start::varchar as period_start, m.period_end::varchar as period_end, m.days_covered,
       m.value, m.numerator, m.denominator, m.unit, m.direction, m.target,
       m.boroughs_covered, m.boroughs_expected, m.is_complete, d.aggregation, d.dataset
from analytics.city_metrics as m
left join analytics.dim_metrics as d using (metric_id)
order by m.metric_id, m.period_type, m.period_start, m.area_type, m.area_code
"""


def export_open_data(catalogue: Catalogue, paths: DataPaths) -> dict[str, Any]:
    """Write the suppressed open-data files from the published warehouse; returns a summary."""
    settings = catalogue.settings.open_data
    target = paths.published.parent / settings.directory
    target.mkdir(parents=True, exist_ok=True)
    with open_published(paths) as con:
        counts = {dataset.id: _rows(con, _counts_sql(dataset.id), [dataset.id, dataset.id])
                  for dataset in catalogue.datasets.values() if not dataset.periodic}
        metrics = _rows(con, _METRICS_SQL)
    record_counts = {(d, r["area_code"], r["period_start"]): r["records"] for d, rows in counts.items() for r in rows}
    for row in metrics:
        row["count"] = row["numerator"] if row["aggregation"] in _SUMMED else \
            record_counts.get((row["dataset"], row["area_code"], row["period_start"]))
        if row["metric_id"] in settings.exempt_metrics:
            row["count"] = None
    summary: dict[str, Any] = {"min_cell_count": settings.min_cell_count, "files": {}}
    metric_rows = suppress_rows(metrics, ("metric_id", "period_type", "period_start"), settings.min_cell_count,
                                blank=("value", "numerator"), additive=lambda r: r["aggregation"] in _SUMMED)
    summary["files"]["city_metrics.csv"] = _write(target / "city_metrics.csv", metric_rows, _METRIC_COLUMNS)
    for dataset, rows in counts.items():
        for row in rows:
            row["count"] = row["records"]
        shown = suppress_rows(rows, ("period_start",), settings.min_cell_count, blank=("records",))
        name = f"{dataset}_borough_month.csv"
        summary["files"][name] = _write(target / name, shown, _COUNT_COLUMNS)
    _atomic_text(target / "open_data.json", json.dumps(summary, indent=2) + "\n")
    summary["directory"] = str(target)
    return summary


def suppress_rows(rows: list[dict[str, Any]], group_by: tuple[str, ...], threshold: int,
                  blank: tuple[str, ...], additive=lambda row: True) -> list[dict[str, Any]]:
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
            row.update({"suppressed": True, "suppression_reason": reason}, **{k: None for k in blank})
    return out


_SUMMED = ("ratio", "per_day", "ratio_change")   # region numerator = sum of the boroughs'
_METRIC_COLUMNS = ("metric_id", "metric_name", "domain", "area_code", "area_name", "area_type", "period_type",
                   "period_start", "period_end", "days_covered", "value", "numerator", "denominator", "unit",
                   "direction", "target", "boroughs_covered", "boroughs_expected", "coverage", "is_complete",
                   "suppressed", "suppression_reason")
_COUNT_COLUMNS = ("dataset", "area_code", "area_name", "area_type", "period_start", "records",
                  "suppressed", "suppression_reason")


def _counts_sql(dataset: str) -> str:
    """Records per borough and month of one dataset's fact table, plus the region's total."""
    table = f"analytics.{quote('fct_' + dataset)}"
    return f"""
        with per_borough as (
            select f.area_code, a.area_name, 'borough' as area_type, a.region_code,
                   f.period_start, count(*) as records
            from {table} as f join analytics.dim_areas as a using (area_code)
            group by all
        )
        select ? as dataset, area_code, area_name, area_type, period_start::varchar as period_start,
               records
        from per_borough
        union all
        select ?, r.area_code, r.area_name, 'region', b.period_start::varchar, sum(b.records)
        from per_borough as b join analytics.dim_areas as r on r.area_code = b.region_code
        group by all
        order by period_start, area_type, area_code
    """


def _rows(con, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _write(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> dict[str, int]:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            row = dict(row, coverage=_coverage(row))
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    os.replace(temporary, path)
    return {"rows": len(rows), "suppressed": sum(1 for r in rows if r["suppressed"])}


def _coverage(row: dict[str, Any]) -> str | None:
    if row.get("boroughs_expected") is None:
        return None
    return f"computed from {row['boroughs_covered']} of {row['boroughs_expected']} boroughs"


def _atomic_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
