"""A downloaded file's bytes -> its sheets, each a list of rows of text cells.

Real London Datastore files are spreadsheets as often as CSV: XLSX is read with openpyxl
and ODS with pandas' odf reader (odfpy), sheet by sheet, never with a hand-made parser;
a CSV is one sheet named after the file. Cells become text as a person reads them:
a whole-number float is written without `.0` (Excel stores every number as a float),
an empty cell is "". Reading values (`1,234`, `--`, `..`) stays staging's job.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

from ingest.errors import FatalFetchError
from ingest.http import decode_text

__all__ = ["read_sheets", "cell_text"]


def read_sheets(
    body: bytes,
    file_format: str,
    url: str,
    sheets: str | None = None,
    declared_charset: str | None = None,
) -> dict[str, list[list[str]]]:
    """{sheet name: rows} for the sheets whose name matches `sheets` (all when None)."""
    if file_format == "csv":
        text, _ = decode_text(body, declared_charset)
        try:
            return {"csv": [row for row in csv.reader(io.StringIO(text, newline=""))]}
        except csv.Error as exc:
            raise FatalFetchError(f"CSV unreadable: {exc}", url=url) from None
    wanted = re.compile(sheets) if sheets else None
    try:
        book = _xlsx(body) if file_format == "xlsx" else _ods(body)
    except FatalFetchError:
        raise
    except Exception as exc:  # a corrupt workbook raises whatever its reader raises
        raise FatalFetchError(
            f"not a readable {file_format.upper()} workbook: {type(exc).__name__}: {exc}", url=url
        ) from None
    chosen = {name: rows for name, rows in book.items() if wanted is None or wanted.search(name)}
    if not chosen:
        raise FatalFetchError(
            f"no sheet matches {sheets!r}; the workbook has {list(book)}", url=url
        )
    return chosen


def _xlsx(body: bytes) -> dict[str, list[list[str]]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        return {
            sheet.title: [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def _ods(body: bytes) -> dict[str, list[list[str]]]:
    import pandas as pd

    frames = pd.read_excel(
        io.BytesIO(body), engine="odf", sheet_name=None, header=None, dtype=object
    )
    return {
        str(name): [[cell_text(v) for v in row] for row in frame.itertuples(index=False)]
        for name, frame in frames.items()
    }


def cell_text(value: Any) -> str:
    """One spreadsheet cell as text: 12 not 12.0, dates as ISO, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: pandas' empty cell
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
