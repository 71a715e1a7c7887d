"""Reading YAML or JSON text into a `Document`, within the limits of `_marks`.

YAML is read with PyYAML's *safe* loader only: a tag that would construct a Python object is
an error, and nothing in a document is ever imported or run. Duplicate mapping keys, which
PyYAML and Python's JSON parser silently keep the last of, are errors here. Whatever a parser
raises becomes a one-line problem naming the file and, where there is one, the line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import LoadError, Problem
from . import _marks
from ._json import json_lines, parse_json
from ._marks import Document, Marks, PathKey, format_path, too_large, visible
from ._yaml import parse_yaml

__all__ = ["Document", "Marks", "PathKey", "format_path", "is_json", "parse_text",
           "read_document", "read_text"]


def is_json(source: str, fmt: str | None = None) -> bool:
    """Whether a document is read as JSON: `fmt` says so, or its name ends in .json."""
    return fmt == "json" or (fmt is None and source.lower().endswith(".json"))


def parse_text(text: str, source: str, *, fmt: str | None = None,
               error: Callable[[list[Problem]], LoadError] = LoadError) -> Document:
    """Parse YAML or JSON text (JSON when `fmt` is "json" or the source ends in .json).

    Raises:
        LoadError: `error` (a subclass) with every problem, for text that is not valid YAML
            or JSON, breaks a limit or repeats a key.
    """
    limit = _marks.MAX_BYTES
    if len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit:
        raise error([too_large(source, limit)])
    if is_json(source, fmt):
        value, problems = parse_json(text, source)
        if problems:
            raise error(problems)
        return Document(value, source, Marks(lambda: json_lines(text)))
    result = parse_yaml(text, source)
    if result.problems:
        raise error(result.problems)
    return Document(result.value, source, Marks(result.lines), result.hints)


def read_text(path: str | Path, *, error: Callable[[list[Problem]], LoadError] = LoadError,
              limit: int | None = None) -> str:
    """A UTF-8 text file's contents; a file that cannot be read (or, with `limit`, is larger
    than `limit` bytes) raises `error` naming it."""
    source = str(path)
    try:
        with Path(path).open("rb") as f:
            data = f.read() if limit is None else f.read(limit + 1)
    except FileNotFoundError:
        raise error([Problem(source, "", "no such file")]) from None
    except IsADirectoryError:
        raise error([Problem(source, "", "is a directory, not a file")]) from None
    except OSError as exc:
        raise error([Problem(source, "", f"cannot be read: {exc.strerror}")]) from None
    except ValueError:  # a NUL in the name: no file can have it
        raise error([Problem(visible(source), "", "no such file")]) from None
    if limit is not None and len(data) > limit:
        raise error([too_large(source, limit)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error([Problem(source, "", f"not UTF-8 text ({exc.reason})")]) from None
    # universal newlines, as text mode reads them
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_document(path: str | Path, *,
                  error: Callable[[list[Problem]], LoadError] = LoadError) -> Document:
    """Read a YAML or JSON file; a file that cannot be read raises `error` naming it."""
    text = read_text(path, error=error, limit=_marks.MAX_BYTES)
    return parse_text(text, str(path), error=error)
