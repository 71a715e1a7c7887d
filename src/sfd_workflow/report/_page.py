"""The content of a report page, read from a judged `Runtime`, already in the chosen language.

Where a unit stands comes from the diagrams' progress (`all_progress`: status per step, late
and past-due flags, and what an active step still lacks, in the sentences of
``Runtime.explain``), so the page, the pictures and ``explain`` say the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from sfd_workflow._spec._model import Spec, Step, Unit
from sfd_workflow.diagrams._critical import critical_path
from sfd_workflow.diagrams._labels import in_lang, window_words
from sfd_workflow.diagrams._progress import UnitProgress, unit_stage
from sfd_workflow.report._words import status_word, text_in, word

__all__ = ["GroupRow", "StepRow", "UnitPanel", "UnitRow", "group_rows", "step_rows",
           "unit_panel", "unit_row"]


@attrs.frozen(kw_only=True)
class StepRow:
    """One step at a glance: counts of units by status, late and past-due counts."""

    number: int
    id: str
    title: str
    phase: str
    window: str
    due: str
    counts: Mapping[str, int]
    late: int
    overdue: int
    critical: bool


@attrs.frozen(kw_only=True)
class GroupRow:
    """Progress of a group of units (one parent organisation, or one kind)."""

    name: str
    units: int
    all_done: int
    started: int
    not_started: int
    late: int
    steps_done: int
    steps_total: int

    @property
    def percent(self) -> int:
        """Steps done out of the steps that apply, in per cent."""
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0


@attrs.frozen(kw_only=True)
class UnitRow:
    """One unit in the table."""

    id: str
    name: str
    kind: str
    kind_title: str
    parent: str
    parent_name: str
    done: int
    applicable: int
    current: tuple[str, ...]
    flags: tuple[str, ...]
    late: bool
    last_at: str
    last_event: str


@attrs.frozen(kw_only=True)
class StepLine:
    """One step of one unit in its panel."""

    number: int
    title: str
    status: str
    status_word: str
    state: str
    flags: tuple[str, ...]
    waits_for: tuple[str, ...]
    lacks: tuple[str, ...]


@attrs.frozen(kw_only=True)
class UnitPanel:
    """Everything the page says about one unit."""

    row: UnitRow
    steps: tuple[StepLine, ...]
    records: tuple[tuple[str, int, int, str], ...]  # record title, count, people, last
    history: tuple[tuple[str, int, int, str, str], ...]  # event, count, late, first, last
    recent: tuple[tuple[str, str, str, bool], ...]  # at, event, actor, late
    can_act: tuple[tuple[str, str], ...] = ()  # person, the events they could fire now


def _when(at: dt.datetime | None) -> str:
    return "" if at is None else at.strftime("%Y-%m-%d %H:%M")


def _unit_name(unit: Unit | None, lang: str) -> str:
    if unit is None:
        return ""
    return text_in(unit.title, lang, unit.id)


def _step_name(spec: Spec, step: Step, lang: str) -> str:
    return f"{spec.steps.index(step) + 1}. {text_in(step.title, lang)}"


def _event_title(spec: Spec, event: str, lang: str) -> str:
    step = spec.step_of_event.get(event)
    if step is None:
        return event
    titles = [t.title for t in step.transitions if t.event == event and t.title is not None]
    return text_in(titles[0], lang) if titles else event


def step_rows(spec: Spec, progress: Mapping[str, UnitProgress], lang: str) -> list[StepRow]:
    """Every step with its dates, units per status, late counts and the critical path."""
    try:
        critical = set(critical_path(spec))
    except ValueError:  # a cycle: the linker refuses those, so only a hand-made spec
        critical = set()
    rows = []
    for i, step in enumerate(spec.steps, 1):
        counts: Counter[str] = Counter()
        late = overdue = 0
        for p in progress.values():
            s = p.steps[step.id]
            counts[s.status] += 1
            late += s.late
            overdue += s.overdue
        dues = [t.due for t in step.transitions if t.due is not None]
        phase = spec.phase_of_step[step.id]
        rows.append(StepRow(
            number=i, id=step.id, title=text_in(step.title, lang),
            phase=text_in(phase.title, lang), window=window_words(phase.window, lang),
            due=max(dues).isoformat() if dues else "", counts=dict(counts), late=late,
            overdue=overdue, critical=step.id in critical))
    return rows


def group_rows(spec: Spec, units: Sequence[Unit], progress: Mapping[str, UnitProgress],
               by: str, lang: str, names: Mapping[str, Unit]) -> list[GroupRow]:
    """Progress grouped ``by`` ``parent`` (organisation) or ``kind``, in roster order."""
    groups: dict[str, list[str]] = defaultdict(list)
    for u in units:
        key = u.kind if by == "kind" else (u.parent or "")
        groups[key].append(u.id)
    rows = []
    for key, ids in groups.items():
        ps = [progress[i] for i in ids]
        if by == "kind":
            name = text_in(spec.unit_kinds[key].title, lang)
        else:
            name = _unit_name(names.get(key), lang) if key else word("no_parent", lang)
        stages = Counter(unit_stage(spec, p) for p in ps)
        rows.append(GroupRow(
            name=name, units=len(ps), all_done=stages["done"], started=stages["active"],
            not_started=stages["blocked"], late=sum(1 for p in ps if p.late),
            steps_done=sum(p.done for p in ps), steps_total=sum(p.applicable for p in ps)))
    return rows


def unit_row(spec: Spec, unit: Unit, p: UnitProgress, names: Mapping[str, Unit],
             last: tuple[dt.datetime, str] | None, lang: str) -> UnitRow:
    """The table row of one unit."""
    current = []
    flags = []
    for step in spec.steps:
        s = p.steps[step.id]
        if s.status == "active":
            state = text_in(step.state_title(s.state), lang)
            current.append(f"{_step_name(spec, step, lang)} ({state})" if lang == "en"
                           else f"{_step_name(spec, step, lang)}（{state}）")
        for flag in ("late", "overdue"):
            if getattr(s, flag):
                flags.append(f"{spec.steps.index(step) + 1}. {status_word(flag, lang)}")
    parent = names.get(unit.parent) if unit.parent else None
    return UnitRow(
        id=unit.id, name=_unit_name(unit, lang), kind=unit.kind,
        kind_title=text_in(spec.unit_kinds[unit.kind].title, lang),
        parent=unit.parent or "", parent_name=_unit_name(parent, lang),
        done=p.done, applicable=p.applicable, current=tuple(current), flags=tuple(flags),
        late=p.late, last_at=_when(last[0]) if last else "",
        last_event=_event_title(spec, last[1], lang) if last else "")


def unit_panel(spec: Spec, row: UnitRow, p: UnitProgress, rt: Any,
               entries: Sequence[Mapping[str, Any]], lang: str,
               at: dt.datetime | None) -> UnitPanel:
    """The detail panel of one unit: `entries` are its accepted events (with ``late``);
    who could act at `at` comes from ``Runtime.available``."""
    steps = []
    for step in spec.steps:
        s = p.steps[step.id]
        steps.append(StepLine(
            number=spec.steps.index(step) + 1, title=text_in(step.title, lang),
            status=s.status, status_word=status_word(s.status, lang),
            state=text_in(step.state_title(s.state), lang),
            flags=tuple(status_word(f, lang) for f in ("late", "overdue") if getattr(s, f)),
            waits_for=tuple(_step_name(spec, spec.step_by_id[a], lang) for a in s.waiting_for),
            lacks=tuple(in_lang(zh, en, lang) for zh, en in s.needs)))
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for rec in rt.records(row.id):
        by_kind[rec.kind].append(rec)
    records = tuple(
        (text_in(spec.record_title(k), lang), len(rs), len({r.actor for r in rs}),
         _when(max(r.at for r in rs)))
        for k, rs in by_kind.items())
    by_event: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for e in entries:
        by_event[str(e["event"])].append(e)
    history = tuple(
        (_event_title(spec, ev, lang), len(es), sum(1 for e in es if e["late"]),
         _when(es[0]["at"]), _when(es[-1]["at"]))
        for ev, es in by_event.items())
    recent = tuple((_when(e["at"]), _event_title(spec, str(e["event"]), lang),
                    str(e["actor"]), bool(e["late"])) for e in reversed(entries[-5:]))
    sep = ", " if lang == "en" else "、"
    can_act = []
    for person in rt.roster.by_id[row.id].people:
        events = rt.available(row.id, person.id, at=at)
        if events:
            name = text_in(person.title, lang, person.id)
            can_act.append((name, sep.join(_event_title(spec, e, lang) for e in events)))
    return UnitPanel(row=row, steps=tuple(steps), records=records, history=history,
                     recent=recent, can_act=tuple(can_act))
