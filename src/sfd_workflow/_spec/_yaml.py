"""Bounded YAML: PyYAML's safe loader with limits, line marks and duplicate-key checks.

PyYAML expands an alias into one shared object, so a tiny file can name billions of paths
("billion laughs": 9 aliases a level, 8 levels, 307 bytes); a walker that visits each path to
note its line would run for minutes and take gigabytes. The composer here counts, while it
composes, every node an alias would add and stops at `MAX_ALIAS_NODES`, refuses nesting past
`MAX_DEPTH` and aliases that contain themselves, and the constructor refuses integers of
more than `MAX_INT_DIGITS` digits; each is a problem with its line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import Problem
from ._hints import flow_comma_hint, no_space_hint, yaml_error_hint
from ._marks import MAX_ALIAS_NODES, MAX_DEPTH, MAX_INT_DIGITS, PathKey, format_path, visible

__all__ = ["YamlResult", "parse_yaml"]

_DIGIT = re.compile(r"[0-9a-fA-F]")


class _BoundedLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """The safe loader, counting nodes while composing (see the module's docstring)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._open: list[int] = []  # nodes composed so far under each open collection
        self._sizes: dict[str, int] = {}  # nodes under each anchor, once composed
        self._added = 0  # nodes that aliases add

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            size = self._sizes.get(event.anchor) if event.anchor in self.anchors else 1
            if size is None:
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{event.anchor} refers to a node that contains it",
                    event.start_mark)
            self._added += size
            if self._added > MAX_ALIAS_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes",
                    event.start_mark)
            if self._open:
                self._open[-1] += size
            return super().compose_node(parent, index)
        if len(self._open) >= MAX_DEPTH:  # block nesting (flow nesting: below)
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        self._open.append(0)
        node = super().compose_node(parent, index)
        size = 1 + self._open.pop()
        if self._open:
            self._open[-1] += size
        if event.anchor is not None:
            self._sizes[event.anchor] = size
        return node

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # PyYAML's scanner looks ahead over every open "[" or "{" for a possible key, so a
        # long run of them costs quadratic time before the composer sees the first node.
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        # Python refuses to convert an integer of more than 4,300 digits (ValueError)
        if len(_DIGIT.findall(node.value)) > MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of more than {MAX_INT_DIGITS} digits",
                node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        # A date-shaped scalar that is no real date (2009-06-31) stays a string, so the
        # reader reports it at its own path and line instead of PyYAML raising ValueError.
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp",
                               _BoundedLoader.construct_yaml_timestamp)


class YamlResult:
    """What `parse_yaml` found: the value, the line of each path, hints and problems."""

    def __init__(self) -> None:
        self.value: Any = None
        self.lines: dict[PathKey, int] = {}
        self.hints: dict[PathKey, str] = {}
        self.problems: list[Problem] = []


def _walk(node: yaml.Node, path: PathKey, out: YamlResult, source: str) -> None:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        hint = no_space_hint(node)
        if hint:
            out.hints.setdefault(path, hint)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        previous: tuple[yaml.Node, yaml.Node] | None = None
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                out.problems.append(Problem(
                    source, format_path(path), "a key must be a plain value (a string or a "
                    "number), not a list or a mapping", line))
                continue
            key = key_node.value
            child = (*path, key)
            if key in seen:
                out.problems.append(Problem(source, format_path(child),
                                            f"duplicate key '{key}' (first at line {seen[key]})",
                                            line))
            seen[key] = line
            out.lines[child] = line
            hint = no_space_hint(key_node) or flow_comma_hint(node, previous, key_node,
                                                              value_node)
            if hint:
                out.hints.setdefault(child, hint)
            previous = (key_node, value_node)
            _walk(value_node, child, out, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), out, source)


def _problem(exc: yaml.YAMLError, text: str, source: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character
        if not isinstance(char, int):
            return Problem(source, "", f"not valid YAML: {exc.reason}", line)
        escape = visible(chr(char))
        return Problem(source, "", f"not valid YAML: the character U+{char:04X} is not allowed "
                                   f"in YAML text (remove it, or write it as \"{escape}\" inside "
                                   "double quotes)", line)
    if isinstance(exc, yaml.MarkedYAMLError):
        what = (exc.problem or exc.context or "").strip()
        mark = exc.problem_mark or exc.context_mark
        if exc.context and "simple key" in exc.context and exc.context_mark is not None:
            mark = exc.context_mark  # the key's line, where the mistake is
        if "could not determine a constructor" in what or "tag" in what:
            what = f"YAML tag not allowed (specs are data only): {what}"
        line = mark.line + 1 if mark is not None else None
        return Problem(source, "", f"not valid YAML: {what}{yaml_error_hint(exc, text)}", line)
    return Problem(source, "", f"not valid YAML: {exc}")


def parse_yaml(text: str, source: str) -> YamlResult:
    """Parse YAML `text` within the limits; problems (syntax, limits, duplicate keys) are
    returned, never raised."""
    out = YamlResult()
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)
        node = loader.get_single_node()
        if node is None:
            return out
        _walk(node, (), out, source)
        if not out.problems:
            out.value = loader.construct_document(node)
    except yaml.YAMLError as exc:
        out.problems = [_problem(exc, text, source)]
    except RecursionError:  # not expected within MAX_DEPTH; a one-line error all the same
        out.problems = [Problem(source, "", f"not valid YAML: nested too deeply (at most "
                                            f"{MAX_DEPTH} levels)")]
    finally:
        if loader is not None:
            loader.dispose()
    return out
