"""The small checks every config parser shares: a YAML file read as a mapping, a required key
of the right kind (named in words a person reads), and ${VAR} expanded from the environment."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ingest.catalogue_records import (
    DEFAULT_API_BASE_URL,
)
from ingest.config_yaml import load_yaml_text
from ingest.errors import CatalogueError


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a config file (duplicate keys refused); any problem is a CatalogueError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot be read as UTF-8 text: {exc}") from None
    data = load_yaml_text(text, path)
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a mapping at the top level")
    return data


def _need(mapping: Any, key: str, path: Path, where: str, kind: type | tuple = str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] is None:
        raise CatalogueError(f"{path}: {where}: missing required key {key!r}")
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise CatalogueError(f"{path}: {where}.{key}: expected {_kind_name(kind)}, got {value!r}")
    return value


_KIND_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    dict: "a mapping (key: value lines)",
    list: "a list",
}


def _kind_name(kind: type | tuple) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)


def _expand_env(value: str) -> str:
    """${CITY_API_BASE_URL} (and any ${VAR}) from the environment; unset is an error."""

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name == "CITY_API_BASE_URL":
            return os.environ.get(name, DEFAULT_API_BASE_URL).rstrip("/")
        if name not in os.environ:
            raise CatalogueError(f"environment variable {name} is used in config but not set")
        return os.environ[name]

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", substitute, value)
