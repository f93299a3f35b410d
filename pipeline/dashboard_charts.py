"""The dashboard's charts: Vega-Lite specs (altair) rendered to SVG on the server (vl-convert).

Rendering here keeps the page free of JavaScript: each chart is an <img> holding its
SVG as a data URI, so it opens offline, prints crisply, and no text inside it can run
as markup (Vega escapes labels; an image's SVG never runs scripts either way).
Colours are the Okabe-Ito palette, safe for colour-blind readers; status is also
written in words, never carried by colour alone.
"""

from __future__ import annotations

import base64
import html
from datetime import date

__all__ = ["RAG_COLOURS", "NEUTRAL", "sparkline_img", "ranked_bars_img", "scorecard_heatmap_img"]

# Okabe-Ito: blue (on target), orange (near), vermillion (off target), grey (no target).
RAG_COLOURS = {
    "on target": "#0072B2",
    "near target": "#E69F00",
    "off target": "#D55E00",
    "no target": "#7f7f7f",
}
NEUTRAL = "#0072B2"
FONT = "Segoe UI, Helvetica, Arial, sans-serif"


def sparkline_img(points: list[tuple[date, float | None]], alt: str) -> str:
    """A small trend line of the region's value over its periods (latest point marked)."""
    import altair as alt_

    values = [{"period": d.isoformat(), "value": v} for d, v in points if v is not None]
    base = alt_.Chart(alt_.Data(values=values)).encode(
        x=alt_.X("period:T", axis=None),
        y=alt_.Y("value:Q", axis=None, scale=alt_.Scale(zero=False)),
    )
    chart = base.mark_line(color=NEUTRAL, strokeWidth=2) + base.transform_window(
        rank="rank()", sort=[alt_.SortField("period", order="descending")]
    ).transform_filter("datum.rank == 1").mark_circle(color=NEUTRAL, size=40, opacity=1)
    chart = chart.properties(width=180, height=40).configure_view(stroke=None)
    return _img(chart, alt, "sparkline")


def ranked_bars_img(rows: list[dict], region_value: float | None, unit: str, alt: str) -> str:
    """Boroughs ranked best first (rows already ordered), coloured by status, region value as a rule."""
    import altair as alt_

    values = [
        {"area": r["area_name"], "value": r["value"], "status": r["status"], "order": i}
        for i, r in enumerate(rows)
    ]
    bars = (
        alt_.Chart(alt_.Data(values=values))
        .mark_bar(height={"band": 0.75})
        .encode(
            y=alt_.Y(
                "area:N",
                sort=alt_.EncodingSortField("order"),
                title=None,
                axis=alt_.Axis(labelLimit=170, labelFontSize=11),
            ),
            x=alt_.X(
                "value:Q", title=unit, axis=alt_.Axis(format="~s") if _big(values) else alt_.Axis()
            ),
            color=alt_.Color(
                "status:N",
                title="Status",
                scale=alt_.Scale(domain=list(RAG_COLOURS), range=list(RAG_COLOURS.values())),
                legend=alt_.Legend(orient="bottom") if _has_target(values) else None,
            ),
        )
    )
    layers = [bars]
    if region_value is not None:
        rule = (
            alt_.Chart(alt_.Data(values=[{"value": region_value}]))
            .mark_rule(color="#000", strokeDash=[4, 3], strokeWidth=1.5)
            .encode(x="value:Q")
        )
        layers.append(rule)
    chart = alt_.layer(*layers).properties(width=300, height=alt_.Step(13))
    chart = chart.configure_axis(labelFont=FONT, titleFont=FONT).configure_legend(
        labelFont=FONT, titleFont=FONT
    )
    return _img(chart, alt, "bars")


def scorecard_heatmap_img(cells: list[dict], alt: str) -> str:
    """Borough x dataset: share of owed feed-days delivered, with stale and missing feeds marked."""
    import altair as alt_

    base = alt_.Chart(alt_.Data(values=cells)).encode(
        y=alt_.Y("area:N", title=None, sort=None, axis=alt_.Axis(labelLimit=170, labelFontSize=11)),
        x=alt_.X("dataset:N", title=None, sort=None, axis=alt_.Axis(orient="top", labelAngle=-40)),
    )
    owed_nothing = base.mark_rect(stroke="#d0d0d0", fill="#fff")
    rect = (
        base.mark_rect(stroke="white")
        .encode(
            color=alt_.Color(
                "completeness:Q",
                title="Delivered % (blank: none owed yet)",
                scale=alt_.Scale(scheme="cividis", domain=[0, 100]),
                legend=alt_.Legend(orient="bottom", gradientLength=160),
            )
        )
        .transform_filter("isValid(datum.completeness)")
    )
    marks = base.mark_text(fontSize=10, fontWeight="bold").encode(
        text="mark:N",
        color=alt_.condition(
            "isValid(datum.completeness) && datum.completeness < 60",
            alt_.value("#fff"),
            alt_.value("#000"),
        ),
    )
    chart = (owed_nothing + rect + marks).properties(width=alt_.Step(46), height=alt_.Step(14))
    chart = chart.configure_axis(labelFont=FONT).configure_legend(labelFont=FONT, titleFont=FONT)
    return _img(chart, alt, "heatmap")


def _img(chart, alt: str, css_class: str) -> str:
    import vl_convert

    # the spec is built here, not typed by a user: altair's JSON-schema check of it cost a third
    # of the dashboard's CPU, and vl_convert refuses a spec it cannot draw anyway
    svg = vl_convert.vegalite_to_svg(chart.to_dict(validate=False))
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img class="{css_class}" alt="{html.escape(alt, quote=True)}" '
        f'src="data:image/svg+xml;base64,{data}">'
    )


def _big(values: list[dict]) -> bool:
    return any(abs(v["value"] or 0) >= 10_000 for v in values)


def _has_target(values: list[dict]) -> bool:
    return any(v["status"] != "no target" for v in values)
