"""YAML read together with where each value was written, so a rule's error can point at its line and column."""

from __future__ import annotations

from typing import Any

import yaml

from .errors import ScenarioError, yaml_error

Path = tuple[Any, ...]   # keys and list indexes from the document's root


def load_with_marks(text: str, source: str) -> tuple[Any, dict[Path, yaml.Mark]]:
    """The document's data, and where each entry is written by its path; bad YAML raises ScenarioError."""
    try:
        loader = yaml.SafeLoader(text)   # reading starts here: it can fail on a character YAML does not allow
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
            marks: dict[Path, yaml.Mark] = {}
            if node is not None:
                _collect(loader, node, (), marks, set())
            return data, marks
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise yaml_error(source, exc) from None


def _collect(loader: yaml.SafeLoader, node: yaml.Node, path: Path, marks: dict[Path, yaml.Mark], seen: set[int]) -> None:
    """A mapping's entries are marked where their key is written, a list's items where they start.

    A node met again through an alias is not entered again: aliases can make a small text an enormous tree.
    """
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                entry = (*path, loader.construct_object(key_node))
                marks[entry] = key_node.start_mark
                _collect(loader, value_node, entry, marks, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            marks[(*path, i)] = item.start_mark
            _collect(loader, item, (*path, i), marks, seen)


def located(source: str, key: str, message: str, marks: dict[Path, yaml.Mark], path: Path) -> ScenarioError:
    """An error at `path`, placed at the line and column of the nearest value the document wrote on that path."""
    for end in range(len(path), 0, -1):
        mark = marks.get(path[:end])
        if mark is not None:
            return ScenarioError(f"{source}:{mark.line + 1}:{mark.column + 1}", key, message)
    return ScenarioError(source, key, message)
