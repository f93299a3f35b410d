"""The headline: each metric region-wide, with its best and worst borough, in its latest period.

Read from the published (read-only) warehouse, exactly as an analyst would. Each metric
shows its own latest month or quarter (monthly and quarterly datasets are published weeks
after the period ends, so their latest period is older than the daily metrics'), says
when that period is only partly loaded, and how many boroughs the region value is
computed from, full coverage included, so a reader never has to guess.
"""

from __future__ import annotations

from ingest.paths import DataPaths
from pipeline.publish import open_published

__all__ = ["headline_rows", "print_headline"]

_QUERY = """
with latest as (
    select metric_id, max(period_start) as period_start from analytics.city_metrics
    where period_type in ('month', 'quarter') and area_type = 'region'
    group by metric_id
),
metrics as (
    select m.* from analytics.city_metrics as m join latest using (metric_id, period_start)
    where m.period_type in ('month', 'quarter')
),
ranked as (
    select
        metric_id, area_name, value,
        row_number() over (partition by metric_id order by
            case when direction = 'lower_is_better' then value else -value end asc, area_name) as best_rank,
        row_number() over (partition by metric_id order by
            case when direction = 'lower_is_better' then value else -value end desc, area_name) as worst_rank
    from metrics
    where area_type = 'borough' and value is not null
)
select
    r.metric_id, r.metric_name, r.unit, r.direction, r.value as region_value, r.target,
    r.period_type, r.period_start, r.period_end, r.days_covered, r.boroughs_covered, r.boroughs_expected, r.area_name,
    best.area_name as best_area, best.value as best_value,
    worst.area_name as worst_area, worst.value as worst_value
from metrics as r
left join ranked as best on best.metric_id = r.metric_id and best.best_rank = 1
left join ranked as worst on worst.metric_id = r.metric_id and worst.worst_rank = 1
where r.area_type = 'region'
order by r.domain, r.metric_id
"""


def headline_rows(paths: DataPaths) -> list[dict]:
    with open_published(paths) as con:
        cursor = con.execute(_QUERY)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def print_headline(paths: DataPaths) -> None:
    rows = headline_rows(paths)
    if not rows:
        print(f"The published warehouse {paths.published} has no metrics yet.")
        return
    print(f"Headline metrics — {rows[0]['area_name']}, latest period of each\n")
    for row in rows:
        coverage = f"   [computed from {row['boroughs_covered']} of {row['boroughs_expected']} boroughs]"
        target = "" if row["target"] is None else f"   (target {_fmt(row['target'])})"
        print(f"  {row['metric_name']} ({row['unit']}), {_period(row)}")
        spread = (f"every borough {_fmt(row['best_value'])}" if row["best_value"] == row["worst_value"]
                  and row["best_value"] is not None else
                  f"best: {_pair(row['best_area'], row['best_value'])}   "
                  f"worst: {_pair(row['worst_area'], row['worst_value'])}")
        print(f"      {row['area_name']}: {_fmt(row['region_value'])}{target}   {spread}{coverage}")
    print(f"\nPublished warehouse (read-only): {paths.published}")
    print(f"Query it:  .venv/bin/duckdb -readonly {paths.published} "
          "\"select * from analytics.city_metrics order by metric_id, area_name limit 20\"")


def _period(row) -> str:
    """'November 2025 to date (2 data days)', 'October 2025' or 'Q3 2025'."""
    start, end = row["period_start"], row["period_end"]
    label = (f"Q{(start.month - 1) // 3 + 1} {start.year}" if row["period_type"] == "quarter"
             else f"{start:%B %Y}")
    days = (end - start).days + 1
    if row["days_covered"] is not None and row["days_covered"] < days:
        label += f" to date ({row['days_covered']} data days)"
    return label


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _pair(name, value) -> str:
    return "n/a" if name is None else f"{name} {_fmt(value)}"
