"""Pipeline: what happens to a landed batch and to the night.

Validation and quarantine, load into DuckDB, the dbt runner, publish, open-data export,
the headline, the night's plan, steps and report, the Airflow glue (pools, the DAG
runner) and the command line (`python -m pipeline`). Ingest (`ingest/`) fetches and
lands; the borough API sandbox (`sandbox/`) is a separate package the CLI starts.

Kept import-light: DAG files import this package at parse time, so heavy libraries
(Great Expectations, dbt, DuckDB, pandas) are imported inside the functions that use them.
"""
