"""Realistic records of the monthly and quarterly datasets: totals a period by mode, route, type.

Borough traits that do not change month to month come from a stable hash; trends and
seasons from the month. sandbox/generator.py registers these in GENERATORS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Mapping

from ingest.catalogue import Area, Dataset
from sandbox.draws import poisson
from sandbox.spec_records import weights_for

MODE_SHARES = {
    "Bus": 48,
    "Underground": 34,
    "Overground": 6,
    "DLR": 3,
    "Tram": 1,
    "Elizabeth line": 8,
}
# Modes only some boroughs have a station of (London GSS codes); elsewhere: bus, underground, overground.
MODE_BOROUGHS = {
    "DLR": {"E09000001", "E09000011", "E09000023", "E09000025", "E09000030"},
    "Tram": {"E09000006", "E09000008", "E09000024", "E09000029"},
    "Elizabeth line": {
        "E09000001",
        "E09000009",
        "E09000011",
        "E09000017",
        "E09000025",
        "E09000030",
        "E09000033",
        "E09000007",
        "E09000018",
        "E09000004",
        "E09000016",
        "E09000026",
    },
}
NO_UNDERGROUND = {"E09000004", "E09000021", "E09000029", "E09000023"}
MONTH_FACTOR = {
    1: 0.93,
    2: 0.97,
    3: 1.03,
    4: 0.98,
    5: 1.02,
    6: 1.01,
    7: 1.0,
    8: 0.9,
    9: 1.04,
    10: 1.06,
    11: 1.05,
    12: 0.92,
}
TA_TYPES = {
    "Bed and breakfast": 8,
    "Nightly paid": 35,
    "Hostel": 8,
    "Private sector leased": 20,
    "Social housing stock": 20,
    "Other": 9,
}
PROPERTY_TYPES = {"Flat": 50, "Terraced": 28, "Semi-detached": 15, "Detached": 7}
PRICE_FACTOR = {"Flat": 0.78, "Terraced": 1.08, "Semi-detached": 1.3, "Detached": 1.95}
RECYCLED_STREAMS = {"Dry recycling": 60, "Composting": 35, "Reuse": 5}


def _stable(area: Area, what: str) -> float:
    """A number in [0, 1) fixed for a borough and a name: traits that do not change month to month."""
    digest = hashlib.sha256(f"{area.code}:{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _months_since_2024(day: dt.date) -> int:
    return (day.year - 2024) * 12 + day.month - 1


def _split(total: float, weights: Mapping[str, float]) -> dict[str, float]:
    whole = sum(weights.values())
    return {label: total * weight / whole for label, weight in weights.items()}


def _public_transport_journeys(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, total: int
) -> list[dict]:
    """Journeys by mode in the month: seasonal, growing ~3% a year, only modes the borough has."""
    modes = {
        mode: share
        for mode, share in weights_for(dataset, "mode", MODE_SHARES).items()
        if (mode not in MODE_BOROUGHS or area.code in MODE_BOROUGHS[mode])
        and not (
            mode == "Underground"
            and (area.code in NO_UNDERGROUND or not area.code.startswith("E09"))
        )
    }
    growth = 1.03 ** (_months_since_2024(day) / 12) * MONTH_FACTOR[day.month]
    return [
        {
            "journeys_ref": f"{area.code}-PTJ-{day:%Y%m}-{n:02d}",
            "month": day,
            "borough": area.name,
            "mode": mode,
            "journeys": round(journeys * growth * rng.uniform(0.97, 1.03)),
        }
        for n, (mode, journeys) in enumerate(_split(total, modes).items(), start=1)
    ]


def _bus_performance(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, routes: int
) -> list[dict]:
    """Routes in the borough; high-frequency ones report scheduled and actual waits (EWT = difference)."""
    reliability = 0.7 + 0.8 * _stable(area, "bus-reliability")  # borough's typical EWT, minutes
    records = []
    for n in range(1, max(2, routes) + 1):
        route = str(1 + int(_stable(area, f"route-{n}") * 499))
        frequent = _stable(area, f"route-{n}-frequency") < 0.6
        scheduled = round(2 + 4 * _stable(area, f"route-{n}-headway"), 1) if frequent else None
        actual = (
            round(scheduled + reliability * rng.lognormvariate(0, 0.35), 2) if frequent else None
        )
        records.append(
            {
                "route_month_ref": f"{area.code}-BUS-{day:%Y%m}-{n:03d}",
                "month": day,
                "borough": area.name,
                "route": route,
                "service_type": "High frequency" if frequent else "Low frequency",
                "scheduled_wait_minutes": scheduled,
                "actual_wait_minutes": actual,
                "observed_departures": round((6000 if frequent else 1500) * rng.uniform(0.7, 1.3)),
            }
        )
    return records


def _temporary_accommodation(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, households: int
) -> list[dict]:
    """Households in TA at the quarter's end by type, rising ~1.5% a quarter; ~70% with children."""
    level = (
        households
        * (0.6 + 0.8 * _stable(area, "ta-pressure"))
        * 1.015 ** (_months_since_2024(day) / 3)
    )
    records = []
    types = weights_for(dataset, "accommodation_type", TA_TYPES)
    for n, (kind, share) in enumerate(_split(level, types).items(), start=1):
        count = round(share * rng.uniform(0.9, 1.1))
        records.append(
            {
                "ta_ref": f"{area.code}-TA-{day:%Y%m}-{n}",
                "quarter": day,
                "borough": area.name,
                "accommodation_type": kind,
                "households": count,
                "households_with_children": None
                if rng.random() < 0.05
                else round(count * rng.uniform(0.6, 0.8)),
            }
        )
    return records


def _house_prices(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, sales: int
) -> list[dict]:
    """Sales and mean price by property type: a borough price level, ~3.5% a year growth, noise."""
    base = 380_000 * (1 + 1.8 * _stable(area, "price-level") ** 2)
    level = base * 1.035 ** (_months_since_2024(day) / 12)
    records = []
    types = weights_for(dataset, "property_type", PROPERTY_TYPES)
    for n, (kind, share) in enumerate(_split(sales, types).items(), start=1):
        sold = poisson(rng, share)
        price = round(level * PRICE_FACTOR.get(kind, 1.0) * rng.uniform(0.95, 1.05), 2)
        records.append(
            {
                "price_ref": f"{area.code}-HP-{day:%Y%m}-{n}",
                "month": day,
                "borough": area.name,
                "property_type": kind,
                "sales": sold,
                "average_price": price if sold else None,
            }
        )
    return records


def _household_waste(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, tonnes: int
) -> list[dict]:
    """Tonnes by stream: a borough recycling rate of 20-50%, more composting in spring and summer."""
    rate = 0.2 + 0.3 * _stable(area, "recycling-rate")
    garden = 1.3 if day.month in (4, 7) else 0.8
    recycling = weights_for(dataset, "stream", RECYCLED_STREAMS | {"Residual": 0})
    recycled = _split(
        tonnes * rate,
        {k: w * (garden if k == "Composting" else 1) for k, w in recycling.items() if w},
    )
    streams = {"Residual": tonnes * (1 - rate), **recycled}
    return [
        {
            "waste_ref": f"{area.code}-HW-{day:%Y%m}-{n}",
            "quarter": day,
            "borough": area.name,
            "stream": stream,
            "tonnes": round(weight * rng.uniform(0.95, 1.05), 1),
        }
        for n, (stream, weight) in enumerate(streams.items(), start=1)
    ]
