"""What a backfill plans, without fetching: the days of A..B, the range queries, what periods are owed."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.catalogue import load_catalogue
from ingest.errors import IngestError
from ingest.paths import DataPaths
from ingest.protocols import protocol_for
from pipeline.backfill_plan import data_days, least_requests, plan_range, range_chunks
from pipeline.cli import main


def test_data_days_are_both_ends_inclusive_and_a_reversed_range_is_refused():
    assert data_days(date(2026, 2, 27), date(2026, 3, 1)) == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ]
    with pytest.raises(IngestError, match="before --from"):
        data_days(date(2026, 3, 2), date(2026, 3, 1))


def test_a_year_is_cut_into_as_few_range_queries_as_each_protocol_allows():
    year = [d.isoformat() for d in data_days(date(2025, 12, 5), date(2026, 12, 4))]
    assert [
        len(protocol_for(p).range_days and range_chunks(year, protocol_for(p).range_days))
        for p in ("socrata", "arcgis", "ckan", "open311")
    ] == [1, 2, 4, 5]
    chunks = range_chunks(year, 90)
    assert [d for c in chunks for d in c] == year, "every day once, in order"
    assert all((date.fromisoformat(c[-1]) - date.fromisoformat(c[0])).days < 90 for c in chunks)


def test_periodic_feeds_owe_every_period_the_nights_of_the_range_owed(tmp_path):
    catalogue = load_catalogue()
    plans = plan_range(
        catalogue,
        date(2026, 11, 9),
        date(2026, 11, 11),
        DataPaths(tmp_path / "data"),
        datasets=["house_prices", "road_casualties"],
        boroughs=["camden"],
    )
    by_dataset = {p.feed.dataset.id: p for p in plans}
    assert by_dataset["road_casualties"].days == ("2026-11-09", "2026-11-10", "2026-11-11")
    months = by_dataset["house_prices"].days
    assert len(months) == 13 and all(m.endswith("-01") for m in months)
    # one range query for the 3 days, and a changes query (Camden's Socrata feed is incremental)
    assert least_requests(catalogue, by_dataset["road_casualties"]) == 2


def test_the_cli_says_the_range_is_inclusive(capsys):
    with pytest.raises(SystemExit):
        main(["backfill", "--help"])
    assert "both inclusive" in capsys.readouterr().out


def test_an_open311_window_stays_within_90_days_when_the_clocks_go_back():
    """GeoReport servers refuse end_date - start_date over 90 days; a chunk across the end of
    British Summer Time is an hour longer than its days."""
    from datetime import datetime

    camden = load_catalogue().feed("service_requests/E09000007")
    open311 = protocol_for("open311")
    year = [d.isoformat() for d in data_days(date(2026, 9, 1), date(2027, 8, 31))]
    for chunk in range_chunks(year, open311.range_days):
        query = open311.range_query(camden, [date.fromisoformat(d) for d in chunk])
        start, end = (datetime.fromisoformat(query[k]) for k in ("start_date", "end_date"))
        assert (end - start).total_seconds() <= 90 * 86400, chunk[0]
