"""Build a small DuckDB warehouse shaped exactly as the loader leaves it, for testing dbt.

Usage (from the repository root):

    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtfix.duckdb
    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtempty.duckdb --empty
    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtfix.duckdb --check
    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtbig.duckdb --sandbox-days 31
    .venv/bin/python dbt_project/scripts/make_fixture_warehouse.py /tmp/dbtsb.duckdb --sandbox-days 3 \
        --sandbox-start 2024-03-01 --sandbox-periods-from 2023-01-01

It (re)creates the `raw` schema: one table per dataset of config/datasets.yml with a
VARCHAR column per published field plus `_borough_code`, `_data_day`, `_batch_id`,
`_loaded_at`; `raw.feed_partitions`; and `raw.areas` / `raw.area_aliases` from the
region catalogue (the official name included as an alias); `raw.datasets` and the empty
`audit` tables (no night has run, so the data scorecard has no rows). With --empty every
table exists with no rows at all (not even areas).

The rows carry the quirks staging must normalise: borough aliases in any case and
spacing, every date layout, null markers, '1,234', ' 5 ', '12.0', '1,100,000.5', a row
loaded twice, a 0-row partition, a borough missing from a dataset, two months, monthly
and quarterly datasets with and without the same period a year earlier. EXPECTED lists
the monthly and quarterly city_metrics values these rows must give (worked out by hand);
--check compares them with analytics.city_metrics (period_type 'month' and 'quarter')
after `dbt build`, and fails on any row it does not list.

--sandbox-days N lands instead what the borough API sandbox (sandbox) publishes
for every borough, dataset and day of the N days from 2024-01-01 (or --sandbox-start),
with each borough's configured quirks, values turned to text the way the loader does
(for volume and timing tests, and tests/test_metric_truth.py; it needs no server).
Monthly and quarterly datasets get one partition per period starting in those days, or
from --sandbox-periods-from on (so that a year-on-year change has its year before); a
period a borough withholds is not landed.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from fixture_expected import EXPECTED  # noqa: E402
from fixture_rows import PARTITIONS  # noqa: E402

from ingest.catalogue import load_catalogue  # noqa: E402
from pipeline.load import ensure_tables, write_datasets  # noqa: E402


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


def land_sandbox(
    path: Path, days: int, start: date = date(2024, 1, 1), periods_from: date | None = None
) -> None:
    """Land the sandbox's published records, every feed: `days` data days from `start` for
    daily datasets, and every period starting from `periods_from` (default `start`) to the
    last of those days for monthly and quarterly ones (one partition per period, under its
    first day; a period a borough withholds is not landed, as the loader records it
    not_published)."""
    from datetime import timedelta

    from ingest.catalogue import Feed
    from ingest.periods import is_period_start
    from ingest.protocols.wire import to_canonical
    from sandbox import Volumes, load_settings, publish_record, truth_records

    catalogue = load_catalogue()
    settings = load_settings(catalogue)
    volumes = Volumes.load(catalogue)
    con = duckdb.connect(str(path))
    first = min(start, periods_from or start)
    for offset in range((start - first).days + days):
        day = first + timedelta(days=offset)
        loaded = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(hour=2)
        for dataset in catalogue.datasets.values():
            if dataset.region_wide:
                continue  # real region-wide files (ingest/region_feed.py), never generated
            if dataset.periodic:
                if not is_period_start(day, dataset.cadence):
                    continue
            elif day < start:
                continue
            for area in catalogue.region.areas:
                if dataset.periodic and not settings.quirks[area.code].publishes(
                    dataset, day, date.max
                ):
                    continue
                records = truth_records(
                    dataset.id, area, day, seed=settings.seed, volumes=volumes, catalogue=catalogue
                )
                batch = f"{dataset.id}-{area.code}-{day:%Y%m%d}"
                rows = []
                for record in records:
                    feed = Feed(dataset, area)
                    published = publish_record(
                        record, dataset, area, settings.quirks[area.code], feed.portal
                    )
                    published = to_canonical([published], feed, feed.portal.protocol)[
                        0
                    ]  # as the connector lands it
                    rows.append(
                        [
                            None if published.get(name) is None else str(published[name])
                            for name in dataset.column_names
                        ]
                        + [area.code, day, batch, loaded]
                    )
                if rows:
                    marks = ", ".join("?" for _ in rows[0])
                    con.executemany(f"insert into raw.{dataset.id} values ({marks})", rows)
                con.execute(
                    "insert into raw.feed_partitions values (?, ?, ?, ?, ?, ?)",
                    [dataset.id, area.code, day, batch, len(rows), loaded],
                )
    con.close()


def check_expected(path: Path) -> int:
    """Compare analytics.city_metrics (after dbt build) with EXPECTED; return failures."""
    con = duckdb.connect(str(path), read_only=True)
    got = {
        (m, a, str(p)): (v, d, b)
        for m, a, p, v, d, b in con.execute(
            "select metric_id, area_code, period_start, value, days_covered,"
            " boroughs_covered from analytics.city_metrics where period_type in ('month', 'quarter')"
        ).fetchall()
    }
    failures = 0
    for key, want in EXPECTED.items():
        have = got.get(key)
        ok = (
            have is not None
            and have[1:] == want[1:]
            and (
                (have[0] is None and want[0] is None)
                or (have[0] is not None and want[0] is not None and abs(have[0] - want[0]) < 1e-9)
            )
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
            con.execute(
                "insert into raw.areas values (?, ?, ?, ?, ?, ?)",
                [area.code, area.name, area.slug, area.sub_region, region.code, region.name],
            )
            for alias in (area.name, *area.aliases):
                con.execute("insert into raw.area_aliases values (?, ?)", [area.code, alias])
        con.close()

        def option(name: str) -> date | None:
            return (
                date.fromisoformat(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else None
            )

        land_sandbox(
            target,
            int(sys.argv[sys.argv.index("--sandbox-days") + 1]),
            start=option("--sandbox-start") or date(2024, 1, 1),
            periods_from=option("--sandbox-periods-from"),
        )
    else:
        build(target, empty="--empty" in sys.argv[2:])
    print(f"wrote {target}")
