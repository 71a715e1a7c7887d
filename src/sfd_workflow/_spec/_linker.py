"""neutral model → linked spec: references, cycles, reachability; and warnings.

Each check is a small pure function over the model that yields ``(path, message)`` pairs;
`link` turns them into problems with lines. Run only on a spec whose shape is already valid,
so list indices in the model are the indices of the document.
"""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from ..errors import Problem
from ._marks import PathKey
from ._model import Spec, Step, Transition
from ._reader import Reader, known_list, suggest

__all__ = ["link", "lint"]

Finding = tuple[PathKey, str]


def _step_paths(spec: Spec) -> Iterator[tuple[PathKey, Step]]:
    for i, phase in enumerate(spec.phases):
        for j, step in enumerate(phase.steps):
            yield ("phases", i, "steps", j), step


def _transition_paths(spec: Spec) -> Iterator[tuple[PathKey, Step, Transition]]:
    for path, step in _step_paths(spec):
        for k, t in enumerate(step.transitions):
            yield (*path, "transitions", k), step, t


def _unknown(what: str, name: str, known: list[str]) -> str:
    return f"unknown {what} '{name}' {known_list(known)}{suggest(name, known)}"


def duplicate_ids(spec: Spec) -> Iterator[Finding]:
    """Phase ids and step ids used twice."""
    seen_phase: set[str] = set()
    for i, p in enumerate(spec.phases):
        if p.id in seen_phase:
            yield ("phases", i, "id"), f"duplicate phase id '{p.id}'"
        seen_phase.add(p.id)
    seen_step: dict[str, str] = {}
    for path, s in _step_paths(spec):
        if s.id in seen_step:
            yield (*path, "id"), f"duplicate step id '{s.id}' (first at {seen_step[s.id]})"
        else:
            seen_step[s.id] = s.path


def unknown_after(spec: Spec) -> Iterator[Finding]:
    """`after` entries that name no step (or the step itself)."""
    known = [s.id for s in spec.steps]
    for path, s in _step_paths(spec):
        for k, a in enumerate(s.after):
            if a == s.id:
                yield (*path, "after", k), f"step '{s.id}' cannot come after itself"
            elif a not in spec.step_by_id:
                yield (*path, "after", k), _unknown("step", a, known)


def after_cycles(spec: Spec) -> Iterator[Finding]:
    """A cycle in the step graph, printed as ``a → b → a``."""
    g: nx.DiGraph = nx.DiGraph()
    g.add_nodes_from(s.id for s in spec.steps)
    g.add_edges_from((a, s.id) for s in spec.steps for a in s.after
                     if a in spec.step_by_id and a != s.id)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return
    names = [u for u, _ in cycle] + [cycle[0][0]]
    first = names[1]
    path = next(p for p, s in _step_paths(spec) if s.id == first)
    yield (*path, "after"), f"the steps' order has a cycle: {' → '.join(names)}"


def state_references(spec: Spec) -> Iterator[Finding]:
    """`from`/`to` states that the step does not declare."""
    for path, step, t in _transition_paths(spec):
        known = list(step.states)

        def msg(state: str, step: Step = step, known: list[str] = known) -> str:
            return (f"unknown state '{state}' of step '{step.id}' {known_list(known)}"
                    f"{suggest(state, known)}")

        for k, src in enumerate(t.sources):
            if src not in step.states:
                yield ((*path, "from", k) if len(t.sources) > 1 else (*path, "from")), msg(src)
        if t.dest not in step.states:
            yield (*path, "to"), msg(t.dest)


def events_in_two_steps(spec: Spec) -> Iterator[Finding]:
    """An event name used by more than one step."""
    owner: dict[str, str] = {}
    for path, step, t in _transition_paths(spec):
        first = owner.setdefault(t.event, step.id)
        if first != step.id:
            yield (*path, "event"), (f"event '{t.event}' already belongs to step '{first}' "
                                     "(an event belongs to exactly one step)")


def steps_without_final(spec: Spec) -> Iterator[Finding]:
    """Steps whose every state has an outgoing transition."""
    for path, s in _step_paths(spec):
        if not s.finals:
            yield (*path, "states"), (f"step '{s.id}' has no final state (a state with no "
                                      "outgoing transition)")


def unreachable_states(spec: Spec) -> Iterator[Finding]:
    """States that no path of transitions reaches from the initial state."""
    for path, s in _step_paths(spec):
        named = {x for t in s.transitions for x in (*t.sources, t.dest)}
        if not named <= set(s.states):
            continue  # unknown states are reported by state_references; avoid the echo
        g: nx.DiGraph = nx.DiGraph()
        g.add_nodes_from(s.states)
        g.add_edges_from((src, t.dest) for t in s.transitions for src in t.sources)
        reach = nx.descendants(g, s.initial) | {s.initial}
        for k, state in enumerate(s.states):
            if state not in reach:
                yield (*path, "states", k), (f"state '{state}' of step '{s.id}' cannot be "
                                             f"reached from the initial state '{s.initial}'")


def guard_references(spec: Spec) -> Iterator[Finding]:
    """Roles, record kinds and steps that guards name but the spec does not define."""
    roles = list(spec.roles)
    recorded = set(spec.record_kinds)
    rec_known = sorted(recorded)
    steps = [s.id for s in spec.steps]

    def record(p: PathKey, kind: str) -> Iterator[Finding]:
        if kind not in recorded:
            yield p, (f"record kind '{kind}' is never recorded by any transition "
                      f"{known_list(rec_known)}{suggest(kind, rec_known)}")

    for path, _step, t in _transition_paths(spec):
        g = t.guard
        gp = (*path, "guard")
        for k, r in enumerate(g.role):
            if r not in spec.roles:
                yield ((*gp, "role", k) if len(g.role) > 1 else (*gp, "role")), \
                    _unknown("role", r, roles)
        for k, kind in enumerate(g.has):
            yield from record((*gp, "has", k), kind)
        if g.once_per_actor and not t.records:
            yield (*gp, "once_per_actor"), ("once_per_actor needs the transition to set "
                                            "'records' (the kind counted per actor)")
        if g.quorum is not None:
            if g.quorum.role not in spec.roles:
                yield (*gp, "quorum", "role"), _unknown("role", g.quorum.role, roles)
            yield from record((*gp, "quorum", "record"), g.quorum.record)
        if g.per_person is not None:
            if g.per_person.role not in spec.roles:
                yield (*gp, "per_person", "role"), _unknown("role", g.per_person.role, roles)
            yield from record((*gp, "per_person", "record"), g.per_person.record)
        for k, c in enumerate(g.children):
            if c not in spec.step_by_id:
                yield (*gp, "children", k), _unknown("step", c, steps)
        for k, kind in enumerate(t.clears):
            yield from record((*path, "clears", k), kind)


def kind_references(spec: Spec) -> Iterator[Finding]:
    """Unit kinds that map unknown roles or skip unknown steps."""
    roles = list(spec.roles)
    steps = [s.id for s in spec.steps]
    for kid, kind in spec.unit_kinds.items():
        base: PathKey = ("unit_kinds", kid)
        for r, targets in kind.role_map.items():
            if r not in spec.roles:
                yield (*base, "role_map", r), _unknown("role", r, roles)
            for t in targets:
                if t not in spec.roles:
                    yield (*base, "role_map", r), _unknown("role", t, roles)
        for k, s in enumerate(kind.skip):
            if s not in spec.step_by_id:
                yield (*base, "skip", k), _unknown("step", s, steps)


def record_titles(spec: Spec) -> Iterator[Finding]:
    """Titles given (top-level ``records``) for kinds no transition records."""
    recorded = spec.record_kinds
    for kind in spec.records:
        if kind not in recorded:
            yield ("records", kind), (f"record kind '{kind}' is never recorded by any "
                                      f"transition {known_list(recorded)}")


CHECKS = (duplicate_ids, unknown_after, after_cycles, state_references, events_in_two_steps,
          steps_without_final, unreachable_states, guard_references, kind_references,
          record_titles)


# --- warnings: legal but suspicious ---------------------------------------------------------

def unrequired_records(spec: Spec) -> Iterator[Finding]:
    """Record kinds that are recorded but that no guard ever asks for."""
    used: set[str] = set()
    for _s, t in spec.transitions():
        g = t.guard
        used.update(g.has)
        if g.quorum:
            used.add(g.quorum.record)
        if g.per_person:
            used.add(g.per_person.record)
        if g.once_per_actor and t.records:
            used.add(t.records)
    for path, _step, t in _transition_paths(spec):
        if t.records and t.records not in used:
            used.add(t.records)  # warn once per kind
            yield (*path, "records"), (f"record kind '{t.records}' is recorded but no guard "
                                       "requires it")


def stuck_steps(spec: Spec) -> Iterator[Finding]:
    """Steps that nobody can ever advance: nothing to do, or needs records only later steps make."""
    g: nx.DiGraph = nx.DiGraph()
    g.add_edges_from((a, s.id) for s in spec.steps for a in s.after)
    g.add_nodes_from(s.id for s in spec.steps)
    recorded_in: dict[str, set[str]] = {}
    for s, t in spec.transitions():
        if t.records:
            recorded_in.setdefault(t.records, set()).add(s.id)
    for path, s in _step_paths(spec):
        if not s.transitions:
            yield (*path, "transitions"), f"step '{s.id}' has no transitions: it is done at once"
            continue
        later = nx.descendants(g, s.id)
        first = [t for t in s.transitions if s.initial in t.sources]
        if first and all(any(recorded_in.get(k, set()) <= later for k in t.guard.has)
                         for t in first):
            yield (*path, "transitions"), (
                f"step '{s.id}' can never leave '{s.initial}': its transitions need records "
                "that only later steps make")


def dates_outside_windows(spec: Spec) -> Iterator[Finding]:
    """`due` dates outside their phase's window or the campaign period; not_before after due."""
    for path, step, t in _transition_paths(spec):
        phase = spec.phase_of_step[step.id]
        if t.due is not None:
            w = phase.window
            if w is not None and not (w.start <= t.due <= w.end):
                yield (*path, "due"), (f"due {t.due} is outside the window of phase "
                                       f"'{phase.id}' ({w.start} to {w.end})")
            elif spec.period is not None and not (spec.period.start <= t.due <= spec.period.end):
                yield (*path, "due"), f"due {t.due} is outside the campaign period"
            if t.guard.not_before is not None and t.guard.not_before > t.due:
                yield (*path, "guard", "not_before"), (
                    f"not_before {t.guard.not_before} is after due {t.due}: it is always late")


WARNINGS = (unrequired_records, stuck_steps, dates_outside_windows)


def _run(spec: Spec, reader: Reader, checks: tuple[object, ...]) -> list[Problem]:
    out: list[Problem] = []
    for check in checks:
        for path, message in check(spec):  # type: ignore[operator]
            out.append(reader.doc.problem(path, message))
    return out


def link(spec: Spec, reader: Reader) -> list[Problem]:
    """Every reference, cycle and reachability problem of `spec`, in document order."""
    return sorted(_run(spec, reader, CHECKS), key=lambda p: p.line or 0)


def lint(spec: Spec, reader: Reader) -> list[Problem]:
    """Warnings: legal but suspicious parts of `spec`, in document order."""
    return sorted(_run(spec, reader, WARNINGS), key=lambda p: p.line or 0)
