"""The catalogue: config/*.yml read into typed, frozen records, validated on load.

The catalogue is the source of truth for every dataset, borough, portal and setting;
code never names a borough or an endpoint. A mistake in the YAML stops the load with
one message naming the file, the line, the key path, what was wrong and what is
allowed, as a compiler would: duplicate keys, unknown keys (with the nearest known
one), wrong types, and area codes outside the region's `register` (the official list
of its areas, e.g. ONS GSS codes, kept in the region's own file) are all refused.

This module loads and caches; the records are in catalogue_records.py, and each file has
its parser: settings_config.py (pipeline.yml), region_config.py (regions/<region>.yml),
dataset_config.py (datasets.yml), with the shared checks in config_checks.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from ingest.catalogue_records import (
    FIELD_TYPES,
    Alerts,
    Area,
    Catalogue,
    Dataset,
    Feed,
    Field,
    HostPools,
    Measure,
    OpenData,
    Publication,
    Region,
    RowCountHistory,
    Settings,
)
from ingest.config_checks import read_yaml
from ingest.config_yaml import located, suggest
from ingest.dataset_config import _datasets
from ingest.errors import CatalogueError
from ingest.portals import PROTOCOLS, WIRE_MAP_REQUIRED, Portal, WireMap
from ingest.region_config import _region
from ingest.settings_config import _settings

__all__ = [
    "Alerts",
    "Field",
    "Dataset",
    "Portal",
    "WireMap",
    "Area",
    "Region",
    "Feed",
    "Settings",
    "RowCountHistory",
    "OpenData",
    "Publication",
    "Measure",
    "HostPools",
    "Catalogue",
    "load_catalogue",
    "read_yaml",
    "config_dir",
    "PROTOCOLS",
    "FIELD_TYPES",
]


def config_dir() -> Path:
    """CITY_CONFIG_DIR, or the repository's config/ folder."""
    return Path(
        os.environ.get("CITY_CONFIG_DIR") or Path(__file__).resolve().parent.parent / "config"
    )


_LOADED: dict[tuple, Catalogue] = {}


def load_catalogue(directory: Path | str | None = None, region: str | None = None) -> Catalogue:
    """Read and validate config/; raises CatalogueError naming file, line and key path.

    Parsed once per process for the same files and environment (every step asks for it,
    and parsing costs about 0.1 s): the key holds each config file's size and mtime and the
    environment the config may expand, so an edited file or a changed variable re-reads.
    """
    base = Path(directory) if directory else config_dir()
    key = (str(base.resolve()), region, _config_stamp(base), frozenset(os.environ.items()))
    if key not in _LOADED:
        if len(_LOADED) >= 16:
            _LOADED.clear()
        _LOADED[key] = _read_catalogue(base, region)
    return _LOADED[key]


def _config_stamp(base: Path) -> tuple:
    """(path, size, mtime) of every YAML file of the config folder: what a re-read depends on."""
    stamps = []
    for path in sorted(base.rglob("*.yml")):
        stat = path.stat()
        stamps.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(stamps)


def _read_catalogue(base: Path, region: str | None) -> Catalogue:
    settings = _parsed(base / "pipeline.yml", _settings)
    region_name = region or os.environ.get("CITY_REGION") or settings.region
    region_path = base / "regions" / f"{region_name}.yml"
    if not region_path.exists():
        known = sorted(p.stem for p in (base / "regions").glob("*.yml"))
        raise CatalogueError(
            f"{region_path}: no such region {region_name!r}{suggest(region_name, known)}; "
            f"configured: {known}"
        )
    region_tree = read_yaml(region_path)
    region_parsed = _parsed(region_path, _region, region_tree)
    datasets = _parsed(base / "datasets.yml", _datasets)
    catalogue = Catalogue(
        region=region_parsed,
        # a region-wide source is one region's file: its dataset exists for that region only
        datasets={
            k: d
            for k, d in datasets.items()
            if d.source is None or d.source.region == region_parsed.slug
        },
        settings=settings,
        config_dir=base,
        elsewhere={
            k: d
            for k, d in datasets.items()
            if d.source is not None and d.source.region != region_parsed.slug
        },
    )
    _parsed(region_path, lambda _, path: _check_dataset_portals(catalogue, path), region_tree)
    return catalogue


def _parsed(path: Path, parse, tree: dict | None = None):
    """parse(tree, path), its CatalogueError given the line of the key path it names."""
    tree = read_yaml(path) if tree is None else tree
    try:
        return parse(tree, path)
    except CatalogueError as exc:
        raise CatalogueError(_with_line(str(exc), path, tree)) from None


def _with_line(message: str, path: Path, tree: dict) -> str:
    """`file: key.path: why` -> `file:LINE: key.path: why`, when the key path is in the tree."""
    prefix = f"{path}: "
    if not message.startswith(prefix):
        return message
    rest = message[len(prefix) :]
    where = rest.split(": ", 1)[0]
    line = None if where == "top" else located(tree, where)
    return f"{path}:{line}: {rest}" if line else message


def _check_dataset_portals(catalogue: Catalogue, path: Path) -> None:
    """Per-dataset overrides name real datasets, and protocols with their own names are mapped."""
    for index, area in enumerate(catalogue.region.areas):
        for dataset_id in area.dataset_portals:
            where = f"{path}: areas[{index}] ({area.code}).portal.datasets.{dataset_id}"
            if dataset_id not in catalogue.datasets:
                raise CatalogueError(
                    f"{where}: unknown dataset{suggest(dataset_id, catalogue.datasets)}; "
                    f"the catalogue has {sorted(catalogue.datasets)}"
                )
        for dataset in catalogue.datasets.values():
            if dataset.region_wide:
                continue
            protocol = area.portal_for(dataset.id).protocol
            if protocol in WIRE_MAP_REQUIRED and protocol not in dataset.wire:
                raise CatalogueError(
                    f"{path}: areas[{index}] ({area.code}).portal: {dataset.id} is published through "
                    f"{protocol}, which has its "
                    f"own field names, but datasets.yml {dataset.id}.wire.{protocol} does not map them"
                )
