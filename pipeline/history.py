"""Row-count bounds for a feed from its own history in the warehouse.

A borough that usually sends 40 rows a day and suddenly sends 4,000 (or 0 after weeks
of 40) has most likely changed a filter or broken its paging. What is "usual" differs
per feed, so the bounds are computed per (dataset, borough) from the row counts of its
last loaded data days in `raw.feed_partitions`, and passed to the suite as parameters
(`row_count_min`, `row_count_max`); a feed with too little history gets no bound. The
rule (days, min_days, factor, slack_rows) is `validation.row_count_history` in
config/pipeline.yml.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from ingest.catalogue import RowCountHistory

__all__ = ["feed_history", "row_count_bounds", "NO_BOUNDS"]

log = logging.getLogger(__name__)
NO_BOUNDS: tuple[int | None, int | None] = (None, None)


def row_count_bounds(history: list[int], rule: RowCountHistory) -> tuple[int | None, int | None]:
    """[min / factor - slack, max * factor + slack] over the history; none when it is too short."""
    if len(history) < rule.min_days:
        return NO_BOUNDS
    low = max(0, math.floor(min(history) / rule.factor) - rule.slack_rows)
    high = math.ceil(max(history) * rule.factor) + rule.slack_rows
    return low, high


def feed_history(
    warehouse: Path, dataset_id: str, before_day: str, days: int
) -> dict[str, list[int]]:
    """{borough code: row counts of its last `days` loaded data days before `before_day`}.

    Read-only and best effort: no warehouse yet (the first night) or one that cannot be
    opened means no history, never a failed validation.
    """
    if not warehouse.exists():
        return {}
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                """
                select borough_code, row_count from (
                    select borough_code, row_count,
                           row_number() over (partition by borough_code order by data_day desc) as recency
                    from raw.feed_partitions
                    where dataset = ? and data_day < cast(? as date)
                ) where recency <= ?
                """,
                [dataset_id, before_day, days],
            ).fetchall()
    except duckdb.Error as exc:
        log.warning("no row-count history for %s (warehouse not readable: %s)", dataset_id, exc)
        return {}
    history: dict[str, list[int]] = {}
    for borough_code, row_count in rows:
        history.setdefault(borough_code, []).append(int(row_count))
    return history
