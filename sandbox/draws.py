"""Seeded randomness for the truth: one private generator per feed-day, Poisson counts.

Shared by the generator and the periodic-dataset records (sales counts), so it sits
below both rather than in either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random

from ingest.catalogue import Area

__all__ = ["rng_for", "poisson"]


def rng_for(seed: int, dataset_id: str, area: Area, day: dt.date) -> random.Random:
    """A generator private to one feed-day: stable across runs, processes and Pythons."""
    digest = hashlib.sha256(f"{seed}:{dataset_id}:{area.code}:{day.isoformat()}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method for small means, a rounded normal for large ones."""
    if mean <= 0:
        return 0
    if mean < 30:
        limit, count, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count
    return max(0, round(rng.normalvariate(mean, math.sqrt(mean))))
