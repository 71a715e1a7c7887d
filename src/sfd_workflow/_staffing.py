"""Roster warnings about role maps nobody can fill (R18 and the like).

A unit kind's `role_map` says who plays a role in that kind: "a branch without a committee
relies on all members" is ``committee: member``. When nobody in a unit holds the role or any
role it maps from, and a `role` guard of a step the unit runs names that role, the rule
relies on people the roster does not give: nobody, or only the guard's other roles, can act.
Kept apart from the other roster warnings (`_roster.py`), which
look at roles in general rather than at what a kind relies on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ._spec._model import Roster, Spec, Transition, UnitKind
from .errors import Problem

__all__ = ["role_map_gaps"]


def _effect(t: Transition, role: str, can: Callable[[str], bool]) -> tuple[int, str] | None:
    """What a missing `role` does to transition `t` (rank: lower is worse), or None when its
    `role` guard does not name it. A `quorum` or `per_person` over a role nobody holds asks
    for nobody by design ("where the unit has any"), so it is no gap."""
    g = t.guard
    if role not in g.role:
        return None
    others = [r for r in g.role if r != role and can(r)]
    if not others:
        return 0, "nobody can fire it"
    return 1, f"only a {' or '.join(others)} can fire it"


def role_map_gaps(spec: Spec, roster: Roster) -> Iterator[Problem]:
    """One warning per unit and role map entry that nobody in the unit can fill, for a role
    a step of the unit asks for; it names the unit, the role map and the rule most hurt."""
    for i, unit in enumerate(roster.units):
        kind = spec.unit_kinds[unit.kind]
        held = {r for p in unit.people for r in p.roles}

        def can(role: str, kind: UnitKind = kind, held: set[str] = held) -> bool:
            return not held.isdisjoint(kind.accepted_roles(role))

        for role, sources in kind.role_map.items():
            if can(role):
                continue
            uses = [(effect, n, t) for n, (s, t) in enumerate(spec.transitions())
                    if s.id not in kind.skip and (effect := _effect(t, role, can)) is not None]
            if not uses:
                continue
            (_, words), _, t = min(uses, key=lambda u: (u[0][0], u[1]))
            cites = f" ({', '.join(t.cites)})" if t.cites else ""
            yield Problem(roster.source, f"units[{i}]",
                          f"unit '{unit.id}' ({kind.id}) has nobody with the role "
                          f"{' or '.join((role, *sources))}: kind '{kind.id}' relies on "
                          f"them for '{role}' (role_map), and '{t.event}'{cites} asks for "
                          f"it, so {words}")
