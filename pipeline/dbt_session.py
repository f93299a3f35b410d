"""One dbt process for a night: `dbt build`, then `dbt source freshness` and the docs site.

A night used to start dbt twice (build, then source freshness): each process paid
Python's and dbt's imports, reading the project (partial parse) and opening DuckDB again,
a few CPU-seconds a night for a check that reads one timestamp per raw table. Here dbt's
programmatic entry point (`dbtRunner`) parses the project once and runs both commands
on that manifest, in a child process of its own (dbt's logging and adapters stay out of
the Airflow worker). Freshness runs only after a build that passed, as before; its
results are dbt's own `sources.json` and the build's are `run_results.json`, the files
the separate commands wrote. With "docs", `dbt docs generate --static` follows on the
same manifest: the site the docs step copies beside the published warehouse (a third dbt
process before; pipeline/publish.py `publish_docs` reuses a site newer than the build).

    python -m pipeline.dbt_session '{"common": [...], "build": [...], "freshness": true, "docs": true}'

exits 0 when the build passed, 1 when a node failed, 2 when dbt could not run.
"""

from __future__ import annotations

import json
import sys

__all__ = ["main"]


def main(argv: list[str]) -> int:
    from dbt.cli.main import dbtRunner

    request = json.loads(argv[0])
    common: list[str] = request["common"]
    # the build writes manifest.json (and freshness and docs again): not the parse as well
    parsed = dbtRunner().invoke(["parse", "--no-write-json", *common])
    if not parsed.success:
        print(f"dbt parse failed: {parsed.exception}", flush=True)
        return 2
    runner = dbtRunner(manifest=parsed.result)
    built = runner.invoke([*request["build"], *common])
    if built.exception is not None:
        print(f"dbt build could not run: {built.exception}", flush=True)
        return 2
    if not built.success:
        return 1
    if request.get("freshness"):
        runner.invoke(["source", "freshness", *common])  # reported, never fatal
    if request.get("docs"):  # the docs site of what the next step publishes; never fatal
        docs = runner.invoke(["docs", "generate", "--static", "--no-compile", *common])
        if not docs.success:
            print(f"dbt docs generate failed (the docs step will retry): {docs.exception}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
