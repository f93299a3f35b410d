"""Where everything the pipeline writes lives, under one data directory.

CITY_DATA_DIR (default: the repository's data/) holds the immutable landing zone, the
quarantine, the pipeline's own DuckDB file and the analysts' published copy. Analysts
only ever open the published copy: a reader on the pipeline's file would block its writer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DataPaths", "data_paths", "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def warehouse(self) -> Path:
        """The pipeline's own database: written by load and dbt, never opened by analysts.

        Same file name as the published copy on purpose: DuckDB names a database after its
        file, and dbt's views refer to `city.<schema>.<table>`, so the views keep working
        in the analysts' copy.
        """
        return self.root / "warehouse" / "city.duckdb"

    @property
    def published(self) -> Path:
        """The analysts' read-only copy, replaced atomically by publish."""
        return self.root / "published" / "city.duckdb"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "dbt" / "logs"


def data_paths() -> DataPaths:
    return DataPaths(Path(os.environ.get("CITY_DATA_DIR") or REPO_ROOT / "data").resolve())
