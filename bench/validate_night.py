"""What validating a first night costs: the validate step before and after set-based
validation, and the same checks as plain DuckDB SQL, on the same landed batches.

Lands one first night (every borough and dataset: ~297 feeds, ~1,221 batches) from the
sandbox into --dir once, then, alternating, runs `steps.validate_dataset` for every
dataset with the baseline code (a git ref, extracted to a scratch folder) and with this
checkout, each in a fresh process (a validate task is one), and the SQL baseline. CPU
seconds (time.process_time), median of --runs.

    .venv/bin/python bench/validate_night.py --baseline 5c0f9f7 [--runs 3] [--dir /tmp/night]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAY, AS_OF = date(2026, 11, 11), date(2026, 11, 12)


def land(target: Path) -> Path:
    """A first night's outcomes (landed batches) in target/landed.json; reused if there."""
    landed = target / "landed.json"
    if landed.exists():
        return landed
    os.environ["CITY_DATA_DIR"] = str(target / "data")
    from pipeline import plan, steps
    from sandbox.process import SandboxProcess

    with SandboxProcess(as_of=AS_OF) as sandbox:
        os.environ["CITY_API_BASE_URL"] = sandbox.url
        plans = plan.plan_feeds(DAY.isoformat())
        outcomes = [
            steps.ingest_feed(
                p["feed_id"], p["days"], p.get("loaded"), watermark=p.get("watermark")
            )
            for p in plans
        ]
    landed.write_text(json.dumps(outcomes))
    return landed


def worker(landed: Path) -> None:
    """In a fresh process with the code under test on sys.path: CPU-s per dataset (GE import included
    in the first, as in a validate task) and the verdicts."""
    start = time.process_time()
    from ingest.paths import DataPaths
    from pipeline import steps

    outcomes = json.loads(landed.read_text())
    datasets = sorted({o["dataset"] for group in outcomes for o in group})
    cpu, statuses = {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for dataset in datasets:
            tick = time.process_time()
            verdicts = steps.validate_dataset(dataset, outcomes, paths=DataPaths(Path(scratch)))
            cpu[dataset] = time.process_time() - tick
            for v in verdicts:
                statuses[v["status"]] = statuses.get(v["status"], 0) + 1
    print(json.dumps({"cpu": cpu, "total": time.process_time() - start, "statuses": statuses}))


def sql_baseline(landed: Path) -> dict:
    """The suites' checks as one DuckDB query per dataset over the landed records.jsonl: CPU-s,
    and batches with a critical or warning finding."""
    import duckdb

    from ingest.catalogue import load_catalogue

    catalogue = load_catalogue()
    outcomes = [
        o for group in json.loads(landed.read_text()) for o in group if o["status"] == "landed"
    ]
    con = duckdb.connect()
    con.execute("set threads = 1")
    cpu, flagged = {}, {}
    for dataset_id in sorted({o["dataset"] for o in outcomes}):
        files = [
            str(Path(o["batch"]["path"]) / "records.jsonl")
            for o in outcomes
            if o["dataset"] == dataset_id
        ]
        query = _checks_sql(catalogue, catalogue.dataset(dataset_id))
        tick = time.process_time()
        rows = con.execute(query, [files]).fetchall()
        cpu[dataset_id] = time.process_time() - tick
        flagged[dataset_id] = sum(any(r[2:]) for r in rows)
    return {"cpu": cpu, "batches_with_findings": flagged}


def _checks_sql(catalogue, dataset) -> str:
    """Type errors, required, unique key, day, borough, vocabularies, ranges, pairs, row counts per batch."""
    settings, spec = (
        catalogue.settings,
        json.loads((ROOT / "expectations" / f"{dataset.id}.json").read_text()),
    )
    markers = ", ".join(f"'{m.lower()}'" for m in settings.null_markers)
    spellings = ", ".join(
        f"('{a.code}', '{n.lower().replace(chr(39), chr(39) * 2)}')"
        for a in catalogue.region.areas
        for n in (a.name, *a.aliases)
    )
    formats = ", ".join(f"'{f}'" for f in settings.date_formats)

    space = "'[\\t\\n\\v\\f\\r \\x{00a0}]+'"  # pipeline.borough_text.WHITESPACE

    def clean(c):
        return (
            f"case when lower(trim(regexp_replace(\"{c}\"::varchar, {space}, ' ', 'g'))) in ({markers}) "
            f"then null else trim(regexp_replace(\"{c}\"::varchar, {space}, ' ', 'g')) end"
        )

    typed = []
    for f in dataset.fields:
        text = clean(f.name)
        value = {
            "date": f"try_strptime({text}, [{formats}])::date",
            "integer": f"try_cast(replace({text}, ',', '') as bigint)",
            "number": f"try_cast(replace({text}, ',', '') as double)",
        }.get(f.type, text)
        typed += [
            f'{value} as "{f.name}"',
            f'({text} is not null and {value} is null) as "_bad_{f.name}"',
        ]
    checks = [
        "count(*) filter (where " + " or ".join(f'"_bad_{f.name}"' for f in dataset.fields) + ")"
    ]
    for e in spec["expectations"]:
        k, t = e["kwargs"], e["type"]
        if t == "expect_column_values_to_not_be_null" and "row_condition" not in k:
            checks.append(f'count(*) filter (where "{k["column"]}" is null)')
        elif t == "expect_column_values_to_be_unique":
            checks.append(f'count("{k["column"]}") - count(distinct "{k["column"]}")')
        elif t == "expect_column_values_to_be_in_set" and isinstance(k["value_set"], list):
            values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in k["value_set"])
            checks.append(f'count(*) filter (where "{k["column"]}" not in ({values}))')
        elif t == "expect_column_values_to_be_between":
            checks.append(
                f'count(*) filter (where "{k["column"]}" not between {k.get("min_value")} '
                f"and {k.get('max_value')})"
            )
        elif t == "expect_column_pair_values_a_to_be_greater_than_b":
            checks.append(
                f'count(*) filter (where "{k["column_A"]}" {"<" if k.get("or_equal") else "<="} '
                f'"{k["column_B"]}")'
            )
    checks += [
        f'count(*) filter (where "{dataset.date_field}" <> batch_day)',
        'count(*) filter (where lower("borough") not in (select spelling from spellings s '
        "where s.code = batch_code))",
        "(count(*) > 100000)::int",
    ]
    return f"""
        with spellings(code, spelling) as (values {spellings}),
        raw as (select *, regexp_extract(filename, '/([^/]+)/([0-9-]+)/[^/]+/records.jsonl$', 1) as batch_code,
                       regexp_extract(filename, '/([0-9-]+)/[^/]+/records.jsonl$', 1)::date as batch_day
                from read_json(?, format = 'newline_delimited', filename = true, union_by_name = true,
                               columns = {{{", ".join(f"'{f.name}': 'varchar'" for f in dataset.fields)}}})),
        typed as (select filename, batch_code, batch_day, {", ".join(typed)} from raw)
        select filename, count(*), {", ".join(checks)} from typed group by filename, batch_code, batch_day"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--baseline", required=False, help="git ref of the code before set-based validation"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()) / "bench-validate-night"
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    if args.worker:
        worker(args.worker)
        return 0
    sys.path.insert(0, str(ROOT))
    args.dir.mkdir(parents=True, exist_ok=True)
    landed = land(args.dir)
    trees = {"new": ROOT}
    if args.baseline:
        old = args.dir / f"code-{args.baseline}"
        if not old.exists():
            old.mkdir()
            archive = subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "archive",
                    args.baseline,
                    "ingest",
                    "pipeline",
                    "expectations",
                    "config",
                    "bench",
                ],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        trees = {"old": old, "new": ROOT}
    runs: dict[str, list[dict]] = {name: [] for name in [*trees, "sql"]}
    for _ in range(args.runs):
        for name, tree in trees.items():
            out = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "validate_night.py"),
                    "--worker",
                    str(landed),
                ],
                env=os.environ | {"PYTHONPATH": str(tree)},
                cwd=tree,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs[name].append(json.loads(out.strip().splitlines()[-1]))
        runs["sql"].append(sql_baseline(landed))
    datasets = sorted(runs["new"][0]["cpu"])

    def median(name, dataset=None):
        return statistics.median(
            r["cpu"][dataset] if dataset else r.get("total", sum(r["cpu"].values()))
            for r in runs[name]
        )

    names = list(runs)
    print(
        f"{'CPU-s (median of ' + str(args.runs) + ')':<26}"
        + "".join(f"{n:>9}" for n in names)
        + ("   old/new" if "old" in runs else "")
        + "   new/sql"
    )
    for dataset in datasets:
        cells = [median(n, dataset) for n in names]
        ratio = f"{cells[0] / cells[1]:>10.1f}" if "old" in runs else ""
        vs_sql = f"{median('new', dataset) / cells[-1]:>9.1f}"
        print(f"{dataset:<26}" + "".join(f"{c:>9.2f}" for c in cells) + ratio + vs_sql)
    totals = [median(n) for n in names]
    print(
        f"{'total (process)':<26}"
        + "".join(f"{c:>9.2f}" for c in totals)
        + (f"{totals[0] / totals[1]:>10.1f}" if "old" in runs else "")
        + f"{totals[-2] / totals[-1]:>9.1f}"
    )
    print(
        "statuses:",
        {n: runs[n][0]["statuses"] for n in trees},
        "sql batches with findings:",
        sum(runs["sql"][0]["batches_with_findings"].values()),
    )
    (args.dir / "validate_night.json").write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
