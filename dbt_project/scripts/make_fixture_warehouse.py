"""Build a small DuckDB warehouse shaped exactly as the loader leaves it, for testing dbt.

Usage (from the repository root):

    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtfix.duckdb
    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtempty.duckdb --empty
    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtfix.duckdb --check
    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtbig.duckdb --sandbox-days 31

It (re)creates the `raw` schema: one table per dataset of config/datasets.yml with a
VARCHAR column per published field plus `_borough_code`, `_data_day`, `_batch_id`,
`_loaded_at`; `raw.feed_partitions`; and `raw.areas` / `raw.area_aliases` from the
region catalogue (the official name included as an alias); `raw.datasets` and the empty
`audit` tables (no night has run, so the data scorecard has no rows). With --empty every
table exists with no rows at all (not even areas).

The rows carry the quirks staging must normalise: borough aliases in any case and
spacing, every date layout, null markers, '1,234', ' 5 ', '12.0', a row loaded twice,
a 0-row partition, a borough missing from a dataset, two months. EXPECTED lists the
monthly city_metrics values these rows must give (worked out by hand); --check compares
them with analytics.city_metrics (period_type 'month') after `dbt build`.

--sandbox-days N lands instead what the borough API sandbox (ingest.sandbox) publishes
for every borough, dataset and day of the N days from 2024-01-01, with each borough's
configured quirks, values turned to text the way the loader does (for volume and
timing tests; it needs no server).
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from ingest.catalogue import load_catalogue  # noqa: E402
from ingest.load import ensure_tables, write_datasets  # noqa: E402

COL, BAD, BRENT, HACKNEY = "E09000001", "E09000002", "E09000005", "E09000012"
RBKC, TOWER, WESTMINSTER, LONDON = "E09000020", "E09000030", "E09000033", "E12000007"

# (dataset, borough, data day, loaded at) -> rows of published text.
# A partition with [] rows was delivered empty: it still counts as covered.
PARTITIONS: dict[tuple[str, str, str, str], list[dict[str, str | None]]] = {
    # --- road casualties: Hackney never delivers this dataset (missing borough)
    ("road_casualties", COL, "2024-03-01", "2024-03-02 02:10:00"): [
        dict(casualty_ref="C1", accident_date="2024-03-01", borough="  city of   London ",
             severity="Serious", road_user_type="Pedestrian", casualty_age="34"),
        dict(casualty_ref="C2", accident_date="2024-03-01", borough="City",
             severity="Slight", road_user_type="Pedal cyclist", casualty_age="n/a"),
    ],
    ("road_casualties", COL, "2024-03-02", "2024-03-03 02:10:00"): [],
    ("road_casualties", BAD, "2024-03-01", "2024-03-02 02:11:00"): [
        dict(casualty_ref="BD1", accident_date="01/03/2024", borough="Barking & Dagenham",
             severity="Fatal", road_user_type="Car occupant", casualty_age=" 45 "),
        dict(casualty_ref="BD2", accident_date="1/3/2024", borough="LB Barking and Dagenham",
             severity="Slight", road_user_type="Pedal cyclist", casualty_age="-"),
        dict(casualty_ref="BD3", accident_date="01/03/2024", borough="barking   and dagenham",
             severity="Serious", road_user_type="Powered two-wheeler", casualty_age="12.0"),
    ],
    # KC2 is first published as Serious, then corrected to Slight in a later
    # partition: staging keeps the latest loaded copy only.
    ("road_casualties", RBKC, "2024-03-01", "2024-03-02 02:12:00"): [
        dict(casualty_ref="KC2", accident_date="2024-03-01", borough="RBKC",
             severity="Serious", road_user_type="Other vehicle occupant", casualty_age=""),
    ],
    ("road_casualties", RBKC, "2024-03-02", "2024-03-03 02:12:00"): [
        dict(casualty_ref="KC1", accident_date="2024-03-02", borough="Kensington & Chelsea",
             severity="Serious", road_user_type="Bus or coach occupant", casualty_age=""),
        dict(casualty_ref="KC2", accident_date="2024-03-01", borough="rbkc",
             severity="Slight", road_user_type="Other vehicle occupant", casualty_age="NULL"),
    ],
    ("road_casualties", WESTMINSTER, "2024-02-29", "2024-03-01 02:13:00"): [
        dict(casualty_ref="W1", accident_date="2024-02-29T00:00:00.000",
             borough="CITY OF WESTMINSTER", severity="Serious", road_user_type="Pedestrian",
             casualty_age="70"),
    ],
    # --- housing completions
    ("housing_completions", COL, "2024-03-01", "2024-03-02 02:20:00"): [
        dict(completion_ref="H1", completion_date="2024-03-01", borough="City of London",
             tenure="Market", units_completed="10", units_lost="0"),
        dict(completion_ref="H2", completion_date="2024-03-01", borough="Corporation of London",
             tenure="Social rent", units_completed=" 5 ", units_lost="1"),
    ],
    ("housing_completions", TOWER, "2024-03-01", "2024-03-02 02:21:00"): [
        dict(completion_ref="TH1", completion_date="2024-03-01T00:00:00.000",
             borough="LB Tower Hamlets", tenure="Market", units_completed="1,234",
             units_lost="34"),
        dict(completion_ref="TH2", completion_date="2024-03-01T00:00:00.000",
             borough="Tower Hamlets Council", tenure="Intermediate", units_completed="100",
             units_lost="0"),
        dict(completion_ref="TH3", completion_date="2024-03-01T00:00:00.000",
             borough="tower hamlets", tenure="Affordable rent", units_completed="66",
             units_lost="0.0"),
    ],
    ("housing_completions", TOWER, "2024-03-02", "2024-03-03 02:21:00"): [],
    ("housing_completions", BRENT, "2024-03-01", "2024-03-02 02:22:00"): [
        dict(completion_ref="B1", completion_date="2024-03-01T09:30:00",
             borough="london borough of brent", tenure="Market", units_completed="5",
             units_lost="5"),
    ],
    # --- service requests: the City of London never delivers this dataset
    ("service_requests", HACKNEY, "2024-03-01", "2024-03-02 02:30:00"): [
        dict(request_ref="R1", requested_date="2024-03-01T00:00:00.000", borough="LB Hackney",
             category="Fly-tipping", channel="Online", status="Closed",
             closed_date="2024-03-03T00:00:00.000"),
        dict(request_ref="R2", requested_date="2024-03-01T00:00:00.000", borough="HACKNEY",
             category="Missed bin", channel="App", status="Open", closed_date="N/A"),
        dict(request_ref="R3", requested_date="2024-03-01T00:00:00.000",
             borough="London  Borough of Hackney", category="Pothole", channel="Phone",
             status="Closed", closed_date="2024-03-11T00:00:00.000"),
    ],
    ("service_requests", HACKNEY, "2024-03-02", "2024-03-03 02:30:00"): [
        dict(request_ref="R4", requested_date="2024-03-02T00:00:00.000", borough="hackney ",
             category="Noise", channel="In person", status="Closed",
             closed_date="2024-03-02T00:00:00.000"),
    ],
    ("service_requests", WESTMINSTER, "2024-03-01", "2024-03-02 02:31:00"): [
        dict(request_ref="W1", requested_date="2024-03-01T00:00:00.000",
             borough="City of Westminster", category="Graffiti", channel="Email",
             status="Closed", closed_date="2024-03-05T00:00:00.000"),
        dict(request_ref="W2", requested_date="2024-03-01T00:00:00.000",
             borough="westminster city council", category="Street lighting", channel="Online",
             status="Closed", closed_date="2024-03-21T00:00:00.000"),
        dict(request_ref="W3", requested_date="2024-03-01T00:00:00.000",
             borough="CITY OF WESTMINSTER", category="Abandoned vehicle", channel="Email",
             status="Open", closed_date=None),
    ],
}

# Hand-worked city_metrics values for the rows above (population 2017, targets
# London Plan 2021): (metric_id, area_code, period_start) -> (value, days_covered,
# boroughs_covered). None = null.
EXPECTED = {
    ("ksi_per_100k", COL, "2024-03-01"): (1 / 8800 * 1e5, 2, 1),
    ("ksi_per_100k", BAD, "2024-03-01"): (2 / 209000 * 1e5, 1, 1),
    ("ksi_per_100k", RBKC, "2024-03-01"): (1 / 159000 * 1e5, 2, 1),
    ("ksi_per_100k", LONDON, "2024-03-01"): (4 / (8800 + 209000 + 159000) * 1e5, 2, 3),
    ("ksi_per_100k", WESTMINSTER, "2024-02-01"): (1 / 242100 * 1e5, 1, 1),
    ("ksi_per_100k", LONDON, "2024-02-01"): (1 / 242100 * 1e5, 1, 1),
    ("net_completions_vs_target", COL, "2024-03-01"): (100 * 14 / (146 * 1 / 365), 1, 1),
    ("net_completions_vs_target", TOWER, "2024-03-01"): (100 * 1366 / (3473 * 2 / 365), 2, 1),
    ("net_completions_vs_target", BRENT, "2024-03-01"): (0.0, 1, 1),
    ("net_completions_vs_target", LONDON, "2024-03-01"): (
        100 * 1380 / (146 / 365 + 3473 * 2 / 365 + 2325 / 365), 2, 3),
    ("affordable_share", COL, "2024-03-01"): (100 * 4 / 14, 1, 1),
    ("affordable_share", TOWER, "2024-03-01"): (100 * 166 / 1366, 2, 1),
    ("affordable_share", BRENT, "2024-03-01"): (None, 1, 1),
    ("affordable_share", LONDON, "2024-03-01"): (100 * 170 / 1380, 2, 3),
    ("service_requests_per_1000", HACKNEY, "2024-03-01"): (4 / 274300 * 1000, 2, 1),
    ("service_requests_per_1000", WESTMINSTER, "2024-03-01"): (3 / 242100 * 1000, 1, 1),
    ("service_requests_per_1000", LONDON, "2024-03-01"): (7 / (274300 + 242100) * 1000, 2, 2),
    ("median_days_to_resolve", HACKNEY, "2024-03-01"): (2.0, 2, 1),
    ("median_days_to_resolve", WESTMINSTER, "2024-03-01"): (12.0, 1, 1),
    ("median_days_to_resolve", LONDON, "2024-03-01"): (4.0, 2, 2),
    ("digital_channel_share", HACKNEY, "2024-03-01"): (50.0, 2, 1),
    ("digital_channel_share", WESTMINSTER, "2024-03-01"): (100 / 3, 1, 1),
    ("digital_channel_share", LONDON, "2024-03-01"): (300 / 7, 2, 2),
}


def build(path: Path, empty: bool = False) -> None:
    catalogue = load_catalogue()
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    ensure_tables(con, catalogue)  # exactly the loader's tables, audit included
    if empty:
        con.close()
        return

    write_datasets(con, catalogue)
    region = catalogue.region
    for area in region.areas:
        con.execute(
            "insert into raw.areas values (?, ?, ?, ?, ?, ?)",
            [area.code, area.name, area.slug, area.sub_region, region.code, region.name],
        )
        for alias in (area.name, *area.aliases):
            con.execute("insert into raw.area_aliases values (?, ?)", [area.code, alias])

    for (dataset_id, borough, day, loaded_at), rows in PARTITIONS.items():
        dataset = catalogue.dataset(dataset_id)
        batch = f"{dataset_id}-{borough}-{day}-{loaded_at[-8:].replace(':', '')}"
        loaded = datetime.fromisoformat(loaded_at)
        for row in rows:
            values = [row.get(name) for name in dataset.column_names]
            marks = ", ".join("?" for _ in range(len(values) + 4))
            con.execute(
                f"insert into raw.{dataset_id} values ({marks})",
                [*values, borough, date.fromisoformat(day), batch, loaded],
            )
        con.execute(
            "insert into raw.feed_partitions values (?, ?, ?, ?, ?, ?)",
            [dataset_id, borough, date.fromisoformat(day), batch, len(rows), loaded],
        )
    con.close()


def land_sandbox(path: Path, days: int) -> None:
    """Land the sandbox's published records for `days` days from 2024-01-01, every feed."""
    from datetime import timedelta

    from ingest.catalogue import Feed
    from ingest.protocols.wire import to_canonical
    from ingest.sandbox import Volumes, load_settings, publish_record, truth_records

    catalogue = load_catalogue()
    settings = load_settings(catalogue)
    volumes = Volumes.load(catalogue)
    con = duckdb.connect(str(path))
    for offset in range(days):
        day = date(2024, 1, 1) + timedelta(days=offset)
        loaded = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(hour=2)
        for dataset in catalogue.datasets.values():
            for area in catalogue.region.areas:
                records = truth_records(dataset.id, area, day, seed=settings.seed,
                                        volumes=volumes, catalogue=catalogue)
                batch = f"{dataset.id}-{area.code}-{day:%Y%m%d}"
                rows = []
                for record in records:
                    feed = Feed(dataset, area)
                    published = publish_record(record, dataset, area, settings.quirks[area.code], feed.portal)
                    published = to_canonical([published], feed, feed.portal.protocol)[0]  # as the connector lands it
                    rows.append([None if published.get(name) is None else str(published[name])
                                 for name in dataset.column_names]
                                + [area.code, day, batch, loaded])
                if rows:
                    marks = ", ".join("?" for _ in rows[0])
                    con.executemany(f"insert into raw.{dataset.id} values ({marks})", rows)
                con.execute("insert into raw.feed_partitions values (?, ?, ?, ?, ?, ?)",
                            [dataset.id, area.code, day, batch, len(rows), loaded])
    con.close()


def check_expected(path: Path) -> int:
    """Compare analytics.city_metrics (after dbt build) with EXPECTED; return failures."""
    con = duckdb.connect(str(path), read_only=True)
    got = {
        (m, a, str(p)): (v, d, b)
        for m, a, p, v, d, b in con.execute(
            "select metric_id, area_code, period_start, value, days_covered,"
            " boroughs_covered from analytics.city_metrics where period_type = 'month'"
        ).fetchall()
    }
    failures = 0
    for key, want in EXPECTED.items():
        have = got.get(key)
        ok = have is not None and have[1:] == want[1:] and (
            (have[0] is None and want[0] is None)
            or (have[0] is not None and want[0] is not None and abs(have[0] - want[0]) < 1e-9)
        )
        failures += not ok
        print(("ok  " if ok else "FAIL"), key, "want", want, "got", have)
    extra = set(got) - set(EXPECTED)
    for key in sorted(extra):
        print("FAIL unexpected row", key, got[key])
    return failures + len(extra)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    target = Path(sys.argv[1])
    if "--check" in sys.argv[2:]:
        sys.exit(1 if check_expected(target) else 0)
    if "--sandbox-days" in sys.argv[2:]:
        build(target, empty=True)
        con = duckdb.connect(str(target))
        write_datasets(con, load_catalogue())
        region = load_catalogue().region
        for area in region.areas:
            con.execute("insert into raw.areas values (?, ?, ?, ?, ?, ?)",
                        [area.code, area.name, area.slug, area.sub_region, region.code, region.name])
            for alias in (area.name, *area.aliases):
                con.execute("insert into raw.area_aliases values (?, ?)", [area.code, alias])
        con.close()
        land_sandbox(target, int(sys.argv[sys.argv.index("--sandbox-days") + 1]))
    else:
        build(target, empty="--empty" in sys.argv[2:])
    print(f"wrote {target}")
