"""A published CSV file's bytes -> rows of text, whatever encoding the borough saved in.

Borough spreadsheets are often Windows "ANSI" (cp1252/latin-1: `£` is one byte 0xA3),
sometimes UTF-8 with a byte-order mark, and the Content-Type charset is rarely right.
So: a BOM decides; else strict UTF-8 (latin-1 text almost never decodes as UTF-8);
else the declared charset; else cp1252, then latin-1 (which decodes any byte).
Values stay text ("1,234", "£28,780", ".", "n/a"): reading them is staging's job.
A row with more or fewer cells than the header means a cut-off or broken file.
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import Any

from ingest.errors import RetriableFetchError

__all__ = ["decode_text", "parse_csv"]


def decode_text(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used) for a file's bytes."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    candidates = ["utf-8"] + ([declared] if declared else []) + ["cp1252", "latin-1"]
    for encoding in dict.fromkeys(c.lower() for c in candidates):
        try:
            return body.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def parse_csv(body: bytes, url: str, declared: str | None = None) -> list[dict[str, Any]]:
    """Every data row as {header: cell}; raises RetriableFetchError for a ragged file."""
    text, _ = decode_text(body, declared)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        return []
    header = [name.strip() for name in header]
    if len(set(header)) != len(header) or not all(header):
        raise RetriableFetchError(f"CSV header has blank or repeated column names: {header}", url=url)
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            raise RetriableFetchError(
                f"CSV row {line} has {len(cells)} cells, the header {len(header)} (file cut off?)", url=url)
        rows.append(dict(zip(header, cells)))
    return rows
