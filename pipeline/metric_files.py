"""The dbt files config/metrics.yml decides, written from it: `python -m pipeline metrics`.

They are committed, so that a hand-run `dbt build` needs no step before it, and
tests/test_metric_config.py fails when one differs from what the YAML writes
(`python -m pipeline metrics --check` says which). A CITY_CONFIG_DIR declaring other
metrics (or a dataset without a hand-written staging model: pipeline/dataset_files.py) is
built from a copy of the project with its own files (dbt_project_for, called by the
pipeline's dbt runner). Written here:
  models/intermediate/measures/   int_<dataset>__borough_<grain>.sql + _int_measures.yml
  models/intermediate/metrics/    int_metric__<id>.sql + _int_metrics.yml
  macros/metric_catalogue.sql     metric ids by grain, and the pooled medians
  seeds/metric_definitions.csv, metric_publication.csv, metric_rolling_windows.csv
  tests/fixtures/all_metric_definitions.csv (the unit tests' copy of metric_definitions)
  README.md                       the metric table, between its two markers
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import shutil
import sys
from pathlib import Path

from ingest.catalogue import Catalogue, load_catalogue
from ingest.errors import CatalogueError
from ingest.paths import REPO_ROOT
from pipeline.dataset_files import STAGING_DIR, dataset_files, unstaged_datasets
from pipeline.metric_config import Measures, Metric, MetricCatalogue, load_metrics

__all__ = ["dbt_project_for", "metric_files", "stale_files", "write_files", "main"]

log = logging.getLogger(__name__)

DBT = REPO_ROOT / "dbt_project"
MEASURES_DIR = "models/intermediate/measures"
METRICS_DIR = "models/intermediate/metrics"
README_START = "<!-- metric table: written from config/metrics.yml by `make metrics` -->"
README_END = "<!-- end of the metric table -->"
_HEADER = (
    "-- Written from config/metrics.yml, {where},\n"
    "-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this\n"
    "-- file; tests/test_metric_config.py fails when the two differ.\n"
)
_YAML_HEADER = (
    "# Written from config/metrics.yml by `python -m pipeline metrics` (make metrics):\n"
    "# edit the YAML, not this file.\n"
)


def metric_files(catalogue: MetricCatalogue, readme: str) -> dict[str, str]:
    """{path under dbt_project/: text} of every file the metric catalogue decides."""
    files: dict[str, str] = {}
    for measures in catalogue.measures.values():
        files[f"{MEASURES_DIR}/{measures.model}.sql"] = _measures_sql(measures)
    files[f"{MEASURES_DIR}/_int_measures.yml"] = _measures_yml(catalogue)
    for metric in catalogue.metrics.values():
        files[f"{METRICS_DIR}/{metric.model}.sql"] = _metric_sql(metric, catalogue)
    files[f"{METRICS_DIR}/_int_metrics.yml"] = _metrics_yml(catalogue)
    files["macros/metric_catalogue.sql"] = _catalogue_macro(catalogue)
    definitions = _definitions_csv(catalogue)
    files["seeds/metric_definitions.csv"] = definitions
    files["tests/fixtures/all_metric_definitions.csv"] = definitions
    files["seeds/metric_publication.csv"] = _publication_csv(catalogue)
    files["seeds/metric_rolling_windows.csv"] = _rolling_csv(catalogue)
    files["README.md"] = _readme(readme, catalogue)
    return files


def _measures_sql(measures: Measures) -> str:
    columns = "".join(f"        {_aliased(c.sql, c.name)},\n" for c in measures.columns).rstrip(
        ",\n"
    )
    return (
        _HEADER.format(where=f"measures.{measures.dataset}")
        + "with\n\nrecords as (\n\n"
        + f"    select * from {{{{ ref('{measures.records}') }}}}\n\n),\n\n"
        + "final as (\n\n    select\n        area_code,\n        period_start,\n"
        + columns
        + "\n    from records\n    group by area_code, period_start\n\n)\n\n"
        + "select * from final\n"
    )


def _aliased(sql: str, name: str) -> str:
    """`sql as name` in the select list, the alias on its own line past 80 columns."""
    sql = sql.replace("\n", "\n        ")
    if len(f"        {sql} as {name}".splitlines()[-1]) <= 80:
        return f"{sql} as {name}"
    return f"{sql}\n            as {name}"


def _measures_yml(catalogue: MetricCatalogue) -> str:
    lines = [_YAML_HEADER, "version: 2\n\nmodels:\n"]
    for m in catalogue.measures.values():
        period = "quarter" if m.grain == "quarter" else "month"
        lines.append(f"  - name: {m.model}\n    description: {_quoted(m.description)}\n")
        lines.append(
            "    columns:\n"
            "      - name: area_code\n        description: GSS code of the borough.\n"
            f"      - name: period_start\n        description: First day of the {period}.\n"
        )
        for c in m.columns:
            lines.append(f"      - name: {c.name}\n        description: {_quoted(c.description)}\n")
        lines.append("\n")
    return "".join(lines).rstrip("\n") + "\n"


def _metric_sql(metric: Metric, catalogue: MetricCatalogue) -> str:
    arguments = {"metric_id": metric.id, "grain": metric.grain}
    if metric.covered_by == "run_days":
        arguments["covered_by"] = "run_days"
    else:
        arguments["dataset"] = metric.dataset
        arguments["inputs"] = catalogue.measures[metric.dataset].model
    if metric.median:
        arguments["median"] = metric.median["measure"]
    for key in ("numerator", "denominator", "last_year"):
        if getattr(metric, key):
            arguments[key] = getattr(metric, key)
    call = ",\n".join(f"    {k}={_sql_string(v)}" for k, v in arguments.items())
    return (
        _HEADER.format(where=f"metrics.{metric.id}")
        + f"-- {metric.name}.\n{{{{ metric_inputs(\n{call}\n) }}}}\n"
    )


def _sql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _metrics_yml(catalogue: MetricCatalogue) -> str:
    lines = [_YAML_HEADER, "version: 2\n\nmodels:\n"]
    for m in catalogue.metrics.values():
        covered = (
            "borough x month the pipeline ran (every borough)"
            if m.covered_by == "run_days"
            else f"borough x {m.grain} in which the borough delivered {m.dataset}"
        )
        if m.median:
            parts = f"median_value: {m.median['measure']}"
        elif m.last_year == "difference":
            parts = (
                f"numerator: {m.numerator} - the same a year earlier; denominator: a year earlier"
            )
        else:
            parts = f"numerator: {m.numerator}; denominator: {m.denominator}"
        text = f"{m.name}. One row per {covered}. {parts}. Value: {m.description}."
        lines.append(f"  - name: {m.model}\n    description: {_quoted(text)}\n\n")
    return "".join(lines).rstrip("\n") + "\n"


def _catalogue_macro(catalogue: MetricCatalogue) -> str:
    by_grain: dict[str, list[str]] = {"month": [], "quarter": []}
    for m in catalogue.metrics.values():
        by_grain[m.grain].append(m.id)
    medians = [
        {"metric_id": m.id, "records": m.median["records"], "column": m.median["column"]}
        for m in catalogue.metrics.values()
        if m.median
    ]
    return (
        "{#- Written from config/metrics.yml by `python -m pipeline metrics` (make metrics):\n"
        "    edit the YAML, not this file. -#}\n"
        "{#- The ids of the metrics whose models (int_metric__<id>) give rows of `grain`\n"
        "    (month | quarter): the union models loop over them. -#}\n"
        "{% macro metric_ids(grain) %}\n"
        f"{{{{ return({by_grain!r}.get(grain, [])) }}}}\n"
        "{% endmacro %}\n\n"
        "{#- The median metrics: their region median is pooled over these records. -#}\n"
        "{% macro median_metrics() %}\n"
        f"{{{{ return({medians!r}) }}}}\n"
        "{% endmacro %}\n"
    )


def _csv(header: list[str], rows: list[list], quote_last: bool = False) -> str:
    """CSV text; `quote_last`: the last column (a description) always quoted, as written by hand."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        cells = [_cell(v) for v in row]
        if not quote_last:
            writer.writerow(cells)
            continue
        writer.writerow(cells[:-1])
        out.seek(out.tell() - 1)  # back over the newline: append the quoted last cell
        out.write(',"' + cells[-1].replace('"', '""') + '"\n')
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _definitions_csv(catalogue: MetricCatalogue) -> str:
    header = "metric_id,metric_name,domain,dataset,unit,direction,target,value_multiplier,aggregation,description"
    rows = [
        [m.id, m.name, m.domain, m.dataset, m.unit, m.direction, m.target, m.value_multiplier]
        + [m.aggregation, m.description]
        for m in catalogue.metrics.values()
    ]
    return _csv(header.split(","), rows, quote_last=True)


def _publication_csv(catalogue: MetricCatalogue) -> str:
    rows = [
        [m.id, m.has_better_direction, m.counts_people, m.min_count_to_rank]
        for m in catalogue.metrics.values()
    ]
    return _csv(["metric_id", "has_better_direction", "counts_people", "min_count_to_rank"], rows)


def _rolling_csv(catalogue: MetricCatalogue) -> str:
    rows = [
        [m.id, m.rolling_months, m.rolling_denominator]
        for m in catalogue.metrics.values()
        if m.rolling_months
    ]
    return _csv(["metric_id", "rolling_months", "denominator_kind"], rows)


def _readme(readme: str, catalogue: MetricCatalogue) -> str:
    """README.md with the table between its markers replaced (kept as is without them)."""
    if README_START not in readme or README_END not in readme:
        return readme
    lines = [
        README_START,
        "| metric | dataset (grain) | unit | direction | target | region row | value |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in catalogue.metrics.values():
        dataset = f"`{m.dataset}` ({m.grain})" if m.dataset else f"every dataset ({m.grain})"
        if m.rolling_months:
            dataset += f", rolling {m.rolling_months} months"
        direction = m.direction.replace("_", " ")
        lines.append(
            f"| `{m.id}` | {dataset} | {m.unit} | {direction} | {_cell(m.target)} "
            f"| {m.aggregation} | {m.description} |"
        )
    lines.append(README_END)
    head, rest = readme.split(README_START, 1)
    return head + "\n".join(lines) + rest.split(README_END, 1)[1]


def _quoted(text: str) -> str:
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _expected(metrics: MetricCatalogue, project: Path = DBT) -> dict[Path, str]:
    readme = (project / "README.md").read_text(encoding="utf-8")
    return {project / path: text for path, text in metric_files(metrics, readme).items()}


def _stale(expected: dict[Path, str], project: Path = DBT) -> list[Path]:
    stale = [p for p, text in expected.items() if not p.exists() or p.read_text("utf-8") != text]
    for folder in (project / MEASURES_DIR, project / METRICS_DIR):
        stale += [p for p in sorted(folder.glob("*")) if p not in expected]
    return stale


def _write(expected: dict[Path, str], stale: list[Path]) -> None:
    for path in stale:
        if path in expected:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(expected[path], encoding="utf-8")
        else:
            path.unlink()


def stale_files(config: Path | None = None, region: str | None = None) -> list[Path]:
    """Files that differ from what config/metrics.yml writes, or that it no longer writes."""
    return _stale(_expected(load_metrics(load_catalogue(config, region))))


def write_files(config: Path | None = None) -> list[Path]:
    """Write every file the metric catalogue decides; remove generated files it no longer has."""
    expected = _expected(load_metrics(load_catalogue(config)))
    stale = _stale(expected)
    _write(expected, stale)
    return stale


def dbt_project_for(catalogue: Catalogue, work_dir: Path) -> Path:
    """The dbt project that builds this catalogue's datasets and metrics.

    The repository's dbt_project/ when its committed files are what the catalogue's
    metrics.yml writes (always so for config/, which the drift test keeps so) and every
    borough-feed dataset has its staging model; for a CITY_CONFIG_DIR declaring other
    metrics or a dataset of its own, a copy under `work_dir` with those files written
    (pipeline/dataset_files.py for a dataset), so that what is declared in config alone is
    built without editing the repository.
    """
    has_metrics = (Path(catalogue.config_dir) / "metrics.yml").exists()
    metrics = load_metrics(catalogue) if has_metrics else None
    if (metrics is None or not _stale(_expected(metrics))) and not unstaged_datasets(catalogue):
        return DBT
    project = work_dir / "dbt_project"
    shutil.copytree(
        DBT, project, dirs_exist_ok=True, ignore=shutil.ignore_patterns("target", "logs")
    )
    if metrics is not None:
        expected = _expected(metrics, project)
        _write(expected, _stale(expected, project))
    written = dataset_files(catalogue)
    for path in sorted((project / STAGING_DIR).iterdir()):  # an earlier config's dataset
        name = f"{STAGING_DIR}/{path.name}"
        if name not in written and not (DBT / name).exists():
            path.unlink()
    for path, text in written.items():
        (project / path).write_text(text, encoding="utf-8")
    log.info(
        "dbt: %s declares other metrics or datasets than dbt_project/: building %s",
        catalogue.config_dir,
        project,
    )
    return project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline metrics", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    try:
        paths = stale_files() if args.check else write_files()
    except CatalogueError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"{'stale' if args.check else 'written'}: {path.relative_to(REPO_ROOT)}")
    if not paths:
        print("metric files up to date with config/metrics.yml")
    return 1 if args.check and paths else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
