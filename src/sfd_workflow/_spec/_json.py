"""JSON documents with the rules YAML ones have: duplicate keys are errors, limits hold.

Python's fast JSON parser keeps the last of two equal keys and knows no lines. Objects are
read as lists of pairs, then turned into dicts by one walk that reports duplicate keys,
nesting past `MAX_DEPTH` and integers of more than `MAX_INT_DIGITS` digits. Lines are found
only when needed (a problem to report), by a second, slower parse that notes where each
value starts.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import Problem
from ._marks import MAX_DEPTH, MAX_INT_DIGITS, PathKey, format_path

__all__ = ["json_lines", "parse_json"]

# The pure-Python parser's parts (not in the type stubs): the slow parse that notes where
# each value starts is built from them.
_DECODER: Any = json.decoder
_SCANNER: Any = json.scanner


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object as its list of (key, value) pairs, duplicates kept."""


class _BigInt(str):
    """An integer literal of more than `MAX_INT_DIGITS` digits, kept as its text."""


def _int(text: str) -> int | _BigInt:
    digits = len(text) - text.startswith("-")
    return _BigInt(text) if digits > MAX_INT_DIGITS else int(text)


def _reject_constant(name: str) -> Any:
    msg = f"{name} is not valid JSON"
    raise ValueError(msg)


class _Walk:
    """Pairs → dicts, collecting problems; `line` gives the line of each value in order."""

    def __init__(self, source: str, line: Callable[[], int | None]) -> None:
        self.source = source
        self.line = line
        self.lines: dict[PathKey, int] = {}
        self.problems: list[Problem] = []

    def fail(self, path: PathKey, message: str, line: int | None) -> None:
        self.problems.append(Problem(self.source, format_path(path), message, line))

    def value(self, v: Any, path: PathKey, depth: int) -> Any:
        """`v` as plain values; consumes the line of `v` and of everything under it."""
        return self._value(v, path, depth, self.line())

    def _value(self, v: Any, path: PathKey, depth: int, line: int | None) -> Any:
        if line is not None:
            self.lines.setdefault(path, line)
        if isinstance(v, _BigInt):
            self.fail(path, f"an integer of more than {MAX_INT_DIGITS} digits", line)
            return None
        if not isinstance(v, list | dict):
            return v
        if depth >= MAX_DEPTH:
            self.fail(path, f"nested more than {MAX_DEPTH} levels deep", line)
            raise _TooDeepError
        if not isinstance(v, _Pairs | dict):
            return [self.value(item, (*path, i), depth + 1) for i, item in enumerate(v)]
        out: dict[str, Any] = {}
        first: dict[str, int | None] = {}
        for key, item in (v.items() if isinstance(v, dict) else v):
            child = (*path, key)
            at = self.line()
            if key in first:
                self._value(item, child, depth + 1, at)  # its lines are consumed all the same
                before = first[key]
                self.fail(child, f"duplicate key '{key}'"
                          + (f" (first at line {before})" if before is not None else ""), at)
                continue
            first[key] = at
            out[key] = self._value(item, child, depth + 1, at)
        return out


class _RetryError(Exception):
    """The fast conversion met a problem: the walk that reports problems takes over."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Pairs:
    """A JSON object as a dict, or as its `_Pairs` when a key comes twice."""
    out = dict(pairs)
    return out if len(out) == len(pairs) else _Pairs(pairs)


def _check(v: Any, depth: int) -> None:
    """`_RetryError` when `v` holds a repeated key, a long integer or too deep a nesting.
    Leaves are not visited one call each: this runs on every JSON document read."""
    if depth >= MAX_DEPTH:
        raise _RetryError
    for item in v.values() if type(v) is dict else v:
        kind = type(item)
        if kind is dict or kind is list:
            _check(item, depth + 1)
        elif kind is _Pairs or kind is _BigInt:
            raise _RetryError


class _TooDeepError(Exception):
    """Nesting past MAX_DEPTH: the walk stops at the first such place."""


def _positions(text: str) -> Iterator[int]:
    """Start offsets of every value of `text`, in document order (a slow parse)."""
    starts: list[int] = []
    ws = _DECODER.WHITESPACE.match

    def recording(scan: Callable[[str, int], Any]) -> Callable[[str, int], Any]:
        def scan_once(s: str, idx: int) -> Any:
            starts.append(idx)
            return scan(s, idx)
        return scan_once

    decoder: Any = json.JSONDecoder(object_pairs_hook=_Pairs, parse_int=_int,
                                    parse_constant=_reject_constant)

    def parse_object(s_and_end: Any, strict: bool, scan: Any, hook: Any, pairs: Any,
                     memo: Any = None) -> Any:
        return _DECODER.JSONObject(s_and_end, strict, recording(scan), hook, pairs, memo)

    def parse_array(s_and_end: Any, scan: Any) -> Any:
        return _DECODER.JSONArray(s_and_end, recording(scan))

    decoder.parse_object = parse_object
    decoder.parse_array = parse_array
    scanner = _SCANNER.py_make_scanner(decoder)
    begin = ws(text, 0).end()
    starts.append(begin)
    scanner(text, begin)
    yield from starts


def _line_counter(text: str) -> Callable[[], int | None]:
    positions = _positions(text)
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line() -> int | None:
        pos = next(positions, None)
        return None if pos is None else bisect.bisect_left(newlines, pos) + 1
    return line


def _depth_line(text: str) -> int | None:
    """The line where nesting first passes MAX_DEPTH (strings skipped)."""
    depth = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, m.start()) + 1
        elif c in "]}":
            depth -= 1
    return None


def json_lines(text: str) -> dict[PathKey, int]:
    """The line of each path of a JSON `text` that `parse_json` accepted."""
    value = json.loads(text, object_pairs_hook=_Pairs, parse_int=_int,
                       parse_constant=_reject_constant)
    walk = _Walk("", _line_counter(text))
    walk.value(value, (), 0)
    return walk.lines


def parse_json(text: str, source: str) -> tuple[Any, list[Problem]]:
    """The value of JSON `text` (objects as dicts) and its problems, never raised."""
    try:
        raw = json.loads(text, object_pairs_hook=_object, parse_int=_int,
                         parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, [Problem(source, "", f"not valid JSON: {exc.msg}", exc.lineno)]
    except RecursionError:
        return None, [Problem(source, "", f"nested more than {MAX_DEPTH} levels deep",
                              _depth_line(text))]
    except ValueError as exc:  # NaN, Infinity
        m = re.search(r"\b(?:NaN|Infinity)\b", text)
        line = text.count("\n", 0, m.start()) + 1 if m else None
        return None, [Problem(source, "", f"not valid JSON: {exc}", line)]
    try:
        kind = type(raw)
        if kind is dict or kind is list:
            _check(raw, 0)
        elif kind is _Pairs or kind is _BigInt:
            raise _RetryError
        return raw, []
    except _RetryError:
        pass
    walk = _Walk(source, lambda: None)  # the problems, first without lines (cheap)
    try:
        walk.value(raw, (), 0)
    except _TooDeepError:
        return None, [Problem(source, walk.problems[0].path, walk.problems[0].message,
                              _depth_line(text))]
    walk = _Walk(source, _line_counter(text))  # again, with lines this time
    walk.value(raw, (), 0)
    return None, walk.problems
