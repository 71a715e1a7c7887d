"""Extractors of the views that need a runtime: one unit's position, the unit hierarchy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfd_workflow._graph import unit_graph
from sfd_workflow._spec._model import Roster, Spec, Unit
from sfd_workflow.diagrams._ir import Cell, Cluster, Edge, Graph, Line, Node, Style
from sfd_workflow.diagrams._labels import (
    COLOURS,
    PHASE_FILLS,
    Ids,
    in_lang,
    phase_heading,
    step_number,
    wrap,
)
from sfd_workflow.diagrams._progress import StepStatus, UnitProgress, unit_stage
from sfd_workflow.diagrams._views import _COLUMNS, _langs, _step_heading, _title, phase_order_edges
from sfd_workflow.diagrams._words import check_lang, text_lines

__all__ = ["STATUS_WORDS", "progress_graph", "unit_graph_view"]

STATUS_WORDS = {
    "zh": {"done": "已完成", "active": "进行中", "blocked": "未开启", "skipped": "不适用",
           "late": "逾期办理", "overdue": "已过期限"},
    "en": {"done": "done", "active": "in progress", "blocked": "not open yet",
           "skipped": "does not apply", "late": "done late", "overdue": "past due"},
}
_FILL = {"done": COLOURS["done"], "active": COLOURS["active"], "blocked": COLOURS["blocked"],
         "skipped": COLOURS["skipped"]}


def _status_style(s: StepStatus) -> Style:
    pairs = {"fillcolor": _FILL[s.status], "color": COLOURS["border"]}
    if s.status == "skipped":
        pairs.update(style="rounded,filled,dashed", fontcolor=COLOURS["muted"],
                     color=COLOURS["muted"])
    if s.late or s.overdue:
        pairs.update(color=COLOURS["late"], penwidth="3")
    return Style(pairs)


def _status_lines(spec: Spec, s: StepStatus, lang: str) -> list[Line]:
    out: list[Line] = []
    for one in _langs(lang):
        w = STATUS_WORDS[one]
        head = w[s.status]
        if s.status in ("active", "blocked", "done"):
            state = spec.step_by_id[s.step].state_title(s.state).get(one)
            head += f" · {state}" if one == "en" else f"（{state}）"
        flags = [w[k] for k in ("late", "overdue") if getattr(s, k)]
        out.append(Line(head, "small", bold=True))
        if flags:
            out.append(Line(" · ".join(flags), "small", bold=True))
        if s.waiting_for:
            names = ("、" if one == "zh" else ", ").join(
                f"{step_number(spec, spec.step_by_id[a])}. {spec.step_by_id[a].title.get(one)}"
                for a in s.waiting_for
            )
            words = f"等待：{names}" if one == "zh" else f"waits for: {names}"
            out += [Line(x, "small") for x in wrap(words, _COLUMNS[one])]
        for zh, en in s.needs[:4]:
            text = zh if one == "zh" else en
            out += [Line(("· " if i == 0 else "  ") + x, "small")
                    for i, x in enumerate(wrap(text, _COLUMNS[one]))]
        if len(s.needs) > 4:
            more = len(s.needs) - 4
            out.append(Line(f"……另有{more}项" if one == "zh" else f"… {more} more", "small"))
    return out


def _legend(lang: str, keys: tuple[str, ...] = ("done", "active", "blocked", "skipped"),
            ) -> tuple[tuple[str, Style], ...]:
    zh, en = STATUS_WORDS["zh"], STATUS_WORDS["en"]
    out = tuple((in_lang(zh[k], en[k], lang), Style.of(fillcolor=_FILL[k])) for k in keys)
    late = in_lang(f"{zh['late']}、{zh['overdue']}", f"{en['late']}, {en['overdue']}", lang)
    return (*out, (late, Style.of(fillcolor="white", color=COLOURS["late"])))


def unit_graph_view(spec: Spec, roster: Roster, progress: UnitProgress, *,
                    lang: str = "zh") -> Graph:
    """One unit's position: each step coloured by status, with its current state, what a
    blocked step waits for, what an active step still needs, late steps outlined in red."""
    check_lang(lang)
    ids = Ids()
    clusters, nodes = [], []
    for i, phase in enumerate(spec.phases):
        cid = ids("phase", phase.id)
        clusters.append(Cluster(
            id=cid, label=tuple(phase_heading(spec, phase, lang)),
            style=Style.of(style="filled,rounded", fillcolor=PHASE_FILLS[i % len(PHASE_FILLS)],
                           color="#8899aa"),
        ))
        for step in phase.steps:
            s = progress.steps[step.id]
            label = _step_heading(spec, step, lang) + _status_lines(spec, s, lang)
            nodes.append(Node(id=ids("step", step.id), label=tuple(label), cluster=cid,
                              style=_status_style(s), kind=s.status))
    edges = [Edge(source=ids("step", a), target=ids("step", step.id), kind="after")
             for step in spec.steps for a in step.after]
    edges += phase_order_edges(spec, ids)
    unit = roster.by_id[progress.unit]
    name = unit.title.get("en" if lang == "en" else "zh") if unit.title else unit.id
    kind = spec.unit_kinds[unit.kind].title
    done = f"{progress.done}/{progress.applicable}"
    return Graph(
        name=f"{spec.id}-unit-{unit.id}",
        title=_title(spec, lang, f"{name}（{kind.get('zh')}）完成 {done} 个环节",
                     f"{name} ({kind.get('en')}): {done} steps done"),
        nodes=tuple(nodes), edges=tuple(edges), clusters=tuple(clusters), direction="LR",
        legend=_legend(lang),
    )


def _unit_fill(spec: Spec, p: UnitProgress) -> str:
    return _FILL[unit_stage(spec, p)]


def _unit_node(spec: Spec, unit: Unit, p: UnitProgress, node_id: str, lang: str) -> Node:
    name = unit.title.get("en" if lang == "en" else "zh") if unit.title else unit.id
    kind = spec.unit_kinds[unit.kind].title
    label = [Line(name, "body", bold=True), Line(unit.id, "small")]
    for one in _langs(lang):
        label.append(Line(f"{kind.get(one)} · "
                          + (f"完成 {p.done}/{p.applicable}" if one == "zh"
                             else f"{p.done}/{p.applicable} done"), "small"))
        active = [
            f"{step_number(spec, spec.step_by_id[sid])}. {spec.step_by_id[sid].title.get(one)}"
            for sid, s in p.steps.items() if s.status == "active"
        ]
        if active:
            words = ("进行中：" if one == "zh" else "working on: ") + (
                "、" if one == "zh" else ", ").join(active)
            label += [Line(x, "small") for x in wrap(words, _COLUMNS[one])]
    pairs = {"fillcolor": _unit_fill(spec, p), "color": COLOURS["border"]}
    if p.late:
        pairs.update(color=COLOURS["late"], penwidth="3")
    return Node(id=node_id, label=tuple(label), style=Style(pairs), kind="unit")


def _district_node(spec: Spec, node_id: str, lang: str) -> Node:
    titles = text_lines(spec.title, lang)
    return Node(id=node_id, label=tuple(Line(x, "body", bold=True)
                                        for x in wrap(titles[0], 2 * _COLUMNS["zh"])),
                style=Style.of(shape="box", fillcolor="#dde6f0"), kind="district")


def progress_graph(spec: Spec, roster: Roster, progress: Mapping[str, UnitProgress], *,
                   lang: str = "zh", grouped: bool = False) -> Graph:
    """The unit hierarchy (``unit_graph``) under the district, each unit coloured by progress.

    A unit is green when every step that applies to it is done, yellow once it has started
    (some step left its initial state), grey before; a red outline marks a late or overdue
    step. Each unit says how many steps it has done and which it is working on.

    `grouped` (for a district of a hundred units or more): the units that have no units
    under them are gathered by parent and kind into one box each, with the counts of done,
    started, not started and late units, the first late unit ids, and a grid of one small
    square per unit (in roster order) coloured the same way, holding its number of done
    steps; units with units under them keep their own box.
    """
    check_lang(lang)
    graph = unit_graph(roster)
    ids = Ids()
    root = ids("district")
    nodes = [_district_node(spec, root, lang)]
    edges = []
    if not grouped:
        for unit in roster.units:
            nodes.append(_unit_node(spec, unit, progress[unit.id], ids("unit", unit.id), lang))
        for unit in roster.units:
            parents = list(graph.predecessors(unit.id))
            source = ids("unit", parents[0]) if parents else root
            edges.append(Edge(source=source, target=ids("unit", unit.id), kind="parent"))
    else:
        nodes_, edges = _grouped(spec, roster, progress, graph, ids, root, lang)
        nodes += nodes_
    how = ("，按上级与类别分组", ", grouped by parent and kind") if grouped else ("", "")
    legend = _legend(lang, ("done", "active", "blocked"))
    if grouped:
        legend += ((in_lang("格内数字：已完成环节数", "number in a square: steps done", lang),
                    Style.of(fillcolor="white")),)
    return Graph(
        name=f"{spec.id}-progress",
        title=_title(spec, lang, f"各单位进度（{len(roster.units)} 个单位{how[0]}）",
                     f"progress of {len(roster.units)} units{how[1]}"),
        nodes=tuple(nodes), edges=tuple(edges), direction="LR", legend=legend,
    )


def _grouped(spec: Spec, roster: Roster, progress: Mapping[str, UnitProgress], graph: Any,
             ids: Ids, root: str, lang: str) -> tuple[list[Node], list[Edge]]:
    parents = [u for u in roster.units if graph.out_degree(u.id)]
    groups: dict[tuple[str | None, str], list[Unit]] = {}
    for u in roster.units:
        if graph.out_degree(u.id):
            continue
        above = list(graph.predecessors(u.id))
        groups.setdefault((above[0] if above else None, u.kind), []).append(u)
    nodes = [_unit_node(spec, u, progress[u.id], ids("unit", u.id), lang) for u in parents]
    edges = []
    for u in parents:
        above = list(graph.predecessors(u.id))
        edges.append(Edge(source=ids("unit", above[0]) if above else root,
                          target=ids("unit", u.id), kind="parent"))
    for (parent, kind), members in groups.items():
        gid = ids("group", parent or "district", kind)
        nodes.append(_group_node(spec, kind, members, progress, gid, lang))
        edges.append(Edge(source=ids("unit", parent) if parent else root, target=gid,
                          kind="parent"))
    return nodes, edges


GROUP_COLUMNS = 20  # squares to a row in a group's grid
_LATE_NAMED = 3  # late units named in a group's box


def _group_node(spec: Spec, kind: str, members: list[Unit],
                progress: Mapping[str, UnitProgress], node_id: str, lang: str) -> Node:
    states = [unit_stage(spec, progress[u.id]) for u in members]
    late = [u.id for u in members if progress[u.id].late]
    title = spec.unit_kinds[kind].title
    label: list[Line] = []
    for i, one in enumerate(_langs(lang)):
        w = STATUS_WORDS[one]
        head = (f"{title.get(one)} · {len(members)} 个" if one == "zh"
                else f"{title.get(one)} · {len(members)} units")
        label.append(Line(head, "body" if i == 0 else "small", bold=i == 0))
        parts = [f"{w[k]} {states.count(k)}" for k in ("done", "active", "blocked")
                 if states.count(k)]
        if late:
            parts.append(f"{w['late']} / {w['overdue']} {len(late)}")
        label.append(Line(" · ".join(parts), "small", bold=True))
        if late:
            named = ("、" if one == "zh" else ", ").join(late[:_LATE_NAMED])
            more = len(late) - _LATE_NAMED
            if more > 0:
                named += f" 等 {len(late)} 个" if one == "zh" else f" and {more} more"
            words = (f"逾期：{named}" if one == "zh" else f"late: {named}")
            label += [Line(x, "small") for x in wrap(words, 2 * _COLUMNS[one])]
    cells = tuple(
        Cell(str(progress[u.id].done), _FILL[state], late=progress[u.id].late)
        for u, state in zip(members, states, strict=True)
    )
    return Node(id=node_id, label=tuple(label), grid=cells,
                grid_columns=min(GROUP_COLUMNS, len(cells)),
                style=Style.of(color=COLOURS["border"], fillcolor="white"), kind="group")
