"""Export of the accepted events: JSON Lines, CSV and XES (IEEE 1849-2016).

JSON Lines is an event log (docs/format.md §3) in commit order: ``sfd-workflow replay`` over
it accepts every line. CSV adds each event's place and hash, and lists the hash chains whole:
the migration entries of a `store migrate` (event ``sfd:migrate``) are rows too. XES has one
trace per unit (``concept:name`` = unit id) and one event per accepted event
(``concept:name`` = event, ``org:resource`` = actor, ``time:timestamp`` = its time with
offset), for process-mining tools. JSON Lines and XES leave the migration entries out: they
are no events of the campaign, and no spec knows their name. A step (CSV, XES) and a time
without an offset (XES) are read by the spec version that judged the event.

Hostile text is made safe, never a reason for an unreadable file: characters XML 1.0 cannot
carry (C0 controls other than tab, newline and carriage return; U+FFFE, U+FFFF; lone
surrogates) become U+FFFD in XES strings and ``\\uXXXX`` escapes in JSON text (the payload in
every format, and JSON Lines, which also escapes U+0085, U+2028 and U+2029 so that no line
reader splits a line: lossless, a JSON reader gets the original back); a CSV cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so that a
spreadsheet shows it as text instead of running it as a formula.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..errors import StoreError
from ._canonical import canonical_json
from ._submit import why
from ._versions import MIGRATION_EVENT, JudgedBy

if TYPE_CHECKING:
    from ._store import EventStore

__all__ = ["FORMATS", "csv_cell", "export", "json_text", "xml_text"]

#: The formats `export` writes.
FORMATS = ("jsonl", "csv", "xes")

CSV_COLUMNS = ("gseq", "unit", "seq", "event", "step", "actor", "at", "late", "payload",
               "recorded_at", "hash")

_XES_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
)


@contextlib.contextmanager
def _text_out(out: IO[str] | str | Path, newline: str | None = None) -> Iterator[IO[str]]:
    if isinstance(out, str | Path):
        try:
            with open(out, "w", encoding="utf-8", newline=newline) as fp:
                yield fp
        except OSError as exc:
            msg = f"cannot write {out}: {exc.strerror}"
            raise StoreError(msg) from None
    else:
        yield out


#: What XML 1.0 cannot carry (its production ``Char``), lone surrogates included.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: What UTF-8 cannot carry (lone surrogates), and the line breaks other than newline that
#: JSON leaves unescaped (a reader splitting lines the Unicode way would cut a line there).
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_ONE_LINE = re.compile("[\ud800-\udfff\x85\u2028\u2029]")
#: A CSV cell a spreadsheet would run as a formula (or that hides one after a tab/CR).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def json_text(value: object, pattern: re.Pattern[str] = _NOT_XML) -> str:
    """Canonical JSON of `value`, each character `pattern` matches written as a ``\\uXXXX``
    escape (inside JSON strings, where every such character is: JSON's own syntax is
    ASCII): the same JSON value, in text XML and UTF-8 can carry."""
    return pattern.sub(_u_escape, canonical_json(value))


def _u_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def csv_cell(text: str) -> str:
    """A CSV cell: a leading ``'`` when it starts like a formula; lone surrogates (UTF-8
    cannot hold them) replaced by U+FFFD."""
    text = _SURROGATE.sub("\ufffd", text)
    return "'" + text if text.startswith(_FORMULA) else text


def export(store: EventStore, fmt: str, out: IO[str] | str | Path) -> int:
    """Write the store's accepted events to `out` in `fmt`; return how many were written.

    Raises:
        StoreError: an unknown format, `out` cannot be written, or the database cannot be
            read or holds a value no export can use (an altered store: run verify).
    """
    if fmt not in FORMATS:
        msg = f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}"
        raise StoreError(msg)
    write = _jsonl if fmt == "jsonl" else _csv if fmt == "csv" else _xes
    try:
        return write(store, out)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot read {store.url}: {why(exc)}") from None


def _jsonl(store: EventStore, out: IO[str] | str | Path) -> int:
    n = 0
    with _text_out(out) as fp:
        for event in store.events():
            text = json.dumps(event, ensure_ascii=False)
            fp.write(_NOT_ONE_LINE.sub(_u_escape, text) + "\n")
            n += 1
    return n


def _judged(store: EventStore) -> JudgedBy:
    with store._engine.connect() as conn:
        return JudgedBy(conn, store._compiled)


def _csv(store: EventStore, out: IO[str] | str | Path) -> int:
    n = 0
    judged = _judged(store)
    with _text_out(out, newline="") as fp:
        w = csv.writer(fp)
        w.writerow(CSV_COLUMNS)
        for e in store.stored_events():
            step = judged.spec(e.unit, e.gseq).step_of_event.get(e.event)
            w.writerow((e.gseq, *map(csv_cell, (e.unit, str(e.seq), e.event,
                                                step.id if step else "", e.actor, e.at,
                                                "true" if e.late else "false",
                                                json_text(dict(e.payload), _NOT_ONE_LINE),
                                                e.recorded_at, e.hash))))
            n += 1
    return n


def xes_timestamp(at: str, tz: str) -> str:
    """An event's ``at`` as an XES date (ISO 8601 with milliseconds and offset)."""
    try:
        when = dt.datetime.fromisoformat(at)
    except (TypeError, ValueError):
        msg = (f"a stored event's time {at!r:.60} is not a date-time: the store was altered; "
               "run verify")
        raise StoreError(msg) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz))  # docs/format.md §3: the spec's timezone
    return when.isoformat(timespec="milliseconds")


def _attr(parent: ET.Element, tag: str, key: str, value: str) -> None:
    ET.SubElement(parent, tag, {"key": key, "value": xml_text(value)})


def _xes(store: EventStore, out: IO[str] | str | Path) -> int:
    spec = store.spec
    log = ET.Element("log", {"xes.version": "1.0", "xes.features": "nested-attributes",
                             "xmlns": "http://www.xes-standard.org/"})
    for name, prefix, uri in _XES_EXTENSIONS:
        ET.SubElement(log, "extension", {"name": name, "prefix": prefix, "uri": uri})
    g = ET.SubElement(log, "global", {"scope": "trace"})
    _attr(g, "string", "concept:name", "__INVALID__")
    g = ET.SubElement(log, "global", {"scope": "event"})
    _attr(g, "string", "concept:name", "__INVALID__")
    _attr(g, "date", "time:timestamp", "1970-01-01T00:00:00.000+00:00")
    _attr(g, "string", "lifecycle:transition", "complete")
    ET.SubElement(log, "classifier", {"name": "Activity", "keys": "concept:name"})
    _attr(log, "string", "concept:name", spec.id)
    traces: dict[str, ET.Element] = {}
    n = 0
    judged = _judged(store)
    for e in store.stored_events():
        if e.event == MIGRATION_EVENT:
            continue
        trace = traces.get(e.unit)
        if trace is None:
            trace = traces[e.unit] = ET.Element("trace")
            _attr(trace, "string", "concept:name", e.unit)
            unit = store.roster.by_id.get(e.unit)
            if unit is None:
                msg = (f"stored event {e.gseq} names unit {e.unit!r:.60}, which is not in the "
                       "roster: the store was altered; run verify")
                raise StoreError(msg)
            _attr(trace, "string", "sfd:kind", unit.kind)
        version = judged.spec(e.unit, e.gseq)
        ev = ET.SubElement(trace, "event")
        _attr(ev, "string", "concept:name", e.event)
        _attr(ev, "string", "org:resource", e.actor)
        _attr(ev, "date", "time:timestamp", xes_timestamp(e.at, version.timezone))
        _attr(ev, "string", "lifecycle:transition", "complete")
        step = version.step_of_event.get(e.event)
        _attr(ev, "string", "sfd:step", step.id if step else "")
        _attr(ev, "int", "sfd:seq", str(e.seq))
        _attr(ev, "int", "sfd:gseq", str(e.gseq))
        _attr(ev, "boolean", "sfd:late", "true" if e.late else "false")
        _attr(ev, "string", "sfd:payload", json_text(dict(e.payload)))
        n += 1
    for u in store.roster.units:  # traces in roster order
        if u.id in traces:
            log.append(traces[u.id])
    ET.indent(log)
    text = ET.tostring(log, encoding="unicode", xml_declaration=False)
    with _text_out(out) as fp:
        fp.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fp.write(text + "\n")
    return n


