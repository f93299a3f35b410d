"""config/regions/<region>.yml parsed into a Region: its areas, their portals, and the register
of official area codes that every area must be in."""

from __future__ import annotations

from pathlib import Path

from ingest.catalogue_records import (
    _GSS_CODE,
    _SLUG,
    Area,
    Region,
)
from ingest.config_checks import _expand_env, _need
from ingest.config_yaml import suggest, unknown_keys
from ingest.errors import CatalogueError
from ingest.portals import (
    parse_portal,
)

_REGION_FILE_KEYS = ("region", "register", "areas")
_REGION_KEYS = ("code", "name", "slug", "timezone")
_REGISTER_KEYS = ("source", "areas")
_AREA_KEYS = ("code", "name", "slug", "sub_region", "aliases", "portal")


def _region(data: dict, path: Path) -> Region:
    unknown_keys(data, _REGION_FILE_KEYS, path, "")
    head = _need(data, "region", path, "top", dict)
    unknown_keys(head, _REGION_KEYS, path, "region")
    register = _register(data, path, _need(head, "name", path, "region"))
    raw_areas = _need(data, "areas", path, "top", list)
    areas, seen = [], set()
    for index, raw in enumerate(raw_areas):
        where = f"areas[{index}]"
        code = _need(raw, "code", path, where)
        where = f"areas[{index}] ({code})"
        unknown_keys(raw, _AREA_KEYS, path, where)
        if not _GSS_CODE.match(code):
            raise CatalogueError(
                f"{path}: {where}.code: {code!r} must be a GSS code like E09000007"
            )
        _registered(register, code, raw, path, where, head["name"])
        slug = _need(raw, "slug", path, where)
        if not _SLUG.match(slug):
            raise CatalogueError(
                f"{path}: {where}: slug {slug!r} must be lowercase letters, digits, '-'"
            )
        if code in seen or slug in seen:
            raise CatalogueError(
                f"{path}: {where}.{'code' if code in seen else 'slug'}: "
                f"{code if code in seen else slug!r} is already used by an earlier area"
            )
        seen.update((code, slug))
        raw_portal = _need(raw, "portal", path, where, dict)
        timezone = _need(head, "timezone", path, "region")
        portal = parse_portal(raw_portal, path, f"{where}.portal", _expand_env, timezone)
        overrides = raw_portal.get("datasets") or {}
        if not isinstance(overrides, dict):
            raise CatalogueError(
                f"{path}: {where}.portal.datasets: expected a mapping of dataset id to a portal"
            )
        dataset_portals = {
            str(d): parse_portal(
                o, path, f"{where}.portal.datasets.{d}", _expand_env, timezone, parent=portal
            )
            for d, o in overrides.items()
        }
        aliases = raw.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise CatalogueError(f"{path}: {where}.aliases: expected a list of names")
        areas.append(
            Area(
                code=code,
                name=_need(raw, "name", path, where),
                slug=slug,
                sub_region=str(raw.get("sub_region") or ""),
                aliases=tuple(aliases),
                portal=portal,
                dataset_portals=dataset_portals,
            )
        )
    if not areas:
        raise CatalogueError(f"{path}: areas: a region needs at least one area")
    return Region(
        code=_need(head, "code", path, "region"),
        name=_need(head, "name", path, "region"),
        slug=_need(head, "slug", path, "region"),
        timezone=_need(head, "timezone", path, "region"),
        areas=tuple(areas),
    )


def _register(data: dict, path: Path, region_name: str) -> dict[str, str]:
    """register.areas: {code: official name}, the only codes an area of the region may have."""
    raw = _need(data, "register", path, "top", dict)
    unknown_keys(raw, _REGISTER_KEYS, path, "register")
    entries = _need(raw, "areas", path, "register", dict)
    for code, name in entries.items():
        if not isinstance(code, str) or not _GSS_CODE.match(code) or not isinstance(name, str):
            raise CatalogueError(
                f"{path}: register.areas.{code}: expected `GSS code: official name`, "
                f"e.g. `E09000007: Camden`, got {code!r}: {name!r}"
            )
    if not entries:
        raise CatalogueError(
            f"{path}: register.areas: the register of {region_name}'s areas is empty"
        )
    return dict(entries)


def _registered(
    register: dict[str, str], code: str, raw: dict, path: Path, where: str, region: str
) -> None:
    """An area's code is in the region's register, under the same name."""
    if code not in register:
        raise CatalogueError(
            f"{path}: {where}.code: {code!r} is not in the register of {region}'s areas"
            f"{suggest(code, register)}; allowed: {_code_ranges(sorted(register))}"
        )
    name = raw.get("name")
    if isinstance(name, str) and name.strip().lower() != register[code].strip().lower():
        raise CatalogueError(
            f"{path}: {where}.name: {name!r}, but the register names {code} "
            f"{register[code]!r} (wrong code, or a typo in the name?)"
        )


def _code_ranges(codes: list[str]) -> str:
    """E09000001-E09000033 for a run of consecutive codes, listed otherwise."""
    runs: list[list[str]] = []
    for code in codes:
        if runs and code[:3] == runs[-1][-1][:3] and int(code[3:]) == int(runs[-1][-1][3:]) + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)
