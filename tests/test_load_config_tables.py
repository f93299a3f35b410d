"""raw.areas, raw.area_aliases and raw.datasets follow config, night after night.

Every load writes them from the catalogue, but leaves them as they are when config did not
change (pipeline/load.py): these check that a change still shows, and that going back does.
No sandbox and no dbt.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from ingest.catalogue import load_catalogue
from pipeline.load import write_areas, write_datasets


def _aliases(con, code: str) -> list[str]:
    return [
        a
        for (a,) in con.execute(
            "select alias from raw.area_aliases where area_code = ? order by all", [code]
        ).fetchall()
    ]


def _titles(con) -> dict[str, str]:
    return dict(con.execute("select dataset, title from raw.datasets").fetchall())


def test_an_alias_added_to_config_is_written_and_removing_it_takes_it_away(loader_warehouse):
    catalogue = load_catalogue()
    first, *rest = catalogue.region.areas
    write_areas(loader_warehouse, catalogue)
    before = _aliases(loader_warehouse, first.code)
    assert before and "Square Mile Test Spelling" not in before

    spelled = replace(first, aliases=(*first.aliases, "Square Mile Test Spelling"))
    changed = SimpleNamespace(region=replace(catalogue.region, areas=(spelled, *rest)))
    write_areas(loader_warehouse, changed)
    assert _aliases(loader_warehouse, first.code) == sorted([*before, "Square Mile Test Spelling"])

    write_areas(loader_warehouse, catalogue)
    write_areas(loader_warehouse, catalogue)  # unchanged: stays as config says
    assert _aliases(loader_warehouse, first.code) == before
    assert loader_warehouse.execute("select count(*) from raw.areas").fetchone()[0] == len(
        catalogue.region.areas
    )


def test_a_retitled_dataset_is_written_and_an_unchanged_catalogue_keeps_its_rows(loader_warehouse):
    catalogue = load_catalogue()
    write_datasets(loader_warehouse, catalogue)
    titles = _titles(loader_warehouse)
    assert titles == {d.id: d.title for d in catalogue.datasets.values()}

    dataset_id, dataset = next(iter(catalogue.datasets.items()))
    retitled = {**catalogue.datasets, dataset_id: replace(dataset, title="Renamed in config")}
    write_datasets(loader_warehouse, SimpleNamespace(datasets=retitled))
    assert _titles(loader_warehouse) == titles | {dataset_id: "Renamed in config"}

    write_datasets(loader_warehouse, catalogue)
    write_datasets(loader_warehouse, catalogue)
    assert _titles(loader_warehouse) == titles
