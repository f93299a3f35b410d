"""A published CSV file's bytes -> rows of text, whatever encoding the borough saved in.

Borough spreadsheets are often Windows "ANSI" (cp1252/latin-1: `£` is one byte 0xA3),
sometimes UTF-8 with a byte-order mark, and the Content-Type charset is rarely right.
So the bytes are decoded as http.decode_text says (a BOM, else strict UTF-8, else the
declared charset, else cp1252, then latin-1). A cell may be of any size.
Values stay text ("1,234", "£28,780", ".", "n/a"): reading them is staging's job.
A row with more or fewer cells than the header means a cut-off or broken file.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ingest.errors import FatalFetchError, RetriableFetchError
from ingest.http import decode_text

# Cells of any size: a free-text column can exceed the csv module's 128 KiB default.
# The limit is process-wide, so it is only ever raised, never lowered.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

__all__ = ["decode_text", "parse_csv"]


def parse_csv(body: bytes, url: str, declared: str | None = None) -> list[dict[str, Any]]:
    """Every data row as {header: cell}; raises RetriableFetchError for a ragged file."""
    text, _ = decode_text(body, declared)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FatalFetchError(f"CSV header unreadable: {exc}", url=url) from None
    if not header:
        return []
    header = [name.strip() for name in header]
    if len(set(header)) != len(header) or not all(header):
        raise RetriableFetchError(
            f"CSV header has blank or repeated column names: {header}", url=url
        )
    rows = []
    try:
        for line, cells in enumerate(reader, start=2):
            if not cells:
                continue
            if len(cells) != len(header):
                raise RetriableFetchError(
                    f"CSV row {line} has {len(cells)} cells, the header {len(header)} (file cut off?)",
                    url=url,
                )
            rows.append(dict(zip(header, cells, strict=False)))
    except csv.Error as exc:
        raise FatalFetchError(f"CSV unreadable at line {reader.line_num}: {exc}", url=url) from None
    return rows
