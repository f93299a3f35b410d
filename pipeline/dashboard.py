"""The mayor's dashboard: one self-contained HTML page built from the published warehouse.

Each metric shows the region-wide value of its latest period with a trend sparkline,
its target and status where it has one, the boroughs ranked, and on every figure how
many boroughs it is from and how recent the data is; then the borough data scorecard.
Charts are SVG rendered on the server (pipeline.dashboard_charts), so the page needs no
script, no font and no network: it opens offline from a file share and prints. Every
text that came from a borough or from config is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import os
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline.dashboard_charts import (
    RAG_COLOURS,
    ranked_bars_img,
    scorecard_heatmap_img,
    sparkline_img,
)

__all__ = ["build_dashboard", "dashboard_path", "rag_status"]

NEAR_TARGET = 0.9  # within 10% of the target (on the side of its direction) is "near target"
DOMAINS = ("housing", "transport", "services", "data")


def dashboard_path(published_path: Path | str) -> Path:
    """dashboard.html beside the published warehouse (where publish writes it)."""
    return Path(published_path).with_name("dashboard.html")


def build_dashboard(published_path: Path | str, out_path: Path | str) -> dict[str, Any]:
    """Write the dashboard for the published warehouse at published_path to out_path (atomically)."""
    import duckdb

    started = time.monotonic()
    published_path, out_path = Path(published_path), Path(out_path)
    with duckdb.connect(str(published_path), read_only=True) as con:
        data = _read(con)
    page = _page(data, _published_at(published_path))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    candidate = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        candidate.write_text(page, encoding="utf-8")
        os.replace(candidate, out_path)
    finally:
        candidate.unlink(missing_ok=True)
    return {
        "path": str(out_path),
        "bytes": out_path.stat().st_size,
        "metrics": len(data["metrics"]),
        "elapsed_s": round(time.monotonic() - started, 1),
    }


def rag_status(value: float | None, target: float | None, direction: str) -> str:
    """'on target' | 'near target' (within 10%) | 'off target' | 'no target' (no target or no value)."""
    if target is None or value is None:
        return "no target"
    if direction == "higher_is_better":
        ratio = value / target if target else (1.0 if value >= 0 else 0.0)
    else:
        ratio = target / value if value else 1.0
    if ratio >= 1:
        return "on target"
    return "near target" if ratio >= NEAR_TARGET else "off target"


# --- reading -------------------------------------------------------------------------


def _read(con) -> dict[str, Any]:
    def rows(sql: str) -> list[dict]:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]

    metrics = rows("""
        select m.metric_id, m.metric_name, m.domain, m.dataset, m.unit, m.direction, m.target, m.description,
               m.aggregation,
               case when m.rolling_months is not null then 'rolling_' || m.rolling_months || 'm'
                    else m.period_type end as grain
        from analytics.dim_metrics as m order by m.metric_id""")
    figures = rows("""
        select metric_id, period_type, period_start, period_end, area_code, area_name, area_type, value,
               boroughs_covered, boroughs_expected, is_complete
        from analytics.city_metrics order by metric_id, period_start""")
    cadence = {
        r["dataset"]: (r["cadence"], r["last_data_day"])
        for r in rows("""
        select dataset, any_value(cadence) as cadence, max(last_data_day) as last_data_day
        from analytics.borough_data_scorecard group by dataset""")
    }
    scorecard = rows("""
        select area_name, dataset, expected_feed_days, delivered_feed_days, on_time_feed_days,
               quarantined_batches, failed_fetches, rows_validated, rows_passed, freshness_status
        from analytics.borough_data_scorecard order by area_name, dataset""")
    region = rows("select area_name from analytics.dim_areas where area_type = 'region'")
    return {
        "metrics": metrics,
        "figures": figures,
        "cadence": cadence,
        "scorecard": scorecard,
        "region": region[0]["area_name"] if region else "the region",
    }


def _published_at(published_path: Path) -> str:
    manifest = published_path.with_name("published.json")
    try:
        stamp = json.loads(manifest.read_text(encoding="utf-8"))["published_at"]
        return datetime.fromisoformat(stamp).strftime("%d %b %Y %H:%M UTC")
    except (OSError, ValueError, KeyError):
        return datetime.fromtimestamp(published_path.stat().st_mtime, UTC).strftime(
            "%d %b %Y %H:%M UTC"
        )


# --- the page --------------------------------------------------------------------------


def _page(data: dict[str, Any], published_at: str) -> str:
    esc = html.escape
    region = data["region"]
    sections = []
    domains = sorted(
        {m["domain"] for m in data["metrics"]},
        key=lambda d: (DOMAINS.index(d) if d in DOMAINS else len(DOMAINS), d),
    )
    for domain in domains:
        cards = [_metric_card(m, data) for m in data["metrics"] if m["domain"] == domain]
        sections.append(
            f'<section aria-labelledby="d-{esc(domain)}"><h2 id="d-{esc(domain)}">'
            f"{esc(domain.capitalize())}</h2>{''.join(cards)}</section>"
        )
    body = "".join(sections) + _scorecard_section(data["scorecard"])
    return _TEMPLATE.format(
        title=esc(f"{region}: city dashboard"),
        region=esc(region),
        published=esc(published_at),
        body=body,
        legend=_legend(),
    )


def _metric_card(metric: dict, data: dict[str, Any]) -> str:
    esc = html.escape
    name = metric["metric_name"]
    rows = [
        f
        for f in data["figures"]
        if f["metric_id"] == metric["metric_id"] and f["period_type"] == metric["grain"]
    ]
    series = [f for f in rows if f["area_type"] == "region"]
    head = f'<article class="metric" id="m-{esc(metric["metric_id"])}"><h3>{esc(name)}</h3>'
    if not series:
        return head + '<p class="nodata">No figures published yet.</p></article>'
    latest = series[-1]
    this_period = [
        f
        for f in rows
        if f["area_type"] == "borough" and f["period_start"] == latest["period_start"]
    ]
    boroughs = [f for f in this_period if f["value"] is not None]
    no_value = sorted(f["area_name"] for f in this_period if f["value"] is None)
    status = rag_status(latest["value"], metric["target"], metric["direction"])
    unit = metric["unit"]
    value = _fmt(latest["value"], unit)
    coverage = _coverage(latest, metric, data["cadence"])
    target = (
        f'<p class="target">Target {esc(_fmt(metric["target"], unit))} '
        f'<span class="badge" style="background:{RAG_COLOURS[status]}">{esc(_STATUS_WORDS[status])}</span></p>'
        if metric["target"] is not None
        else ""
    )
    trend = (
        sparkline_img(
            [(f["period_start"], f["value"]) for f in series[-24:]],
            f"Trend of {name} for {data['region']}, {len(series[-24:])} periods to "
            f"{_period(latest)}: latest {value}.",
        )
        if sum(f["value"] is not None for f in series) > 1
        else '<p class="nodata">Trend shown from the second period on.</p>'
    )
    better = "higher" if metric["direction"] == "higher_is_better" else "lower"
    ranked = sorted(
        boroughs, key=lambda f: (-f["value"] if better == "higher" else f["value"], f["area_name"])
    )
    for f in ranked:
        f["status"] = rag_status(f["value"], metric["target"], metric["direction"])
    # a per-day region value is the boroughs' sum, not comparable with one borough: no line
    comparable = metric["aggregation"] != "per_day"
    comparison = (
        ranked_bars_img(
            ranked,
            latest["value"] if comparable else None,
            unit,
            f"{name} by borough, {_period(latest)}, best first ({better} is better): "
            + "; ".join(f"{f['area_name']} {_fmt(f['value'], unit)}" for f in ranked)
            + (f". Dashed line: {data['region']} {value}." if comparable else "."),
        )
        if ranked
        else '<p class="nodata">No borough figures for this period.</p>'
    )
    if no_value:
        comparison += (
            f'<p class="novalue">No figure for {len(no_value)} borough{"s" if len(no_value) > 1 else ""} '
            f"(no value this period): {esc(', '.join(no_value))}.</p>"
        )
    return (
        head + '<div class="cols"><div class="headline">'
        f'<p class="value">{esc(value)} <span class="unit">{esc(_unit_words(unit))}</span></p>'
        f'<p class="period">{esc(_period(latest))} · {esc(better)} is better</p>{target}{trend}'
        f'<p class="coverage">{esc(coverage)}</p>'
        f'<p class="about">{esc(metric["description"] or "")}</p></div>'
        f'<div class="compare">{comparison}</div></div></article>'
    )


def _scorecard_section(scorecard: list[dict]) -> str:
    esc = html.escape
    head = '<section aria-labelledby="scorecard"><h2 id="scorecard">Borough data scorecard</h2>'
    if not scorecard:
        return head + '<p class="nodata">No feeds scored yet.</p></section>'
    by_area: dict[str, list[dict]] = {}
    for r in scorecard:
        by_area.setdefault(r["area_name"], []).append(r)
    lines = []
    for area, feeds in by_area.items():
        owed = sum(f["expected_feed_days"] or 0 for f in feeds)
        delivered = sum(f["delivered_feed_days"] or 0 for f in feeds)
        on_time = sum(f["on_time_feed_days"] or 0 for f in feeds)
        validated = sum(f["rows_validated"] or 0 for f in feeds)
        passed = sum(f["rows_passed"] or 0 for f in feeds)
        stale = [f["dataset"] for f in feeds if f["freshness_status"] == "stale"]
        missing = [f["dataset"] for f in feeds if f["freshness_status"] == "missing"]
        lines.append(
            f'<tr><th scope="row">{esc(area)}</th><td>{len(feeds)}</td><td>{_pct(delivered, owed)}</td>'
            f"<td>{_pct(on_time, owed)}</td><td>{_pct(passed, validated)}</td>"
            f"<td>{sum(f['quarantined_batches'] or 0 for f in feeds)}</td>"
            f"<td>{esc(', '.join(stale) or 'none')}</td><td>{esc(', '.join(missing) or 'none')}</td></tr>"
        )
    cells = [
        {
            "area": r["area_name"],
            "dataset": r["dataset"].replace("_", " "),
            "completeness": 100.0 * r["delivered_feed_days"] / r["expected_feed_days"]
            if r["expected_feed_days"]
            else None,
            "mark": {"stale": "S", "missing": "M"}.get(r["freshness_status"], ""),
        }
        for r in scorecard
    ]
    heatmap = scorecard_heatmap_img(
        cells,
        "Share of owed feed-days delivered, by borough and dataset; "
        "S marks a stale feed, M a missing one. The table below gives the same figures.",
    )
    return (
        head
        + "<p>Per borough, over every data day the pipeline ran for: feeds scored, feed-days delivered and "
        "delivered on time (of those owed), rows passing validation, batches quarantined, and which feeds are "
        f"stale or missing. In the chart, S marks a stale feed and M a missing one.</p>{heatmap}"
        '<table><caption>Borough data scorecard</caption><thead><tr><th scope="col">Borough</th>'
        '<th scope="col">Feeds</th><th scope="col">Delivered</th><th scope="col">On time</th>'
        '<th scope="col">Rows passing</th><th scope="col">Quarantined batches</th><th scope="col">Stale feeds</th>'
        f'<th scope="col">Missing feeds</th></tr></thead><tbody>{"".join(lines)}</tbody></table></section>'
    )


def _coverage(latest: dict, metric: dict, cadence: dict) -> str:
    """'From 31 of 33 boroughs, data to 21 Nov 2024' (+ ', period not complete')."""
    data_to = latest["period_end"]
    kind, last_day = cadence.get(metric["dataset"], (None, None))
    if kind == "daily" and last_day is not None:
        data_to = min(data_to, last_day)
    text = (
        f"From {latest['boroughs_covered']} of {latest['boroughs_expected']} boroughs, "
        f"data to {_day(data_to)}"
    )
    return text + ("" if latest["is_complete"] else " (period not complete)")


_STATUS_WORDS = {
    "on target": "✓ On target",
    "near target": "≈ Near target",
    "off target": "✗ Off target",
    "no target": "No target",
}


def _legend() -> str:
    return "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{html.escape(_STATUS_WORDS[s])}'
        f"</li>"
        for s, colour in RAG_COLOURS.items()
    )


def _period(row: dict) -> str:
    start, end = row["period_start"], row["period_end"]
    if row["period_type"] == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if row["period_type"] == "month":
        return start.strftime("%b %Y")
    return f"12 months {start.strftime('%b %Y')} to {end.strftime('%b %Y')}"


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "£":
        return f"£{value:,.0f}"
    if unit == "%":
        return f"{value:.1f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _unit_words(unit: str) -> str:
    return "" if unit in ("£", "%") else unit


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "n/a"


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
body {{ font-family: "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem;
       color: #1b1b1b; background: #fff; line-height: 1.4; }}
header {{ border-bottom: 3px solid #0072B2; margin-bottom: 1rem; }}
h1 {{ margin: .2rem 0; font-size: 1.8rem; }} h2 {{ margin-top: 2rem; border-bottom: 1px solid #ccc; }}
h3 {{ margin: 0 0 .4rem; font-size: 1.15rem; }}
.metric {{ border: 1px solid #d0d0d0; border-radius: 6px; padding: .8rem 1rem; margin: .8rem 0; break-inside: avoid; }}
.cols {{ display: flex; flex-wrap: wrap; gap: 1.5rem; }}
.headline {{ flex: 1 1 260px; }} .compare {{ flex: 1 1 480px; }}
.value {{ font-size: 2rem; font-weight: 700; margin: 0; }} .unit {{ font-size: 1rem; font-weight: 400; color: #444; }}
.period, .coverage, .about {{ margin: .3rem 0; color: #333; font-size: .92rem; }}
.coverage {{ font-weight: 600; }} .about {{ color: #555; font-size: .85rem; }}
.badge {{ color: #fff; padding: .1rem .5rem; border-radius: 3px; font-weight: 600; font-size: .9rem; }}
.nodata {{ color: #555; font-style: italic; }} .novalue {{ color: #444; font-size: .85rem; margin: .2rem 0; }}
.legend {{ list-style: none; padding: 0; display: flex; gap: 1rem; flex-wrap: wrap; font-size: .9rem; }}
.swatch {{ display: inline-block; width: .9rem; height: .9rem; margin-right: .3rem; vertical-align: -2px; }}
img {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; width: 100%; font-size: .88rem; margin-top: 1rem; }}
caption {{ text-align: left; font-weight: 600; padding: .3rem 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }}
thead th {{ border-bottom: 2px solid #333; }}
@media print {{ body {{ max-width: none; padding: 0; }} h2 {{ break-after: avoid; }}
               .metric, tr {{ break-inside: avoid; }}
               .badge {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }} }}
</style></head>
<body><header><h1>{region}: city dashboard</h1>
<p>Published {published}. Each figure says how many boroughs it is from and how recent its data is.
Status against a target:</p><ul class="legend">{legend}</ul></header>
<main>{body}</main>
<footer><p>Built from the published warehouse (analytics.city_metrics, dim_metrics, borough_data_scorecard).
Region values are ratios of sums over the boroughs that delivered.</p></footer>
</body></html>
"""
