"""The catalogue's typed, frozen records: what config/*.yml holds once it is validated.

ingest/catalogue.py loads them (settings_config, region_config and dataset_config parse
each file); every other module reads them, never the YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.config_yaml import suggest
from ingest.errors import CatalogueError
from ingest.portals import (
    Portal,
    WireMap,
)
from ingest.sources import RegionSource

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
    def owed_by_boroughs(self) -> bool:
        """Each borough owes its partitions (the data scorecard's rows): its own portal's feed,
        or its share of a region-wide file split by borough; a city-wide series is owed by none."""
        return self.source is None or not self.source.areas.region_only

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
    publish_by: str | None = None  # "HH:MM[:SS]" in the schedule's timezone; None: no deadline


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

    @property
    def datasets_owed_by_boroughs(self) -> dict[str, Dataset]:
        """The datasets every borough owes, period by period (the data scorecard's datasets)."""
        return {k: d for k, d in self.datasets.items() if d.owed_by_boroughs}

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
