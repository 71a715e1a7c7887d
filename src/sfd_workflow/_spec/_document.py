"""Reading YAML or JSON documents into plain values, remembering the line of every path.

YAML is read with PyYAML's *safe* loader only: a tag that would construct a Python object is
an error, and nothing in a document is ever imported or run. Duplicate mapping keys, which
PyYAML silently keeps the last of, are errors here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import LoadError, Problem

__all__ = ["Document", "Marks", "format_path", "read_document"]

PathKey = tuple[str | int, ...]


def format_path(path: PathKey) -> str:
    """``("phases", 2, "steps", 0, "id")`` → ``phases[2].steps[0].id``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class Marks:
    """Lines of the paths of one document (1-based); empty for JSON."""

    def __init__(self, lines: Mapping[PathKey, int] | None = None) -> None:
        self._lines = dict(lines or {})

    def line(self, path: PathKey) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self._lines:
                return self._lines[p]
            if not p:
                return None
            p = p[:-1]


class Document:
    """A parsed document: its value, source name and line marks."""

    def __init__(self, value: Any, source: str, marks: Marks | None = None) -> None:
        self.value = value
        self.source = source
        self.marks = marks or Marks()

    def problem(self, path: PathKey, message: str) -> Problem:
        """A problem at `path` of this document."""
        return Problem(self.source, format_path(path), message, self.marks.line(path))


class _MarkedLoader(yaml.SafeLoader):
    """The safe loader; the caller notes lines and duplicate keys from the node tree."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:  # type: ignore[override]
        # A date-shaped scalar that is no real date (2009-06-31) stays a string, so the
        # reader reports it at its own path and line instead of PyYAML raising ValueError.
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[arg-type]
        except ValueError:
            return self.construct_scalar(node)  # type: ignore[arg-type]


_MarkedLoader.add_constructor("tag:yaml.org,2002:timestamp",
                              _MarkedLoader.construct_yaml_timestamp)


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], dups: list[Problem],
          source: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                dups.append(Problem(source, format_path((*path, key)),
                                    f"duplicate key '{key}' (first at line {seen[key]})", line))
            seen[key] = line
            child = (*path, key)
            lines[child] = line
            _walk(value_node, child, lines, dups, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, dups, source)


def _reject_json_constant(name: str) -> Any:
    msg = f"{name} is not valid JSON"
    raise ValueError(msg)


def parse_text(text: str, source: str, *, fmt: str | None = None,
               error: Callable[[list[Problem]], LoadError] = LoadError) -> Document:
    """Parse YAML or JSON text (JSON when `fmt` is "json" or the source ends in .json)."""
    if fmt == "json" or (fmt is None and source.lower().endswith(".json")):
        try:
            value = json.loads(text, parse_constant=_reject_json_constant)
        except json.JSONDecodeError as exc:
            raise error([Problem(source, "", f"not valid JSON: {exc.msg}", exc.lineno)]) from None
        except ValueError as exc:
            raise error([Problem(source, "", str(exc))]) from None
        return Document(value, source)
    loader = _MarkedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None, source)
        lines: dict[PathKey, int] = {}
        dups: list[Problem] = []
        _walk(node, (), lines, dups, source)
        if dups:
            raise error(dups)
        value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = (exc.problem or exc.context or "").strip()
        if "could not determine a constructor" in what or "tag" in what:
            what = f"YAML tag not allowed (specs are data only): {what}"
        raise error([Problem(source, "", f"not valid YAML: {what}", line)]) from None
    except yaml.YAMLError as exc:
        raise error([Problem(source, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return Document(value, source, Marks(lines))


def read_document(path: str | Path, *,
                  error: Callable[[list[Problem]], LoadError] = LoadError) -> Document:
    """Read a YAML or JSON file; a file that cannot be read raises `error` naming it."""
    p = Path(path)
    source = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error([Problem(source, "", "no such file")]) from None
    except IsADirectoryError:
        raise error([Problem(source, "", "is a directory, not a file")]) from None
    except UnicodeDecodeError as exc:
        raise error([Problem(source, "", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise error([Problem(source, "", f"cannot be read: {exc.strerror}")]) from None
    return parse_text(text, source, error=error)
