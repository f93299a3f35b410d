"""Region-wide sources: one file for the whole region, fetched once a night and split per area.

The split and the periods are checked on the real files (tests/fixtures/realdata) without a
server; one night against the sandbox proves the fetch count, the 304 on the next night and
that a bad borough row is quarantined alone, beside borough rows and the region total that load.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import night_steps
import pytest
import sandbox_control
from config_files import copy_config, edit_yaml

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError, FatalFetchError
from ingest.periods import period_end, period_from_label, period_label, periods_due
from ingest.region_feed import split_by_area
from ingest.reshape import reshape
from ingest.spreadsheets import read_sheets

REAL = Path(__file__).resolve().parent / "fixtures" / "realdata"
LONDON = "E12000007"


def _records(dataset_id: str, catalogue=None):
    catalogue = catalogue or load_catalogue()
    dataset = catalogue.dataset(dataset_id)
    sheets = read_sheets(
        (REAL / dataset.source.file).read_bytes(),
        dataset.source.format,
        "file",
        dataset.source.sheets,
    )
    return catalogue, dataset, reshape(sheets, dataset, "file")


# ---- periods ---------------------------------------------------------------------------------


def test_financial_year_labels_in_either_spelling_start_on_1_april():
    assert period_from_label("2011/12", "financial_year") == date(2011, 4, 1)
    assert period_from_label("2015-16", "financial_year") == date(2015, 4, 1)
    assert period_from_label("2017_18", "financial_year") == date(2017, 4, 1)
    assert period_from_label("1999-00", "financial_year") == date(1999, 4, 1)
    assert period_label(date(2011, 4, 1), "financial_year") == "2011-12"
    assert period_end(date(2011, 4, 1), "financial_year") == date(2012, 3, 31)
    with pytest.raises(ValueError, match="must follow the first"):
        period_from_label("2011-13", "financial_year")


def test_yearly_periods_read_plain_years_and_year_ending_labels():
    assert period_from_label("2014", "yearly") == date(2014, 1, 1)
    assert period_from_label("Year ending Dec 2017", "yearly") == date(2017, 1, 1)
    assert periods_due(date(2025, 7, 1), "yearly", 90, 3) == [
        date(2022, 1, 1),
        date(2023, 1, 1),
        date(2024, 1, 1),
    ]


def test_four_weekly_periods_match_every_period_tfl_published():
    """All 185 periods of the real TfL file (2010/11 P1 to 2024/25 P3) start and end where the rule says."""
    with (REAL / "tfl-journeys-type.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 185
    for row in rows:
        begins = datetime.strptime(row["Period beginning"], "%d-%b-%y").date()
        ends = datetime.strptime(row["Period ending"], "%d-%b-%y").date()
        assert period_from_label(row["Period beginning"], "four_weekly") == begins, row
        assert period_end(begins, "four_weekly") == ends, row
    assert period_label(date(2024, 4, 28), "four_weekly") == "2024-25 P02"


# ---- the split ---------------------------------------------------------------------------------


def test_borough_rows_go_to_their_borough_and_the_london_total_to_the_region_partition():
    catalogue, dataset, records = _records("affordable_housing_supply")
    parts, dropped = split_by_area(records, catalogue, catalogue.feed(f"{dataset.id}/{LONDON}"))
    year = "2020-04-01"
    boroughs = {code for code, day in parts if day == year and code != LONDON}
    assert boroughs == {a.code for a in catalogue.region.areas}
    assert [r["borough"] for r in parts[(LONDON, year)]] == ["London"]
    assert all(len(parts[(code, year)]) == 1 for code in boroughs)
    # England and the other eight regions are not London's: left out, and counted
    assert dropped["England"] == 33 and dropped["South East"] == 33 and "London" not in dropped


def test_a_total_row_an_airport_and_an_unknown_area_never_join_a_borough_partition():
    """Declared non-borough rows (`Total`, an airport) go to the region partition; so does an
    area nobody declared (its validation fails there); the borough rows beside them are untouched."""
    catalogue, dataset, records = _records("affordable_housing_supply")
    source = dataset.source
    rules = dataclasses.replace(
        source.areas, keep=(*source.areas.keep, "Total", "Heathrow Airport")
    )
    dataset = dataclasses.replace(dataset, source=dataclasses.replace(source, areas=rules))
    extra = [
        {
            "area_code": "",
            "borough": name,
            "financial_year": "2020-21",
            "affordable_homes": "7",
            "year_start": "2020-04-01",
            "supply_ref": name,
        }
        for name in ("Total", "Heathrow Airport", "Atlantis")
    ]
    feed = dataclasses.replace(
        catalogue.feed(f"affordable_housing_supply/{LONDON}"), dataset=dataset
    )
    parts, _ = split_by_area(records + extra, catalogue, feed)
    region_rows = [r["borough"] for r in parts[(LONDON, "2020-04-01")]]
    assert region_rows == ["London", "Total", "Heathrow Airport", "Atlantis"]
    assert sum(len(parts[(a.code, "2020-04-01")]) for a in catalogue.region.areas) == 33


def test_a_wide_file_is_unpivoted_with_the_region_figure_beside_each_borough():
    catalogue, dataset, records = _records("house_sales")
    parts, _ = split_by_area(records, catalogue, catalogue.feed(f"house_sales/{LONDON}"))
    camden = parts[("E09000007", "2019-01-01")]
    assert (
        len(camden) == 1
        and camden[0]["borough"] == "Camden"
        and camden[0]["region_sales"] == "6031"
    )
    assert sorted(r["borough"] for r in parts[(LONDON, "2019-01-01")]) == [
        "Inner London",
        "LONDON",
        "Outer London",
    ]
    assert len({day for _, day in parts}) == 313  # 1995-01 to 2021-01, as SOURCES.md B2 says


def test_a_city_wide_series_is_all_the_regions():
    catalogue, dataset, records = _records("tfl_journeys")
    parts, dropped = split_by_area(records, catalogue, catalogue.feed(f"tfl_journeys/{LONDON}"))
    assert {code for code, _ in parts} == {LONDON} and not dropped
    first = {r["mode"]: r["journeys_millions"] for r in parts[(LONDON, "2010-04-01")]}
    assert first == {
        "Bus journeys (m)": "189.1",
        "Underground journeys (m)": "90.5",
        "DLR Journeys (m)": "6.3",
        "Tram Journeys (m)": "2.3",
    }  # modes not yet running are blank, not zero


def test_spreadsheet_sheets_read_like_their_csv():
    """The XLSX workbook (openpyxl) gives each sheet's cells as the sheet's CSV holds them."""
    sheets = read_sheets(
        (REAL / "statutory-homelessness-borough.xlsx").read_bytes(), "xlsx", "file", "^2017_18$"
    )
    with (REAL / "statutory_homelessness_borough" / "sheet_2017_18.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        expected = [row for row in csv.reader(f)]
    got = sheets["2017_18"]
    assert len(got) >= len(expected)
    for want, have in zip(expected, got[: len(expected)], strict=True):  # same numbers, any digits
        assert [_number_or_text(c) for c in have[: len(want)]] == [_number_or_text(c) for c in want]
    with pytest.raises(FatalFetchError, match="no sheet matches"):
        read_sheets(
            (REAL / "statutory-homelessness-borough.xlsx").read_bytes(), "xlsx", "file", "^1999"
        )


def _number_or_text(cell: str):
    try:
        return round(
            float(cell), 9
        )  # openpyxl writes 15 significant digits: 4.6899999999999995 -> 4.69
    except ValueError:
        return cell


def test_ods_sheets_are_read_with_the_odf_reader(tmp_path: Path):
    pd = pytest.importorskip("pandas")
    target = tmp_path / "book.ods"
    with pd.ExcelWriter(target, engine="odf") as writer:
        pd.DataFrame(
            [["E09000007", "Camden", 12611.0], ["E12000007", "London", "--"]],
            columns=["Code", "Area", "Value"],
        ).to_excel(writer, sheet_name="2020_21", index=False)
        pd.DataFrame([["note"]]).to_excel(writer, sheet_name="Metadata", index=False, header=False)
    sheets = read_sheets(target.read_bytes(), "ods", "file", "^20")
    assert list(sheets) == ["2020_21"]
    assert sheets["2020_21"] == [
        ["Code", "Area", "Value"],
        ["E09000007", "Camden", "12611"],
        ["E12000007", "London", "--"],
    ]


# ---- config ------------------------------------------------------------------------------------


def test_a_source_block_typo_names_the_key_and_the_nearest_one(tmp_path: Path):
    config = copy_config(tmp_path / "config")

    def misspell(data):
        source = data["datasets"]["tfl_journeys"]["source"]
        source["colums"] = source.pop("columns")

    edit_yaml(config / "datasets.yml", misspell)
    with pytest.raises(CatalogueError, match=r"tfl_journeys\.source.*colums.*columns"):
        load_catalogue(config)


def test_a_source_filling_an_undeclared_field_is_refused(tmp_path: Path):
    config = copy_config(tmp_path / "config")
    edit_yaml(
        config / "datasets.yml",
        lambda d: d["datasets"]["affordable_housing_supply"]["source"]["columns"].__setitem__(
            "homes", "Affordable Housing Supply"
        ),
    )
    with pytest.raises(
        CatalogueError, match="fills 'homes', which is not one of the dataset's fields"
    ):
        load_catalogue(config)


def test_narrowed_to_boroughs_a_region_wide_dataset_is_left_out_unless_named():
    catalogue = load_catalogue()
    assert not any(f.region_wide for f in catalogue.feeds(areas=["camden"]))
    named = catalogue.feeds(datasets=["homelessness"], areas=["camden"])
    assert [f.id for f in named] == [f"homelessness/{LONDON}"]
    assert sum(f.region_wide for f in catalogue.feeds()) == sum(
        d.region_wide for d in catalogue.datasets.values()
    )


# ---- one night against the sandbox --------------------------------------------------------------


def test_a_region_wide_source_is_fetched_once_a_night_and_a_bad_borough_row_is_quarantined_alone(
    sandbox, data_dir
):
    """P1E homelessness, five financial years for 34 areas, from one XLSX download: one request,
    not 33. Its 2017-18 sheet has Barking and Dagenham's row holding the London totals (a source
    error): that one partition is quarantined, saying why; the other boroughs and the London
    total of that year load. The next night the file answers 304 and is read from the kept copy."""
    sandbox_control.clear_request_log(sandbox)
    summary = night_steps.land(date(2018, 7, 1), datasets=["homelessness"])
    downloads = [r for r in sandbox_control.request_log(sandbox) if r["dataset"] == "homelessness"]
    assert len(downloads) == 1 and downloads[0]["status"] == 200
    assert summary["loaded_batches"] == 5 * 34 - 1
    [line] = summary["quarantined"]
    assert "homelessness from Barking and Dagenham (2017-04-01)" in line
    assert "region_households_in_ta/households_in_ta" in line
    with duckdb.connect(str(data_dir.warehouse), read_only=True) as con:
        london = con.execute(
            "select households_in_ta from raw.homelessness where _borough_code = ? "
            "and _data_day = '2017-04-01'",
            [LONDON],
        ).fetchall()
        loaded = con.execute(
            "select count(distinct _borough_code) from raw.homelessness "
            "where _data_day = '2017-04-01' and _borough_code <> ?",
            [LONDON],
        ).fetchone()[0]
    assert london == [("54540",)] and loaded == 32

    sandbox_control.clear_request_log(sandbox)
    again = night_steps.land(date(2018, 7, 2), datasets=["homelessness"])
    downloads = [r for r in sandbox_control.request_log(sandbox) if r["dataset"] == "homelessness"]
    assert [r["status"] for r in downloads] == [304]  # asked again for the quarantined period
    assert len(again["quarantined"]) == 1  # the source still has the error


def test_a_series_that_ended_before_the_calendars_window_still_fills_its_history(sandbox, data_dir):
    """The P1E file ends with 2017-18. On a night in December 2026 the calendar owes 2021-22 to
    2025-26, which the file will never hold: each is not published, and the file's own five
    latest years land instead (the owed periods are bounded by what the file covers). The
    next night asks again only for the year with the quarantined partition."""
    first = night_steps.land(date(2026, 12, 5), datasets=["homelessness"])
    assert first["loaded_batches"] == 5 * 34 - 1 and len(first["quarantined"]) == 1
    owed = {date(year, 4, 1).isoformat() for year in range(2021, 2026)}
    not_published = {o["data_day"] for o in first["outcomes"] if o["status"] == "not_published"}
    assert not_published == owed
    with duckdb.connect(str(data_dir.warehouse), read_only=True) as con:
        years = con.execute(
            "select distinct _data_day::varchar from raw.homelessness order by 1"
        ).fetchall()
    assert [y for (y,) in years] == [date(year, 4, 1).isoformat() for year in range(2013, 2018)]

    again = night_steps.land(date(2026, 12, 6), datasets=["homelessness"])
    assert {o["data_day"] for o in again["outcomes"]} - owed == {"2017-04-01"}
    assert again["loaded_batches"] == 33 and len(again["quarantined"]) == 1


def test_a_region_wide_file_that_cannot_be_read_is_the_region_feeds_failure_per_period(
    sandbox, data_dir, fast_config, monkeypatch
):
    """A sign-in page served with 200 instead of the TfL file: each planned period is the region
    feed's fetch_failed outcome, saying so in one line; nothing lands, nothing is split."""
    monkeypatch.setenv("CITY_CONFIG_DIR", str(fast_config))  # retries give up in about a second
    sandbox_control.add_fault(sandbox, kind="html_page", dataset="tfl_journeys")
    try:
        summary = night_steps.land(date(2024, 12, 1), datasets=["tfl_journeys"])
    finally:
        sandbox_control.clear_faults(sandbox)
    assert summary["loaded_batches"] == 0 and len(summary["fetch_failed"]) == 13
    assert all(
        line.startswith("tfl_journeys from London (") and "an HTML page, not data" in line
        for line in summary["fetch_failed"]
    )


def test_a_borough_feeds_total_or_airport_row_is_set_aside_not_quarantining_the_borough(
    sandbox, data_dir
):
    """Camden's road casualties with one row naming Heathrow Airport (a declared non-borough row of
    road_casualties): the row is kept beside the batch and counted, Camden's other rows load."""
    day = date(2026, 11, 10)
    sandbox_control.add_fault(
        sandbox,
        kind="out_of_range",
        borough="camden",
        dataset="road_casualties",
        column="borough",
        value="Heathrow Airport",
        rows=1,
    )
    try:
        summary = night_steps.land(day, boroughs=["camden"], datasets=["road_casualties"])
    finally:
        sandbox_control.clear_faults(sandbox)
    assert summary["quarantined"] == [] and summary["fetch_failed"] == []
    [outcome] = [o for o in summary["outcomes"] if o["data_day"] == day.isoformat()]
    batch = Path(outcome["batch"]["path"])
    manifest = json.loads((batch / "manifest.json").read_text())
    aside = [json.loads(line) for line in (batch / "non_borough.jsonl").read_text().splitlines()]
    assert manifest["non_borough_rows"] == 1 and [r["borough"] for r in aside] == [
        "Heathrow Airport"
    ]
    assert summary["loaded_rows"] == manifest["row_count"] > 0
