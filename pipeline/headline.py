"""The headline: each metric region-wide, read from `analytics.headline_metrics` and printed.

Every rule of what the headline says lives in that mart (dbt_project/models/marts/
headline_metrics.sql): which period (the rolling window where the metric has one, else
the latest complete month or quarter, else the latest, labelled with the days it covers),
whether boroughs are ranked best/worst or only highest/lowest, which boroughs are too
small to rank, and who is missing. This module only reads the published (read-only)
warehouse, exactly as an analyst would, and words it.
"""

from __future__ import annotations

from typing import Any

from ingest.paths import DataPaths
from pipeline.publish import open_published

__all__ = ["headline_rows", "print_headline", "headline_lines"]

_QUERY = "select * from analytics.headline_metrics order by area_code, domain, metric_id"


def headline_rows(paths: DataPaths) -> list[dict[str, Any]]:
    """The mart's rows, one per metric and region, as dicts."""
    with open_published(paths) as con:
        cursor = con.execute(_QUERY)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]


def print_headline(paths: DataPaths) -> None:
    rows = headline_rows(paths)
    if not rows:
        print(f"The published warehouse {paths.published} has no metrics yet.")
        return
    print("\n".join(headline_lines(rows)))
    print(f"\nPublished warehouse (read-only): {paths.published}")
    print(
        f"Query it:  .venv/bin/duckdb -readonly {paths.published} "
        '"select * from analytics.headline_metrics order by metric_id"'
    )
    for what, path in (
        ("The mayor's dashboard", paths.published.with_name("dashboard.html")),
        ("The warehouse's documentation", paths.published.parent / "docs" / "index.html"),
    ):
        if path.exists():
            print(f"{what}: {path} (opens offline in a browser)")


def headline_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The printed headline, three lines a metric."""
    lines = [
        f"Headline metrics — {rows[0]['area_name']}: the latest complete period of each "
        "(rolling where the metric has one), else the latest, with the days it covers",
        "",
    ]
    for row in rows:
        target = "" if row["target"] is None else f"   (target {_fmt(row['target'])})"
        lines.append(f"  {row['metric_name']} ({row['unit']}), {row['period_label']}")
        lines.append(
            f"      {row['area_name']}: {_fmt(row['value'])}{target}{_change(row)}   {_coverage(row)}"
        )
        lines.append(f"      {_ranking(row)}")
    return lines


def _ranking(row: dict[str, Any]) -> str:
    """'best: A 1.00   worst: B 2.00', 'highest: … lowest: …' or why there is no ranking."""
    small = row["boroughs_too_small_to_rank"]
    left_out = (
        f"   ({_boroughs(small)} with fewer than {row['min_count_to_rank']} events not ranked)"
        if small
        else ""
    )
    if row["ranking"] == "not_ranked":
        if small:
            rest = f", only {row['boroughs_ranked']} with more" if row["boroughs_ranked"] else ""
            return (
                f"not ranked: too small to rank ({_boroughs(small)} with fewer than "
                f"{row['min_count_to_rank']} events{rest})"
            )
        return f"not ranked: only {_boroughs(row['boroughs_ranked'])} with a value"
    if row["highest_value"] == row["lowest_value"]:
        return f"every ranked borough {_fmt(row['highest_value'])}{left_out}"
    if row["ranking"] == "best_worst":
        return (
            f"best: {row['best_area']} {_fmt(row['best_value'])}   "
            f"worst: {row['worst_area']} {_fmt(row['worst_value'])}{left_out}"
        )
    return (
        f"highest: {row['highest_area']} {_fmt(row['highest_value'])}   "
        f"lowest: {row['lowest_area']} {_fmt(row['lowest_value'])}   (no better direction){left_out}"
    )


def _change(row: dict[str, Any]) -> str:
    if row["change_vs_last_year"] is None:
        return ""
    return f"   {row['change_vs_last_year']:+,.2f} on last year ({row['change_judgement']})"


def _coverage(row: dict[str, Any]) -> str:
    text = f"[computed from {row['boroughs_covered']} of {row['boroughs_expected']} boroughs"
    if row["missing_boroughs"]:
        text += f"; missing: {row['missing_boroughs']}"
    return text + "]"


def _boroughs(count: int) -> str:
    return f"{count} borough" + ("" if count == 1 else "s")


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:,.2f}"
