"""Small-cell suppression for open data: no published number may single out a few people.

Within one group of cells (the boroughs and the region for one metric and month):
- primary: a cell whose count is above 0 and below the threshold is suppressed;
- secondary: when the region total is published and exactly one borough is suppressed,
  the region total minus the other boroughs would give that borough back, so the next
  smallest borough (by count, then area code) is suppressed too, or the region itself
  when there is no other borough to hide it with.
Secondary suppression applies to additive counts only (a region median cannot be taken
apart). Zero is published: "none" is what the open data has always said for an area
with no events, and it cannot identify anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["suppress_group", "PRIMARY", "SECONDARY"]

PRIMARY = "small count"
SECONDARY = "secondary (protects a small count)"


def suppress_group(
    cells: Iterable[dict[str, Any]], threshold: int, additive: bool = True
) -> dict[int, str]:
    """{index in `cells`: reason} for the cells of one group that must be suppressed.

    Each cell needs `area_type` ('borough' | 'region'), `area_code` and `count` (None when
    the cell carries no count; such a cell is never suppressed nor used to hide another).
    """
    cells = list(cells)
    reasons = {i: PRIMARY for i, c in enumerate(cells) if _small(c.get("count"), threshold)}
    if not additive:
        return reasons
    regions = [i for i, c in enumerate(cells) if c["area_type"] == "region"]
    boroughs = [i for i, c in enumerate(cells) if c["area_type"] == "borough"]
    hidden = [i for i in boroughs if i in reasons]
    region_published = any(i not in reasons for i in regions)
    if region_published and len(hidden) == 1:
        candidates = sorted(
            (i for i in boroughs if i not in reasons and cells[i].get("count") is not None),
            key=lambda i: (abs(cells[i]["count"]), cells[i]["area_code"]),
        )
        for i in candidates[:1] or [i for i in regions if i not in reasons]:
            reasons[i] = SECONDARY
    return reasons


def _small(count: float | None, threshold: int) -> bool:
    return count is not None and 0 < count < threshold
