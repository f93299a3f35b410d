"""`python -m pipeline query`: the README's example questions answer, read-only, as table, CSV or Parquet."""

from __future__ import annotations

import csv
import re
import shlex

import duckdb
import pytest
from published_fixture import published_warehouse

from ingest.paths import REPO_ROOT
from pipeline.query import main


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return published_warehouse(tmp_path_factory.getbasetemp() / "published").published


def readme_queries() -> list[list[str]]:
    """The argument lists of every `python -m pipeline query` command in the README's analyst section."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## For analysts", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(
        r"^\.venv/bin/python -m pipeline query (\".*?\"(?: --\w+ \S+)?)$", section, re.S | re.M
    )
    return [shlex.split(c) for c in commands]


def test_the_readme_shows_the_three_questions():
    texts = " ".join(args[0] for args in readme_queries())
    assert len(readme_queries()) >= 4
    for needed in ("net_completions_vs_target", "ta_per_1000_households", "borough_data_scorecard"):
        assert needed in texts


@pytest.mark.parametrize(
    "args", readme_queries(), ids=lambda a: re.sub(r"\W+", "_", a[0].strip())[:40]
)
def test_every_readme_query_runs(args, published, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a --csv FILE lands here
    assert main([*args, "--db", str(published)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    if "--csv" in args:
        target = tmp_path / args[args.index("--csv") + 1]
        with target.open(newline="") as f:
            assert next(csv.reader(f))  # a header row, at least
    else:
        assert re.search(r"^\(\d+ rows?\)$", out, re.M), out


def test_missed_housing_targets_are_the_boroughs_below_100_percent(published, capsys):
    """The README's first answer, checked against city_metrics by hand: ratio of sums below target."""
    sql = next(a[0] for a in readme_queries() if "net_completions_vs_target" in a[0])
    assert main([sql, "--db", str(published), "--max-rows", "100"]) == 0
    printed = capsys.readouterr().out.splitlines()[2:-1]
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select area_name, numerator, denominator, target from analytics.city_metrics "
            "where metric_id = 'net_completions_vs_target' and period_type = 'month' "
            "and area_type = 'borough'"
        ).fetchall()
    sums: dict[str, list[float]] = {}
    for area, numerator, denominator, _ in rows:
        sums.setdefault(area, [0.0, 0.0])
        sums[area][0] += numerator or 0
        sums[area][1] += denominator or 0
    target = rows[0][3]
    missed = {area for area, (n, d) in sums.items() if d and 100 * n / d < target}
    assert missed
    assert {line.rsplit(None, 2)[0].strip() for line in printed} == missed


def test_csv_and_parquet_hold_the_whole_result(published, tmp_path, capsys):
    sql = "select area_code, area_name, population from analytics.dim_areas order by area_code"
    assert main([sql, "--db", str(published), "--csv", str(tmp_path / "areas.csv")]) == 0
    assert main([sql, "--db", str(published), "--parquet", str(tmp_path / "areas.parquet")]) == 0
    with duckdb.connect(str(published), read_only=True) as con:
        want = con.execute(sql).fetchall()
    with (tmp_path / "areas.csv").open(newline="") as f:
        got_csv = [
            (r["area_code"], r["area_name"], int(r["population"])) for r in csv.DictReader(f)
        ]
    got_parquet = duckdb.sql(
        f"select * from read_parquet('{tmp_path / 'areas.parquet'}')"
    ).fetchall()
    assert got_csv == want and got_parquet == want and len(want) == 34


def test_printing_stops_at_max_rows_and_says_so(published, capsys):
    assert main(["select * from range(10)", "--db", str(published), "--max-rows", "3"]) == 0
    out = capsys.readouterr().out
    assert "(3 rows)" in out and "first 3 rows shown" in out


def test_the_published_file_cannot_be_changed(published, capsys):
    before = published.stat().st_mtime_ns
    assert main(["create table analytics.scratch as select 1 as x", "--db", str(published)]) == 1
    assert "read-only" in capsys.readouterr().err.lower()
    assert published.stat().st_mtime_ns == before


def test_a_bad_query_names_the_file_and_the_error(published, capsys):
    assert main(["select no_such_column from analytics.city_metrics", "--db", str(published)]) == 1
    err = capsys.readouterr().err
    assert str(published) in err and "no_such_column" in err


def test_nothing_published_says_what_to_do(tmp_path, capsys):
    assert main(["select 1", "--db", str(tmp_path / "city.duckdb")]) == 2
    assert "make run" in capsys.readouterr().err
