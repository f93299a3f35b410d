"""How each borough spells its data: the published record, from the truth record.

Real feeds agree on field names but not on how values are written: one borough says
"RBKC", another "Kensington & Chelsea"; one writes 1,234, another "1234"; a missing
value is null, "", "n/a" or "-". The pipeline's staging models must undo exactly this,
so the sandbox publishes it, per borough, from config/sandbox/<region>.yml `quirks`.
Dates follow the borough's `portal.date_format` from the catalogue.
Protocols add their own habits: Socrata publishes every value as a string and omits null
fields, as real SODA does; Open311 writes strings and real nulls; ArcGIS writes dates as
epoch milliseconds; a bulk CSV is all text, saved in the borough's `encoding`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ingest.catalogue import Area, Dataset, Field, Portal
from ingest.errors import CatalogueError
from ingest.periods import period_end

__all__ = [
    "Quirk",
    "NUMBER_MODES",
    "NULL_MARKERS",
    "build_quirks",
    "publish_record",
    "render_value",
    "same_name",
    "ENCODINGS",
]

NUMBER_MODES = ("native", "strings", "thousands")
NULL_MARKERS = (None, "", "n/a", "-", ".")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
_QUIRK_KEYS = (
    "borough_label",
    "numbers",
    "null_marker",
    "encoding",
    "late_days",
    "withholds",
    "supports_pagination",
)
EARLY_DAYS = 3  # boroughs on time publish this many days before the due day
_TEXT_ONLY = ("socrata", "open311")  # every value a string, nulls not written as markers


@dataclass(frozen=True)
class Quirk:
    """One borough's habits. `borough_label` None means the area's own name."""

    borough_label: str | None = None
    numbers: str = "native"
    null_marker: str | None = None
    encoding: str = "utf-8"  # bulk CSV files only
    supports_pagination: bool = True  # ArcGIS only: False is a 10.2-era server (no resultOffset)
    late_days: Mapping[str, int] = field(default_factory=dict)  # periodic dataset -> days late
    withholds: tuple[str, ...] = ()  # periodic datasets this borough never publishes

    def publishes(self, dataset: Dataset, start: dt.date, publication_day: dt.date) -> bool:
        """Whether the period starting on `start` is out by `publication_day`.

        Boroughs publish a period a few days before it is due (the catalogue's
        `publication.lag_days`), except those configured late or withholding it.
        """
        if not dataset.periodic:
            return True
        if dataset.id in self.withholds:
            return False
        lag = max(0, dataset.publication.lag_days - EARLY_DAYS) + self.late_days.get(dataset.id, 0)
        return period_end(start, dataset.cadence) + dt.timedelta(days=lag) <= publication_day


_GSS_CODE = re.compile(r"^[EWSN][0-9]{8}$")


def same_name(a: str, b: str) -> bool:
    """Names match ignoring case and surrounding or repeated spaces (as the catalogue says)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def build_quirks(
    raw: Any, areas: tuple[Area, ...], path: Path, datasets: Mapping[str, Dataset] | None = None
) -> dict[str, Quirk]:
    """Every area's Quirk from the `quirks` mapping; raises CatalogueError naming the key."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: quirks: expected a mapping of borough code to quirks")
    codes = {area.code for area in areas}
    for key in raw:
        if key != "default" and not _GSS_CODE.match(str(key)):
            raise CatalogueError(
                f"{path}: quirks.{key}: not a GSS borough code (like E09000007); quirks are keyed by GSS code"
            )
        if key != "default" and key not in codes:
            raise CatalogueError(
                f"{path}: quirks.{key}: not a borough of this region (a typo, or another region's "
                f"code: each region has its own file)"
            )
    default = _checked(raw.get("default"), path, "quirks.default", datasets)
    quirks = {}
    for area in areas:
        own = _checked(raw.get(area.code), path, f"quirks.{area.code}", datasets)
        merged = {**default, **own}
        where = f"{path}: quirks.{area.code} ({area.name})"
        label = merged.get("borough_label")
        if label is not None and not any(same_name(label, n) for n in (area.name, *area.aliases)):
            raise CatalogueError(
                f"{where}.borough_label: {label!r} is not {area.name!r} or one of its aliases "
                f"{list(area.aliases)} in the region config"
            )
        if area.portal.protocol == "socrata":
            if own.get("numbers") == "native":
                raise CatalogueError(
                    f"{where}.numbers: Socrata publishes every value as a string; use strings or thousands"
                )
            if own.get("null_marker") is not None:
                raise CatalogueError(
                    f"{where}.null_marker: Socrata omits null fields; a null marker cannot apply"
                )
            merged["numbers"] = (
                "strings" if merged.get("numbers", "native") == "native" else merged["numbers"]
            )
            merged["null_marker"] = None
        if area.portal.protocol == "arcgis" and own.get("null_marker") is not None:
            raise CatalogueError(
                f"{where}.null_marker: ArcGIS fields are typed; a missing value is null"
            )
        if "supports_pagination" in own and "arcgis" not in area.protocols:
            raise CatalogueError(
                f"{where}.supports_pagination: only an ArcGIS portal can lack pagination"
            )
        if own.get("encoding") and area.portal.protocol != "bulk_csv":
            raise CatalogueError(
                f"{where}.encoding: only a bulk_csv portal publishes files in an encoding"
            )
        quirks[area.code] = Quirk(**merged)
    return quirks


def _checked(raw: Any, path: Path, where: str, datasets: Mapping[str, Dataset]) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: {where}: expected a mapping with keys {list(_QUIRK_KEYS)}")
    unknown = set(raw) - set(_QUIRK_KEYS)
    if unknown:
        raise CatalogueError(
            f"{path}: {where}: unknown keys {sorted(unknown)}; known: {list(_QUIRK_KEYS)}"
        )
    if "numbers" in raw and raw["numbers"] not in NUMBER_MODES:
        raise CatalogueError(
            f"{path}: {where}.numbers: unknown mode {raw['numbers']!r}; known: {list(NUMBER_MODES)}"
        )
    if "null_marker" in raw and raw["null_marker"] not in NULL_MARKERS:
        raise CatalogueError(
            f"{path}: {where}.null_marker: {raw['null_marker']!r} is not one of {list(NULL_MARKERS)}"
        )
    if "encoding" in raw and raw["encoding"] not in ENCODINGS:
        raise CatalogueError(
            f"{path}: {where}.encoding: {raw['encoding']!r} is not one of {list(ENCODINGS)}"
        )
    if "supports_pagination" in raw and not isinstance(raw["supports_pagination"], bool):
        raise CatalogueError(f"{path}: {where}.supports_pagination: expected true or false")
    if "borough_label" in raw and not isinstance(raw["borough_label"], str):
        raise CatalogueError(f"{path}: {where}.borough_label: expected a string")
    checked = dict(raw)
    late = raw.get("late_days", {})
    if not isinstance(late, dict) or not all(isinstance(v, int) and v >= 0 for v in late.values()):
        raise CatalogueError(
            f"{path}: {where}.late_days: expected a mapping of dataset id to days (>= 0)"
        )
    withholds = raw.get("withholds", [])
    if not isinstance(withholds, list):
        raise CatalogueError(f"{path}: {where}.withholds: expected a list of dataset ids")
    for dataset_id in [*late, *withholds]:
        dataset = datasets.get(dataset_id)
        if datasets and (dataset is None or not dataset.periodic):
            raise CatalogueError(
                f"{path}: {where}: {dataset_id!r} is not a monthly or quarterly dataset of the "
                f"catalogue; only those are published late or withheld"
            )
    if "withholds" in raw:
        checked["withholds"] = tuple(withholds)
    return checked


def render_value(
    value: Any, spec: Field | None, area: Area, quirk: Quirk, portal: Portal | None = None
) -> Any:
    """One value as this borough writes it on this portal; None stays None (the caller decides)."""
    portal = portal or area.portal
    if value is None:
        return None
    if spec is not None and spec.name == "borough" and value == area.name:
        value = quirk.borough_label if quirk.borough_label is not None else area.name
    elif isinstance(value, dt.date):
        value = _render_date(value, portal)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if quirk.numbers == "thousands":
            value = f"{value:,}"
        elif quirk.numbers == "strings":
            value = str(value)
    if portal.protocol in _TEXT_ONLY and not isinstance(value, str):
        value = json_scalar_text(value)
    return value


def _render_date(day: dt.date, portal: Portal) -> Any:
    """Midnight of the day in the portal's zone, the way its protocol writes a date."""
    if portal.date_format == "epoch_ms":
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(portal.timezone))
        return int(midnight.timestamp()) * 1000
    if portal.date_format == "iso8601":
        return dt.datetime(
            day.year, day.month, day.day, tzinfo=ZoneInfo(portal.timezone)
        ).isoformat()
    return day.strftime(portal.date_format)


def json_scalar_text(value: Any) -> str:
    """How Socrata writes a non-string scalar: numbers as digits, booleans lowercase."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def publish_record(
    record: dict, dataset: Dataset, area: Area, quirk: Quirk, portal: Portal | None = None
) -> dict:
    """The published record: the dataset's fields in order, values in the borough's style.

    Keys not in the dataset (none, unless a fault added them) are kept after the fields.
    """
    portal = portal or area.portal
    socrata = portal.protocol == "socrata"
    published = {}
    specs = {spec.name: spec for spec in dataset.fields}
    for name in (*dataset.column_names, *(k for k in record if k not in specs)):
        if name not in record:
            continue
        value = render_value(record[name], specs.get(name), area, quirk, portal)
        if value is None:
            if socrata:
                continue
            value = None if portal.protocol == "open311" else quirk.null_marker
        published[name] = value
    return published
