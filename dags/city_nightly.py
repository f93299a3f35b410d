"""
### City nightly: borough feeds → validated raw → dbt → published warehouse

Every night at 02:00 London time this DAG processes **the day before** (the *data day*):
it fetches every dataset from every borough of the region (grouped by borough API host:
`ingest_feed.<host>` runs in the Airflow pool `borough_api__<host>`, so one slow host cannot
take every slot; it is mapped over at most as many runs of feeds as the pool has slots, each
named after its first and last feed), validates each
landed batch with its Great Expectations suite (one task, one run per dataset), loads the batches that pass into DuckDB,
runs `dbt build` and, only if every dbt test passes, publishes the analysts' read-only
warehouse, then writes the open-data CSVs (small counts suppressed) from it.

Trigger a specific day with the `data_day` param (`YYYY-MM-DD`), optionally only some
`boroughs` or `datasets`; re-running a day is safe (partitions are replaced, never appended).

**Backfills and data days.** A run whose logical date is 02:00 London on day D+1 processes
data day D (unless `data_day` is given). So to reprocess data days A..B:
`airflow backfill create --dag-id city_nightly --from-date <A+1> --to-date <B+1>T02:00
--reprocess-behavior completed` (dates are UTC; `--to-date <B+1>` alone, i.e. midnight, stops
at data day B-1). E.g. data days 2026-11-21 and 11-22: `--from-date 2026-11-22 --to-date
2026-11-23T02:00`. Runs of a backfill may overlap (`--max-active-runs`), but the pool
`city_warehouse` guards the DuckDB file: `load`, `dbt_build`, `publish` and `export_open_data`
take all its slots (one writer, alone), `plan_feeds` and `validate` one each (readers).

**Alerts.** Every task that fails after its last retry is announced (a log line `ALERT ...`
and config/pipeline.yml `alerts.webhook_url`); a run that has not succeeded by
`alerts.publish_by` (07:00 for the 02:00 run) raises a deadline alert.

**Triage notes**
- `ingest_feed.<host>` failures do not fail the run: the borough keeps its last good data and the
  `report` task lists it. The next nights fetch that day again (`run.catch_up_days`) until it
  loads; or re-run the day by hand once the borough's API is back.
- A quarantined batch: read `data/quarantine/<dataset>/<borough>/<day>/<batch>/reason.txt`
  or `audit.batches` in the warehouse; fix or wait for the borough, then re-run the day.
- `dbt_build` failed: nothing was published; the failing models/tests are in its log (a per-model
  table: status, seconds, rows) and in its return value (XCom `return_value`: `models`, `failed`).
- `export_open_data` failed: the warehouse was published but the open-data files are the
  previous night's; fix and re-run the day (re-running is safe).
- `docs_and_dashboard` failed: the warehouse was published; the dbt docs site
  (`published/docs/index.html`) and the dashboard (`published/dashboard.html`) are the
  previous ones. It alerts, but does not turn the night red.
- Ingest tasks stuck in *scheduled*: their host's pool is missing or full — `airflow pools list`;
  `python -m pipeline pools` creates the pools from config/pipeline.yml (`pools`) and `city_warehouse`.
  `load` or `validate` waiting in *scheduled* during a backfill: another run holds `city_warehouse`
  (a writer runs alone; expected).
- `report` is red when more feeds than `run.max_failed_feed_share` are missing, or nothing was published or
  exported; why, and which feeds, is in `<CITY_DATA_DIR>/runs/<data_day>/summary.json`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import (
    Asset,
    DeadlineAlert,
    DeadlineReference,
    Param,
    SyncCallback,
    TaskGroup,
    dag,
    get_current_context,
    task,
)

from pipeline import alerts, plan, pools, steps
from pipeline.report import summarise_run  # a module named report would be shadowed by the task

PUBLISHED_WAREHOUSE = Asset("city_region://warehouse/published")
SCHEDULE = plan.nightly_schedule()  # config/pipeline.yml: cron and timezone
HOST_POOLS = pools.host_pools()  # one Airflow pool per borough API host (config, YAML only)
PUBLISH_WITHIN = alerts.publish_deadline(
    SCHEDULE
)  # alerts.publish_by minus the nightly slot, or None
# The DuckDB file across runs and backfills: one writer alone, or a few readers (pipeline/pools.py)
WRITES_WAREHOUSE = {"pool": pools.WAREHOUSE_POOL, "pool_slots": pools.WAREHOUSE_SLOTS}
READS_WAREHOUSE = {"pool": pools.WAREHOUSE_POOL, "pool_slots": 1}


@dag(
    dag_id="city_nightly",
    schedule=SCHEDULE.cron,
    start_date=datetime(2026, 1, 1, tzinfo=ZoneInfo(SCHEDULE.timezone)),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(
        hours=4
    ),  # a run stuck for hours (a lost worker) fails and frees the schedule
    deadline=[
        DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=PUBLISH_WITHIN,
            callback=SyncCallback(alerts.on_deadline_missed),
            name="warehouse published",
        )
    ]
    if PUBLISH_WITHIN
    else None,
    doc_md=__doc__,
    tags=["city-region", "ingest", "dbt", "nightly"],
    params={
        "data_day": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Data day to process (YYYY-MM-DD); default: the day before the run",
        ),
        "boroughs": Param(
            [],
            type="array",
            items={"type": "string"},
            description="Only these boroughs (slugs or GSS codes); default: every borough",
        ),
        "datasets": Param(
            [],
            type="array",
            items={"type": "string"},
            description="Only these datasets; default: every dataset",
        ),
    },
    default_args={
        "owner": "city-data-platform",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "on_failure_callback": alerts.on_task_failure,  # config/pipeline.yml alerts: a log line + webhook
    },
)
def city_nightly():
    @task
    def resolve_data_day(params=None, logical_date=None) -> str:
        return plan.resolve_data_day(logical_date, (params or {}).get("data_day"))

    @task(**READS_WAREHOUSE)
    def plan_feeds(data_day: str, params=None) -> dict[str, list[dict]]:
        plans = plan.plan_feeds(
            data_day, params.get("datasets") or None, params.get("boroughs") or None
        )
        return pools.plans_by_pool(plans, [pool.name for pool in HOST_POOLS])

    @task
    def host_plans(plans: dict[str, list[dict]], pool: str, slots: int) -> list[list[dict]]:
        # mapping needs a task's own return value, not a key of another's; at most one task per
        # pool slot (more would not run at once: they would only add Airflow's cost per task)
        return pools.task_chunks(plans[pool], slots)

    @task(map_index_template="{{ feed_label }}")
    def ingest_feed(feeds: list[dict]) -> list[dict]:
        get_current_context()["feed_label"] = pools.chunk_label(feeds)
        return steps.ingest_feeds(feeds)

    # a host with no feeds is skipped; validate reads each feed's row-count history from the warehouse.
    # One task for every dataset the run asked for (one GE context, one XCom): mapping it per
    # dataset bought nothing but Airflow's per-task cost; each batch's outcome is kept.
    @task(trigger_rule="none_failed", **READS_WAREHOUSE)
    def validate(outcomes: list[dict], params=None) -> list[dict]:
        datasets = plan.plan_datasets((params or {}).get("datasets") or None)
        return steps.validate_datasets(datasets, outcomes)

    @task(**WRITES_WAREHOUSE)
    def load(validated: list[dict], run_id=None) -> dict:
        return steps.load_outcomes(validated, run_id)

    @task(retries=0, **WRITES_WAREHOUSE)
    def dbt_build(load_summary: dict) -> dict:
        return (
            steps.build_models()
        )  # logs a per-model table; its return value lists each model's result

    @task(outlets=[PUBLISHED_WAREHOUSE], **WRITES_WAREHOUSE)
    def publish(build_summary: dict) -> dict:
        return steps.publish_warehouse()

    @task(**WRITES_WAREHOUSE)
    def export_open_data(published: dict) -> dict:
        return steps.export_open_data()

    @task(**WRITES_WAREHOUSE)
    def docs_and_dashboard(exported: dict) -> dict:
        # the dbt docs site and the mayor's dashboard beside the published warehouse
        return steps.publish_docs_and_dashboard()

    @task(trigger_rule="all_done", retries=0)
    def report(
        data_day: str, load_summary: dict | None, published: dict | None, exported: dict | None
    ) -> str:
        return summarise_run(data_day, load_summary, published, exported)

    data_day = resolve_data_day()
    plans = plan_feeds(data_day)
    with TaskGroup(
        "ingest_feed", tooltip="one mapped task per borough API host, each in its host's pool"
    ):
        landed = [
            ingest_feed.override(task_id=pool.slug, pool=pool.name).expand(
                feeds=host_plans.override(task_id=f"{pool.slug}_plans")(
                    plans, pool.name, pool.slots
                )
            )
            for pool in HOST_POOLS
        ]
    outcomes = landed[0].concat(*landed[1:])  # every host's outcomes, as one sequence
    validated = validate(outcomes)
    loaded = load(validated)
    published = publish(dbt_build(loaded))
    exported = export_open_data(published)
    report(data_day, loaded, published, exported).set_upstream(docs_and_dashboard(exported))


city_nightly()
