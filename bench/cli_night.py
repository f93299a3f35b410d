"""Row `cli_night`: whole nights through each commit's own CLI, as a user runs them.

Issue 13's figures (a first night ~309 CPU-s) are whole nights run by Airflow (`dag.test`,
`python -m ingest nightly` at commit 1c478d7, `python -m pipeline nightly` today), not
steps called directly. So this row extracts both commits with `git archive` (the subject
is HEAD: commit before measuring), gives each its own Airflow home (`airflow db migrate`
once, a fresh copy of it for each pair of nights) and a fresh data directory, and runs in
it a first night (DAY) and a later night (DAY + 1) with that commit's CLI and its bundled
sandbox, alternated with the other commit, `slow_runs` times each.

CPU is the process tree's, from outside (os.wait4 of the CLI: every process it and its
children waited for). The sandbox stands in for the boroughs' APIs, so its own CPU
(sampled from /proc, bench/tree_watch.py) is taken out: `night_cpu_s` is the night's.
Stage shares come from the run's Airflow task instances (start and end of each task, from
the Airflow home's database) laid over the sampled CPU timeline; what no task covers is
`airflow_and_cli` (the DAG's parsing and scheduling, XComs, the CLI itself).
The published `analytics.city_metrics` of both commits are compared on their shared columns.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import DAY, PYTHON, BenchBase, _row
from bench.measure import ProbeFailed, Sample, _drain, alternate, summarise
from bench.tree_watch import TreeWatch

ISSUE_13_COMMIT = "1c478d7"  # the tree the issue's figures were measured on
STAGES = {  # task id prefix -> stage (the first match wins)
    "ingest_feed": "ingest",
    "validate": "validate",
    "load": "load",
    "dbt_build": "dbt",
    "publish": "publish",
    "export_open_data": "publish",
    "docs_and_dashboard": "publish",
}


def stage_of(task_id: str) -> str:
    return next((s for prefix, s in STAGES.items() if task_id.startswith(prefix)), "plan_report")


def is_sandbox(argv: list[str]) -> bool:
    """The bundled sandbox's process (`-m ingest.sandbox` then, `-m sandbox` now)."""
    return any(arg in ("sandbox", "ingest.sandbox") for arg in argv[1:3])


class CliNightRows(BenchBase):
    """Row group `cli_night`: this commit's nights vs the issue's commit, through each CLI."""

    cli_baseline = ISSUE_13_COMMIT

    def airflow_home(self, tree: Path) -> Path:
        """An Airflow home migrated once for `tree` (its metadata DB in sqlite)."""
        home = self.fresh("airflow-home")
        home.mkdir(parents=True)
        subprocess.run(
            [str(Path(PYTHON).with_name("airflow")), "db", "migrate"],
            env=self.night_env(tree, home, self.fresh("unused")),
            check=True,
            capture_output=True,
        )
        return home

    def night_env(self, tree: Path, home: Path, data: Path) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CITY_", "AIRFLOW", "PYTHONPATH"))
        }
        return env | {
            "PYTHONPATH": str(tree),
            "AIRFLOW_HOME": str(home),
            # airflow.cfg holds the absolute paths of the home it was migrated in: a copy's own
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(tree / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
            "CITY_DATA_DIR": str(data),
            "GX_ANALYTICS_ENABLED": "False",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }

    def night(self, tree: Path, home: Path, data: Path, day: date) -> Sample:
        """One night through the tree's own CLI: the tree's CPU, the sandbox's, each stage's."""
        package = "pipeline" if (tree / "pipeline" / "cli.py").exists() else "ingest"
        argv = [PYTHON, "-m", package, "nightly", "--days", "1", "--end-day", day.isoformat()]
        started = time.time()
        process = subprocess.Popen(
            argv,
            env=self.night_env(tree, home, data),
            cwd=tree,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with TreeWatch(process.pid, is_sandbox) as watch:
            out, err = _drain(process)
            _, status, usage = os.wait4(process.pid, 0)
        wall = time.time() - started
        if os.waitstatus_to_exitcode(status) != 0 or "success" not in out:
            raise ProbeFailed(f"{' '.join(argv[2:])} in {tree}: {err[-3000:]}{out[-2000:]}")
        tree_cpu = usage.ru_utime + usage.ru_stime
        night_cpu = tree_cpu - watch.excluded_cpu_s
        stages = self.stage_cpu(home, started, watch)
        stages["airflow_and_cli"] = round(night_cpu - sum(stages.values()), 2)
        return Sample(
            wall_s=wall,
            cpu_s=tree_cpu,
            peak_rss_mb=usage.ru_maxrss / 1024,
            inner={
                "night_cpu_s": round(night_cpu, 2),
                "sandbox_cpu_s": round(watch.excluded_cpu_s, 2),
                "stages": stages,
                "tasks": self.task_count(home, started),
                "summary": next((line for line in out.splitlines() if "feeds" in line), ""),
            },
        )

    @staticmethod
    def _task_instances(home: Path, since: float) -> list[tuple[str, float, float]]:
        """(task id, start, end) of the tasks that ran after `since` (epoch seconds)."""
        floor = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M:%S")
        with sqlite3.connect(home / "airflow.db") as con:
            rows = con.execute(
                "select task_id, start_date, end_date from task_instance "
                "where start_date >= ? and end_date is not null",
                (floor,),
            ).fetchall()

        def epoch(text: str) -> float:
            return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()

        return [(task, epoch(start), epoch(end)) for task, start, end in rows]

    def task_count(self, home: Path, since: float) -> int:
        return len(self._task_instances(home, since))

    def stage_cpu(self, home: Path, since: float, watch: TreeWatch) -> dict[str, float]:
        """CPU-seconds inside each stage's tasks, read off the sampled timeline."""
        stages: dict[str, float] = {}
        for task, start, end in self._task_instances(home, since):
            spent = watch.cpu_at(end) - watch.cpu_at(start)
            stages[stage_of(task)] = stages.get(stage_of(task), 0.0) + spent
        return {name: round(cpu, 2) for name, cpu in sorted(stages.items())}

    def cli_night_rows(self) -> None:
        if self.mode.night_stages != "all":  # tiny mode: two whole Airflow nights take minutes
            for which in ("first", "later"):
                self.rows.append(
                    {
                        "name": f"cli_night_{which}_vs_issue",
                        "skipped": "tiny mode: whole Airflow nights take minutes",
                    }
                )
            return
        sides = {
            "ours": self.commit_tree("HEAD", "tree", compiled=True),
            "issue": self.commit_tree(self.cli_baseline, "tree", compiled=True),
        }
        homes = {side: self.airflow_home(tree) for side, (tree, _) in sides.items()}
        published: dict[str, list[Path]] = {"ours": [], "issue": []}

        def pair(side: str) -> tuple[Sample, Sample]:
            tree = sides[side][0]
            home, data = self.fresh(f"airflow-{side}"), self.fresh(f"data-{side}")
            shutil.copytree(homes[side], home)
            first = self.night(tree, home, data, DAY)
            first_metrics = self.keep_metrics(data, f"{side}-first")
            later = self.night(tree, home, data, DAY + timedelta(days=1))
            published[side].append((first_metrics, self.keep_metrics(data, f"{side}-later")))
            shutil.rmtree(data, ignore_errors=True)
            return first, later

        ours, theirs = alternate(lambda: pair("ours"), lambda: pair("issue"), self.mode.slow_runs)
        for index, which in enumerate(("first", "later")):
            mine, base = [p[index] for p in ours], [p[index] for p in theirs]
            self.rows.append(
                _row(
                    f"cli_night_{which}_vs_issue",
                    f"a whole {which} night through each commit's CLI (Airflow dag.test, "
                    f"bundled sandbox's CPU left out): {median_of(mine, 'tasks'):.0f} vs "
                    f"{median_of(base, 'tasks'):.0f} Airflow tasks",
                    f"commit {sides['ours'][1][:10]} (HEAD)",
                    f"commit {sides['issue'][1][:10]} ({self.cli_baseline})",
                    mine,
                    base,
                    "night_cpu_s",
                    "ratio <= 0.333; orchestration < 30%",
                    lambda r: r <= 1 / 3,
                    tree_cpu=summarise(mine, base, "cpu_s"),
                    sandbox_cpu=summarise(mine, base, "sandbox_cpu_s"),
                    wall=summarise(mine, base, "wall_s"),
                    stages=stage_table(mine, base),
                    same_city_metrics=compare_metrics(
                        published["ours"][0][index], published["issue"][0][index]
                    ),
                    summaries=[mine[0].inner["summary"], base[0].inner["summary"]],
                )
            )

    def keep_metrics(self, data: Path, name: str) -> Path:
        """The published city_metrics as parquet, kept after the data dir is removed."""
        import duckdb

        target = self.fresh(f"{name}.parquet")
        with duckdb.connect(str(data / "published" / "city.duckdb"), read_only=True) as con:
            con.execute(f"copy analytics.city_metrics to '{target}' (format parquet)")
        return target


def median_of(samples: list[Sample], key: str) -> float:
    return statistics.median(float(s.inner[key]) for s in samples)


def stage_table(mine: list[Sample], base: list[Sample]) -> dict[str, dict[str, Any]]:
    """Per stage: median CPU of each side, its share of the night, the ratio."""
    names = sorted({n for s in mine + base for n in s.inner["stages"]})
    table = {}
    for side, samples in (("ours", mine), ("issue", base)):
        total = median_of(samples, "night_cpu_s")
        for name in names:
            cpu = statistics.median(s.inner["stages"].get(name, 0.0) for s in samples)
            entry = table.setdefault(name, {})
            entry[f"{side}_cpu_s"] = round(cpu, 2)
            entry[f"{side}_share"] = round(cpu / total, 3) if total else None
    for entry in table.values():
        entry["ratio"] = (
            round(entry["ours_cpu_s"] / entry["issue_cpu_s"], 3) if entry["issue_cpu_s"] else None
        )
    return table


def compare_metrics(ours: Path, theirs: Path) -> dict[str, Any]:
    """city_metrics of both commits on their shared columns, row by row (metric, area, period):
    how many rows both have and how many of those differ, per metric, and the rows of one only
    (a later commit may publish more periods or metrics: those are not a difference in value)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"create view ours as select * from '{ours}'")
    con.execute(f"create view issue as select * from '{theirs}'")
    columns = {
        side: {name: kind for name, kind, *_ in con.execute(f"describe {side}").fetchall()}
        for side in ("ours", "issue")
    }
    key = ["metric_id", "area_code", "period_type", "period_start"]
    shared = [c for c in columns["ours"] if c in columns["issue"] and c not in key]
    differs = " or ".join(
        f"round(o.{c}, 6) is distinct from round(i.{c}, 6)"
        if columns["ours"][c] in ("DOUBLE", "FLOAT")
        else f"o.{c} is distinct from i.{c}"
        for c in shared
    )
    joined = f"ours o join issue i using ({', '.join(key)})"
    both = con.execute(f"select count(*) from {joined}").fetchone()[0]
    differing = dict(
        con.execute(
            f"select metric_id, count(*) from {joined} where {differs} group by 1"
        ).fetchall()
    )

    def only(side: str, other: str) -> dict[str, int]:
        sql = (
            f"select metric_id, count(*) from {side} s anti join {other} t using ({', '.join(key)}) "
            "group by 1"
        )
        return dict(con.execute(sql).fetchall())

    return {
        "same": not differing,
        "rows_in_both": both,
        "differing_rows_by_metric": differing,
        "rows_only_ours_by_metric": only("ours", "issue"),
        "rows_only_issue_by_metric": only("issue", "ours"),
        "columns_compared": len(shared) + len(key),
        "columns_only_ours": [c for c in columns["ours"] if c not in columns["issue"]],
        "columns_only_issue": [c for c in columns["issue"] if c not in columns["ours"]],
    }
