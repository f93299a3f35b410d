"""Rows `dbt_history` and `backfill` of `python -m bench`: the two that take tens of minutes.

Each runs its own module as a child (bench/dbt_history.py, bench/backfill.py: their own
commands print more detail) and turns the JSON it writes into rows like every other row,
so `make bench` is the one entry point and the results file holds every figure of issue 13:
- `dbt_night_3y_vs_1y`: the dbt process of a night's incremental build on a warehouse with
  3 years of history ÷ the same nights on 1 year (CPU-s; goal < 1.3);
- `backfill_year_vs_week`: a 365-day backfill of every dataset for every borough ÷
  `pipeline nightly --days 7` (a child night a day) on the same sandbox (wall; goal: the year
  under 10 minutes on 2 cores), and `memory_backfill_year`, the two runs' peak RSS.
Both are skipped in tiny mode (as the whole Airflow nights are): a year of history cannot
be made small and still mean anything; their own commands have quick flags.
"""

from __future__ import annotations

import json
import statistics

from bench.harness import PYTHON, ROOT, BenchBase, _env, _row
from bench.measure import Sample, run_child, summarise

YEAR_TARGET_S = 600  # issue 13 (and 11): a year's backfill under 10 minutes on 2 cores


class HistoryBackfillRows(BenchBase):
    """Row groups `dbt_history` and `backfill`."""

    def _skip_tiny(self, *names: str) -> bool:
        if self.mode.night_stages == "all":
            return False
        for name in names:
            self.rows.append({"name": name, "skipped": "tiny mode: takes tens of minutes"})
        return True

    def dbt_history_row(self) -> None:
        if self._skip_tiny("dbt_night_3y_vs_1y"):
            return
        out = self.fresh("dbt-history.json")
        nights = str(self.mode.slow_runs)
        run_child(
            [PYTHON, "-m", "bench.dbt_history", "--nights", nights, "--json", str(out)],
            env=_env(),
            cwd=str(ROOT),
        )
        sides = json.loads(out.read_text(encoding="utf-8"))["sides"]

        def samples(years: str) -> list[Sample]:
            side = sides[years]
            return [
                Sample(wall_s=wall, cpu_s=cpu, peak_rss_mb=0.0)
                for wall, cpu in zip(side["nights_s"], side["nights_cpu_s"], strict=True)
            ]

        self.rows.append(
            _row(
                "dbt_night_3y_vs_1y",
                "a night's incremental dbt build (the dbt process, as the pipeline runs it) "
                f"on 3 years of history ({sides['3']['raw_rows']:,} raw rows) vs the same "
                f"nights on 1 year ({sides['1']['raw_rows']:,}), alternated",
                "3 years of history",
                "1 year of history",
                samples("3"),
                samples("1"),
                "cpu_s",
                "ratio < 1.3",
                lambda r: r < 1.3,
                wall=_wall_figures(samples("3"), samples("1")),
                first_full_build_s={y: s["first_build_s"] for y, s in sides.items()},
                slowest_nodes=sides["3"]["slowest_nodes"],
            )
        )

    def backfill_rows(self) -> None:
        def sample(run: dict) -> Sample:
            return Sample(run["wall_s"], run["cpu_s"], run["peak_rss_mb"], inner=run)

        if self._skip_tiny("backfill_year_vs_week", "memory_backfill_year"):
            return
        years, weeks = [], []
        for _ in range(self.mode.slow_runs):  # each child: the year, then the week, one sandbox
            out = self.fresh("backfill.json")
            run_child(
                [PYTHON, "-m", "bench.backfill", "--days", "365", "--nightly-days", "7"]
                + ["--out", str(out)],
                env=_env(),
                cwd=str(ROOT),
            )
            year, week = json.loads(out.read_text(encoding="utf-8"))["runs"]
            years.append(year)
            weeks.append(week)

        year, week = years[-1], weeks[-1]
        year_samples, week_samples = [sample(y) for y in years], [sample(w) for w in weeks]
        detail = {
            "year": {k: year.get(k) for k in ("rows_loaded", "requests", "feed_days", "steps_s")},
            "week": {k: week.get(k) for k in ("rows_loaded", "requests", "feed_days")},
            "cpu": summarise(year_samples, week_samples, "cpu_s"),
            "note": "wall is the figure the goal names; the steps are the last run's",
        }
        row = _row(
            "backfill_year_vs_week",
            "a 365-day range backfill of every dataset for every borough (python -m pipeline "
            "backfill's steps) vs `pipeline nightly --days 7` (a night at a time), one sandbox",
            "backfill, 365 days",
            "nightly --days 7",
            year_samples,
            week_samples,
            "wall_s",
            f"the year < {YEAR_TARGET_S} s wall on 2 cores",
            None,
            **detail,
        )
        row["goal_met"] = row["median"] < YEAR_TARGET_S
        self.rows.append(row)
        self.rows.append(
            _row(
                "memory_backfill_year",
                "peak RSS (the largest process) of the year's backfill vs the 7 nights",
                "backfill, 365 days",
                "nightly --days 7",
                year_samples,
                week_samples,
                "peak_rss_mb",
                None,
                None,
            )
        )


def _wall_figures(subjects: list[Sample], baselines: list[Sample]) -> dict[str, float]:
    mine = statistics.median(s.wall_s for s in subjects)
    theirs = statistics.median(s.wall_s for s in baselines)
    return {"median": mine, "baseline_median": theirs, "ratio": round(mine / theirs, 3)}
