"""How boroughs publish: portals, per-dataset portal overrides, and protocol wire names.

Split from catalogue.py because it is the part that grows with every protocol. A
borough has one default portal; a dataset may be published elsewhere (Open311 for
service requests only), so `portal.datasets.<id>` overrides it per dataset. Protocols
with fixed vocabularies (Open311 calls `request_ref` `service_request_id`) declare the
mapping once per dataset in datasets.yml `wire.<protocol>`, never in code.

Two protocol options: `paging` (arcgis: `auto` reads the layer's metadata,
`offset` or `object_ids` overrides it for a server whose metadata is wrong) and
`package` (ckan, per dataset: the package_show id when it is not the resource id).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingest.config_yaml import suggest, unknown_keys
from ingest.errors import CatalogueError

__all__ = [
    "PROTOCOLS",
    "PROTOCOL_DATE_FORMATS",
    "PAGING_CHOICES",
    "parse_incremental",
    "SPECIAL_DATE_FORMATS",
    "WIRE_MAP_REQUIRED",
    "Portal",
    "WireMap",
    "parse_portal",
    "parse_wire",
]

PROTOCOLS = ("ckan", "socrata", "arcgis", "open311", "bulk_csv")
# Protocols whose dates are not text in a borough's layout: the format is the protocol's.
PROTOCOL_DATE_FORMATS = {"arcgis": "epoch_ms", "open311": "iso8601"}
SPECIAL_DATE_FORMATS = tuple(PROTOCOL_DATE_FORMATS.values())
# Protocols that publish their own field names, so a dataset needs a declared mapping.
WIRE_MAP_REQUIRED = ("open311",)
_STRFTIME = re.compile(r"%[Yy]")
# Protocols whose paging can be chosen per portal, and the choices (the first is the default).
PAGING_CHOICES = {"arcgis": ("auto", "offset", "object_ids")}
# Keys of a `portal` block; `datasets` (per-dataset overrides) only at the borough's own level.
PORTAL_KEYS = (
    "protocol",
    "base_url",
    "date_format",
    "timezone",
    "paging",
    "package",
    "covers_from",
    "datasets",
)
_CHANGED_FIELD = re.compile(
    r"^:?[A-Za-z_][A-Za-z0-9_]{0,62}$"
)  # a column or a system field (:updated_at)


@dataclass(frozen=True)
class Portal:
    """Where and how one borough publishes: protocol, address, its date format.

    `date_format` is a strftime pattern, or `epoch_ms` (ArcGIS) / `iso8601` (Open311);
    `timezone` is the one a wire timestamp is read in to find its data day.
    `paging` is None for protocols with one way to page (see PAGING_CHOICES);
    `package` is the CKAN package a dataset's resource belongs to (None: the resource id).
    `covers_from` is the first day a bulk file declares it holds (None: its first dated row),
    so a quiet day at its start is a zero, and a day before it is not published.
    """

    protocol: str
    base_url: str
    date_format: str
    timezone: str = "Europe/London"
    paging: str | None = None
    package: str | None = None
    covers_from: date | None = None


@dataclass(frozen=True)
class WireMap:
    """A protocol's own names for a dataset: canonical field -> wire field, and values."""

    fields: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict
    )  # canonical field -> wire -> canonical
    ignore: tuple[str, ...] = ()  # wire fields not loaded

    def wire_name(self, canonical: str) -> str:
        return self.fields.get(canonical, canonical)


def parse_portal(
    raw: Any, path: Path, where: str, expand, timezone: str, parent: Portal | None = None
) -> Portal:
    """One `portal` block (or a per-dataset override inheriting from `parent`)."""
    if not isinstance(raw, dict):
        raise CatalogueError(
            f"{path}: {where}: expected a mapping with protocol, base_url, date_format"
        )
    unknown_keys(raw, PORTAL_KEYS if parent is None else PORTAL_KEYS[:-1], path, where)
    protocol = raw.get("protocol") or (parent.protocol if parent else None)
    if not isinstance(protocol, str):
        raise CatalogueError(f"{path}: {where}: missing required key 'protocol'")
    if protocol not in PROTOCOLS:
        raise CatalogueError(
            f"{path}: {where}.protocol: unknown protocol {protocol!r}{suggest(protocol, PROTOCOLS)}; "
            f"known: {list(PROTOCOLS)}"
        )
    base_url = raw.get("base_url") or (parent.base_url if parent else None)
    if not isinstance(base_url, str):
        raise CatalogueError(f"{path}: {where}: missing required key 'base_url'")
    fixed = PROTOCOL_DATE_FORMATS.get(protocol)
    date_format = raw.get("date_format") or fixed or (parent.date_format if parent else None)
    if not isinstance(date_format, str):
        raise CatalogueError(f"{path}: {where}: missing required key 'date_format'")
    if fixed and date_format != fixed:
        raise CatalogueError(
            f"{path}: {where}.date_format: {protocol} always publishes dates as "
            f"{fixed!r}, not {date_format!r}"
        )
    if not fixed and (date_format in SPECIAL_DATE_FORMATS or not _STRFTIME.search(date_format)):
        raise CatalogueError(
            f"{path}: {where}.date_format: {date_format!r} is not a strftime pattern with a "
            f"year; {list(SPECIAL_DATE_FORMATS)} belong to {sorted(PROTOCOL_DATE_FORMATS)}"
        )
    zone = raw.get("timezone", parent.timezone if parent else timezone)
    inherited = parent.paging if parent and parent.protocol == protocol else None
    return Portal(
        protocol=protocol,
        base_url=expand(base_url),
        date_format=date_format,
        timezone=zone,
        paging=_paging(raw.get("paging", inherited), protocol, path, where),
        package=_package(raw.get("package"), protocol, parent, path, where),
        covers_from=_covers_from(
            raw.get(
                "covers_from",
                parent.covers_from if parent and parent.protocol == protocol else None,
            ),
            protocol,
            path,
            where,
        ),
    )


def _covers_from(value: Any, protocol: str, path: Path, where: str) -> date | None:
    if value is None:
        return None
    if protocol != "bulk_csv":
        raise CatalogueError(
            f"{path}: {where}.covers_from: only a bulk_csv file declares the days it covers; "
            f"an API's own answer says whether it published a day"
        )
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise CatalogueError(
            f"{path}: {where}.covers_from: expected a day (YYYY-MM-DD), got {value!r}"
        ) from None


def _paging(value: Any, protocol: str, path: Path, where: str) -> str | None:
    choices = PAGING_CHOICES.get(protocol)
    if choices is None:
        if value is not None:
            raise CatalogueError(
                f"{path}: {where}.paging: {protocol} pages one way only; "
                f"paging is chosen for {sorted(PAGING_CHOICES)} portals"
            )
        return None
    if value is None:
        return choices[0]
    if value not in choices:
        raise CatalogueError(
            f"{path}: {where}.paging: {value!r} is not one of {list(choices)}"
            f"{suggest(value, choices)}"
        )
    return value


def _package(
    value: Any, protocol: str, parent: Portal | None, path: Path, where: str
) -> str | None:
    if value is None:
        return None
    if protocol != "ckan" or parent is None:
        raise CatalogueError(
            f"{path}: {where}.package: only a ckan portal's per-dataset entry "
            f"(portal.datasets.<dataset>) names the package of its resource"
        )
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(
            f"{path}: {where}.package: expected the package's name or id, got {value!r}"
        )
    return value


def parse_wire(raw: Any, columns: tuple[str, ...], path: Path, where: str) -> dict[str, WireMap]:
    """datasets.<id>.wire: {protocol: {fields: {canonical: wire}, values: {...}, ignore: [...]}}."""
    maps = {}
    for protocol, spec, here in _per_protocol(raw, path, where, "its field names"):
        if not isinstance(spec, dict):
            raise CatalogueError(
                f"{path}: {here}: expected a mapping with keys fields, values, ignore"
            )
        unknown_keys(spec, ("fields", "values", "ignore"), path, here)
        fields = spec.get("fields") or {}
        if not isinstance(fields, dict) or not all(
            isinstance(v, str) and v for v in fields.values()
        ):
            raise CatalogueError(
                f"{path}: {here}.fields: expected a mapping of dataset field to wire name"
            )
        for name in fields:
            if name not in columns:
                raise CatalogueError(
                    f"{path}: {here}.fields.{name}: not a field of the dataset {list(columns)}"
                )
        if len(set(fields.values())) != len(fields):
            raise CatalogueError(f"{path}: {here}.fields: two dataset fields share one wire name")
        values = spec.get("values") or {}
        for name, table in values.items():
            if name not in columns or not isinstance(table, dict):
                raise CatalogueError(
                    f"{path}: {here}.values.{name}: expected a dataset field mapped to "
                    f"{{wire value: dataset value}}"
                )
        ignore = spec.get("ignore") or []
        if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
            raise CatalogueError(f"{path}: {here}.ignore: expected a list of wire field names")
        maps[protocol] = WireMap(
            fields=dict(fields),
            values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
            ignore=tuple(ignore),
        )
    return maps


def parse_incremental(raw: Any, path: Path) -> dict[str, str]:
    """pipeline.yml `incremental`: {protocol: {changed_field: name}} -> protocol -> field.

    Protocols listed can say which records changed since a moment (a watermark per feed);
    the others are fetched as full snapshots. The field goes into a query, so it must be
    a plain name.
    """
    fields = {}
    for protocol, spec, where in _per_protocol(raw, path, "incremental", "{changed_field: name}"):
        if not isinstance(spec, dict) or set(spec) != {"changed_field"}:
            raise CatalogueError(f"{path}: {where}: expected {{changed_field: name}}, got {spec!r}")
        name = spec["changed_field"]
        if not isinstance(name, str) or not _CHANGED_FIELD.match(name):
            raise CatalogueError(
                f"{path}: {where}.changed_field: {name!r} is not a field name "
                f"(letters, digits, '_', optionally a leading ':' for a system field)"
            )
        fields[protocol] = name
    return fields


def _per_protocol(raw: Any, path: Path, where: str, what: str) -> list[tuple[str, Any, str]]:
    """(protocol, its block, where it is) of a mapping keyed by protocol; None is empty."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: {where}: expected a mapping of protocol to {what}")
    for protocol in raw:
        if protocol not in PROTOCOLS:
            raise CatalogueError(
                f"{path}: {where}.{protocol}: unknown protocol{suggest(protocol, PROTOCOLS)}; "
                f"known: {list(PROTOCOLS)}"
            )
    return [(protocol, spec, f"{where}.{protocol}") for protocol, spec in raw.items()]
