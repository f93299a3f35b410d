"""Ingest: borough API -> immutable landing zone, and nothing else.

The catalogue (config, validated on load), the HTTP session, one connector per API
protocol with its paging, incremental cursors (watermarks), and landing of raw pages with
a manifest. What happens to a landed batch afterwards lives in `pipeline/`.

Kept import-light: DAG files import the catalogue at parse time, so heavy libraries
(Great Expectations, dbt, DuckDB, pandas) are imported inside the functions that use them.
"""
