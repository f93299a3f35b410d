"""City Region Datastore: every piece of pipeline logic; DAG files only wire it.

Kept import-light: DAG files import this package at parse time, so heavy libraries
(Great Expectations, dbt, DuckDB, pandas) are imported inside the functions that use them.
"""
