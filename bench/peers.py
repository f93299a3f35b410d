"""The peers a team would pick instead, fetching the same feed-days into DuckDB.

    python -m bench.peers bare  <specs.json> <out dir>   requests + DuckDB read_json
    python -m bench.peers fetch <specs.json> <out dir>   requests only, bodies discarded (the sandbox's rate)
    python -m bench.peers dlt   <specs.json> <out dir>   dlt's REST API source -> DuckDB, parquet loader files
    python -m bench.peers download <specs.json> <out dir> the first spec's URL streamed to a file, then read_csv

Runs in bench/.venv (dlt is never a project requirement) or the project's venv (bare,
fetch): imports nothing of the project. Prints one JSON line: rows, requests, and the
CPU and wall time of the work alone (after imports).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _pages(session, spec: dict[str, Any]) -> Iterator[tuple[bytes, int]]:
    """(body, records) of every page of one feed-day, stopping on a short or empty page."""
    paging = spec["paging"]
    limit = paging["limit"]
    number = paging.get("first_page", 1)
    offset = 0
    while True:
        if paging["kind"] == "offset":
            params = {
                **spec["params"],
                paging["limit_param"]: limit,
                paging["offset_param"]: offset,
            }
        else:
            params = {**spec["params"], paging["page_param"]: number, paging["size_param"]: limit}
        reply = session.get(spec["url"], params=params, timeout=60)
        reply.raise_for_status()
        payload = reply.json()
        records = _select(payload, spec["data_selector"])
        yield reply.content, len(records)
        more = payload.get("exceededTransferLimit") if isinstance(payload, dict) else None
        if not records or (more is False) or (more is None and len(records) < limit):
            return
        offset += len(records)
        number += 1


def _select(payload: Any, selector: str) -> list[Any]:
    if selector == "$":
        return payload
    if selector == "result.records":
        return payload["result"]["records"]
    return [f["attributes"] for f in payload["features"]]


_SQL_SELECT = {
    "ckan": (
        "select unnest(result.records, recursive := true) "
        "from read_json({files}, union_by_name := true, sample_size = -1)"
    ),
    "socrata": "select * from read_json({files}, format = 'array', union_by_name := true, sample_size = -1)",
    "open311": "select * from read_json({files}, format = 'array', union_by_name := true, sample_size = -1)",
    "arcgis": (
        "select unnest(f.attributes, recursive := true) from "
        "(select unnest(features) as f from read_json({files}, union_by_name := true, sample_size = -1))"
    ),
}


def bare(specs: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """requests writes each page to disk, then one DuckDB read_json per dataset x protocol."""
    import duckdb
    import requests

    session = requests.Session()
    requests_made, groups = 0, {}
    for index, spec in enumerate(specs):
        folder = out / "pages" / spec["dataset"] / spec["protocol"]
        folder.mkdir(parents=True, exist_ok=True)
        for number, (body, count) in enumerate(_pages(session, spec)):
            if count:  # an empty page has no records to read (and no types to infer)
                (folder / f"{index:05d}-{number:04d}.json").write_bytes(body)
                groups[(spec["dataset"], spec["protocol"])] = folder
            requests_made += 1
    rows = 0
    with duckdb.connect(str(out / "bare.duckdb")) as con:
        for (dataset, protocol), folder in sorted(groups.items()):
            table = f"{dataset}__{protocol}"
            files = "'" + str(folder / "*.json").replace("'", "''") + "'"
            con.execute(
                f'create or replace table "{table}" as ' + _SQL_SELECT[protocol].format(files=files)
            )
            rows += con.execute(f'select count(*) from "{table}"').fetchone()[0]
    return {"rows": rows, "requests": requests_made}


def fetch(specs: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """Every page asked and parsed, nothing kept: how fast the sandbox serves."""
    import requests

    session = requests.Session()
    rows = requests_made = body_bytes = 0
    for spec in specs:
        for body, count in _pages(session, spec):
            rows += count
            requests_made += 1
            body_bytes += len(body)
    return {"rows": rows, "requests": requests_made, "bytes": body_bytes}


def download(specs: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """One whole file (a bulk CSV) streamed to disk with requests, then DuckDB read_csv: the least a client holds."""
    import duckdb
    import requests

    target = out / "download.csv"
    with requests.get(specs[0]["url"], stream=True, timeout=600) as reply:
        reply.raise_for_status()
        with target.open("wb") as handle:
            for chunk in reply.iter_content(1 << 20):
                handle.write(chunk)
    with duckdb.connect(str(out / "download.duckdb")) as con:
        try:
            con.execute(
                "create table bulk as select * from read_csv(?, all_varchar = true)", [str(target)]
            )
        except duckdb.InvalidInputException:  # a Windows "ANSI" spreadsheet: not UTF-8
            con.execute(
                "create table bulk as select * from read_csv(?, all_varchar = true, encoding = 'latin-1')",
                [str(target)],
            )
        rows = con.execute("select count(*) from bulk").fetchone()[0]
    return {"rows": rows, "response_mb": round(target.stat().st_size / 2**20, 1)}


def dlt_load(specs: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """dlt's REST API source, one resource per feed-day, into DuckDB with parquet loader files."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    # dlt's PipeIterator recurses once per resource that ends without an item in a row
    # (empty feed-days): at 30 days x 262 feeds it passed the default limit of 1,000 and the
    # large rows never finished. Python frames only (3.11 inlines them): safe to raise.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * len(specs) + 1000))
    import dlt
    from dlt.sources.rest_api import rest_api_source

    def literal(value: Any) -> Any:  # dlt reads {...} in params as a placeholder
        return value.replace("{", "{{").replace("}", "}}") if isinstance(value, str) else value

    resources = []
    for index, spec in enumerate(specs):
        paging = spec["paging"]
        if paging["kind"] == "offset":
            paginator = {
                "type": "offset",
                "limit": paging["limit"],
                "offset_param": paging["offset_param"],
                "limit_param": paging["limit_param"],
                "total_path": paging["total_path"],
                "stop_after_empty_page": True,
            }
            params = {k: literal(v) for k, v in spec["params"].items()}
        else:
            paginator = {
                "type": "page_number",
                "base_page": paging["first_page"],
                "page_param": paging["page_param"],
                "total_path": None,
                "stop_after_empty_page": True,
            }
            params = {
                **{k: literal(v) for k, v in spec["params"].items()},
                paging["size_param"]: paging["limit"],
            }
        resources.append(
            {
                "name": f"r{index:05d}_" + re.sub(r"[^a-z0-9_]", "_", spec["feed_id"].lower()),
                "table_name": spec["dataset"],
                "write_disposition": "append",
                "endpoint": {
                    "path": spec["url"],
                    "params": params,
                    "paginator": paginator,
                    "data_selector": spec["data_selector"],
                },
            }
        )
    base = specs[0]["url"].split("/", 3)[:3]
    source = rest_api_source({"client": {"base_url": "/".join(base) + "/"}, "resources": resources})
    pipeline = dlt.pipeline(
        pipeline_name="bench_peer",
        pipelines_dir=str(out / "dlt_pipelines"),
        destination=dlt.destinations.duckdb(str(out / "dlt.duckdb")),
        dataset_name="raw",
    )
    pipeline.run(source, loader_file_format="parquet")
    rows = sum(
        pipeline.last_trace.last_normalize_info.row_counts.get(spec["dataset"], 0)
        for spec in {s["dataset"]: s for s in specs}.values()
    )
    return {"rows": rows, "requests": None}


def main(argv: list[str]) -> int:
    kind, specs_path, out = argv[0], Path(argv[1]), Path(argv[2])
    specs = json.loads(specs_path.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    work = {"bare": bare, "fetch": fetch, "dlt": dlt_load, "download": download}[kind]
    import requests  # noqa: F401  imports are not the work: load them before the clock starts

    if kind in ("bare", "download"):
        import duckdb  # noqa: F401
    if kind == "dlt":
        import dlt  # noqa: F401
        from dlt.sources.rest_api import rest_api_source  # noqa: F401
    cpu, wall = time.process_time(), time.perf_counter()
    figures = work(specs, out)
    print(
        json.dumps(
            figures
            | {"work_cpu_s": time.process_time() - cpu, "work_wall_s": time.perf_counter() - wall}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
