"""Export of the accepted events: JSON Lines, CSV and XES (IEEE 1849-2016).

JSON Lines is an event log (SPEC-FORMAT §3) in commit order: ``sfd-workflow replay`` over
it accepts every line. CSV adds each event's place and hash. XES has one trace per unit
(``concept:name`` = unit id) and one event per accepted event (``concept:name`` = event,
``org:resource`` = actor, ``time:timestamp`` = its time with offset), for process-mining tools.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..errors import StoreError
from ._canonical import canonical_json

if TYPE_CHECKING:
    from ._store import EventStore

__all__ = ["FORMATS", "export"]

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


def export(store: EventStore, fmt: str, out: IO[str] | str | Path) -> int:
    """Write the store's accepted events to `out` in `fmt`; return how many were written."""
    if fmt not in FORMATS:
        msg = f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}"
        raise StoreError(msg)
    if fmt == "jsonl":
        return _jsonl(store, out)
    if fmt == "csv":
        return _csv(store, out)
    return _xes(store, out)


def _jsonl(store: EventStore, out: IO[str] | str | Path) -> int:
    n = 0
    with _text_out(out) as fp:
        for event in store.events():
            fp.write(json.dumps(event, ensure_ascii=False) + "\n")
            n += 1
    return n


def _csv(store: EventStore, out: IO[str] | str | Path) -> int:
    n = 0
    step_of = store.spec.step_of_event
    with _text_out(out, newline="") as fp:
        w = csv.writer(fp)
        w.writerow(CSV_COLUMNS)
        for e in store.stored_events():
            step = step_of.get(e.event)
            w.writerow((e.gseq, e.unit, e.seq, e.event, step.id if step else "", e.actor, e.at,
                        "true" if e.late else "false", canonical_json(dict(e.payload)),
                        e.recorded_at, e.hash))
            n += 1
    return n


def xes_timestamp(at: str, tz: str) -> str:
    """An event's ``at`` as an XES date (ISO 8601 with milliseconds and offset)."""
    when = dt.datetime.fromisoformat(at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz))  # SPEC-FORMAT §3: the spec's timezone
    return when.isoformat(timespec="milliseconds")


def _attr(parent: ET.Element, tag: str, key: str, value: str) -> None:
    ET.SubElement(parent, tag, {"key": key, "value": value})


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
    for e in store.stored_events():
        trace = traces.get(e.unit)
        if trace is None:
            trace = traces[e.unit] = ET.Element("trace")
            _attr(trace, "string", "concept:name", e.unit)
            _attr(trace, "string", "sfd:kind", store.roster.by_id[e.unit].kind)
        ev = ET.SubElement(trace, "event")
        _attr(ev, "string", "concept:name", e.event)
        _attr(ev, "string", "org:resource", e.actor)
        _attr(ev, "date", "time:timestamp", xes_timestamp(e.at, spec.timezone))
        _attr(ev, "string", "lifecycle:transition", "complete")
        step = spec.step_of_event.get(e.event)
        _attr(ev, "string", "sfd:step", step.id if step else "")
        _attr(ev, "int", "sfd:seq", str(e.seq))
        _attr(ev, "int", "sfd:gseq", str(e.gseq))
        _attr(ev, "boolean", "sfd:late", "true" if e.late else "false")
        _attr(ev, "string", "sfd:payload", canonical_json(dict(e.payload)))
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


