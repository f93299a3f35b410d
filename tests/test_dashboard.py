"""The mayor's dashboard, opened from disk in headless Chromium as a person would open it.

Built from a published fixture warehouse in which one borough's name carries markup, as
a hostile or broken feed could deliver it: the page must show it as text.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import duckdb
import pytest
from headless_chromium import chromium_available, open_page
from published_fixture import published_warehouse

from pipeline.dashboard import build_dashboard, dashboard_path, rag_status

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

HOSTILE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">Bexley'
BEXLEY = "E09000004"
needs_chromium = pytest.mark.skipif(
    not chromium_available(), reason="needs Debian's chromium (make test-deps)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(dashboard path, build info, the warehouse it was built from)."""
    paths = published_warehouse(tmp_path_factory.getbasetemp() / "published")
    copy = tmp_path_factory.mktemp("dashboard") / "city.duckdb"
    shutil.copyfile(paths.published, copy)
    with duckdb.connect(str(copy)) as con:
        for table in ("city_metrics", "dim_areas", "borough_data_scorecard"):
            con.execute(
                f"update analytics.{table} set area_name = ? where area_code = ?", [HOSTILE, BEXLEY]
            )
    info = build_dashboard(copy, dashboard_path(copy))
    print(f"dashboard: {info['path']} ({info['bytes']} bytes, built in {info['elapsed_s']} s)")
    return dashboard_path(copy), info, copy


@pytest.fixture(scope="module")
def page(built):
    if not chromium_available():
        pytest.skip("needs Debian's chromium (make test-deps)")
    with open_page(built[0]) as page:
        yield page


@needs_chromium
def test_opens_offline_with_no_console_error_and_no_request(page):
    """Everything is in the file: the only requests are the file itself and its data: images."""
    fetched = [u for u in page.requests if urlparse(u).scheme != "data"]
    assert fetched == [page.evaluate("location.href")]
    assert page.evaluate("document.images.length") > 16
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert not page.console_errors


@needs_chromium
def test_every_metric_has_its_heading_and_a_coverage_line(page, built):
    with duckdb.connect(str(built[2]), read_only=True) as con:
        names = {
            n for (n,) in con.execute("select metric_name from analytics.dim_metrics").fetchall()
        }
        with_figures = {
            n
            for (n,) in con.execute(
                "select distinct metric_name from analytics.city_metrics where area_type = 'region'"
            ).fetchall()
        }
    headings = set(
        page.evaluate("[...document.querySelectorAll('article.metric h3')].map(h => h.textContent)")
    )
    assert headings == names
    coverage = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('article.metric')].map("
        "a => [a.querySelector('h3').textContent, a.querySelector('.coverage')?.textContent]))"
    )
    assert with_figures and all(
        coverage[n] and coverage[n].startswith("From ") and " boroughs, data to " in coverage[n]
        for n in with_figures
    ), coverage


@needs_chromium
def test_a_borough_name_with_markup_is_shown_as_text(page):
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('script, [onerror]').length") == 0
    cells = page.evaluate(
        "[...document.querySelectorAll('table th[scope=row]')].map(c => c.textContent)"
    )
    assert HOSTILE in cells
    assert not any(urlparse(u).path.endswith("/x") for u in page.requests)


@needs_chromium
def test_headline_is_the_region_value_with_target_status(page, built):
    """Net completions vs target: the region's latest value, and its status in words."""
    with duckdb.connect(str(built[2]), read_only=True) as con:
        value, target = con.execute(
            "select value, target from analytics.city_metrics where metric_id = 'net_completions_vs_target' "
            "and area_type = 'region' and period_type = 'month' order by period_start desc limit 1"
        ).fetchone()
    card = page.evaluate("document.getElementById('m-net_completions_vs_target').innerText")
    assert f"{value:.1f}%" in card and f"Target {target:.1f}%" in card
    assert {"on target": "On target", "near target": "Near target", "off target": "Off target"}[
        rag_status(value, target, "higher_is_better")
    ] in card


@needs_chromium
def test_screenshot_for_a_person(page, tmp_path_factory):
    shot = page.screenshot(tmp_path_factory.mktemp("screenshot") / "dashboard.png")
    print(f"dashboard screenshot: {shot}")
    assert shot.stat().st_size > 50_000


def test_the_page_is_small_and_names_no_outside_address(built):
    text = built[0].read_text(encoding="utf-8")
    assert built[1]["bytes"] < 2_000_000
    assert "<script" not in text.lower().replace("&lt;script", "")
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text


@pytest.mark.parametrize(
    "value, target, direction, want",
    [
        (100.0, 100.0, "higher_is_better", "on target"),
        (91.0, 100.0, "higher_is_better", "near target"),
        (89.0, 100.0, "higher_is_better", "off target"),
        (9.0, 10.0, "lower_is_better", "on target"),
        (10.5, 10.0, "lower_is_better", "near target"),
        (12.0, 10.0, "lower_is_better", "off target"),
        (50.0, None, "higher_is_better", "no target"),
        (None, 50.0, "higher_is_better", "no target"),
    ],
)
def test_status_against_a_target(value, target, direction, want):
    assert rag_status(value, target, direction) == want


def test_an_empty_metric_says_so(built, tmp_path):
    """A metric with no region figure yet (e.g. the data scorecard before any night) is a note, not a crash."""
    copy = tmp_path / "city.duckdb"
    shutil.copyfile(built[2], copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("delete from analytics.city_metrics where metric_id = 'recycling_rate'")
    build_dashboard(copy, tmp_path / "dashboard.html")
    text = (tmp_path / "dashboard.html").read_text(encoding="utf-8")
    card = text.split('id="m-recycling_rate"', 1)[1].split("</article>", 1)[0]
    assert "No figures published yet." in card
