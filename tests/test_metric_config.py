"""config/metrics.yml: each metric declared once, the dbt files written from it, its checks.

No dbt build here: the committed dbt files must be what the YAML writes (so a hand-run
`dbt build` and the pipeline build the declared metrics), a new metric must reach every
file that names metrics from its one YAML entry, and each mistake must be one clear line.
The values the metric models give are checked by the shared fixture build
(tests/test_metric_truth.py, dbt_project/scripts/fixture_expected.py) and the reference run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from new_dataset import with_noise_complaints

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError
from ingest.paths import REPO_ROOT, DataPaths
from pipeline.check_config import main as check_config
from pipeline.dataset_files import STAGING_DIR
from pipeline.dbt_runner import dbt_command
from pipeline.metric_config import load_metrics
from pipeline.metric_files import DBT, dbt_project_for, metric_files, stale_files

# A metric over a dataset already measured, with the one measure line it needs: all that
# adding it takes besides its test (the number of lines is reported by the README).
NEW_METRIC = """
  closed_share:
    name: Share of service requests closed
    domain: services
    dataset: service_requests
    numerator: closed_requests
    denominator: requests
    unit: "%"
    direction: higher_is_better
    value_multiplier: 100
    aggregation: ratio
    has_better_direction: true
    counts_people: true
    min_count_to_rank: 10
    description: 100 * requests made in the month and closed / all requests made in the month
"""


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of `old`; the 1-based line it was on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _add_new_metric(config: Path) -> None:
    path = config / "metrics.yml"
    path.write_text(path.read_text(encoding="utf-8") + NEW_METRIC, encoding="utf-8")


def _error(config: Path) -> str:
    with pytest.raises(CatalogueError) as caught:
        load_metrics(load_catalogue(config))
    return str(caught.value)


def test_the_committed_dbt_files_are_what_metrics_yml_writes():
    """Models, seeds, the unit tests' fixture and the README table: none edited by hand."""
    assert stale_files(REPO_ROOT / "config") == []


def test_a_new_metric_reaches_every_file_from_its_one_entry(config_copy):
    """One YAML entry gives the metric its model, its seed rows, the union's id list and its
    README row; the other metrics' files stay as they are."""
    before = metric_files(load_metrics(load_catalogue(config_copy)), _readme())
    _add_new_metric(config_copy)
    after = metric_files(load_metrics(load_catalogue(config_copy)), _readme())
    added = set(after) - set(before)
    changed = {p for p in before if before[p] != after[p]}
    assert added == {"models/intermediate/metrics/int_metric__closed_share.sql"}
    assert changed == {
        "models/intermediate/metrics/_int_metrics.yml",
        "macros/metric_catalogue.sql",
        "seeds/metric_definitions.csv",
        "seeds/metric_publication.csv",
        "tests/fixtures/all_metric_definitions.csv",
        "README.md",
    }
    model = after["models/intermediate/metrics/int_metric__closed_share.sql"]
    assert 'numerator="coalesce(inputs.closed_requests, 0)"' in model
    assert 'inputs="int_service_requests__borough_month"' in model
    assert "'closed_share'" in after["macros/metric_catalogue.sql"]
    assert after["seeds/metric_publication.csv"].endswith("closed_share,true,true,10\n")
    assert "| `closed_share` | `service_requests` (month) |" in after["README.md"]


def test_the_pipeline_builds_a_config_declaring_another_metric_from_a_copy(config_copy, tmp_path):
    """CITY_CONFIG_DIR with one more metric: the dbt runner's project is a copy with the
    metric's model written; the repository's dbt_project/ is left as it is."""
    assert dbt_project_for(load_catalogue(config_copy), tmp_path) == DBT  # same metrics
    _add_new_metric(config_copy)
    project = dbt_project_for(load_catalogue(config_copy), tmp_path)
    assert project == tmp_path / "dbt_project"
    assert (project / "models/intermediate/metrics/int_metric__closed_share.sql").exists()
    assert "closed_share" in (project / "seeds/metric_definitions.csv").read_text("utf-8")
    assert (project / "dbt_project.yml").exists() and not (project / "target").exists()
    assert not (DBT / "models/intermediate/metrics/int_metric__closed_share.sql").exists()
    assert stale_files(REPO_ROOT / "config") == []


def test_a_dataset_a_later_config_drops_leaves_no_file_in_the_copy(config_copy, tmp_path):
    """The copy is reused night after night: a config-only dataset a later config no longer
    declares loses its written staging, YAML, macro entry and metric models."""
    other = with_noise_complaints(Path(shutil.copytree(config_copy, tmp_path / "other")))
    project = dbt_project_for(load_catalogue(other), tmp_path)
    staging = project / STAGING_DIR
    assert (staging / "stg_borough_feeds__noise_complaints.sql").exists()
    _add_new_metric(config_copy)
    assert dbt_project_for(load_catalogue(config_copy), tmp_path) == project
    assert sorted(p.name for p in staging.iterdir()) == sorted(
        p.name for p in (DBT / STAGING_DIR).iterdir()
    )
    assert "noise" not in (project / "macros/borough_feed_datasets.sql").read_text("utf-8")
    assert not list(project.glob("models/intermediate/*/*noise*"))


@pytest.mark.slow
def test_a_metric_declared_in_config_alone_gets_its_values(config_copy, tmp_path):
    """The one entry is all dbt needs: on a copy of the hand-made fixture warehouse (built
    once, shared with test_headline), only the seed, dim_metrics and the metric chain are
    built again (no data or unit tests), and city_metrics has the new metric: Hackney 3
    requests closed of 4 (R1, R3, R4; R2 open), Westminster 2 of 3 (W3 open), London 5 of 7."""
    from test_headline import built_warehouse

    _add_new_metric(config_copy)
    paths = DataPaths(tmp_path / "data")
    paths.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(DataPaths(built_warehouse()).warehouse, paths.warehouse)
    nodes = "metric_definitions dim_metrics int_city_metrics__borough_month city_metrics"
    command, env = dbt_command(
        load_catalogue(config_copy), paths, "build", "--select", *nodes.split(),
        "--exclude", "resource_type:test", "resource_type:unit_test",
    )  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        values = dict(
            con.execute(
                "select area_code, value from analytics.city_metrics "
                "where metric_id = 'closed_share' and period_start = '2024-03-01'"
            ).fetchall()
        )
    # Hackney, Westminster, London
    assert values == pytest.approx({"E09000012": 75.0, "E09000033": 200 / 3, "E12000007": 500 / 7})


def test_check_config_says_when_the_dbt_files_are_stale(config_copy, capsys, monkeypatch):
    """An entry added to the repository's metrics.yml without `make metrics`: check-config
    fails naming the command to run (the config copy stands in for the repository's)."""
    monkeypatch.setattr("pipeline.check_config.COMMITTED_CONFIG", config_copy)
    _add_new_metric(config_copy)
    assert check_config([]) == 1
    err = capsys.readouterr().err
    assert "int_metric__closed_share.sql" in err and "python -m pipeline metrics" in err


def test_check_config_passes_another_configs_own_metrics_with_a_note(config_copy, capsys):
    """A CITY_CONFIG_DIR declaring a metric of its own is valid: its nights build it from a
    project copy, so check-config notes it and exits 0."""
    _add_new_metric(config_copy)
    assert check_config([]) == 0
    out = capsys.readouterr().out
    assert "note: " in out and "build from a copy of the dbt project" in out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    numerator: ksi_casualties\n",
            "    numerater: ksi_casualties\n",
            "metrics.ksi_per_100k.numerater: unknown key (did you mean 'numerator'?)",
        ),
        (
            "    numerator: ksi_casualties\n",
            "    numerator: ksi_casualty\n",
            "metrics.ksi_per_100k.numerator: 'ksi_casualty' is neither a measure of "
            "road_casualties (did you mean 'ksi_casualties'?) nor a covered column",
        ),
        (
            "    dataset: road_casualties\n    numerator",
            "    dataset: road_casualtys\n    numerator",
            "metrics.ksi_per_100k.dataset: 'road_casualtys' has no `measures` entry "
            "(did you mean 'road_casualties'?)",
        ),
        (
            "    denominator: cast(covered.annual_housing_target as double)",
            "    denominator: cast(covered.annual_target as double)",
            "metrics.net_completions_vs_target.denominator: covered.annual_target is not a "
            "covered column (did you mean 'annual_housing_target'?)",
        ),
        (
            "    direction: lower_is_better\n    value_multiplier: 100000\n",
            "    direction: lower_is_beter\n    value_multiplier: 100000\n",
            "metrics.ksi_per_100k.direction: 'lower_is_beter' is not one of "
            "['lower_is_better', 'higher_is_better'] (did you mean 'lower_is_better'?)",
        ),
        (
            "    last_year: pair\n",
            "    last_year: difference\n",
            "metrics.house_price_change_yoy.last_year: `last_year: pair` goes with "
            "`aggregation: ratio_change`",
        ),
        (
            "  recycling_rate:\n",
            "  ksi_per_100k:\n",
            "metrics.ksi_per_100k: duplicate key (first at line",
        ),
    ],
    ids=[
        "unknown_key",
        "unknown_measure",
        "unknown_dataset",
        "covered_column",
        "direction",
        "last_year",
        "duplicate_id",
    ],
)
def test_each_mistake_is_one_line_naming_file_line_and_key(config_copy, old, new, message):
    """file:line: key.path: why, with the nearest right name where there is one."""
    line = _edit(config_copy / "metrics.yml", old, new)
    error = _error(config_copy)
    assert error.startswith(f"{config_copy / 'metrics.yml'}:{line}: ")
    assert message in error and "\n" not in error


def _readme() -> str:
    return (REPO_ROOT / "dbt_project" / "README.md").read_text(encoding="utf-8")
