"""A published CSV file's bytes -> rows of text, whatever encoding the borough saved in.

Borough spreadsheets are often Windows "ANSI" (cp1252/latin-1: `£` is one byte 0xA3),
sometimes UTF-8 with a byte-order mark, and the Content-Type charset is rarely right.
So the bytes are decoded as http.decode_text says (a BOM, else strict UTF-8, else the
declared charset, else cp1252, then latin-1). A cell may be of any size.
Values stay text ("1,234", "£28,780", ".", "n/a"): reading them is staging's job.
A row with more or fewer cells than the header means a cut-off or broken file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.errors import FatalFetchError, RetriableFetchError
from ingest.http import decode_text

# Cells of any size: a free-text column can exceed the csv module's 128 KiB default.
# The limit is process-wide, so it is only ever raised, never lowered.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

__all__ = ["decode_text", "parse_csv", "CsvFile", "file_encoding"]


def parse_csv(body: bytes, url: str, declared: str | None = None) -> list[dict[str, Any]]:
    """Every data row as {header: cell}; raises RetriableFetchError for a ragged file."""
    text, _ = decode_text(body, declared)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(reader, url)
    return [dict(zip(header, cells, strict=False)) for cells in _cells(reader, header, url)]


class CsvFile:
    """A CSV file's rows read from disk each time they are iterated, never all held at once.

    A bulk file of 50 MB is hundreds of MB as Python dicts; a night needs one day of it.
    Opening it reads it through once: the encoding (as decode_text decides, chunk by
    chunk), the header and every row's cell count, so a broken file fails here, at fetch.
    """

    def __init__(self, path: Path, url: str, declared: str | None = None):
        self.path, self.url = Path(path), url
        self.encoding = file_encoding(self.path, declared)
        with self._open() as handle:
            reader = csv.reader(handle)
            self.header = _header(reader, url)
            self.rows = sum(1 for _ in _cells(reader, self.header, url))

    def __len__(self) -> int:
        return self.rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if not self.header:
            return
        with self._open() as handle:
            reader = csv.reader(handle)
            next(reader)
            for cells in _cells(reader, self.header, self.url):
                yield dict(zip(self.header, cells, strict=False))

    def column(self, name: str) -> Iterator[tuple[str, list[str]]]:
        """(cell of `name`, the row's cells) for every row: a day is picked without a dict a row."""
        index = self.header.index(name)
        with self._open() as handle:
            reader = csv.reader(handle)
            next(reader)
            for cells in _cells(reader, self.header, self.url):
                yield cells[index], cells

    def _open(self):
        return self.path.open(encoding=self.encoding, newline="")


def file_encoding(path: Path, declared: str | None = None) -> str:
    """The encoding decode_text would read a file's bytes with, read a chunk at a time."""
    with path.open("rb") as handle:
        bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    candidates = (["utf-8-sig"] if bom else []) + ["utf-8", declared or "", "cp1252", "latin-1"]
    for encoding in dict.fromkeys(c.lower() for c in candidates if c):
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
        except LookupError:
            continue
        try:
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _header(reader, url: str) -> list[str]:
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
    return header


def _cells(reader, header: list[str], url: str) -> Iterator[list[str]]:
    """Every data row's cells; a row of another length is a cut-off or broken file."""
    if not header:
        return
    try:
        for line, cells in enumerate(reader, start=2):
            if not cells:
                continue
            if len(cells) != len(header):
                raise RetriableFetchError(
                    f"CSV row {line} has {len(cells)} cells, the header {len(header)} (file cut off?)",
                    url=url,
                )
            yield cells
    except csv.Error as exc:
        raise FatalFetchError(f"CSV unreadable at line {reader.line_num}: {exc}", url=url) from None
