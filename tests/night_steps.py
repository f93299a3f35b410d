"""A night of the pipeline driven by calling its steps directly, in this process.

The same steps, in the same order and with the same inputs, as the city_nightly DAG's tasks
(plan -> ingest each feed -> validate each dataset -> load -> dbt build -> publish ->
export -> report), without Airflow: most end-to-end behaviour is asserted through this,
and a few real DAG nights (tests/test_dag_nights.py) prove the wiring itself.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from pipeline import plan, report, steps

_RUNS = itertools.count(1)

# Boroughs that between them exercise every protocol, paging style and sandbox quirk:
# CKAN (barnet, croydon, enfield), Socrata incremental (camden, newham), ArcGIS with and
# without pagination (ealing, hounslow), ArcGIS + Open311 (lambeth, 10 days late with bus
# data), bulk CSV (havering), Redbridge (temporary accommodation 150 days late) and Newham
# (withholds household waste).
BOROUGHS = [
    "barnet",
    "camden",
    "croydon",
    "ealing",
    "enfield",
    "havering",
    "hounslow",
    "lambeth",
    "newham",
    "redbridge",
]


def land(
    day: date, boroughs: list[str] | None = None, datasets: list[str] | None = None
) -> dict[str, Any]:
    """Plan, ingest, validate and load one data day; returns load's summary (with the outcomes)."""
    data_day = day.isoformat()
    plans = plan.plan_feeds(data_day, datasets, boroughs)
    landed = [
        steps.ingest_feed(
            p["feed_id"],
            p["days"],
            p.get("loaded"),
            watermark=p.get("watermark"),
            periods_loaded=p.get("periods_loaded"),
        )
        for p in plans
    ]
    validated = [
        steps.validate_dataset(dataset, landed) for dataset in plan.plan_datasets(datasets)
    ]
    summary = steps.load_outcomes(validated, f"steps__{data_day}__{next(_RUNS)}")
    return summary | {"outcomes": [o for group in validated for o in group]}


def publish(day: date, load_summary: dict[str, Any]) -> str:
    """dbt build, publish, export and the report, as the DAG's tasks after load."""
    steps.build_models()
    published = steps.publish_warehouse()
    exported = steps.export_open_data()
    return report.summarise_run(day.isoformat(), load_summary, published, exported)


def night(day: date, boroughs: list[str] | None = None, datasets: list[str] | None = None) -> str:
    """One whole night: land, then build and publish; returns the report (raises RunFailed when red)."""
    return publish(day, land(day, boroughs, datasets))
