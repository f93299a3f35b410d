"""config/pipeline.yml parsed into Settings: schedule, HTTP, run policy, validation, open data,
pools and alerts, each block refusing unknown keys with the nearest known one."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from ingest.catalogue_records import (
    _HOST,
    _SLUG,
    Alerts,
    HostPools,
    OpenData,
    RowCountHistory,
    Settings,
)
from ingest.config_checks import _need
from ingest.config_yaml import unknown_keys
from ingest.errors import CatalogueError
from ingest.portals import (
    PROTOCOLS,
    parse_incremental,
)

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
    for key in _SETTINGS_KEYS["http"]:
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
    """alerts: {webhook_url: http(s) URL or null, timeout_s: > 0, publish_by: "HH:MM[:SS]" or null}; optional."""
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
        isinstance(publish_by, str)
        and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", publish_by)
    ):
        raise CatalogueError(
            f'{path}: alerts.publish_by: expected a time of day "HH:MM" or "HH:MM:SS" (quoted), '
            f"or null, got {publish_by!r}"
        )
    return Alerts(webhook_url=url, timeout_s=float(timeout), publish_by=publish_by)
