"""Config YAML read like a compiler reads source: duplicate keys refused, every key's line kept.

PyYAML keeps the last of two equal keys without a word, so a pasted block can switch a
borough's protocol silently; here a duplicate is an error naming both lines. Mappings
and lists come back as `LinedDict`/`LinedList` (plain dict/list otherwise) that know
the line of each key and item, so a later check can say where its problem is
(`located` finds the line of a key path such as `areas[6] (E09000007).portal.protocol`).
`unknown_keys` refuses a key the schema does not have, suggesting the nearest one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ingest.errors import CatalogueError

__all__ = [
    "LinedDict",
    "LinedList",
    "load_yaml_text",
    "line_of",
    "located",
    "unknown_keys",
    "suggest",
]


class LinedDict(dict):
    """A mapping from YAML that knows its own line and each key's (1-based)."""

    line: int = 0
    lines: dict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {}


class LinedList(list):
    """A list from YAML that knows its own line and each item's (1-based)."""

    line: int = 0
    lines: list

    def __init__(self, *args):
        super().__init__(*args)
        self.lines = []


class _PyLoader(yaml.SafeLoader):
    """SafeLoader building LinedDict/LinedList; it words the message of a YAML syntax error."""


class _Loader(getattr(yaml, "CSafeLoader", _PyLoader)):
    """The same with libyaml's parser where PyYAML has it: the pure-Python parser is most of
    a catalogue read, which every process reading config pays; a file it refuses is read
    again by _PyLoader, whose messages say what was expected."""


def _mapping(loader: _Loader, node: yaml.MappingNode):
    data = LinedDict()
    data.line = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node, deep=True))
    for key_node, _ in node.value:  # flattened by construct_mapping (merge keys resolved)
        key = loader.construct_object(key_node, deep=True)
        data.lines.setdefault(key, key_node.start_mark.line + 1)


def _sequence(loader: _Loader, node: yaml.SequenceNode):
    data = LinedList()
    data.line = node.start_mark.line + 1
    yield data
    data.extend(loader.construct_sequence(node, deep=True))
    data.lines = [item.start_mark.line + 1 for item in node.value]


for _loader in (_Loader, _PyLoader):
    _loader.add_constructor("tag:yaml.org,2002:map", _mapping)
    _loader.add_constructor("tag:yaml.org,2002:seq", _sequence)


def load_yaml_text(text: str, path: Path | str) -> Any:
    """Parse one YAML document; CatalogueError (file:line: key path: why) for bad YAML or a duplicate key."""
    try:
        return _load(_Loader, text, path)
    except yaml.YAMLError:  # libyaml refused it (_PyLoader's own become CatalogueError)
        return _load(_PyLoader, text, path)  # the same verdict, in better words


def _load(loader_class, text: str, path: Path | str) -> Any:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_duplicates(node, path, "")
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}" if mark else ""
        if loader_class is not _PyLoader:
            raise
        raise CatalogueError(
            f"{path}{where}: not valid YAML: {exc.problem or exc.context}"
        ) from None
    except yaml.YAMLError as exc:
        if loader_class is not _PyLoader:
            raise
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _refuse_duplicates(node: yaml.Node, path: Path | str, where: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            here = f"{where}.{key}" if where else str(key)
            if key in seen:
                raise CatalogueError(
                    f"{path}:{line}: {here}: duplicate key (first at line {seen[key]}); "
                    f"YAML would keep only the last one, silently"
                )
            seen[key] = line
            _refuse_duplicates(value_node, path, here)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicates(item, path, f"{where}[{index}]{_label(item)}")


def _label(node: yaml.Node) -> str:
    """` (E09000007)` for a list item that has a scalar `code`, as the catalogue names areas."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == "code" and isinstance(
                value_node, yaml.ScalarNode
            ):
                return f" ({value_node.value})"
    return ""


def line_of(container: Any, key: Any = None) -> int | None:
    """The line of `key` in a LinedDict/LinedList (or of the container itself), if known."""
    if isinstance(container, LinedDict):
        return container.lines.get(key, container.line) if key is not None else container.line
    if isinstance(container, LinedList):
        if isinstance(key, int) and 0 <= key < len(container.lines):
            return container.lines[key]
        return container.line
    return None


_STEP = re.compile(r"\.?([^.\[\]]+?)(?: \([^)]*\))?(?=\.|\[|$)|\[(\d+)\](?: \([^)]*\))?")


def located(tree: Any, where: str) -> int | None:
    """The line of the deepest part of a key path (`a.b[2] (X).c`) present in the tree."""
    line, node = line_of(tree), tree
    for match in _STEP.finditer(where):
        key: Any = int(match.group(2)) if match.group(2) is not None else match.group(1)
        if isinstance(node, dict) and key in node:
            line, node = line_of(node, key) or line, node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            line, node = line_of(node, key) or line, node[key]
        else:
            break
    return line


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the nearest choice, or nothing."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_keys(mapping: Any, allowed: Iterable[str], path: Path | str, where: str) -> None:
    """Refuse a key the schema does not have, naming its line, the nearest key and the allowed ones."""
    if not isinstance(mapping, dict):
        return
    allowed = list(allowed)
    for key in mapping:
        if key not in allowed:
            line = line_of(mapping, key)
            here = f"{where}.{key}" if where else str(key)
            raise CatalogueError(
                f"{path}{f':{line}' if line else ''}: {here}: unknown key{suggest(key, allowed)}; "
                f"allowed: {sorted(allowed)}"
            )
