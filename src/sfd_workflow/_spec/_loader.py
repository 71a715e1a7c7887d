"""parse → neutral model: reading a format-1 spec document into the `Spec` model.

This module checks the *shape* of each part (keys, types, ids, local facts). References
between parts, cycles and reachability are the linker's (`_linker.py`).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ..errors import SpecError
from ._builtin import PREFIX, builtin_path
from ._document import Document, PathKey, format_path, parse_text, read_document
from ._linker import link, lint
from ._marks import plain_problems
from ._model import Guard, PerPerson, Phase, Quorum, Spec, Step, Text, Transition, UnitKind, Window
from ._reader import Reader, shown

__all__ = ["FORMAT", "load_spec", "load_spec_file", "spec_from_document", "spec_from_text"]

FORMAT = "sfd-workflow/1"

_SPEC_KEYS = ("format", "id", "title", "description", "timezone", "period", "roles",
              "unit_kinds", "phases", "records")
_KIND_KEYS = ("title", "description", "role_map", "skip", "cites")
_PHASE_KEYS = ("id", "title", "description", "window", "steps", "cites")
_STEP_KEYS = ("id", "title", "description", "after", "states", "transitions", "cites")
_TRANSITION_KEYS = ("event", "from", "to", "guard", "records", "clears", "due", "title",
                    "description", "cites")
_GUARD_KEYS = ("role", "not_before", "has", "once_per_actor", "fields", "quorum", "per_person",
               "children", "custom")


def _titled(r: Reader, value: Any, path: PathKey, what: str, *,
            is_id: bool) -> tuple[tuple[str, ...], dict[str, Text]]:
    """A list of names, each plain or ``{id: name, title: text}`` (extension): the names in
    order and the titles given."""
    if not isinstance(value, list):
        (r.id_list if is_id else r.str_list)(value, path, what)  # says what is wrong
        return (), {}
    names: list[str] = []
    titles: dict[str, Text] = {}
    for i, item in enumerate(value):
        title = None
        if isinstance(item, dict):
            m = r.mapping(item, (*path, i), allowed=("id", "title"), required=("id", "title"))
            if m is None or "id" not in m:
                continue
            item = m["id"]
            title = r.text(m["title"], (*path, i, "title")) if "title" in m else None
            where: PathKey = (*path, i, "id")
        else:
            where = (*path, i)
        name = r.ident(item, where, what) if is_id else r.string(item, where, what)
        if name is not None:
            names.append(name)
            if title is not None:
                titles[name] = title
    return tuple(names), titles


def _quorum_at_least(r: Reader, value: Any, path: PathKey) -> int | float | str | None:
    if value in ("majority", "all"):
        return str(value)
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if value >= 0:
            return value
    elif isinstance(value, float) and 0 < value < 1:
        return value
    r.fail(path, f"must be a whole number ≥ 0, 'majority', 'all' or a fraction 0<x<1, "
                 f"not {shown(value)}")
    return None


def _guard(r: Reader, value: Any, path: PathKey) -> Guard:
    m = r.mapping(value, path, allowed=_GUARD_KEYS)
    if m is None:
        return Guard()
    kw: dict[str, Any] = {}
    if "role" in m:
        kw["role"] = r.id_list(m["role"], (*path, "role"), "role", single=True)
        if not kw["role"] and isinstance(m["role"], list):
            r.fail((*path, "role"), "needs at least one role")
    if "not_before" in m:
        kw["not_before"] = r.date(m["not_before"], (*path, "not_before"))
    for key, what in (("has", "record kind"), ("children", "step")):
        if key in m:
            kw[key] = r.id_list(m[key], (*path, key), what)
    if "fields" in m:
        kw["fields"], kw["field_titles"] = _titled(r, m["fields"], (*path, "fields"), "field",
                                                   is_id=False)
    if "custom" in m:
        val = m["custom"]
        kw["custom"] = (r.str_list([val] if isinstance(val, str) else val, (*path, "custom"),
                                   "predicate name"))
    if "once_per_actor" in m:
        kw["once_per_actor"] = r.boolean(m["once_per_actor"], (*path, "once_per_actor"))
    if "quorum" in m:
        p = (*path, "quorum")
        q = r.mapping(m["quorum"], p, allowed=("record", "role", "at_least"),
                      required=("record", "role", "at_least"))
        if q is not None and {"record", "role", "at_least"} <= q.keys():
            rec = r.ident(q["record"], (*p, "record"), "record kind")
            role = r.ident(q["role"], (*p, "role"), "role")
            least = _quorum_at_least(r, q["at_least"], (*p, "at_least"))
            if rec and role and least is not None:
                kw["quorum"] = Quorum(record=rec, role=role, at_least=least)
    if "per_person" in m:
        p = (*path, "per_person")
        keys = ("record", "field", "role", "at_least")
        q = r.mapping(m["per_person"], p, allowed=keys, required=keys)
        if q is not None and set(keys) <= q.keys():
            rec = r.ident(q["record"], (*p, "record"), "record kind")
            fld = r.string(q["field"], (*p, "field"), "field")
            role = r.ident(q["role"], (*p, "role"), "role")
            least_n = r.number(q["at_least"], (*p, "at_least"))
            if rec and fld and role and least_n is not None:
                kw["per_person"] = PerPerson(record=rec, field=fld, role=role, at_least=least_n)
    return Guard(**{k: v for k, v in kw.items() if v is not None})


def _transition(r: Reader, value: Any, path: PathKey) -> Transition | None:
    m = r.mapping(value, path, allowed=_TRANSITION_KEYS, required=("event", "from", "to"))
    if m is None or not {"event", "from", "to"} <= m.keys():
        return None
    event = r.ident(m["event"], (*path, "event"), "event")
    sources = r.id_list(m["from"], (*path, "from"), "state", single=True)
    if isinstance(m["from"], list) and not m["from"]:
        r.fail((*path, "from"), "needs at least one state")
    dest = r.ident(m["to"], (*path, "to"), "state")
    guard = _guard(r, m["guard"], (*path, "guard")) if "guard" in m else Guard()
    records = r.ident(m["records"], (*path, "records"), "record kind") if "records" in m else None
    clears = r.id_list(m["clears"], (*path, "clears"), "record kind") if "clears" in m else ()
    due = r.date(m["due"], (*path, "due")) if "due" in m else None
    title = r.text(m["title"], (*path, "title")) if "title" in m else None
    if event is None or dest is None or not sources:
        return None
    return Transition(event=event, sources=sources, dest=dest, guard=guard, records=records,
                      clears=clears, due=due, title=title, cites=r.cites(m, path),
                      path=format_path(path))


def _step(r: Reader, value: Any, path: PathKey, phase: str, previous: str | None) -> Step | None:
    m = r.mapping(value, path, allowed=_STEP_KEYS,
                  required=("id", "title", "states", "transitions"))
    if m is None:
        return None
    sid = r.ident(m.get("id"), (*path, "id"), "step id") if "id" in m else None
    title = r.text(m["title"], (*path, "title")) if "title" in m else None
    if "after" in m:
        after = r.id_list(m["after"], (*path, "after"), "step")
    else:
        after = (previous,) if previous is not None else ()
    states: tuple[str, ...] = ()
    state_titles: dict[str, Text] = {}
    if "states" in m:
        states, state_titles = _titled(r, m["states"], (*path, "states"), "state", is_id=True)
        if isinstance(m["states"], list) and not m["states"]:
            r.fail((*path, "states"), "needs at least one state (the first is the initial one)")
        seen: set[str] = set()
        for i, s in enumerate(states):
            if s in seen:
                r.fail((*path, "states", i), f"duplicate state '{s}'")
            seen.add(s)
    transitions: list[Transition] = []
    if "transitions" in m:
        tp = (*path, "transitions")
        if not isinstance(m["transitions"], list):
            r.fail(tp, "must be a list of transitions")
        else:
            for i, t in enumerate(m["transitions"]):
                tr = _transition(r, t, (*tp, i))
                if tr is not None:
                    transitions.append(tr)
    description = r.text(m["description"], (*path, "description")) if "description" in m else None
    if sid is None or title is None or not states:
        return None
    return Step(id=sid, title=title, after=after, states=states, transitions=tuple(transitions),
                description=description, cites=r.cites(m, path), phase=phase,
                path=format_path(path), state_titles=state_titles)


def _unit_kind(r: Reader, kid: str, value: Any, path: PathKey) -> UnitKind | None:
    m = r.mapping(value, path, allowed=_KIND_KEYS, required=("title",))
    if m is None or "title" not in m:
        return None
    title = r.text(m["title"], (*path, "title"))
    role_map: dict[str, tuple[str, ...]] = {}
    if "role_map" in m:
        rp = (*path, "role_map")
        rm = m["role_map"]
        if not isinstance(rm, dict):
            r.fail(rp, "must be a mapping of role to role (or list of roles)")
        else:
            for k, v in rm.items():
                key = r.ident(k, (*rp, str(k)), "role")
                vals = r.id_list(v, (*rp, str(k)), "role", single=True)
                if key is not None and vals:
                    role_map[key] = vals
    skip = r.id_list(m["skip"], (*path, "skip"), "step") if "skip" in m else ()
    description = r.text(m["description"], (*path, "description")) if "description" in m else None
    if title is None:
        return None
    return UnitKind(id=kid, title=title, role_map=role_map, skip=skip, description=description,
                    cites=r.cites(m, path))


def _named_map(r: Reader, value: Any, path: PathKey, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        r.fail(path, f"must be a mapping of {what} id to its definition")
        return {}
    if not value:
        r.fail(path, f"needs at least one {what}")
    out = {}
    for k, v in value.items():
        key = r.ident(k, (*path, str(k)), f"{what} id")
        if key is not None:
            out[key] = v
    return out


def _build(doc: Document) -> tuple[Spec | None, Reader]:
    r = Reader(doc)
    m = r.mapping(doc.value, (), allowed=_SPEC_KEYS,
                  required=("format", "id", "roles", "unit_kinds", "phases"))
    if m is None:
        return None, r
    if "format" in m and m["format"] != FORMAT:
        r.fail(("format",), f"must be exactly '{FORMAT}', not {shown(m['format'])}")
    sid = r.ident(m["id"], ("id",), "spec id") if "id" in m else None
    title = r.text(m["title"], ("title",)) if "title" in m else Text({"": str(m.get("id", ""))})
    timezone = "Asia/Shanghai"
    if "timezone" in m:
        tz = r.string(m["timezone"], ("timezone",), "timezone")
        if tz is not None:
            try:
                zoneinfo.ZoneInfo(tz)
                timezone = tz
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                r.fail(("timezone",), f"unknown IANA time zone '{tz}'")
    period = None
    if "period" in m:
        period = _flagged_window(r, m["period"], ("period",))
    roles: dict[str, Text] = {}
    if "roles" in m:
        for k, v in _named_map(r, m["roles"], ("roles",), "role").items():
            t = r.text(v, ("roles", k))
            if t is not None:
                roles[k] = t
    kinds: dict[str, UnitKind] = {}
    if "unit_kinds" in m:
        for k, v in _named_map(r, m["unit_kinds"], ("unit_kinds",), "unit kind").items():
            uk = _unit_kind(r, k, v, ("unit_kinds", k))
            if uk is not None:
                kinds[k] = uk
    records: dict[str, Text] = {}
    if "records" in m:
        for k, v in _named_map(r, m["records"], ("records",), "record kind").items():
            t = r.text(v, ("records", k))
            if t is not None:
                records[k] = t
    phases: list[Phase] = []
    previous: str | None = None
    if "phases" in m:
        if not isinstance(m["phases"], list) or not m["phases"]:
            r.fail(("phases",), "must be a non-empty list of phases")
        else:
            for i, pv in enumerate(m["phases"]):
                path: PathKey = ("phases", i)
                pm = r.mapping(pv, path, allowed=_PHASE_KEYS, required=("id", "title", "steps"))
                if pm is None:
                    continue
                pid = r.ident(pm["id"], (*path, "id"), "phase id") if "id" in pm else None
                ptitle = r.text(pm["title"], (*path, "title")) if "title" in pm else None
                window = None
                if "window" in pm:
                    window = _flagged_window(r, pm["window"], (*path, "window"))
                steps: list[Step] = []
                if "steps" in pm:
                    if not isinstance(pm["steps"], list) or not pm["steps"]:
                        r.fail((*path, "steps"), "must be a non-empty list of steps")
                    else:
                        for j, sv in enumerate(pm["steps"]):
                            st = _step(r, sv, (*path, "steps", j), pid or "", previous)
                            if isinstance(sv, dict) and isinstance(sv.get("id"), str):
                                previous = sv["id"]
                            if st is not None:
                                steps.append(st)
                pdesc = r.text(pm["description"], (*path, "description")) \
                    if "description" in pm else None
                if pid is not None and ptitle is not None:
                    phases.append(Phase(id=pid, title=ptitle, steps=tuple(steps), window=window,
                                        description=pdesc, cites=r.cites(pm, path)))
    description = r.text(m["description"], ("description",)) if "description" in m else None
    if r.problems or sid is None or title is None:
        return None, r
    spec = Spec(format=FORMAT, id=sid, title=title, roles=roles, unit_kinds=kinds,
                phases=tuple(phases), timezone=timezone, period=period, records=records,
                description=description, source=doc.source, document=doc.value)
    return spec, r


def _flagged_window(r: Reader, value: Any, path: PathKey) -> Window | None:
    """``{start, end}`` with the optional ``flag: true`` (events outside it are flagged)."""
    flag = False
    if isinstance(value, dict) and "flag" in value:
        flag = r.boolean(value["flag"], (*path, "flag"))
        value = {k: v for k, v in value.items() if k != "flag"}
    w = r.window(value, path)
    return Window(start=w[0], end=w[1], flag=flag) if w else None


def _load(doc: Document) -> Spec:
    spec, reader = _build(doc)
    if spec is None:
        raise SpecError(reader.problems)
    problems = link(spec, reader)
    if problems:
        raise SpecError(problems)
    return attrs.evolve(spec, warnings=tuple(lint(spec, reader)))


def spec_from_document(document: Mapping[str, Any], source: str = "<document>") -> Spec:
    """Load a spec from an already parsed document (a dict as YAML or JSON would give).

    Raises:
        SpecError: the document breaks docs/format.md §1 (every problem is in ``.problems``),
            holds anything but plain data or breaks the limits of `_marks`.
    """
    problems = plain_problems(document, source)
    if problems:
        raise SpecError(problems)
    return _load(Document(document, source))


def spec_from_text(text: str, source: str = "<text>", *, fmt: str | None = None) -> Spec:
    """Load a spec from YAML (or JSON, with ``fmt="json"``) text.

    Raises:
        SpecError: the text is not valid YAML or JSON, breaks a limit (size, nesting, alias
            expansion, integer digits) or breaks docs/format.md §1.
    """
    return _load(parse_text(text, source, fmt=fmt, error=SpecError))


def load_spec_file(path: str | Path) -> Spec:
    """Load a spec file (YAML or JSON by extension; YAML reads JSON too)."""
    return _load(read_document(path, error=SpecError))


def load_spec(path_or_builtin: str | Path) -> Spec:
    """Load a spec from a YAML or JSON file, or a built-in one as ``builtin:<id>``.

    Raises:
        SpecError: the file cannot be read or breaks docs/format.md §1; the message names the
            file, the path inside it and (for YAML) the line.

    Example:
        >>> spec = load_spec("builtin:xuhui-edu-2009")
        >>> [p.id for p in spec.phases]
        ['study', 'analysis', 'rectification']
    """
    if isinstance(path_or_builtin, str) and path_or_builtin.startswith(PREFIX):
        path = builtin_path(path_or_builtin[len(PREFIX):])
        spec = load_spec_file(path)
        return attrs.evolve(spec, source=str(path_or_builtin))
    return load_spec_file(path_or_builtin)
