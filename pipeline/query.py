"""`python -m pipeline query "SQL"`: ask the published warehouse a question.

Opens the analysts' copy read-only (so a query never blocks or changes the night's
run), then prints the result as a table, or writes it to CSV or Parquet. For anything
longer, the version-matched DuckDB CLI (`.venv/bin/duckdb -readonly <file>`) opens the
same file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main", "format_table"]

DEFAULT_MAX_ROWS = 50


def main(argv: list[str] | None = None) -> int:
    """Run one query; 0 on success, 1 when the query fails, 2 when there is nothing to query."""
    import duckdb

    from ingest.paths import data_paths

    args = _parser().parse_args(argv)
    sql = sys.stdin.read() if args.sql == "-" else args.sql
    database = Path(args.db) if args.db else data_paths().published
    if not database.exists():
        print(
            f"no published warehouse at {database}: run `make run` first, or pass --db FILE",
            file=sys.stderr,
        )
        return 2
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            relation = con.sql(sql)
            if relation is None:
                print("the statement returned no rows to show", file=sys.stderr)
                return 0
            if args.csv:
                relation.write_csv(args.csv, header=True)
                print(f"wrote {args.csv}", file=sys.stderr)
            elif args.parquet:
                relation.write_parquet(args.parquet)
                print(f"wrote {args.parquet}", file=sys.stderr)
            else:
                columns = relation.columns
                rows = relation.fetchmany(args.max_rows + 1)
                print(format_table(columns, rows[: args.max_rows]))
                if len(rows) > args.max_rows:
                    print(
                        f"(first {args.max_rows} rows shown; --max-rows N for more, or --csv FILE for all)"
                    )
    except duckdb.Error as exc:
        print(f"query failed on {database}: {exc}", file=sys.stderr)
        return 1
    return 0


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """A plain text table: numbers right-aligned, NULL spelled out, the row count below."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(columns)]
    numeric = [
        bool(rows)
        and all(isinstance(row[i], (int, float)) or row[i] is None for row in rows)
        and any(isinstance(row[i], (int, float)) for row in rows)
        for i in range(len(columns))
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=False)
        ).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    out.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(out)


def _cell(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline query", description="Query the published warehouse (read-only)."
    )
    parser.add_argument("sql", help='the SQL to run, or "-" to read it from standard input')
    parser.add_argument("--db", help="DuckDB file to query (default: the published warehouse)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--csv", metavar="FILE", help="write the whole result to a CSV file")
    out.add_argument("--parquet", metavar="FILE", help="write the whole result to a Parquet file")
    parser.add_argument(
        "--max-rows", type=int, default=DEFAULT_MAX_ROWS, help="rows to print (default 50)"
    )
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
