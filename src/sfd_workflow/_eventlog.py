"""Reading events (docs/format.md §3): one parse for every way an event comes in.

`parse_event` (a mapping, from the Python API and the store) and `parse_line` (one line of a
JSON Lines log, from `replay`, `Runtime.submit_line`, ``explain --payload`` and the store) are
the only readers of an event. What is not an event is *malformed*: the parse returns a
`Requirement` saying what is wrong (a verdict's detail), never raises. Limits keep hostile
lines cheap: a line longer than `MAX_LINE` characters or nested deeper than
`_jsonvalue.MAX_DEPTH` levels is malformed before the JSON parser sees it.

The ids of an event that name a unit and a person (``unit``, ``actor``) are read in Unicode
normal form C, as the roster reads them (`event_id`), so that an id typed with a combining
accent names the same unit or person; ASCII ids, the usual ones, are kept as they are.

Numbers JSON cannot carry (NaN, ±Infinity, ``1e400``, which overflows to infinity), strings
with a lone surrogate (``"\\ud800"``) and bytes that are not UTF-8 make an event malformed,
wherever it comes from, so nothing downstream meets a value it cannot encode.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._isotime import BadTime, parse_iso_datetime
from ._jsonvalue import (
    EMPTY,
    MAX_DEPTH,
    FrozenDict,
    NotJson,
    bad_string,
    frozen_json,
    kind_of,
    shown,
)
from ._verdict import Reason, Requirement
from .errors import EventLogError, Problem

__all__ = ["MAX_LINE", "ParsedEvent", "decode_log", "event_id", "load_json", "parse_at",
           "parse_event", "parse_line", "read_event_lines", "split_lines"]

#: the longest line (in characters) an event log may have
MAX_LINE = 1_000_000
_KEYS = ("unit", "event", "actor", "at")


class ParsedEvent:
    """An event that is not malformed: its fields, `at` read, the payload a frozen copy."""

    __slots__ = ("actor", "at", "at_text", "event", "payload", "t", "unit")

    def __init__(self, unit: str, event: str, actor: str, at: dt.datetime, at_text: str,
                 payload: Mapping[str, Any]) -> None:
        self.unit = unit
        self.event = event
        self.actor = actor
        self.at = at
        #: `at` as written in the event
        self.at_text = at_text
        self.t = at.timestamp()
        self.payload = payload

    def document(self) -> FrozenDict:
        """The event as a frozen §3 object, `at` as written (what a log keeps)."""
        return FrozenDict(unit=self.unit, event=self.event, actor=self.actor, at=self.at_text,
                          payload=self.payload)


def event_id(value: str) -> str:
    """A unit or actor id of an event as it is judged and kept: in Unicode normal form C, like
    the roster's ids (an ASCII id is returned as it is, at no cost)."""
    return value if value.isascii() else unicodedata.normalize("NFC", value)


def _malformed(en: str, zh: str) -> Requirement:
    return Requirement(Reason.MALFORMED, zh, en)


def parse_at(value: Any, tz: dt.tzinfo) -> dt.datetime | Requirement:
    """`at` read as an aware date-time (docs/format.md §3), or why it is not one."""
    try:
        return parse_iso_datetime(value, tz)
    except BadTime as exc:
        en, zh = exc.args
        return _malformed(f"'at' {shown(value)}: {en}", f"“at” {shown(value)}：{zh}")


def parse_event(event: Any, tz: dt.tzinfo) -> ParsedEvent | Requirement:
    """The parsed event, or the `Requirement` (reason malformed) saying why it is not one."""
    if type(event) is not dict and not isinstance(event, Mapping):  # dict: the fast path
        en, zh = kind_of(event)
        return _malformed(f"not a JSON object but {en}", f"不是 JSON 对象，而是{zh}")
    get = event.get
    unit, name, actor, at_text = get("unit"), get("event"), get("actor"), get("at")
    if not (type(unit) is str and type(name) is str and type(actor) is str  # the fast path
            and type(at_text) is str and (unit + name + actor).isascii()):
        why = _field_problem(event)
        if why is not None:
            return why
        unit, actor = event_id(unit), event_id(actor)  # type: ignore[arg-type]  # str by now
    try:
        at = parse_iso_datetime(at_text, tz)  # type: ignore[arg-type]  # a str by now
    except BadTime:
        return parse_at(at_text, tz)  # type: ignore[return-value]  # says why
    payload = get("payload")
    if payload is None:
        payload = EMPTY
    elif type(payload) is not dict and not isinstance(payload, Mapping):
        en, zh = kind_of(payload)
        return _malformed(f"'payload' is not an object but {en}",
                          f"“payload”不是对象，而是{zh}")
    elif payload:
        try:
            payload = frozen_json(payload, "payload", 2)
        except NotJson as exc:
            return _malformed(*exc.args)
    else:
        payload = EMPTY
    return ParsedEvent(unit, name, actor, at, at_text, payload)  # type: ignore[arg-type]


def _field_problem(event: Mapping[str, Any]) -> Requirement | None:
    for key in _KEYS:
        if key not in event:
            return _malformed(f"'{key}' is missing", f"缺少“{key}”")
        value = event[key]
        if not isinstance(value, str):
            en, zh = kind_of(value)
            return _malformed(f"'{key}' is not a string but {en}",
                              f"“{key}”不是字符串，而是{zh}")
        i = bad_string(value)
        if i >= 0:
            return _malformed(f"'{key}' has a lone surrogate at character {i + 1}: "
                              f"{shown(value)}",
                              f"“{key}”在第 {i + 1} 个字符处含有孤立代理码位：{shown(value)}")
    return None


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _too_deep(line: str) -> bool:
    if line.count("{") + line.count("[") <= MAX_DEPTH:  # cannot be deeper: the fast path
        return False
    depth = 0
    for ch in _STRINGS.sub("", line):
        if ch in "{[":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in "}]":
            depth -= 1
    return False


def _no_constant(name: str) -> Any:
    msg = f"{name} is not a JSON number"
    raise ValueError(msg)


def _finite(text: str) -> float:
    value = float(text)
    if value - value != 0.0:  # inf or nan
        msg = f"{text[:40]} is too large for a number"
        raise ValueError(msg)
    return value


_MAX_DIGITS = 4300  # Python's own limit on converting digits to an int


def _int(text: str) -> int:
    if len(text) > _MAX_DIGITS:
        msg = f"a number of more than {_MAX_DIGITS} digits"
        raise ValueError(msg)
    return int(text)


def load_json(text: str) -> Any:
    """The JSON value of one line, or the `Requirement` (malformed) saying why there is none.

    The bounded reader every event line goes through: length, UTF-8, nesting depth, then
    `json.loads` without NaN/Infinity and without numbers that overflow.
    """
    if not text.strip():
        return _malformed("a blank line", "空行")
    if len(text) > MAX_LINE:
        return _malformed(f"the line is longer than {MAX_LINE} characters",
                          f"该行超过 {MAX_LINE} 个字符")
    i = bad_string(text)
    if i >= 0:
        code = ord(text[i])
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (read with surrogateescape)
            return _malformed(f"not UTF-8: byte 0x{code - 0xDC00:02x} at character {i + 1}",
                              f"不是 UTF-8：第 {i + 1} 个字符处为字节 0x{code - 0xDC00:02x}")
        return _malformed(f"a lone surrogate at character {i + 1}",
                          f"第 {i + 1} 个字符处含有孤立代理码位")
    if _too_deep(text):
        return _malformed(f"nested deeper than {MAX_DEPTH} levels", f"嵌套超过 {MAX_DEPTH} 层")
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite,
                          parse_int=_int)
    except json.JSONDecodeError as exc:
        return _malformed(f"not JSON: {exc.msg} at character {exc.pos + 1}",
                          f"不是 JSON：第 {exc.pos + 1} 个字符处 {exc.msg}")
    except (ValueError, RecursionError) as exc:  # NaN, overflow, too many digits
        return _malformed(f"not JSON: {str(exc)[:80]}", f"不是 JSON：{str(exc)[:80]}")


def parse_line(line: str, tz: dt.tzinfo) -> ParsedEvent | Requirement:
    """The event on one line of a log, or the `Requirement` saying why the line is malformed."""
    value = load_json(line)
    if type(value) is Requirement:
        return value
    return parse_event(value, tz)


def split_lines(text: str) -> list[str]:
    """A log's lines (docs/format.md §3): every line counts, a blank one too; the newline ending
    the file starts no new line, so an empty file has none. A ``\\r`` before a newline is
    dropped (CRLF logs)."""
    if not text:
        return []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def decode_log(data: bytes) -> str:
    """An event log's bytes as text: UTF-8 (a leading BOM dropped); a byte that is not UTF-8
    becomes a lone surrogate, so only its line is malformed (`load_json` names the byte)."""
    return data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")


def read_event_lines(path: str | Path) -> list[str]:
    """Read an event log file (``-`` is not special here) into its lines.

    Raises:
        EventLogError: the file cannot be read.
    """
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise EventLogError([Problem(source, "", "no such file")]) from None
    except IsADirectoryError:
        raise EventLogError([Problem(source, "", "is a directory, not a file")]) from None
    except OSError as exc:
        raise EventLogError([Problem(source, "", f"cannot be read: {exc.strerror}")]) from None
    return split_lines(decode_log(data))

