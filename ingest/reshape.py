"""A region-wide file's sheets -> the dataset's records, as its `source` block says.

Picks columns by header (or `@sheet`, `#N`), unpivots a wide layout (one column per
area or per mode), reads each row's period label into the period's first day (the
dataset's date field) and builds the key. Values stay text, as published (`"5,926"`,
`--`, `..`): reading them is staging's job. Rows with no value at all (blank lines,
section headings such as `Inner London` over its boroughs, notes) are not records.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.catalogue import Dataset
from ingest.errors import FatalFetchError
from ingest.periods import PeriodLabelError, period_from_label
from ingest.sources import SHEET, RegionSource, column_index

__all__ = ["reshape"]


def reshape(sheets: dict[str, list[list[str]]], dataset: Dataset, url: str) -> list[dict[str, Any]]:
    """Every record of every chosen sheet, fields as the dataset names them."""
    source = dataset.source
    records = []
    for sheet, rows in sheets.items():
        records.extend(_sheet_records(sheet, rows, source, dataset, url))
    return records


def _sheet_records(
    sheet: str, rows: list[list[str]], source: RegionSource, dataset: Dataset, url: str
) -> list[dict[str, Any]]:
    where = f"sheet {sheet!r}" if sheet != "csv" else "the file"
    if len(rows) < source.header_row:
        raise FatalFetchError(f"{where} has no header row {source.header_row}", url=url)
    header = [_clean(c) for c in rows[source.header_row - 1]]
    pick = {name: _column(spec, header, where, url) for name, spec in source.columns.items()}
    first_of = {
        name: [_column(spec, header, where, url) for spec in specs]
        for name, specs in source.first_of.items()
    }
    wide = source.wide
    wide_columns, names = [], []
    if wide is not None:
        pattern = re.compile(wide.columns)
        wide_columns = [i for i, h in enumerate(header) if pattern.search(h)]
        if not wide_columns:
            raise FatalFetchError(
                f"{where}: no column header matches {wide.columns!r}; headers: {header[:12]}",
                url=url,
            )
        names = [_clean(c) for c in rows[wide.names_row - 1]] if wide.names_row else []
    start = max(source.header_row, wide.names_row or 0 if wide else 0)
    areas = {source.areas.code, source.areas.name} - {None}
    value_fields = [
        n
        for n in (*pick, *first_of)
        if n not in areas and n != source.period and source.columns.get(n) != SHEET
    ]
    records = []
    for number, raw in enumerate(rows[start:], start=start + 1):
        row = [_clean(c) for c in raw]
        values = {
            name: sheet if index == SHEET else _cell(row, index) for name, index in pick.items()
        }
        for name, indexes in first_of.items():
            values[name] = next((_cell(row, i) for i in indexes if _cell(row, i)), "")
        if wide is not None:
            for index in wide_columns:
                cell = _cell(row, index)
                if not cell:
                    continue  # a blank cell is a value not published, not a zero
                record = dict(values) | {wide.into: header[index], wide.value: cell}
                if wide.names_into:
                    record[wide.names_into] = names[index] if index < len(names) else ""
                records.append(_finish(record, source, dataset, where, number, url))
            continue
        if value_fields and not any(values[n] for n in value_fields):
            continue
        if not value_fields and not any(values.values()):
            continue
        records.append(_finish(values, source, dataset, where, number, url))
    return records


def _finish(
    record: dict[str, Any],
    source: RegionSource,
    dataset: Dataset,
    where: str,
    number: int,
    url: str,
) -> dict[str, Any]:
    """The period's first day in the date field, and the key."""
    label = record.get(source.period, "")
    try:
        record[dataset.date_field] = period_from_label(label, dataset.cadence).isoformat()
    except PeriodLabelError as exc:
        raise FatalFetchError(
            f"{where} row {number}: {exc} (field {source.period!r})", url=url
        ) from None
    record[dataset.key] = "|".join(str(record.get(k, "")) for k in source.key)
    return record


def _column(spec: str, header: list[str], where: str, url: str) -> int | str:
    if spec == SHEET:
        return SHEET
    index = column_index(spec)
    if index is not None:
        return index
    wanted = _clean(spec)
    for i, name in enumerate(header):
        if name == wanted:
            return i
    raise FatalFetchError(
        f"{where} has no column {spec!r}; its header: {[h for h in header if h][:20]}", url=url
    )


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _clean(value: Any) -> str:
    """Whitespace runs (a header split over lines) become one space."""
    return " ".join(str(value or "").split())
