"""Region-wide sources: one file for the whole region, declared in a dataset's `source` block.

Most real London data is one download for the whole city with an area column (London
Datastore, DLUHC live tables), or a city-wide series with no borough split at all (TfL).
Such a dataset is fetched once per night and split into the per-borough partitions
(ingest/region_feed.py), so the scorecard and coverage still work per borough; rows for
areas that are not boroughs (the region total, Inner/Outer London, a `Total` row, an
airport) go to the region's own partition, under the region's code, never into a borough.

How the file is read is config (datasets.yml), never code:
    source:
      scope: region               # the only scope: one file serves every area of the region
      region: london              # whose file it is: the dataset exists for that region only
      protocol: bulk_csv          # a whole-file download (conditional GET, kept in the landing zone)
      base_url: "${CITY_API_BASE_URL}/london-datastore"
      file: dclg-affordable-housing-borough.csv   # .csv, .xlsx or .ods
      sheets: "^201[3-7]_\\d\\d$" # spreadsheets: the sheets to read (a regex; default: every sheet)
      header_row: 1               # the row (1-based) holding the column names
      columns: {field: column}    # dataset field <- the file's column header, `@sheet` (the
                                  #   sheet's name) or `#N` (the N-th column, 1-based)
      first_of: {field: [columns]}  # the first non-blank of several columns (names split over two)
      wide: {columns: regex, into: field, value: field, names_row: N, names_into: field}
                                  # one column per area or mode: each cell becomes a row
      period: field               # the field holding the period's label (`2011-12`, `01-Apr-10`)
      key: [fields]               # the dataset key is made of these fields' text
      areas:
        code: field               # the field holding an area code (matched to the register)
        name: field               # the field holding an area name (matched to names and aliases)
        keep: [names]             # non-borough areas kept, in the region partition
        drop: [names or code regexes]   # areas outside the region (England, other regions)
      region_totals: [fields]     # copy the region's own row's value beside each borough's,
                                  #   as region_<field>, so validation can compare them
Without `areas.code` and `areas.name` every row is the region's (a city-wide series).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.config_yaml import suggest, unknown_keys
from ingest.errors import CatalogueError

__all__ = [
    "RegionSource",
    "WideLayout",
    "AreaRules",
    "parse_source",
    "SOURCE_FORMATS",
    "SHEET",
    "REGION_PREFIX",
]

SOURCE_FORMATS = ("csv", "xlsx", "ods")
SCOPES = ("region",)
SOURCE_PROTOCOLS = ("bulk_csv",)
SHEET = "@sheet"
REGION_PREFIX = "region_"
_KEYS = (
    "scope",
    "region",
    "protocol",
    "base_url",
    "file",
    "sheets",
    "header_row",
    "columns",
    "first_of",
    "wide",
    "period",
    "key",
    "areas",
    "region_totals",
)
_WIDE_KEYS = ("columns", "into", "value", "names_row", "names_into")
_AREA_KEYS = ("code", "name", "keep", "drop")
_COLUMN_INDEX = re.compile(r"^#([1-9][0-9]{0,3})$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(csv|xlsx|ods)$")


@dataclass(frozen=True)
class WideLayout:
    """One column per area (or mode): `columns` picks them, each cell becomes a row."""

    columns: str  # regex over the header cells
    into: str  # the field that gets the column's header
    value: str  # the field that gets the cell
    names_row: int | None = None  # a second header row (e.g. area names under codes)...
    names_into: str | None = None  # ...and the field it goes to


@dataclass(frozen=True)
class AreaRules:
    """How a row's area is recognised: a borough, a kept non-borough area, or dropped."""

    code: str | None = None
    name: str | None = None
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()

    @property
    def region_only(self) -> bool:
        """No area column: every row is the region's own (a city-wide series)."""
        return self.code is None and self.name is None


@dataclass(frozen=True)
class RegionSource:
    scope: str
    region: str
    protocol: str
    base_url: str
    file: str
    columns: dict[str, str]
    period: str
    key: tuple[str, ...]
    areas: AreaRules
    sheets: str | None = None
    header_row: int = 1
    first_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    wide: WideLayout | None = None
    region_totals: tuple[str, ...] = ()

    @property
    def format(self) -> str:
        return self.file.rsplit(".", 1)[1].lower()

    @property
    def url(self) -> str:
        return f"{self.base_url}/download/{self.file}"

    def produced_fields(self) -> set[str]:
        """Every dataset field the reshaped records carry (besides the key and the period's day)."""
        made = set(self.columns) | set(self.first_of)
        if self.wide:
            made |= {self.wide.into, self.wide.value} | (
                {self.wide.names_into} if self.wide.names_into else set()
            )
        return made | {f"{REGION_PREFIX}{name}" for name in self.region_totals}


def parse_source(
    raw: Any,
    fields: tuple[str, ...],
    date_field: str,
    key_field: str,
    path: Path,
    where: str,
    expand: Callable[[str], str],
) -> RegionSource | None:
    """A dataset's `source` block, checked against its fields; None when it has none."""
    if raw is None:
        return None
    where = f"{where}.source"
    if not isinstance(raw, dict):
        raise CatalogueError(
            f"{path}: {where}: expected a mapping (scope, protocol, base_url, file, ...)"
        )
    unknown_keys(raw, _KEYS, path, where)
    scope = _choice(raw, "scope", SCOPES, path, where)
    protocol = _choice(raw, "protocol", SOURCE_PROTOCOLS, path, where)
    file = _text(raw, "file", path, where)
    if not _FILE.match(file):
        raise CatalogueError(
            f"{path}: {where}.file: {file!r} must be a plain file name ending in "
            f"{', '.join('.' + f for f in SOURCE_FORMATS)}"
        )
    columns = _mapping(raw.get("columns") or {}, path, f"{where}.columns")
    first_of = raw.get("first_of") or {}
    if not isinstance(first_of, dict) or not all(
        isinstance(v, list) and v for v in first_of.values()
    ):
        raise CatalogueError(f"{path}: {where}.first_of: expected field: [column, column, ...]")
    wide = _wide(raw.get("wide"), path, f"{where}.wide")
    areas = _areas(raw.get("areas") or {}, path, f"{where}.areas")
    header_row = raw.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise CatalogueError(
            f"{path}: {where}.header_row: expected a row number from 1, got {header_row!r}"
        )
    sheets = raw.get("sheets")
    if sheets is not None:
        _regex(sheets, path, f"{where}.sheets")
    key = raw.get("key")
    if not isinstance(key, list) or not key or not all(isinstance(k, str) for k in key):
        raise CatalogueError(
            f"{path}: {where}.key: expected the list of fields that make the key {key_field!r}"
        )
    source = RegionSource(
        scope=scope,
        region=_text(raw, "region", path, where),
        protocol=protocol,
        base_url=expand(_text(raw, "base_url", path, where)).rstrip("/"),
        file=file,
        columns=columns,
        period=_text(raw, "period", path, where),
        key=tuple(key),
        areas=areas,
        sheets=sheets,
        header_row=header_row,
        first_of={k: tuple(map(str, v)) for k, v in first_of.items()},
        wide=wide,
        region_totals=tuple(raw.get("region_totals") or ()),
    )
    _check_fields(source, fields, date_field, key_field, path, where)
    return source


def _check_fields(
    source: RegionSource,
    fields: tuple[str, ...],
    date_field: str,
    key_field: str,
    path: Path,
    where: str,
) -> None:
    """Every field the source fills is declared, and every declared field is filled."""
    made = source.produced_fields()
    for name in sorted(made - set(fields)):
        raise CatalogueError(
            f"{path}: {where}: fills {name!r}, which is not one of the dataset's fields"
            f"{suggest(name, fields)}"
        )
    used = [
        source.period,
        *source.key,
        *source.region_totals,
        *(f for f in (source.areas.code, source.areas.name) if f),
    ]
    for name in used:
        if name not in made:
            raise CatalogueError(
                f"{path}: {where}: {name!r} is used but not filled from the file "
                f"(add it to columns, first_of or wide){suggest(name, sorted(made))}"
            )
    missing = set(fields) - made - {date_field, key_field, "borough"}
    if missing:
        raise CatalogueError(
            f"{path}: {where}: fields {sorted(missing)} are not filled from the file"
        )


def _wide(raw: Any, path: Path, where: str) -> WideLayout | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise CatalogueError(
            f"{path}: {where}: expected {{columns: regex, into: field, value: field}}"
        )
    unknown_keys(raw, _WIDE_KEYS, path, where)
    _regex(_text(raw, "columns", path, where), path, f"{where}.columns")
    names_row = raw.get("names_row")
    if (names_row is None) != (raw.get("names_into") is None):
        raise CatalogueError(f"{path}: {where}: names_row and names_into go together")
    return WideLayout(
        columns=raw["columns"],
        into=_text(raw, "into", path, where),
        value=_text(raw, "value", path, where),
        names_row=names_row,
        names_into=raw.get("names_into"),
    )


def _areas(raw: Any, path: Path, where: str) -> AreaRules:
    if not isinstance(raw, dict):
        raise CatalogueError(
            f"{path}: {where}: expected {{code: field, name: field, keep: [...], drop: [...]}}"
        )
    unknown_keys(raw, _AREA_KEYS, path, where)
    for key in ("keep", "drop"):
        if not isinstance(raw.get(key) or [], list) or not all(
            isinstance(v, str) for v in raw.get(key) or []
        ):
            raise CatalogueError(
                f"{path}: {where}.{key}: expected a list of area names (or code patterns)"
            )
    for pattern in raw.get("drop") or []:
        _regex(pattern, path, f"{where}.drop")
    return AreaRules(
        code=raw.get("code"),
        name=raw.get("name"),
        keep=tuple(raw.get("keep") or ()),
        drop=tuple(raw.get("drop") or ()),
    )


def _mapping(raw: Any, path: Path, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise CatalogueError(f"{path}: {where}: expected field: column header (or @sheet, #N)")
    return dict(raw)


def _choice(raw: dict, key: str, allowed: tuple[str, ...], path: Path, where: str) -> str:
    value = raw.get(key)
    if value not in allowed:
        raise CatalogueError(
            f"{path}: {where}.{key}: {value!r} is not one of {list(allowed)}"
            f"{suggest(str(value), allowed)}"
        )
    return value


def _text(raw: dict, key: str, path: Path, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise CatalogueError(f"{path}: {where}: missing required key {key!r} (text)")
    return value


def _regex(pattern: Any, path: Path, where: str) -> None:
    try:
        re.compile(str(pattern))
    except re.error as exc:
        raise CatalogueError(
            f"{path}: {where}: {pattern!r} is not a valid regular expression: {exc}"
        ) from None


def column_index(spec: str) -> int | None:
    """`#3` -> 2 (0-based); None for a header name."""
    match = _COLUMN_INDEX.match(spec)
    return int(match.group(1)) - 1 if match else None
