"""Airflow pools: one per borough API host, so one slow host cannot starve the rest; one for the warehouse.

Feeds are grouped by the host of their portal's base_url (the host name, without the
port: the sandbox's port changes every run, the host does not). Each host gets a pool
`borough_api__<host slug>` with `pools.slots_per_host` slots (or its `pools.hosts`
override) from config/pipeline.yml. Airflow cannot map `pool`, so the DAG makes one
mapped ingest task per host (read here at parse time: YAML only) and this module splits
the night's plans between them.

The pipeline's DuckDB file is guarded by one more pool, `city_warehouse`, used as a
readers-writer lock: DuckDB allows one read-write process per file, or any number of
read-only ones, never both. A backfill (`airflow backfill create --max-active-runs N`)
runs several days at once; without the pool two runs reach `load` together and one fails
on the file lock, or one run's plan or validate (which read the file's history) collides
with another's load or dbt. The writers (load, dbt_build, publish, export_open_data, docs_and_dashboard) take
all WAREHOUSE_SLOTS slots, the readers (plan_feeds, validate) one each: whatever N is, one
writer holds the file alone, or up to WAREHOUSE_SLOTS readers share it; ingest, which
never opens the file, is not in it.

Pools live in Airflow's metadata database and must exist before a task runs (the
scheduler does not start a task whose pool is missing): `ensure_pools` creates or
updates them; `python -m pipeline pools`, `make airflow-db`, docker-compose's
airflow-init and the DAG runner call it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ingest.catalogue import Catalogue, Feed, load_catalogue
from ingest.errors import CatalogueError, IngestError

__all__ = [
    "HostPool",
    "POOL_PREFIX",
    "WAREHOUSE_POOL",
    "WAREHOUSE_SLOTS",
    "WAREHOUSE_WRITERS",
    "WAREHOUSE_READERS",
    "host_of",
    "host_pools",
    "plans_by_pool",
    "ensure_pools",
    "stale_pools",
    "print_pools",
]

POOL_PREFIX = "borough_api__"
WAREHOUSE_POOL = "city_warehouse"
WAREHOUSE_SLOTS = 4
WAREHOUSE_WRITERS = ("load", "dbt_build", "publish", "export_open_data", "docs_and_dashboard")
"""Steps that open the DuckDB warehouse for writing: each takes every slot, so runs alone."""
WAREHOUSE_READERS = ("plan_feeds", "validate")
"""Steps that read it (read-only): one slot each, never beside a writer."""
WAREHOUSE_DESCRIPTION = (
    f"DuckDB warehouse: a writer ({', '.join(WAREHOUSE_WRITERS)}) takes all {WAREHOUSE_SLOTS} "
    f"slots, a reader ({', '.join(WAREHOUSE_READERS)}) one (pipeline/pools.py)"
)


@dataclass(frozen=True)
class HostPool:
    """One borough API host: its Airflow pool, its slots, and the boroughs it serves."""

    host: str
    slots: int
    boroughs: tuple[str, ...]

    @property
    def slug(self) -> str:
        """The host as an identifier (task id suffix): 127.0.0.1 -> 127_0_0_1."""
        return re.sub(r"[^a-z0-9]+", "_", self.host).strip("_")

    @property
    def name(self) -> str:
        return POOL_PREFIX + self.slug

    @property
    def description(self) -> str:
        return f"ingest from borough API host {self.host} ({len(self.boroughs)} boroughs); config/pipeline.yml pools"


def host_of(feed: Feed) -> str:
    """The host a feed is fetched from: its portal base_url's host name, lowercased."""
    host = urlsplit(feed.portal.base_url).hostname
    if not host:
        raise CatalogueError(
            f"{feed.label}: portal base_url {feed.portal.base_url!r} has no host; "
            f"expected an address like https://data.example.gov.uk/path"
        )
    return host


def host_pools(catalogue: Catalogue | None = None) -> list[HostPool]:
    """Every API host of the region's feeds, in catalogue order, with its slots."""
    catalogue = catalogue or load_catalogue()
    boroughs: dict[str, dict[str, None]] = {}
    for feed in catalogue.feeds():
        names = boroughs.setdefault(host_of(feed), {})
        if not feed.region_wide:  # a region-wide file's publisher serves no borough of its own
            names[feed.area.slug] = None
    pools = [
        HostPool(host, catalogue.settings.pools.slots(host), tuple(names))
        for host, names in boroughs.items()
    ]
    by_name: dict[str, str] = {}
    for pool in pools:
        if by_name.setdefault(pool.name, pool.host) != pool.host:
            raise CatalogueError(
                f"hosts {by_name[pool.name]!r} and {pool.host!r} would share the Airflow pool "
                f"{pool.name!r}; their names differ only in punctuation"
            )
    return pools


def plans_by_pool(
    plans: Iterable[dict[str, Any]], pool_names: Iterable[str], catalogue: Catalogue | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The night's feed plans split per host pool; every pool is a key, possibly with [].

    `pool_names` are the pools the DAG was parsed with. A plan for any other host would
    be fetched by no task, so it is an error, not a silent gap (it means the DAG
    processor and the worker read different config or CITY_API_BASE_URL).
    """
    catalogue = catalogue or load_catalogue()
    split: dict[str, list[dict[str, Any]]] = {name: [] for name in pool_names}
    names = {pool.host: pool.name for pool in host_pools(catalogue)}
    for plan in plans:
        host = host_of(catalogue.feed(plan["feed_id"]))
        if names.get(host) not in split:
            raise IngestError(
                f"{plan['label']}: its host {host!r} has no ingest task in this DAG (parsed with "
                f"pools {sorted(split)}); the DAG processor and the workers must see the same "
                f"config and CITY_API_BASE_URL"
            )
        split[names[host]].append(plan)
    return split


def task_chunks(plans: list[dict[str, Any]], slots: int) -> list[list[dict[str, Any]]]:
    """A host's feed plans split into at most `slots` runs of consecutive plans, one ingest task
    each: the host's pool runs no more than `slots` tasks at once, so more tasks than slots buy
    no concurrency, only Airflow's cost per task (~0.1 CPU-s, more than a default feed's fetch)."""
    count = min(len(plans), max(slots, 1))
    size, extra = divmod(len(plans), count) if count else (0, 0)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        chunks.append(plans[start:end])
        start = end
    return chunks


def chunk_label(plans: list[dict[str, Any]]) -> str:
    """What an ingest task's map index shows: its feed, or its first and last of n feeds."""
    if len(plans) == 1:
        return plans[0]["label"]
    return f"{plans[0]['label']} .. {plans[-1]['label']} ({len(plans)} feeds)"


def ensure_pools(catalogue: Catalogue | None = None) -> list[HostPool]:
    """Create or update every host's pool in Airflow's metadata database; idempotent."""
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session

    pools = host_pools(catalogue)
    with create_session() as session:
        for pool in pools:
            Pool.create_or_update_pool(
                pool.name, pool.slots, pool.description, include_deferred=False, session=session
            )
        Pool.create_or_update_pool(
            WAREHOUSE_POOL,
            WAREHOUSE_SLOTS,
            WAREHOUSE_DESCRIPTION,
            include_deferred=False,
            session=session,
        )
    return pools


def stale_pools(pools: Iterable[HostPool]) -> list[str]:
    """Host pools in Airflow that config no longer names (left alone: a queued task may use one)."""
    from airflow.models.pool import Pool

    wanted = {pool.name for pool in pools}
    return sorted(
        p.pool for p in Pool.get_pools() if p.pool.startswith(POOL_PREFIX) and p.pool not in wanted
    )


def print_pools(catalogue: Catalogue | None = None) -> int:
    """`python -m pipeline pools`: sync the pools, then say what Airflow now has and what looks off."""
    catalogue = catalogue or load_catalogue()
    pools = ensure_pools(catalogue)
    for pool in pools:
        print(f"{pool.name}: {pool.slots} slots for {pool.host} ({len(pool.boroughs)} boroughs)")
    print(
        f"{WAREHOUSE_POOL}: {WAREHOUSE_SLOTS} slots; {', '.join(WAREHOUSE_WRITERS)} take all (one DuckDB writer), "
        f"{', '.join(WAREHOUSE_READERS)} one each (readers)"
    )
    unused = sorted(set(catalogue.settings.pools.hosts) - {pool.host for pool in pools})
    if unused:
        print(f"note: pools.hosts names hosts no portal uses here: {unused}")
    for name in stale_pools(pools):
        print(
            f"note: pool {name} is no longer configured; `airflow pools delete {name}` once no task uses it"
        )
    print("see them with `airflow pools list` or in the UI under Admin > Pools")
    return 0
