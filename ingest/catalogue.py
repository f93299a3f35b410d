"""The catalogue: config/*.yml read into typed, frozen records, validated on load.

The catalogue is the source of truth for every dataset, borough, portal and setting;
code never names a borough or an endpoint. A mistake in the YAML stops the load with
one message naming the file, the line, the key path, what was wrong and what is
allowed, as a compiler would: duplicate keys, unknown keys (with the nearest known
one), wrong types, and area codes outside the region's `register` (the official list
of its areas, e.g. ONS GSS codes, kept in the region's own file) are all refused.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ingest.config_yaml import load_yaml_text, located, suggest, unknown_keys
from ingest.errors import CatalogueError
from ingest.periods import CADENCES
from ingest.portals import (
    PROTOCOLS,
    WIRE_MAP_REQUIRED,
    Portal,
    WireMap,
    parse_incremental,
    parse_portal,
    parse_wire,
)
from ingest.sources import RegionSource, parse_source

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

FIELD_TYPES = ("string", "date", "integer", "number")
DEFAULT_API_BASE_URL = "http://127.0.0.1:8765"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_GSS_CODE = re.compile(r"^[EWSN][0-9]{8}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")


@dataclass(frozen=True)
class Field:
    """One published column: its type and the values it may hold."""

    name: str
    type: str
    required: bool
    values: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Publication:
    """When a periodic dataset's period is due, and how many periods to keep filled."""

    lag_days: int
    history_periods: int


@dataclass(frozen=True)
class Measure:
    """An aggregated series: the value field that is summed (counts, amounts), not count(*)."""

    field: str
    aggregation: str  # sum: areas and periods add up (a rate or an average never does)
    unit: str


MEASURE_AGGREGATIONS = ("sum",)


@dataclass(frozen=True)
class Dataset:
    """A dataset every borough publishes, and the schema its feeds must carry."""

    id: str
    domain: str
    title: str
    owner: str
    licence: str
    resource: str
    date_field: str
    key: str
    fields: tuple[Field, ...]
    wire: dict[str, WireMap] = field(default_factory=dict, compare=False)
    cadence: str = "daily"
    publication: Publication | None = None  # None for daily datasets
    source: RegionSource | None = field(
        default=None, compare=False
    )  # one file for the whole region
    measure: Measure | None = None  # an aggregated series: its summed value field
    non_borough_rows: tuple[str, ...] = ()  # borough feeds: area names that are no borough's rows

    @property
    def region_wide(self) -> bool:
        """Fetched once per night for the whole region and split per area (ingest/region_feed.py)."""
        return self.source is not None

    @property
    def periodic(self) -> bool:
        """Published per month or quarter: an empty fetch means "not published yet"."""
        return self.cadence != "daily"

    def wire_map(self, protocol: str) -> WireMap:
        """The protocol's own names for this dataset (identity when it has none)."""
        return self.wire.get(protocol) or WireMap()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Area:
    """A local authority of the region."""

    code: str
    name: str
    slug: str
    sub_region: str
    aliases: tuple[str, ...]
    portal: Portal
    dataset_portals: dict[str, Portal] = field(default_factory=dict, compare=False)

    def portal_for(self, dataset_id: str) -> Portal:
        """The portal a dataset is published on: its override, else the borough's own."""
        return self.dataset_portals.get(dataset_id, self.portal)

    @property
    def protocols(self) -> tuple[str, ...]:
        """Every protocol this borough publishes through (its own first)."""
        return tuple(
            dict.fromkeys(
                [self.portal.protocol, *(p.protocol for p in self.dataset_portals.values())]
            )
        )


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    slug: str
    timezone: str
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class Feed:
    """One dataset as published by one borough: the unit of fetching and loading."""

    dataset: Dataset
    area: Area

    @property
    def id(self) -> str:
        return f"{self.dataset.id}/{self.area.code}"

    @property
    def label(self) -> str:
        return f"{self.dataset.id} · {self.area.name}"

    @property
    def portal(self) -> Portal:
        source = self.dataset.source
        if source is not None:
            return Portal(
                protocol=source.protocol, base_url=source.base_url, date_format="%Y-%m-%d"
            )
        return self.area.portal_for(self.dataset.id)

    @property
    def region_wide(self) -> bool:
        """The one feed of a region-wide source (its area is the region itself)."""
        return self.dataset.region_wide


@dataclass(frozen=True)
class RowCountHistory:
    """How far a batch's row count may stray from its feed's own recent history (a warning)."""

    days: int
    min_days: int
    factor: float
    slack_rows: int


@dataclass(frozen=True)
class OpenData:
    """Open-data exports: counts below min_cell_count are suppressed per borough."""

    min_cell_count: int
    directory: str


@dataclass(frozen=True)
class HostPools:
    """Concurrent ingest tasks allowed per borough API host (one Airflow pool each, pipeline/pools.py)."""

    slots_per_host: int = 8
    hosts: dict[str, int] = field(
        default_factory=dict
    )  # host name -> slots, overriding the default

    def slots(self, host: str) -> int:
        return self.hosts.get(host, self.slots_per_host)


@dataclass(frozen=True)
class Alerts:
    """Where failures and a missed publish deadline are announced (pipeline/alerts.py)."""

    webhook_url: str | None = None  # POSTed a JSON message; None: log lines only
    timeout_s: float = 10
    publish_by: str | None = None  # "HH:MM" in the schedule's timezone; None: no deadline


@dataclass(frozen=True)
class Settings:
    """config/pipeline.yml: schedule, HTTP behaviour, thresholds."""

    cron: str
    timezone: str
    default_days: int
    region: str
    http: dict[str, float]
    page_size: dict[str, int]
    max_failed_feed_share: float
    catch_up_days: int
    refetch_days: int
    null_markers: tuple[str, ...]
    date_formats: tuple[str, ...]
    row_count_history: RowCountHistory
    open_data: OpenData
    source_freshness: bool = True
    lock_wait_s: float = (
        600.0  # how long a run waits for another run's hold on the warehouse (pipeline/lock.py)
    )
    pools: HostPools = field(default_factory=HostPools)
    alerts: Alerts = field(default_factory=Alerts)
    incremental: dict[str, str] = field(default_factory=dict)  # protocol -> its changed-at field


@dataclass(frozen=True)
class Catalogue:
    region: Region
    datasets: dict[str, Dataset]
    settings: Settings
    config_dir: Path = field(compare=False)
    # datasets of another region's region-wide sources: not fetched here, but their raw tables
    # exist (empty) so that the warehouse and the dbt project are the same in every region
    elsewhere: dict[str, Dataset] = field(default_factory=dict, compare=False)

    @property
    def borough_datasets(self) -> dict[str, Dataset]:
        """The datasets each borough publishes itself (not one region-wide file split by borough)."""
        return {k: d for k, d in self.datasets.items() if not d.region_wide}

    def feeds(
        self, datasets: list[str] | None = None, areas: list[str] | None = None
    ) -> list[Feed]:
        """Every dataset x borough pair, optionally narrowed to some of each.

        A region-wide dataset is one feed, the region's (it serves every borough). Narrowed
        to some boroughs, it is left out unless its dataset is named too: it is no
        borough's feed.
        """
        chosen_ds = (
            [self.dataset(d) for d in datasets] if datasets else list(self.datasets.values())
        )
        chosen_areas = [self.area(a) for a in areas] if areas else list(self.region.areas)
        feeds = []
        for ds in chosen_ds:
            if ds.region_wide:
                if datasets or not areas:
                    feeds.append(Feed(ds, self.region_area))
                continue
            feeds.extend(Feed(ds, area) for area in chosen_areas)
        return feeds

    def feed(self, feed_id: str) -> Feed:
        dataset_id, _, area_code = feed_id.partition("/")
        return Feed(self.dataset(dataset_id), self.area(area_code))

    @property
    def region_area(self) -> Area:
        """The region as an area of its own: where region-wide feeds and non-borough rows
        (the region total, Inner/Outer London, a `Total` row) are kept, under its code."""
        names = [
            self.region.name,
            *(n for d in self.datasets.values() if d.source for n in d.source.areas.keep),
        ]
        first = next(iter(self.region.areas))
        return Area(
            code=self.region.code,
            name=self.region.name,
            slug=self.region.slug,
            sub_region="",
            aliases=tuple(dict.fromkeys(n for n in names if n != self.region.name)),
            portal=first.portal,
        )

    def dataset(self, dataset_id: str) -> Dataset:
        try:
            return self.datasets[dataset_id]
        except KeyError:
            raise CatalogueError(
                f"unknown dataset {dataset_id!r}{suggest(dataset_id, self.datasets)}; "
                f"the catalogue has {sorted(self.datasets)}"
            ) from None

    def area(self, code_or_slug: str) -> Area:
        for area in self.region.areas:
            if code_or_slug in (area.code, area.slug):
                return area
        if code_or_slug in (self.region.code, self.region.slug):
            return self.region_area
        names = [a.slug for a in self.region.areas] + [a.code for a in self.region.areas]
        raise CatalogueError(
            f"unknown borough {code_or_slug!r} in region {self.region.name}"
            f"{suggest(code_or_slug, names)}"
        )


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


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a config file (duplicate keys refused); any problem is a CatalogueError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot be read as UTF-8 text: {exc}") from None
    data = load_yaml_text(text, path)
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a mapping at the top level")
    return data


def _need(mapping: Any, key: str, path: Path, where: str, kind: type | tuple = str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] is None:
        raise CatalogueError(f"{path}: {where}: missing required key {key!r}")
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise CatalogueError(f"{path}: {where}.{key}: expected {_kind_name(kind)}, got {value!r}")
    return value


_KIND_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    dict: "a mapping (key: value lines)",
    list: "a list",
}


def _kind_name(kind: type | tuple) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)


# What each block may hold: an unknown key is refused with the nearest known one.
_SETTINGS_KEYS = {
    "": (
        "schedule",
        "region",
        "http",
        "page_size",
        "run",
        "incremental",
        "raw_text",
        "validation",
        "open_data",
        "pools",
        "alerts",
    ),
    "schedule": ("cron", "timezone", "default_days"),
    "http": (
        "connect_timeout_s",
        "read_timeout_s",
        "retries",
        "backoff_factor_s",
        "backoff_max_s",
        "retry_after_max_s",
        "max_pages",
    ),
    "page_size": PROTOCOLS,
    "run": (
        "max_failed_feed_share",
        "catch_up_days",
        "refetch_days",
        "source_freshness",
        "lock_wait_s",
    ),
    "raw_text": ("null_markers", "date_formats"),
    "validation": ("row_count_history",),
    "open_data": ("min_cell_count", "directory"),
    "pools": ("slots_per_host", "hosts"),
    "alerts": ("webhook_url", "timeout_s", "publish_by"),
}
_REGION_FILE_KEYS = ("region", "register", "areas")
_REGION_KEYS = ("code", "name", "slug", "timezone")
_REGISTER_KEYS = ("source", "areas")
_AREA_KEYS = ("code", "name", "slug", "sub_region", "aliases", "portal")
_DATASET_KEYS = (
    "domain",
    "title",
    "owner",
    "licence",
    "resource",
    "date_field",
    "key",
    "fields",
    "wire",
    "cadence",
    "publication",
    "source",
    "measure",
    "non_borough_rows",
)
_FIELD_KEYS = ("type", "required", "values", "min", "max")


def _expand_env(value: str) -> str:
    """${CITY_API_BASE_URL} (and any ${VAR}) from the environment; unset is an error."""

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name == "CITY_API_BASE_URL":
            return os.environ.get(name, DEFAULT_API_BASE_URL).rstrip("/")
        if name not in os.environ:
            raise CatalogueError(f"environment variable {name} is used in config but not set")
        return os.environ[name]

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", substitute, value)


def _settings(data: dict, path: Path) -> Settings:
    for block, allowed in _SETTINGS_KEYS.items():
        unknown_keys(data.get(block) if block else data, allowed, path, block)
    unknown_keys(
        (data.get("validation") or {}).get("row_count_history"),
        ("days", "min_days", "factor", "slack_rows"),
        path,
        "validation.row_count_history",
    )
    schedule = _need(data, "schedule", path, "top", dict)
    http = _need(data, "http", path, "top", dict)
    page_size = _need(data, "page_size", path, "top", dict)
    run = _need(data, "run", path, "top", dict)
    for key in (
        "connect_timeout_s",
        "read_timeout_s",
        "retries",
        "backoff_factor_s",
        "backoff_max_s",
        "retry_after_max_s",
        "max_pages",
    ):
        if _need(http, key, path, "http", (int, float)) < 0:
            raise CatalogueError(f"{path}: http.{key}: must not be negative")
    for protocol in PROTOCOLS:
        if _need(page_size, protocol, path, "page_size", int) < 1:
            raise CatalogueError(f"{path}: page_size.{protocol}: must be at least 1")
    share = _need(run, "max_failed_feed_share", path, "run", (int, float))
    if not 0 <= share <= 1:
        raise CatalogueError(
            f"{path}: run.max_failed_feed_share: must be between 0 and 1, got {share}"
        )
    catch_up = _need(run, "catch_up_days", path, "run", int)
    if not 0 <= catch_up <= 90:
        raise CatalogueError(f"{path}: run.catch_up_days: must be between 0 and 90, got {catch_up}")
    refetch = _need(run, "refetch_days", path, "run", int)
    if not 0 <= refetch <= 30:
        raise CatalogueError(f"{path}: run.refetch_days: must be between 0 and 30, got {refetch}")
    lock_wait = run.get("lock_wait_s", 600)
    if (
        isinstance(lock_wait, bool)
        or not isinstance(lock_wait, (int, float))
        or not 0 <= lock_wait <= 86400
    ):
        raise CatalogueError(
            f"{path}: run.lock_wait_s: must be seconds between 0 and 86400, got {lock_wait!r}"
        )
    raw_text = _need(data, "raw_text", path, "top", dict)
    markers = _need(raw_text, "null_markers", path, "raw_text", list)
    formats = _need(raw_text, "date_formats", path, "raw_text", list)
    if not all(isinstance(m, str) for m in markers + formats) or not formats:
        raise CatalogueError(
            f"{path}: raw_text: null_markers and date_formats must be lists of strings"
        )
    days = _need(schedule, "default_days", path, "schedule", int)
    if days < 1:
        raise CatalogueError(f"{path}: schedule.default_days: must be at least 1")
    return Settings(
        cron=_need(schedule, "cron", path, "schedule"),
        timezone=_need(schedule, "timezone", path, "schedule"),
        default_days=days,
        region=_need(data, "region", path, "top"),
        http={k: float(v) for k, v in http.items()},
        page_size={k: int(v) for k, v in page_size.items()},
        max_failed_feed_share=float(share),
        catch_up_days=catch_up,
        refetch_days=refetch,
        null_markers=tuple(m.lower() for m in markers),
        date_formats=tuple(formats),
        row_count_history=_row_count_history(data, path),
        source_freshness=_need(run, "source_freshness", path, "run", bool),
        lock_wait_s=float(lock_wait),
        open_data=_open_data(data, path),
        pools=_host_pools(data, path),
        alerts=_alerts(data, path),
        incremental=parse_incremental(data.get("incremental"), path),
    )


def _row_count_history(data: dict, path: Path) -> RowCountHistory:
    validation = _need(data, "validation", path, "top", dict)
    raw = _need(validation, "row_count_history", path, "validation", dict)
    where = "validation.row_count_history"
    days = _need(raw, "days", path, where, int)
    min_days = _need(raw, "min_days", path, where, int)
    factor = _need(raw, "factor", path, where, (int, float))
    slack = _need(raw, "slack_rows", path, where, int)
    if not 1 <= min_days <= days:
        raise CatalogueError(
            f"{path}: {where}: need 1 <= min_days <= days, got {min_days} and {days}"
        )
    if factor < 1 or slack < 0:
        raise CatalogueError(
            f"{path}: {where}: factor must be at least 1 and slack_rows not negative"
        )
    return RowCountHistory(days=days, min_days=min_days, factor=float(factor), slack_rows=slack)


def _open_data(data: dict, path: Path) -> OpenData:
    raw = _need(data, "open_data", path, "top", dict)
    threshold = _need(raw, "min_cell_count", path, "open_data", int)
    if threshold < 1:
        raise CatalogueError(
            f"{path}: open_data.min_cell_count: must be at least 1, got {threshold}"
        )
    directory = _need(raw, "directory", path, "open_data")
    if not _SLUG.match(directory.replace("_", "-")):
        raise CatalogueError(
            f"{path}: open_data.directory: {directory!r} must be a plain folder name"
        )
    return OpenData(min_cell_count=threshold, directory=directory)


def _host_pools(data: dict, path: Path) -> HostPools:
    """pools: {slots_per_host: N, hosts: {host name: N}}; every count at least 1."""
    raw = _need(data, "pools", path, "top", dict)
    default = _need(raw, "slots_per_host", path, "pools", int)
    if default < 1:
        raise CatalogueError(f"{path}: pools.slots_per_host: must be at least 1, got {default}")
    hosts = raw.get("hosts") or {}
    if not isinstance(hosts, dict):
        raise CatalogueError(f"{path}: pools.hosts: expected a mapping of host name to slots")
    for host, slots in hosts.items():
        if not isinstance(host, str) or not _HOST.match(host):
            raise CatalogueError(
                f"{path}: pools.hosts: {host!r} must be a bare lowercase host name such as "
                f"data.camden.gov.uk (no scheme, port or path)"
            )
        if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
            raise CatalogueError(
                f"{path}: pools.hosts.{host}: expected a whole number of slots, at least 1, "
                f"got {slots!r}"
            )
    return HostPools(slots_per_host=default, hosts=dict(hosts))


def _alerts(data: dict, path: Path) -> Alerts:
    """alerts: {webhook_url: http(s) URL or null, timeout_s: > 0, publish_by: "HH:MM" or null}; optional."""
    raw = data.get("alerts")
    if raw is None:
        return Alerts()
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: alerts: expected a mapping (key: value lines)")
    url = raw.get("webhook_url")
    if url is not None:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise CatalogueError(
                f"{path}: alerts.webhook_url: expected an http(s) URL such as "
                f"https://hooks.example.org/T0/B0/x, or null, got {url!r}"
            )
    timeout = raw.get("timeout_s", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
        raise CatalogueError(
            f"{path}: alerts.timeout_s: expected seconds between 0 and 120, got {timeout!r}"
        )
    publish_by = raw.get("publish_by")
    if publish_by is not None and not (
        isinstance(publish_by, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", publish_by)
    ):
        raise CatalogueError(
            f'{path}: alerts.publish_by: expected a time of day "HH:MM" (quoted), '
            f"or null, got {publish_by!r}"
        )
    return Alerts(webhook_url=url, timeout_s=float(timeout), publish_by=publish_by)


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


def _datasets(data: dict, path: Path) -> dict[str, Dataset]:
    unknown_keys(data, ("datasets",), path, "")
    raw_sets = _need(data, "datasets", path, "top", dict)
    datasets = {}
    for dataset_id, raw in raw_sets.items():
        where = f"datasets.{dataset_id}"
        unknown_keys(raw, _DATASET_KEYS, path, where)
        if not _IDENTIFIER.match(str(dataset_id)):
            raise CatalogueError(f"{path}: {where}: id must be a lowercase SQL identifier")
        raw_fields = _need(raw, "fields", path, where, dict)
        fields = tuple(
            _field(name, spec, path, f"{where}.fields.{name}") for name, spec in raw_fields.items()
        )
        names = {f.name for f in fields}
        for key in ("date_field", "key"):
            if _need(raw, key, path, where) not in names:
                raise CatalogueError(
                    f"{path}: {where}.{key}: {raw[key]!r} is not one of its fields"
                )
        if "borough" not in names:
            raise CatalogueError(
                f"{path}: {where}.fields: every dataset must publish a 'borough' field"
            )
        datasets[dataset_id] = Dataset(
            id=dataset_id,
            domain=_need(raw, "domain", path, where),
            title=_need(raw, "title", path, where),
            owner=_need(raw, "owner", path, where),
            licence=_need(raw, "licence", path, where),
            resource=_need(raw, "resource", path, where),
            date_field=raw["date_field"],
            key=raw["key"],
            fields=fields,
            wire=parse_wire(raw.get("wire"), tuple(f.name for f in fields), path, f"{where}.wire"),
            cadence=_cadence(raw, path, where),
            publication=_publication(raw, path, where),
            source=parse_source(
                raw.get("source"),
                tuple(names),
                raw["date_field"],
                raw["key"],
                path,
                where,
                _expand_env,
            ),
            measure=_measure(raw.get("measure"), fields, path, where),
            non_borough_rows=_non_borough_rows(raw, path, where),
        )
    return datasets


def _non_borough_rows(raw: dict, path: Path, where: str) -> tuple[str, ...]:
    """Names a borough feed may put in its `borough` column for rows that are no borough's
    (London, Total): set aside at landing, never validated or loaded as the borough's."""
    names = raw.get("non_borough_rows") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise CatalogueError(
            f"{path}: {where}.non_borough_rows: expected a list of area names, e.g. [London, Total]"
        )
    if names and raw.get("source") is not None:
        raise CatalogueError(
            f"{path}: {where}.non_borough_rows: a region-wide source says which areas it keeps "
            f"in source.areas.keep"
        )
    return tuple(names)


def _measure(raw: Any, fields: tuple[Field, ...], path: Path, where: str) -> Measure | None:
    """`measure: {field, aggregation: sum, unit}`: a numeric field that is summed, not counted."""
    if raw is None:
        return None
    where = f"{where}.measure"
    unknown_keys(raw, ("field", "aggregation", "unit"), path, where)
    name = _need(raw, "field", path, where)
    numeric = {f.name for f in fields if f.type in ("integer", "number")}
    if name not in numeric:
        raise CatalogueError(
            f"{path}: {where}.field: {name!r} is not a numeric field of the dataset"
            f"{suggest(name, numeric)}; numeric fields: {sorted(numeric)}"
        )
    aggregation = _need(raw, "aggregation", path, where)
    if aggregation not in MEASURE_AGGREGATIONS:
        raise CatalogueError(
            f"{path}: {where}.aggregation: {aggregation!r} is not one of {list(MEASURE_AGGREGATIONS)}"
        )
    return Measure(field=name, aggregation=aggregation, unit=_need(raw, "unit", path, where))


def _cadence(raw: dict, path: Path, where: str) -> str:
    cadence = raw.get("cadence", "daily")
    if cadence not in CADENCES:
        raise CatalogueError(
            f"{path}: {where}.cadence: {cadence!r} is not one of {list(CADENCES)}"
            f"{suggest(cadence, CADENCES)}"
        )
    return cadence


def _publication(raw: dict, path: Path, where: str) -> Publication | None:
    """Required for periodic datasets (monthly, quarterly, yearly...), refused for daily ones."""
    periodic = raw.get("cadence", "daily") != "daily"
    if not periodic:
        if raw.get("publication") is not None:
            raise CatalogueError(
                f"{path}: {where}.publication: only periodic (not daily) datasets have one "
                f"(daily ones use run.catch_up_days and run.refetch_days)"
            )
        return None
    publication = _need(raw, "publication", path, where, dict)
    unknown_keys(publication, ("lag_days", "history_periods"), path, f"{where}.publication")
    lag = _need(publication, "lag_days", path, f"{where}.publication", int)
    history = _need(publication, "history_periods", path, f"{where}.publication", int)
    if not 0 <= lag <= 366:
        raise CatalogueError(
            f"{path}: {where}.publication.lag_days: must be between 0 and 366, got {lag}"
        )
    if not 1 <= history <= 60:
        raise CatalogueError(
            f"{path}: {where}.publication.history_periods: must be between 1 and 60, got {history}"
        )
    return Publication(lag_days=lag, history_periods=history)


def _field(name: str, spec: Any, path: Path, where: str) -> Field:
    if not _IDENTIFIER.match(str(name)):
        raise CatalogueError(f"{path}: {where}: field names must be lowercase SQL identifiers")
    unknown_keys(spec, _FIELD_KEYS, path, where)
    kind = _need(spec, "type", path, where)
    if kind not in FIELD_TYPES:
        raise CatalogueError(
            f"{path}: {where}.type: unknown type {kind!r}{suggest(kind, FIELD_TYPES)}; "
            f"allowed: {list(FIELD_TYPES)}"
        )
    if not isinstance(spec.get("required", False), bool):
        raise CatalogueError(
            f"{path}: {where}.required: expected true or false, got {spec['required']!r}"
        )
    for bound in ("min", "max"):
        if spec.get(bound) is not None and (
            isinstance(spec[bound], bool) or not isinstance(spec[bound], (int, float))
        ):
            raise CatalogueError(f"{path}: {where}.{bound}: expected a number, got {spec[bound]!r}")
    values = spec.get("values")
    if values is not None and not (
        isinstance(values, list) and all(isinstance(v, str) for v in values)
    ):
        raise CatalogueError(f"{path}: {where}.values: expected a list of strings")
    return Field(
        name=name,
        type=kind,
        required=spec.get("required", False),
        values=tuple(values) if values else None,
        min=spec.get("min"),
        max=spec.get("max"),
    )
