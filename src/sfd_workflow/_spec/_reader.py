"""Small typed readers over a `Document` that collect problems instead of raising at once.

Each reader returns a value (or a safe fallback) and notes a `Problem` with the path and the
line, so that one load reports every problem of a file, first one first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import math
import re
import reprlib
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import Problem
from ._marks import MAX_INT_DIGITS, Document, PathKey
from ._model import Text

__all__ = ["FIRST_DAY", "ID_RE", "LAST_DAY", "Reader", "invisible", "known_list",
           "out_of_range", "shown", "suggest"]

ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")

#: The earliest and the latest date a document may name. Outside, times break: 9999-12-31
#: has no day after (the late threshold), year 1 no UTC midnight, zones before ~1900 keep
#: local mean time (Shanghai +08:05:43), and pandas (the simulator's outputs) ends in 2262.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)


def out_of_range(day: dt.date) -> str | None:
    """Why `day` cannot be used (outside FIRST_DAY..LAST_DAY), or None."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"date {day} is outside the years {FIRST_DAY.year} to {LAST_DAY.year}"

# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): characters that
# show nothing. Most are also not printable for Python; some (variation selectors, the
# Hangul fillers, U+034F) are, so the table is needed.
_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
              (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
              (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
              (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
              (0xE0000, 0xE0FFF))


_IGNORABLE_RE = re.compile("[" + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
                                         for lo, hi in _IGNORABLE) + "]")


def invisible(text: str) -> str | None:
    """The first character of `text` that does not show (a control, a format character such
    as the zero-width space, a separator other than the space, an unpaired surrogate or a
    default-ignorable code point), or None."""
    if text.isprintable():
        m = _IGNORABLE_RE.search(text)
        return m.group() if m else None
    return next(ch for ch in text if not ch.isprintable() or _IGNORABLE_RE.match(ch))


def known_list(names: Iterable[str]) -> str:
    """``(known: a, b, c)`` — sorted, shortened when long."""
    items = sorted(set(names))
    if len(items) > 12:
        items = [*items[:12], "…"]
    return f"(known: {', '.join(items)})" if items else "(none defined)"


def suggest(name: str, names: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for a near miss, else an empty string."""
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def shown(value: Any) -> str:
    """`value` as a message shows it: a short repr, whatever its size, depth or digits."""
    if isinstance(value, int) and not isinstance(value, bool) and \
            not -(10 ** MAX_INT_DIGITS) < value < 10 ** MAX_INT_DIGITS:
        return f"an integer of more than {MAX_INT_DIGITS} digits"
    return _REPR.repr(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


class Reader:
    """Reads values out of one document, collecting problems."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def fail(self, path: PathKey, message: str) -> None:
        """Note a problem at `path`."""
        self.problems.append(self.doc.problem(path, message))

    def unknown(self, path: PathKey, what: str, name: str, known: Iterable[str]) -> None:
        """Note an unknown reference with the known names and a near-miss suggestion."""
        names = list(known)
        self.fail(path, f"unknown {what} '{name}' {known_list(names)}{suggest(name, names)}")

    def mapping(self, value: Any, path: PathKey, *, allowed: Iterable[str],
                required: Iterable[str] = ()) -> dict[str, Any] | None:
        """A mapping with only `allowed` keys and every `required` key."""
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping, not {_type_name(value)}")
            return None
        allowed = list(allowed)
        for key in value:
            if not isinstance(key, str):
                self.fail(path, f"keys must be strings, not {_type_name(key)} {shown(key)}")
            elif key not in allowed:
                self.fail((*path, key), f"unknown key '{key}' {known_list(allowed)}"
                          f"{suggest(key, allowed)}")
        for key in required:
            if key not in value:
                self.fail(path, f"missing required key '{key}'")
        return value

    def ident(self, value: Any, path: PathKey, what: str = "id") -> str | None:
        """An id: a string matching ``[a-z0-9][a-z0-9_-]*``."""
        if not isinstance(value, str):
            self.fail(path, f"{what} must be a string, not {_type_name(value)}")
            return None
        if not ID_RE.match(value):
            self.fail(path, f"{what} '{value}' must match [a-z0-9][a-z0-9_-]* "
                            "(lower-case ASCII; put other scripts in titles)")
            return None
        return value

    def string(self, value: Any, path: PathKey, what: str = "value") -> str | None:
        """A non-empty string."""
        if not isinstance(value, str) or not value:
            self.fail(path, f"{what} must be a non-empty string, not {_type_name(value)}")
            return None
        return value

    def name(self, value: Any, path: PathKey, what: str) -> str | None:
        """A name of the roster (unit or person id): a non-empty string, NFC-normalised,
        every character visible, no space at either end."""
        s = self.string(value, path, what)
        if s is None:
            return None
        s = unicodedata.normalize("NFC", s)
        bad = invisible(s)
        if bad is not None:
            self.fail(path, f"{what} '{s}' has an invisible character U+{ord(bad):04X}; "
                            "ids must be printable")
            return None
        if s != s.strip(" "):
            self.fail(path, f"{what} '{s}' starts or ends with a space")
            return None
        return s

    def text(self, value: Any, path: PathKey) -> Text | None:
        """A text: a string, or a map of language code to string (at least one entry)."""
        if isinstance(value, str) and value:
            return Text({"": value})
        if isinstance(value, dict):
            if not value:
                self.fail(path, "a text map needs at least one language")
                return None
            ok = True
            for lang, s in value.items():
                if not isinstance(lang, str) or not isinstance(s, str) or not s:
                    self.fail((*path, lang), "a text map maps a language code to a non-empty "
                                             "string")
                    ok = False
            return Text(value) if ok else None
        self.fail(path, f"must be a string or a map of language to string, "
                        f"not {_type_name(value)}")
        return None

    def date(self, value: Any, path: PathKey) -> dt.date | None:
        """A date: YAML's date or an ISO ``YYYY-MM-DD`` string."""
        if isinstance(value, dt.datetime):
            self.fail(path, "must be a date (YYYY-MM-DD), not a date-time")
            return None
        day = None
        if isinstance(value, dt.date):
            day = value
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(value)
        if day is None:
            self.fail(path, f"must be a date (YYYY-MM-DD), not {shown(value)}")
        elif out_of_range(day):
            self.fail(path, str(out_of_range(day)))
            day = None
        return day

    def id_list(self, value: Any, path: PathKey, what: str, *,
                single: bool = False) -> tuple[str, ...]:
        """A list of ids (or one id where `single` allows it)."""
        if single and isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(path, f"must be a list of {what}s, not {_type_name(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            ident = self.ident(item, (*path, i), what)
            if ident is not None:
                out.append(ident)
        return tuple(out)

    def str_list(self, value: Any, path: PathKey, what: str) -> tuple[str, ...]:
        """A list of non-empty strings."""
        if not isinstance(value, list):
            self.fail(path, f"must be a list of {what}s, not {_type_name(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            s = self.string(item, (*path, i), what)
            if s is not None:
                out.append(s)
        return tuple(out)

    def boolean(self, value: Any, path: PathKey) -> bool:
        """A boolean."""
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {shown(value)}")
            return False
        return value

    def number(self, value: Any, path: PathKey) -> float | None:
        """A number (not a boolean)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"must be a number, not {_type_name(value)}")
            return None
        number = float(value)
        if not math.isfinite(number):
            self.fail(path, f"must be a finite number, not {shown(value)}")
            return None
        return number

    def window(self, value: Any, path: PathKey) -> tuple[dt.date, dt.date] | None:
        """``{start, end}`` dates, start ≤ end."""
        m = self.mapping(value, path, allowed=("start", "end"), required=("start", "end"))
        if m is None or "start" not in m or "end" not in m:
            return None
        start, end = self.date(m["start"], (*path, "start")), self.date(m["end"], (*path, "end"))
        if start is None or end is None:
            return None
        if end < start:
            self.fail((*path, "end"), f"ends ({end}) before it starts ({start})")
            return None
        return start, end

    def cites(self, m: Mapping[str, Any], path: PathKey) -> tuple[str, ...]:
        """The optional ``cites`` list of requirement ids."""
        if "cites" not in m:
            return ()
        return self.str_list(m["cites"], (*path, "cites"), "requirement id")
