"""Safe YAML loading that remembers the line of every path (``steps.report.loop.p``)."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["load_with_lines"]


class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """The safe loader, reading dates as strings (checked later, with a path and a line)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse `text` with the safe loader; return the data and a map path -> 1-based line.

    Raises ``yaml.YAMLError`` on syntax errors (the caller turns it into its own error).
    """
    node = yaml.compose(text, Loader=_Loader)
    lines: dict[str, int] = {}
    if node is None:
        return None, lines
    _walk(node, "", lines)
    data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no object tags
    return data, lines


def _walk(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            sub = f"{path}.{name}" if path else name
            lines[sub] = key.start_mark.line + 1
            _walk(value, sub, lines)
            lines[sub] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, f"{path}[{i}]", lines)
