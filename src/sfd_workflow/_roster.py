"""Loading a roster of units (docs/format.md §2) against a spec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._confusables import skeleton
from ._spec._document import Document, PathKey, parse_text, read_document
from ._spec._model import Person, Roster, Spec, Unit
from ._spec._reader import Reader
from ._staffing import role_map_gaps
from .errors import Problem, RosterError

__all__ = ["load_roster", "roster_from_document", "roster_from_text", "roster_warnings"]

_UNIT_KEYS = ("id", "kind", "parent", "people", "title")
_PERSON_KEYS = ("id", "roles", "title")


def _person(r: Reader, value: Any, path: PathKey, spec: Spec) -> Person | None:
    m = r.mapping(value, path, allowed=_PERSON_KEYS, required=("id", "roles"))
    if m is None or "id" not in m or "roles" not in m:
        return None
    pid = r.name(m["id"], (*path, "id"), "person id")
    roles = r.id_list(m["roles"], (*path, "roles"), "role")
    for k, role in enumerate(roles):
        if role not in spec.roles:
            r.unknown((*path, "roles", k), "role", role, spec.roles)
    title = r.text(m["title"], (*path, "title")) if "title" in m else None
    return Person(id=pid, roles=roles, title=title) if pid is not None else None


def _unit(r: Reader, value: Any, path: PathKey, spec: Spec) -> Unit | None:
    m = r.mapping(value, path, allowed=_UNIT_KEYS, required=("id", "kind"))
    if m is None or "id" not in m or "kind" not in m:
        return None
    uid = r.name(m["id"], (*path, "id"), "unit id")
    kind = r.string(m["kind"], (*path, "kind"), "unit kind")
    if kind is not None and kind not in spec.unit_kinds:
        r.unknown((*path, "kind"), "unit kind", kind, spec.unit_kinds)
    parent = r.name(m["parent"], (*path, "parent"), "parent unit id") \
        if m.get("parent") is not None else None
    title = r.text(m["title"], (*path, "title")) if "title" in m else None
    people: list[Person] = []
    if "people" in m:
        pp = (*path, "people")
        if not isinstance(m["people"], list):
            r.fail(pp, "must be a list of people")
        else:
            seen: set[str] = set()
            for i, pv in enumerate(m["people"]):
                person = _person(r, pv, (*pp, i), spec)
                if person is None:
                    continue
                if person.id in seen:
                    r.fail((*pp, i, "id"), f"duplicate person id '{person.id}' in unit '{uid}'")
                seen.add(person.id)
                people.append(person)
    if uid is None or kind is None:
        return None
    return Unit(id=uid, kind=kind, people=tuple(people), parent=parent, title=title)


def _parent_cycle(parent_of: Mapping[str, str | None], start: str) -> list[str] | None:
    seen = [start]
    cur = parent_of.get(start)
    while cur is not None:
        if cur == start:
            return [*seen, start]
        if cur in seen or cur not in parent_of:
            return None
        seen.append(cur)
        cur = parent_of.get(cur)
    return None


def _load(doc: Document, spec: Spec) -> Roster:
    r = Reader(doc)
    m = r.mapping(doc.value, (), allowed=("units",), required=("units",))
    units: list[Unit] = []
    paths: dict[str, PathKey] = {}
    if m is not None and "units" in m:
        if not isinstance(m["units"], list):
            r.fail(("units",), "must be a list of units")
        else:
            for i, uv in enumerate(m["units"]):
                u = _unit(r, uv, ("units", i), spec)
                if u is None:
                    continue
                if u.id in paths:
                    r.fail(("units", i, "id"), f"duplicate unit id '{u.id}'")
                    continue
                paths[u.id] = ("units", i)
                units.append(u)
    parent_of = {u.id: u.parent for u in units}
    reported: set[str] = set()
    for u in units:
        if u.parent is None:
            continue
        if u.parent not in parent_of:
            r.unknown((*paths[u.id], "parent"), "parent unit", u.parent, parent_of)
        elif u.id not in reported:
            cycle = _parent_cycle(parent_of, u.id)
            if cycle:
                reported.update(cycle)
                r.fail((*paths[u.id], "parent"),
                       f"units' parents form a cycle: {' → '.join(cycle)}")
    if r.problems:
        raise RosterError(r.problems)
    warnings = list(_look_alikes(doc, "unit id", ((u.id, (*paths[u.id], "id")) for u in units)))
    for u in units:
        pp = (*paths[u.id], "people")
        warnings.extend(_look_alikes(doc, f"person id of unit '{u.id}'",
                                     ((p.id, (*pp, i, "id")) for i, p in enumerate(u.people))))
    return Roster(units=tuple(units), source=doc.source,
                  warnings=tuple(sorted(warnings, key=lambda p: p.line or 0)))


def _look_alikes(doc: Document, what: str,
                 ids: Iterable[tuple[str, PathKey]]) -> Iterable[Problem]:
    """Ids that differ but look alike (equal skeletons, see `_confusables`)."""
    first: dict[str, tuple[str, PathKey]] = {}
    for ident, path in ids:
        key = skeleton(ident)
        if key in first and first[key][0] != ident:
            other, where = first[key]
            line = doc.marks.line(where)
            at = f"line {line}" if line is not None else doc.problem(where, "").path
            yield doc.problem(path, f"{what} '{ident}' looks like '{other}' ({at}): "
                                    "they are two different ids")
        first.setdefault(key, (ident, path))


def roster_from_document(document: Mapping[str, Any], spec: Spec,
                         source: str = "<document>") -> Roster:
    """A roster from a parsed document (``{"units": [...]}``), checked against `spec`.

    Raises:
        RosterError: unknown kinds, parents or roles, duplicate ids or parent cycles.
    """
    # The reader keeps only what it checked, so a deep or cyclic document costs nothing more
    # (unlike a spec, whose document is kept and stored): no `plain_problems` walk here.
    return _load(Document(document, source), spec)


def roster_from_text(text: str, spec: Spec, source: str = "<text>",
                     *, fmt: str | None = None) -> Roster:
    """A roster from YAML (or JSON) text."""
    return _load(parse_text(text, source, fmt=fmt, error=RosterError), spec)


def load_roster(path: str | Path, spec: Spec) -> Roster:
    """Load a roster file (YAML or JSON), checked against `spec`.

    Raises:
        RosterError: the file cannot be read or breaks docs/format.md §2.
    """
    return _load(read_document(path, error=RosterError), spec)


def roster_warnings(spec: Spec, roster: Roster) -> list[Problem]:
    """The roster's own warnings (look-alike ids), then units that can never advance a step
    (nobody holds the roles its first transitions need, or a quorum asks for more people
    than the unit has), then guards that hold without anyone doing anything (vacuous)."""
    out: list[Problem] = list(roster.warnings)
    vacuous: dict[tuple[str, str], dict[str, None]] = {}  # (guard, why) -> unit ids, in order
    for i, unit in enumerate(roster.units):
        kind = spec.unit_kinds[unit.kind]
        roles = [frozenset(p.roles) for p in unit.people]

        def holders(role: str, kind: Any = kind, roles: Any = roles) -> int:
            accepted = kind.accepted_roles(role)
            return sum(1 for r in roles if not accepted.isdisjoint(r))

        for step in spec.steps:
            if step.id in kind.skip:
                continue
            first = [t for t in step.transitions if step.initial in t.sources]
            if first and all(t.guard.role and not any(holders(r) for r in t.guard.role)
                              for t in first):
                needed = sorted({r for t in first for r in t.guard.role})
                out.append(Problem(roster.source, f"units[{i}]",
                                   f"unit '{unit.id}' can never start step '{step.id}': "
                                   f"nobody holds the role {' or '.join(needed)}"))
                continue
            for t in step.transitions:
                g = t.guard
                if g.quorum is not None:
                    n = holders(g.quorum.role)
                    if g.quorum.needed(n) > n:
                        out.append(Problem(roster.source, f"units[{i}]",
                                           f"unit '{unit.id}' can never fire '{t.event}': its "
                                           f"quorum needs {g.quorum.needed(n)} {g.quorum.role} "
                                           f"but the unit has {n}"))
                    elif g.quorum.needed(n) == 0:
                        vacuous.setdefault((f"quorum of '{t.event}'",
                                            f"it needs no {g.quorum.role}"), {})[unit.id] = None
                if g.per_person is not None and not holders(g.per_person.role):
                    vacuous.setdefault((f"per_person guard of '{t.event}'",
                                        f"nobody holds the role {g.per_person.role}"),
                                       {})[unit.id] = None
                if g.children and unit.id not in roster.children:
                    vacuous.setdefault((f"children guard of '{t.event}'", "no child units"),
                                       {})[unit.id] = None
    for (guard, why), unit_ids in vacuous.items():
        units = list(unit_ids)
        shown = ", ".join(units[:5]) + (", …" if len(units) > 5 else "")
        out.append(Problem(roster.source, "", f"the {guard} holds trivially in {len(units)} "
                                              f"unit{'s' if len(units) > 1 else ''} ({why}): "
                                              f"{shown}"))
    out.extend(role_map_gaps(spec, roster))
    return out
