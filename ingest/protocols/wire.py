"""Wire records -> the dataset's records: declared names, declared values, wire dates.

Validation, loading and dbt all speak the dataset's column names, so a protocol with
its own vocabulary (Open311's `service_request_id`) is renamed here, from the mapping
declared in datasets.yml, never in code. Dates that are not text in a borough layout
(ArcGIS epoch milliseconds, Open311 ISO 8601 with an offset) become the data day they
fall on in the portal's time zone, written YYYY-MM-DD. Everything else (borough
spellings, null markers, "1,234") is left exactly as published for dbt staging.
Raw pages are landed untouched; only the extracted records go through this.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ingest.catalogue import Feed, Portal

__all__ = ["to_canonical", "wire_date", "day_bounds_utc"]


def to_canonical(records: list[dict[str, Any]], feed: Feed, protocol: str) -> list[dict[str, Any]]:
    """Records under the dataset's names; unknown wire fields kept (schema drift shows)."""
    wire = feed.dataset.wire_map(protocol)
    portal = feed.portal
    date_fields = [f.name for f in feed.dataset.fields if f.type == "date"]
    special = portal.date_format in ("epoch_ms", "iso8601")
    if not wire.fields and not wire.values and not special:
        return records
    back = {wire_name: name for name, wire_name in wire.fields.items()}
    out = []
    for record in records:
        row = {back.get(key, key): value for key, value in record.items() if key not in wire.ignore}
        for name, table in wire.values.items():
            if isinstance(row.get(name), str) and row[name] in table:
                row[name] = table[row[name]]
        if special:
            for name in date_fields:
                if row.get(name) is not None:
                    row[name] = wire_date(row[name], portal)
        out.append(row)
    return out


def wire_date(value: Any, portal: Portal) -> Any:
    """The data day a wire timestamp falls on, in the portal's zone; unreadable stays as is."""
    zone = ZoneInfo(portal.timezone)
    try:
        if portal.date_format == "epoch_ms":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return value
            moment = datetime.fromtimestamp(value / 1000, tz=UTC)
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
    except (ValueError, OverflowError, OSError):
        return value
    return moment.astimezone(zone).date().isoformat()


def day_bounds_utc(day: date, zone_name: str) -> tuple[datetime, datetime]:
    """A data day as [start, end) instants in UTC (a London day is 23, 24 or 25 hours)."""
    zone = ZoneInfo(zone_name)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = date.fromordinal(day.toordinal() + 1)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
