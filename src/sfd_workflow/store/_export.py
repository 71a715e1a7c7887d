"""Export of the accepted events: JSON Lines, CSV and XES (IEEE 1849-2016).

JSON Lines is an event log (docs/format.md §3) in commit order: ``sfd-workflow replay`` over
it accepts every line. CSV adds each event's place and hash, and lists the hash chains whole:
the migration entries of a `store migrate` (event ``sfd:migrate``) are rows too. XES has one
trace per unit (``concept:name`` = unit id) and one event per accepted event
(``concept:name`` = event, ``org:resource`` = actor, ``time:timestamp`` = its time with
offset), for process-mining tools. JSON Lines and XES leave the migration entries out: they
are no events of the campaign, and no spec knows their name. A step (CSV, XES) and a time
without an offset (XES) are read by the spec version that judged the event.

Every format streams: rows are read `yield_per` at a time (a server-side cursor on
PostgreSQL) and written as they arrive, so memory stays flat however many events a store
holds. XES, whose traces group events by unit, reads one unit's events at a time (traces in
roster order, each unit's oldest first, through the index of UNIQUE(unit, seq)), all in one
snapshot of the store, and writes its text directly.

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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..errors import StoreError
from . import _schema as tables
from ._canonical import canonical_json
from ._submit import why
from ._versions import MIGRATION_EVENT, JudgedBy

if TYPE_CHECKING:
    from ._store import EventStore

__all__ = ["FORMATS", "csv_cell", "export", "json_text", "xml_text"]

#: The formats `export` writes.
FORMATS = ("jsonl", "csv", "xes")

#: Rows a server-side cursor hands over at a time.
_YIELD_PER = 2000

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


#: An attribute value's escapes (as ElementTree writes them), and what XML 1.0 cannot carry.
_ATTR_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;",
                 "\n": "&#10;", "\t": "&#09;"}
_ATTR = re.compile('[&<>"\t\n\r]|' + _NOT_XML.pattern)


def _escape(match: re.Match[str]) -> str:
    return _ATTR_ESCAPES.get(match.group(), "\ufffd")


def _attr(tag: str, key: str, value: str, indent: str) -> str:
    """One XES attribute element, on a line of its own."""
    return f'{indent}<{tag} key="{key}" value="{_ATTR.sub(_escape, value)}" />\n'


_XES_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" '
             'xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n'
             + "".join(f'  <extension name="{name}" prefix="{prefix}" uri="{uri}" />\n'
                       for name, prefix, uri in _XES_EXTENSIONS)
             + '  <global scope="trace">\n'
             + _attr("string", "concept:name", "__INVALID__", "    ")
             + '  </global>\n  <global scope="event">\n'
             + _attr("string", "concept:name", "__INVALID__", "    ")
             + _attr("date", "time:timestamp", "1970-01-01T00:00:00.000+00:00", "    ")
             + _attr("string", "lifecycle:transition", "complete", "    ")
             + '  </global>\n  <classifier name="Activity" keys="concept:name" />\n')

#: Rows of events, not migration entries.
_EXPORTED = tables.events.c.event != MIGRATION_EVENT
#: A unit's events, oldest first: the index of UNIQUE(unit, seq) serves it.
_UNIT_EVENTS = (sa.select(tables.events.c.unit, tables.events.c.seq, tables.events.c.gseq,
                          tables.events.c.event, tables.events.c.actor, tables.events.c.at,
                          tables.events.c.late, tables.events.c.payload)
                .where(tables.events.c.unit == sa.bindparam("unit"), _EXPORTED)
                .order_by(tables.events.c.seq))
_UNITS = sa.select(tables.events.c.unit).where(_EXPORTED).distinct()
_FIRST = (sa.select(tables.events.c.gseq, tables.events.c.unit)
          .where(tables.events.c.unit.in_(sa.bindparam("units", expanding=True)), _EXPORTED)
          .order_by(tables.events.c.gseq).limit(1))


def _xes(store: EventStore, out: IO[str] | str | Path) -> int:
    """XES written as it is read: one unit's events at a time (in roster order, each unit's
    oldest first, `yield_per` rows in memory), all read in one snapshot of the store."""
    roster = store.roster
    snapshot = ({"isolation_level": "REPEATABLE READ"}
                if store._engine.dialect.name == "postgresql" else {})
    with store._engine.connect().execution_options(**snapshot) as conn, conn.begin():
        judged = JudgedBy(conn, store._compiled)
        present = set(conn.scalars(_UNITS))
        strangers = sorted(present.difference(roster.by_id))
        if strangers:
            e = conn.execute(_FIRST, {"units": strangers}).one()
            msg = (f"stored event {e.gseq} names unit {e.unit!r:.60}, which is not in the "
                   "roster: the store was altered; run verify")
            raise StoreError(msg)
        streamed = conn.execution_options(yield_per=_YIELD_PER)  # a server-side cursor
        n = 0
        with _text_out(out) as fp:
            fp.write(_XES_HEAD + _attr("string", "concept:name", store.spec.id, "  "))
            for unit in roster.units:  # traces in roster order
                if unit.id in present:
                    with streamed.execute(_UNIT_EVENTS, {"unit": unit.id}) as rows:
                        n += _xes_trace(fp, unit.id, unit.kind, judged, rows)
            fp.write("</log>\n")
    return n


def _payload(text: str) -> dict[str, Any]:
    try:  # as `EventStore.stored_events` reads it
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _xes_trace(fp: IO[str], unit: str, kind: str, judged: JudgedBy,
               rows: Iterable[Any]) -> int:
    """Write `unit`'s trace of events `rows` (none: no trace); return how many."""
    n = 0
    for e in rows:
        if not n:
            fp.write("  <trace>\n" + _attr("string", "concept:name", unit, "    ")
                     + _attr("string", "sfd:kind", kind, "    "))
        version = judged.spec(unit, e.gseq)
        step = version.step_of_event.get(e.event)
        fp.write("".join((
            "    <event>\n",
            _attr("string", "concept:name", e.event, "      "),
            _attr("string", "org:resource", e.actor, "      "),
            _attr("date", "time:timestamp", xes_timestamp(e.at, version.timezone), "      "),
            _attr("string", "lifecycle:transition", "complete", "      "),
            _attr("string", "sfd:step", step.id if step else "", "      "),
            _attr("int", "sfd:seq", str(e.seq), "      "),
            _attr("int", "sfd:gseq", str(e.gseq), "      "),
            _attr("boolean", "sfd:late", "true" if e.late else "false", "      "),
            _attr("string", "sfd:payload", json_text(_payload(e.payload)), "      "),
            "    </event>\n")))
        n += 1
    if n:
        fp.write("  </trace>\n")
    return n
