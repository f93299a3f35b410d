"""`python -m pipeline check-config`: the catalogue's checks alone, as a compiler run.

Loads config/ (or CITY_CONFIG_DIR) once per region file, with every check the nightly
run and DAG parsing apply (they call the same load_catalogue), and the metric catalogue
(metrics.yml, pipeline/metric_config.py) with the dbt files written from it, and prints each error
as one `file:line: key.path: what is wrong; allowed: ...` line, never a traceback.
Exits 0 when every region loads, 1 on a config error, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.catalogue import config_dir, load_catalogue
from ingest.errors import CatalogueError
from ingest.paths import REPO_ROOT
from pipeline.metric_config import load_metrics
from pipeline.metric_files import stale_files

__all__ = ["main"]

# The config whose metrics the committed dbt files are written from (`make metrics`): for
# it, stale files are an error; another CITY_CONFIG_DIR's metrics are built from a copy.
COMMITTED_CONFIG = REPO_ROOT / "config"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline check-config",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--region",
        action="append",
        metavar="NAME",
        help="check only this region (config/regions/NAME.yml); repeatable; default: all of them",
    )
    args = parser.parse_args(argv)
    base = config_dir()
    regions = args.region or sorted(p.stem for p in (base / "regions").glob("*.yml"))
    if not regions:
        print(f"config error: {base / 'regions'}: no region files (*.yml)", file=sys.stderr)
        return 1
    errors: list[str] = []
    for region in regions:
        try:
            catalogue = load_catalogue(base, region)
            metrics = load_metrics(catalogue)
        except CatalogueError as exc:
            if str(exc) not in errors:  # a broken pipeline.yml fails every region the same way
                errors.append(str(exc))
            continue
        print(
            f"ok: {_shown(base)}: region {catalogue.region.name} ({region}): {len(catalogue.region.areas)} areas, "
            f"{len(catalogue.datasets)} datasets, {len(catalogue.feeds())} feeds, "
            f"{len(metrics.metrics)} metrics"
        )
    if not errors:
        stale = _stale_metric_files(base, regions[0])
        if base.resolve() == COMMITTED_CONFIG.resolve():
            errors += stale  # the repository's dbt files must say what its metrics.yml says
        elif stale:
            print(
                f"note: {stale[0].split(';')[0]}; nights with this config build from a copy of "
                f"the dbt project with them written in (the repository's files stay as they are)"
            )
    for message in errors:
        print(f"config error: {message}", file=sys.stderr)
    return 1 if errors else 0


def _stale_metric_files(base: Path, region: str) -> list[str]:
    """The dbt files metrics.yml decides must be written from it (`make metrics`)."""
    stale = stale_files(base, region)
    if not stale:
        return []
    names = ", ".join(str(p.relative_to(REPO_ROOT)) for p in stale[:3])
    more = f" and {len(stale) - 3} more" if len(stale) > 3 else ""
    return [
        f"{base / 'metrics.yml'}: the dbt files written from it differ ({names}{more}); "
        f"run `python -m pipeline metrics` (make metrics)"
    ]


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
