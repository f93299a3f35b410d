"""A copy of the repository's config/ that a test may edit, and one way to edit its YAML."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ingest.paths import REPO_ROOT

__all__ = ["copy_config", "edit_yaml"]


def copy_config(target: Path) -> Path:
    """config/ copied to `target` (which must not exist yet); returns `target`."""
    shutil.copytree(REPO_ROOT / "config", target)
    return target


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    """Load a YAML file, let `change` edit the data in place, write it back in its order."""
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
