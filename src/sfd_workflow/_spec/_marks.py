"""Parsed documents: a value, its source name and the line of every path; and the limits.

Specs, rosters and simulation models are read through `_document.parse_text`, which
obeys the limits below so that no file, however hostile, costs more than its size: a tiny
file whose aliases expand to billions of nodes, a nesting a thousand levels deep or an
integer of thousands of digits is a one-line load error naming the file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import Problem

__all__ = ["MAX_ALIAS_NODES", "MAX_BYTES", "MAX_DEPTH", "MAX_INT_DIGITS", "Document", "Marks",
           "PathKey", "format_path", "plain_problems", "too_large", "visible"]

PathKey = tuple[str | int, ...]

#: The largest spec, roster or model file read, in bytes (UTF-8).
MAX_BYTES = 64 * 1024 * 1024
#: The deepest nesting of lists and mappings in a document.
MAX_DEPTH = 100
#: The most nodes that YAML aliases may add when expanded (each use of an alias counts
#: every node under its anchor); a document without aliases adds none.
MAX_ALIAS_NODES = 100_000
#: The most digits of an integer (Python refuses to convert more than 4,300).
MAX_INT_DIGITS = 100


def format_path(path: PathKey) -> str:
    """``("phases", 2, "steps", 0, "id")`` → ``phases[2].steps[0].id``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:  # a key: a string, or whatever YAML made of it (a date, a number, null)
            name = visible(str(part))
            out += f".{name}" if out else name
    return out


def visible(text: str) -> str:
    """`text` with every character that does not print (controls, invisible and unpaired
    surrogate code points) written as ``\\u200b``, so that a message shows it and can be
    written to any terminal."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        else:
            n = ord(ch)
            out.append(f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000
                       else f"\\U{n:08x}")
    return "".join(out)


class Marks:
    """Lines of the paths of one document (1-based); computed on demand when `lines` is a
    callable (JSON, whose fast parser has no lines)."""

    def __init__(self, lines: Mapping[PathKey, int] | Callable[[], Mapping[PathKey, int]]
                 | None = None) -> None:
        self._lines: Mapping[PathKey, int] | None = None
        self._compute: Callable[[], Mapping[PathKey, int]] | None = None
        if callable(lines):
            self._compute = lines
        else:
            self._lines = dict(lines or {})

    def _known(self) -> Mapping[PathKey, int]:
        if self._lines is None:
            assert self._compute is not None
            self._lines = self._compute()
        return self._lines

    def by_name(self) -> dict[str, int]:
        """Every known line, by the path's printed name (``steps.report.loop.p``)."""
        return {format_path(p): line for p, line in self._known().items()}

    def line(self, path: PathKey) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        lines = self._known()
        p = tuple(path)
        while True:
            if p in lines:
                return lines[p]
            if not p:
                return None
            p = p[:-1]


class Document:
    """A parsed document: its value, source name and line marks."""

    def __init__(self, value: Any, source: str, marks: Marks | None = None,
                 hints: Mapping[PathKey, str] | None = None) -> None:
        self.value = value
        self.source = source
        self.marks = marks or Marks()
        self.hints = dict(hints or {})

    def problem(self, path: PathKey, message: str) -> Problem:
        """A problem at `path` of this document, with the hint of a common YAML mistake
        made there, if any (see `_hints`)."""
        text = visible(message + self.hints.get(tuple(path), ""))
        return Problem(self.source, format_path(path), text, self.marks.line(path))


def too_large(source: str, limit: int) -> Problem:
    """The problem of a document larger than `limit` bytes."""
    return Problem(source, "", f"is larger than {limit:,} bytes, the most a document may be")


def plain_problems(value: Any, source: str) -> list[Problem]:
    """Problems of a document given as Python values (``*_from_document``): nesting past
    `MAX_DEPTH` or in a cycle, integers of more than `MAX_INT_DIGITS` digits. Containers
    shared between places (as YAML aliases make them) are visited once."""
    problems: list[Problem] = []
    done: set[int] = set()
    big = 10 ** MAX_INT_DIGITS

    def visit(v: Any, path: PathKey, depth: int) -> None:
        # containers only: a call per leaf would cost as much as the loading itself
        if depth >= MAX_DEPTH:
            problems.append(Problem(source, format_path(path), f"nested more than {MAX_DEPTH} "
                                                               "levels deep (or in a cycle)"))
            return
        for key, item in v.items() if isinstance(v, dict) else enumerate(v):
            if isinstance(item, dict | list | tuple):
                if id(item) not in done:
                    visit(item, (*path, key if isinstance(key, str | int) else repr(key)),
                          depth + 1)
            elif type(item) is int and not -big < item < big:
                problems.append(Problem(source, format_path((*path, key)),
                                        f"an integer of more than {MAX_INT_DIGITS} digits"))
            if problems:
                return
        done.add(id(v))

    if isinstance(value, dict | list | tuple):
        visit(value, (), 0)
    return problems
