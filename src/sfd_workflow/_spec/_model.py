"""The neutral model of a format-1 workflow spec (docs/format.md §1) and roster (§2).

Frozen attrs classes. Field validators are not used for cross-references: those belong to
the linker (`_linker.py`), which reports them with file, path and line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

import attrs

from ..errors import Problem

__all__ = [
    "Guard",
    "PerPerson",
    "Person",
    "Phase",
    "Quorum",
    "Roster",
    "Spec",
    "Step",
    "Text",
    "Transition",
    "Unit",
    "UnitKind",
    "Window",
]


def _text_map(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@attrs.frozen
class Text:
    """A text in one or more languages: ``Text({"zh": "学习调研", "en": "Study"})``."""

    by_lang: Mapping[str, str] = attrs.field(converter=_text_map)

    @classmethod
    def of(cls, value: str | Mapping[str, str]) -> Text:
        """A text from a plain string (language ``""``) or a language map."""
        return cls({"": value} if isinstance(value, str) else value)

    def get(self, lang: str = "zh") -> str:
        """The text in `lang`, else in Chinese, else English, else any language."""
        for key in (lang, "zh", "en", ""):
            if key in self.by_lang:
                return self.by_lang[key]
        return next(iter(self.by_lang.values()))

    def both(self, sep: str = " / ") -> str:
        """Chinese and English side by side where both exist."""
        zh, en = self.by_lang.get("zh"), self.by_lang.get("en")
        if zh and en:
            return f"{zh}{sep}{en}"
        return self.get()

    def to_document(self) -> str | dict[str, str]:
        """The text as written in a spec."""
        if set(self.by_lang) == {""}:
            return self.by_lang[""]
        return dict(self.by_lang)

    def __str__(self) -> str:
        return self.get()


@attrs.frozen(kw_only=True)
class Window:
    """Planned dates (inclusive) of a phase or the whole campaign.

    With ``flag`` set, an accepted event outside these dates is flagged
    ``outside_window`` (never refused).
    """

    start: dt.date
    end: dt.date
    flag: bool = False


@attrs.frozen(kw_only=True)
class Quorum:
    """``quorum: {record, role, at_least}``: distinct holders of a live record among a role."""

    record: str
    role: str
    at_least: int | float | str  # an integer, a fraction 0<x<1, "majority" or "all"

    def needed(self, n: int) -> int:
        """How many distinct people are needed when `n` people hold the role (docs/format.md §1)."""
        q = self.at_least
        if q == "majority":
            return n // 2 + 1
        if q == "all":
            return n
        if isinstance(q, float):
            # ceil without float surprises for exact products, e.g. 0.5 * 4
            whole = q * n
            return int(whole) if whole == int(whole) else int(whole) + 1
        assert isinstance(q, int)
        return q


@attrs.frozen(kw_only=True)
class PerPerson:
    """``per_person: {record, field, role, at_least}``: a per-person sum of a payload field."""

    record: str
    field: str
    role: str
    at_least: float


@attrs.frozen(kw_only=True)
class Guard:
    """The guard of a transition; every key given must hold (docs/format.md §1)."""

    role: tuple[str, ...] = ()
    not_before: dt.date | None = None
    has: tuple[str, ...] = ()
    once_per_actor: bool = False
    fields: tuple[str, ...] = ()
    quorum: Quorum | None = None
    per_person: PerPerson | None = None
    children: tuple[str, ...] = ()
    custom: tuple[str, ...] = ()
    #: titles of payload fields written as ``{id: f, title: …}`` in ``fields`` (extension);
    #: presentation only, so not part of equality (a guard judges the same without them)
    field_titles: Mapping[str, Text] = attrs.field(factory=dict, eq=False)


@attrs.frozen(kw_only=True)
class Transition:
    """One transition of a step: ``event`` moves ``sources`` to ``dest`` when ``guard`` holds."""

    event: str
    sources: tuple[str, ...]
    dest: str
    guard: Guard = Guard()
    records: str | None = None
    clears: tuple[str, ...] = ()
    due: dt.date | None = None
    title: Text | None = None
    cites: tuple[str, ...] = ()
    path: str = ""  # where it stands in its document, e.g. phases[1].steps[0].transitions[2]


@attrs.frozen(kw_only=True)
class Step:
    """A step: its own little state machine, open once the steps in ``after`` are complete."""

    id: str
    title: Text
    after: tuple[str, ...]
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]
    description: Text | None = None
    cites: tuple[str, ...] = ()
    phase: str = ""
    path: str = ""
    #: titles of states written as ``{id: s, title: …}`` in ``states`` (extension)
    state_titles: Mapping[str, Text] = attrs.field(factory=dict)

    def state_title(self, state: str) -> Text:
        """The title of one of its states (extension), else its id."""
        return self.state_titles.get(state) or Text({"": state})

    @property
    def initial(self) -> str:
        """The first state, where every unit starts."""
        return self.states[0]

    @cached_property
    def finals(self) -> frozenset[str]:
        """The states with no outgoing transition."""
        left = {s for t in self.transitions for s in t.sources}
        return frozenset(s for s in self.states if s not in left)

    @cached_property
    def events(self) -> tuple[str, ...]:
        """The event names of this step, in document order, each once."""
        return tuple(dict.fromkeys(t.event for t in self.transitions))


@attrs.frozen(kw_only=True)
class Phase:
    """A phase: a titled group of steps, with optional planned dates."""

    id: str
    title: Text
    steps: tuple[Step, ...]
    window: Window | None = None
    description: Text | None = None
    cites: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class UnitKind:
    """A kind of unit, with its role mapping (R18) and the steps it skips (R24)."""

    id: str
    title: Text
    role_map: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    skip: tuple[str, ...] = ()
    description: Text | None = None
    cites: tuple[str, ...] = ()

    def accepted_roles(self, role: str) -> frozenset[str]:
        """The roster roles that give a person the effective role `role` in this kind."""
        return frozenset((role, *self.role_map.get(role, ())))


@attrs.frozen(kw_only=True)
class Spec:
    """A whole workflow, loaded and linked."""

    format: str
    id: str
    title: Text
    roles: Mapping[str, Text]
    unit_kinds: Mapping[str, UnitKind]
    phases: tuple[Phase, ...]
    timezone: str = "Asia/Shanghai"
    period: Window | None = None
    records: Mapping[str, Text] = attrs.field(factory=dict)
    description: Text | None = None
    source: str = "<spec>"
    document: Mapping[str, object] = attrs.field(factory=dict, eq=False, repr=False)
    warnings: tuple[Problem, ...] = attrs.field(default=(), eq=False, repr=False)

    @cached_property
    def steps(self) -> tuple[Step, ...]:
        """Every step, in document order."""
        return tuple(s for p in self.phases for s in p.steps)

    @cached_property
    def step_by_id(self) -> Mapping[str, Step]:
        """Steps by id."""
        return {s.id: s for s in self.steps}

    @cached_property
    def step_of_event(self) -> Mapping[str, Step]:
        """The step each event belongs to."""
        return {e: s for s in self.steps for e in s.events}

    @cached_property
    def phase_of_step(self) -> Mapping[str, Phase]:
        """The phase each step belongs to."""
        return {s.id: p for p in self.phases for s in p.steps}

    @cached_property
    def record_kinds(self) -> tuple[str, ...]:
        """Every record kind some transition records, in document order."""
        return tuple(
            dict.fromkeys(t.records for s in self.steps for t in s.transitions if t.records)
        )

    def transitions(self) -> Iterator[tuple[Step, Transition]]:
        """Every (step, transition) in document order."""
        for s in self.steps:
            for t in s.transitions:
                yield s, t

    def record_title(self, kind: str) -> Text:
        """The title of a record kind (from the optional ``records`` map), else its id."""
        return self.records.get(kind) or Text({"": kind})

    def role_title(self, role: str) -> Text:
        """The title of a role."""
        return self.roles.get(role) or Text({"": role})

    @cached_property
    def field_titles(self) -> Mapping[str, Text]:
        """Titles of payload fields given in guards' ``fields`` (extension); the first
        title written for a field wins."""
        out: dict[str, Text] = {}
        for _, t in self.transitions():
            for name, title in t.guard.field_titles.items():
                out.setdefault(name, title)
        return out

    def field_title(self, name: str) -> Text:
        """The title of a payload field (extension), else its name."""
        return self.field_titles.get(name) or Text({"": name})


@attrs.frozen(kw_only=True)
class Person:
    """A person of a unit, with roster roles."""

    id: str
    roles: tuple[str, ...]
    title: Text | None = None


@attrs.frozen(kw_only=True)
class Unit:
    """A party organisation of the roster."""

    id: str
    kind: str
    people: tuple[Person, ...]
    parent: str | None = None
    title: Text | None = None


@attrs.frozen(kw_only=True)
class Roster:
    """The units a runtime judges events of (docs/format.md §2)."""

    units: tuple[Unit, ...]
    source: str = "<roster>"
    #: Legal but suspicious parts found when loading (look-alike ids), in document order.
    warnings: tuple[Problem, ...] = attrs.field(default=(), eq=False, repr=False)

    @cached_property
    def by_id(self) -> Mapping[str, Unit]:
        """Units by id."""
        return {u.id: u for u in self.units}

    @cached_property
    def children(self) -> Mapping[str, tuple[str, ...]]:
        """Child unit ids of each unit id (units naming it as parent), in roster order."""
        out: dict[str, list[str]] = {}
        for u in self.units:
            if u.parent is not None:
                out.setdefault(u.parent, []).append(u.id)
        return {k: tuple(v) for k, v in out.items()}

    def __len__(self) -> int:
        return len(self.units)

    def to_document(self) -> dict[str, Any]:
        """The roster as a docs/format.md §2 document, which `roster_from_document` reads back."""
        units = []
        for u in self.units:
            doc: dict[str, Any] = {"id": u.id, "kind": u.kind}
            if u.parent is not None:
                doc["parent"] = u.parent
            if u.title is not None:
                doc["title"] = u.title.to_document()
            people = []
            for p in u.people:
                person: dict[str, Any] = {"id": p.id, "roles": list(p.roles)}
                if p.title is not None:
                    person["title"] = p.title.to_document()
                people.append(person)
            doc["people"] = people
            units.append(doc)
        return {"units": units}
