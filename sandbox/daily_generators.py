"""Realistic records of the daily datasets: one row per casualty, completion, request, decision.

Each function draws one borough's records for one data day from its private generator;
sandbox/generator.py registers them in GENERATORS.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping

from ingest.catalogue import Area, Dataset
from sandbox.spec_records import weights_for


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    """One label, chosen with the given relative weights (uses exactly one draw)."""
    target = rng.random() * sum(weights.values())
    for label, weight in weights.items():
        target -= weight
        if target < 0:
            return label
    return label


ROAD_USERS = {
    "Pedestrian": 22,
    "Pedal cyclist": 18,
    "Powered two-wheeler": 17,
    "Car occupant": 33,
    "Bus or coach occupant": 5,
    "Other vehicle occupant": 5,
}
TENURES = {"Market": 62, "Social rent": 12, "Affordable rent": 10, "Intermediate": 16}
CATEGORIES = {
    "Fly-tipping": 25,
    "Missed bin": 22,
    "Pothole": 14,
    "Graffiti": 8,
    "Street lighting": 8,
    "Noise": 15,
    "Abandoned vehicle": 8,
}
CHANNELS = {"Online": 45, "App": 15, "Phone": 33, "Email": 5, "In person": 2}
MEDIAN_DAYS_TO_CLOSE = {
    "Fly-tipping": 2,
    "Missed bin": 1,
    "Pothole": 14,
    "Graffiti": 6,
    "Street lighting": 9,
    "Noise": 4,
    "Abandoned vehicle": 10,
}


def _road_casualties(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """STATS19-like casualties: ~0.5% fatal, ~13% serious; age unknown for ~4%."""
    records = []
    for n in range(1, count + 1):
        roll = rng.random()
        severity = "Fatal" if roll < 0.005 else "Serious" if roll < 0.135 else "Slight"
        road_user = _pick(rng, weights_for(dataset, "road_user_type", ROAD_USERS))
        if rng.random() < 0.04:
            age = None
        elif rng.random() < 0.09:
            age = int(rng.random() * 16)
        else:
            age = min(95, max(16, round(rng.normalvariate(38, 16))))
        records.append(
            {
                "casualty_ref": f"{area.code}-RC-{day:%Y%m%d}-{n:04d}",
                "accident_date": day,
                "borough": area.name,
                "severity": severity,
                "road_user_type": road_user,
                "casualty_age": age,
            }
        )
    return records


def _housing_completions(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """Schemes completing today, one row per tenure they deliver; mostly small schemes."""
    records: list[dict] = []
    scheme = 0
    while len(records) < count:
        scheme += 1
        tenures_in_scheme = 1 if rng.random() < 0.6 else 2 if rng.random() < 0.75 else 3
        remaining = weights_for(dataset, "tenure", TENURES)
        for part in range(tenures_in_scheme):
            if len(records) == count:
                break
            tenure = _pick(rng, remaining)
            del remaining[tenure]
            units = min(400, max(1, round(rng.lognormvariate(1.55, 1.2))))
            lost = 0 if rng.random() < 0.88 else min(units, 1 + int(rng.expovariate(0.4)))
            records.append(
                {
                    "completion_ref": f"{area.code}-HC-{day:%Y%m%d}-{scheme:03d}{'abc'[part]}",
                    "completion_date": day,
                    "borough": area.name,
                    "tenure": tenure,
                    "units_completed": units,
                    "units_lost": lost,
                }
            )
    return records


def _service_requests(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """Residents' reports; ~85% closed, after a category-typical number of days (<= 60)."""
    records = []
    for n in range(1, count + 1):
        category = _pick(rng, weights_for(dataset, "category", CATEGORIES))
        channel = _pick(rng, weights_for(dataset, "channel", CHANNELS))
        closed = rng.random() < 0.85
        median = MEDIAN_DAYS_TO_CLOSE.get(category, 5)
        days_open = min(60, int(rng.lognormvariate(math.log(median), 0.9)))
        records.append(
            {
                "request_ref": f"{area.code}-SR-{day:%Y%m%d}-{n:05d}",
                "requested_date": day,
                "borough": area.name,
                "category": category,
                "channel": channel,
                "status": "Closed" if closed else "Open",
                "closed_date": day + dt.timedelta(days=days_open) if closed else None,
            }
        )
    return records


def _planning_applications(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """Decisions made today; ~3% major. Majors take ~11 weeks, a quarter with an agreed extension."""
    records = []
    for n in range(1, count + 1):
        roll = rng.random()
        kind = "Major" if roll < 0.03 else "Minor" if roll < 0.35 else "Other"
        median_days = {"Major": 80, "Minor": 50, "Other": 42}[kind]
        took = max(1, min(720, round(rng.lognormvariate(math.log(median_days), 0.45))))
        extension = rng.random() < (0.25 if kind == "Major" else 0.1)
        records.append(
            {
                "application_ref": f"{area.code}-PA-{day:%Y%m%d}-{n:04d}",
                "decision_date": day,
                "borough": area.name,
                "received_date": day - dt.timedelta(days=took),
                "development_type": kind,
                "decision": "Granted" if rng.random() < 0.85 else "Refused",
                "extension_agreed": None if rng.random() < 0.04 else "Yes" if extension else "No",
            }
        )
    return records
