"""The fixture warehouse's hand-made rows, all partitions, in the order they land.

Rows as boroughs publish them (aliases in any case and spacing, every date layout, null
markers, odd numbers, a row loaded twice, an empty partition, a missing borough), kept
per dataset in fixture_daily_rows.py and fixture_periodic_rows.py; make_fixture_warehouse.py
lands them, and --check compares the result with fixture_expected.EXPECTED.
"""

from __future__ import annotations

from fixture_daily_rows import (
    HOUSING_COMPLETIONS,
    PLANNING_APPLICATIONS,
    ROAD_CASUALTIES,
    SERVICE_REQUESTS,
)
from fixture_periodic_rows import (
    BUS_PERFORMANCE,
    HOUSE_PRICES,
    HOUSEHOLD_WASTE,
    PUBLIC_TRANSPORT_JOURNEYS,
    TEMPORARY_ACCOMMODATION,
)

# (dataset, borough, data day, loaded at) -> rows of published text.
# A partition with [] rows was delivered empty: it still counts as covered.
# Dataset order as before the split (rows land in this order).
PARTITIONS: dict[tuple[str, str, str, str], list[dict[str, str | None]]] = {
    **ROAD_CASUALTIES,
    **HOUSING_COMPLETIONS,
    **SERVICE_REQUESTS,
    **PUBLIC_TRANSPORT_JOURNEYS,
    **BUS_PERFORMANCE,
    **TEMPORARY_ACCOMMODATION,
    **PLANNING_APPLICATIONS,
    **HOUSE_PRICES,
    **HOUSEHOLD_WASTE,
}
