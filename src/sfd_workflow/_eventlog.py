"""Reading event logs (SPEC-FORMAT §3): lines, and the events on them.

A line that is not a JSON object, lacks a string ``unit``/``event``/``actor``/``at``, whose
``at`` is not a date-time, or whose payload is not an object, is *malformed*: a verdict, not
an exception. ``at`` is read with `datetime.fromisoformat` and must have a time part (a
``T``, ``t`` or space after the date); a time without an offset is in the spec's timezone.
JSON's non-standard constants (NaN, Infinity) make a line malformed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._spec._document import read_text
from .errors import EventLogError

__all__ = ["ParsedEvent", "parse_at", "parse_event", "parse_line", "read_event_lines"]

_EMPTY: Mapping[str, Any] = {}


class ParsedEvent:
    """An event that is not malformed: its fields, with `at` parsed."""

    __slots__ = ("actor", "at", "event", "payload", "raw", "t", "unit")

    def __init__(self, raw: Mapping[str, Any], unit: str, event: str, actor: str,
                 at: dt.datetime, payload: Mapping[str, Any]) -> None:
        self.raw = raw
        self.unit = unit
        self.event = event
        self.actor = actor
        self.at = at
        self.t = at.timestamp()
        self.payload = payload


def parse_at(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """An aware date-time from an ISO 8601 string with a time part, else None."""
    if not (type(value) is str or isinstance(value, str)) or len(value) < 11 \
            or value[10] not in "Tt ":
        return None
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


def parse_event(event: Any, tz: dt.tzinfo) -> ParsedEvent | None:
    """The parsed event, or None when it is malformed."""
    if type(event) is not dict and not isinstance(event, Mapping):  # dict: the fast path
        return None
    unit, name, actor = event.get("unit"), event.get("event"), event.get("actor")
    if not ((type(unit) is str or isinstance(unit, str))  # `type is`: the fast path
            and (type(name) is str or isinstance(name, str))
            and (type(actor) is str or isinstance(actor, str))):
        return None
    at = parse_at(event.get("at"), tz)
    if at is None:
        return None
    payload = event.get("payload")
    if payload is None:
        payload = _EMPTY
    elif type(payload) is not dict and not isinstance(payload, Mapping):
        return None
    return ParsedEvent(event, unit, name, actor, at, payload)


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def parse_line(line: str, tz: dt.tzinfo) -> ParsedEvent | None:
    """The event on one line of a log, or None when the line is malformed."""
    try:
        value = json.loads(line, parse_constant=_no_constant)
    except ValueError:  # JSONDecodeError is a ValueError
        return None
    return parse_event(value, tz)


def split_lines(text: str) -> list[str]:
    """A log's lines: every line counts; the newline ending the file starts no new line."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def read_event_lines(path: str | Path) -> list[str]:
    """Read an event log file (``-`` is not special here) into its lines.

    Raises:
        EventLogError: the file cannot be read or is not UTF-8.
    """
    return split_lines(read_text(path, error=EventLogError))
