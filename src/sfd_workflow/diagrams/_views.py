"""Extractors of the views that need only a spec: overview, machine, dependencies.

Each returns an IR `Graph`; nothing here knows DOT or Graphviz.
"""

from __future__ import annotations

from collections.abc import Mapping

from sfd_workflow._spec._model import Spec, Step, UnitKind
from sfd_workflow.diagrams._critical import critical_path, step_weights, weight_mode
from sfd_workflow.diagrams._ir import Cluster, Edge, Graph, Line, Node, Style
from sfd_workflow.diagrams._labels import (
    COLOURS,
    PHASE_FILLS,
    Ids,
    lines,
    muted,
    phase_heading,
    step_number,
)
from sfd_workflow.diagrams._words import (
    check_lang,
    date_words,
    guard_words,
    role_words,
    text_lines,
)

__all__ = ["StepCounts", "acting_roles", "dependencies_graph", "machine_graph", "overview_graph"]

# The counts drawn on a step of the overview (cohort overlay): how many units are
# in it now, how many have completed it, how many wait for it, how many skip it.
StepCounts = Mapping[str, Mapping[str, int]]
_COUNT_WORDS = {
    "zh": {"active": "进行中", "done": "已完成", "waiting": "未开始", "skipped": "不适用"},
    "en": {"active": "active", "done": "done", "waiting": "waiting", "skipped": "skipped"},
}


def acting_roles(step: Step) -> tuple[str, ...]:
    """The roles named by the guards of a step's transitions, in document order, each once."""
    return tuple(dict.fromkeys(r for t in step.transitions for r in t.guard.role))


def _roles_line(spec: Spec, step: Step, lang: str, kind: UnitKind | None = None) -> list[Line]:
    roles = acting_roles(step)
    out = []
    for one in ("zh", "en") if lang == "both" else (lang,):
        if roles:
            words = role_words(spec, roles, one, kind=kind).replace(
                "或" if one == "zh" else " or ", " · "
            )
        else:
            words = "任何成员" if one == "zh" else "any member"
        out.append(Line(words, "small"))
    return out


def _counts_line(counts: Mapping[str, int], lang: str) -> list[Line]:
    out = []
    for one in ("zh", "en") if lang == "both" else (lang,):
        words = _COUNT_WORDS[one]
        parts = [f"{words[k]} {counts[k]}" for k in ("active", "done", "waiting", "skipped")
                 if counts.get(k)]
        if parts:
            out.append(Line(" · ".join(parts), "small", bold=True))
    return out


def _title(spec: Spec, lang: str, view_zh: str, view_en: str) -> tuple[Line, ...]:
    titles = text_lines(spec.title, lang)
    view = {"zh": view_zh, "en": view_en, "both": f"{view_zh} / {view_en}"}[lang]
    return (Line(f"{titles[0]}：{view}" if lang != "en" else f"{titles[0]}: {view}", "title"),
            *(Line(t, "small") for t in titles[1:]))


def _count_fill(counts: Mapping[str, int]) -> str:
    if counts.get("active"):
        return COLOURS["active"]
    if counts.get("done") and not counts.get("waiting"):
        return COLOURS["done"]
    return "white"


def overview_graph(spec: Spec, *, lang: str = "zh", counts: StepCounts | None = None) -> Graph:
    """Phases as numbered clusters with their windows; steps with titles, roles, dependencies.

    Args:
        spec: the workflow.
        lang: ``zh``, ``en`` or ``both``.
        counts: optional cohort overlay: step id -> {"active"|"done"|"waiting"|"skipped": n}.
    """
    check_lang(lang)
    ids = Ids()
    clusters, nodes, edges = [], [], []
    for i, phase in enumerate(spec.phases):
        cid = ids("phase", phase.id)
        fill = PHASE_FILLS[i % len(PHASE_FILLS)]
        clusters.append(
            Cluster(id=cid, label=tuple(phase_heading(spec, phase, lang)),
                    style=Style.of(style="filled,rounded", fillcolor=fill, color="#8899aa"))
        )
        for step in phase.steps:
            label = lines(
                tuple(f"{step_number(spec, step)}. {t}" if j == 0 else t
                      for j, t in enumerate(text_lines(step.title, lang))),
                "body", bold=True,
            )
            label += _roles_line(spec, step, lang)
            style = Style.of(color=COLOURS["border"])
            if counts is not None:
                c = counts.get(step.id, {})
                label += _counts_line(c, lang)
                style = Style.of(color=COLOURS["border"], fillcolor=_count_fill(c))
            nodes.append(Node(id=ids("step", step.id), label=tuple(label), cluster=cid,
                              style=style, kind="step"))
    for step in spec.steps:
        for before in step.after:
            edges.append(Edge(source=ids("step", before), target=ids("step", step.id)))
    legend: tuple[tuple[str, Style], ...] = ()
    if counts is not None:
        w = _COUNT_WORDS["en" if lang == "en" else "zh"]
        legend = (
            (w["active"], Style.of(fillcolor=COLOURS["active"])),
            (w["done"], Style.of(fillcolor=COLOURS["done"])),
            (w["waiting"], Style.of(fillcolor="white")),
        )
    return Graph(
        name=f"{spec.id}-overview",
        title=_title(spec, lang, "总览", "overview"),
        nodes=tuple(nodes), edges=tuple(edges), clusters=tuple(clusters),
        direction="LR", legend=legend,
    )


def _edge_label(spec: Spec, step: Step, index: int, kind: UnitKind, lang: str) -> list[Line]:
    t = step.transitions[index]
    title = text_lines(t.title, lang) if t.title is not None else (t.event,)
    out = [Line(title[0], "small", bold=True), *(Line(x, "small") for x in title[1:])]
    words = guard_words(t, spec, lang, kind=kind)
    out += [Line(w, "small") for w in words.split("\n") if w]
    if t.records:
        for one in ("zh", "en") if lang == "both" else (lang,):
            rec = spec.record_title(t.records).get(one)
            out.append(Line(f"存档：{rec}" if one == "zh" else f"records: {rec}", "small"))
    if t.due is not None:
        for one in ("zh", "en") if lang == "both" else (lang,):
            due = date_words(t.due, one)
            out.append(Line(f"期限：{due}" if one == "zh" else f"due: {due}", "small"))
    return out


def machine_graph(spec: Spec, kind: str, *, lang: str = "zh") -> Graph:
    """The full state machine of one unit kind: states grouped by step, guards in words.

    Each edge carries its event (or transition title), its guard in words with the kind's
    role mapping applied (R18), the record it stores and its ``due`` date. Steps the kind
    skips (R24) are drawn grey and marked.
    """
    check_lang(lang)
    if kind not in spec.unit_kinds:
        known = ", ".join(spec.unit_kinds)
        msg = f"unknown unit kind {kind!r}: the spec defines {known}"
        raise ValueError(msg)
    unit_kind = spec.unit_kinds[kind]
    ids = Ids()
    clusters, nodes, edges = [], [], []
    for i, phase in enumerate(spec.phases):
        pid = ids("phase", phase.id)
        clusters.append(Cluster(
            id=pid, label=tuple(phase_heading(spec, phase, lang)),
            style=Style.of(style="filled,rounded",
                           fillcolor=PHASE_FILLS[i % len(PHASE_FILLS)], color="#8899aa"),
        ))
        for step in phase.steps:
            skipped = step.id in unit_kind.skip
            sid = ids("step", step.id)
            heading = lines(
                tuple(f"{step_number(spec, step)}. {t}" if j == 0 else t
                      for j, t in enumerate(text_lines(step.title, lang))), "body", bold=True)
            if skipped:
                heading.append(Line({"zh": "（本类单位不适用）", "en": "(skipped for this kind)",
                                     "both": "（本类单位不适用 / skipped for this kind）"}[lang],
                                    "small"))
            cstyle = Style.of(style="rounded,dashed", color=COLOURS["muted"],
                              fontcolor=COLOURS["muted"]) if skipped else \
                Style.of(style="rounded,filled", fillcolor="white", color="#667788")
            clusters.append(Cluster(id=sid, label=tuple(heading), parent=pid, style=cstyle))
            for state in step.states:
                pairs: dict[str, str] = {"color": COLOURS["border"]}
                if state == step.initial:
                    pairs["penwidth"] = "2"
                if state in step.finals:
                    pairs["peripheries"] = "2"
                    pairs["fillcolor"] = "#f0f7ef"
                if skipped:
                    pairs = {**pairs, **dict(muted().items)}
                nodes.append(Node(id=ids("state", step.id, state), label=(Line(state),),
                                  cluster=sid, style=Style(pairs), kind="state"))
            for index, t in enumerate(step.transitions):
                for source in t.sources:
                    estyle = Style.of(color=COLOURS["muted"], fontcolor=COLOURS["muted"]) \
                        if skipped else Style()
                    edges.append(Edge(
                        source=ids("state", step.id, source),
                        target=ids("state", step.id, t.dest),
                        label=tuple(_edge_label(spec, step, index, unit_kind, lang)),
                        style=estyle, kind="transition",
                    ))
    for step in spec.steps:
        for before in step.after:
            prior = spec.step_by_id[before]
            final = next(s for s in prior.states if s in prior.finals)
            edges.append(Edge(
                source=ids("state", prior.id, final), target=ids("state", step.id, step.initial),
                style=Style.of(style="dashed", color=COLOURS["muted"], arrowhead="empty",
                               ltail=f"cluster_{ids('step', prior.id)}",
                               lhead=f"cluster_{ids('step', step.id)}"),
                kind="after",
            ))
    kind_zh, kind_en = unit_kind.title.get("zh"), unit_kind.title.get("en")
    return Graph(
        name=f"{spec.id}-machine-{kind}",
        title=_title(spec, lang, f"{kind_zh}状态机", f"state machine of a {kind_en}"),
        nodes=tuple(nodes), edges=tuple(edges), clusters=tuple(clusters), direction="TB",
    )


def dependencies_graph(spec: Spec, *, lang: str = "zh", weight: str = "auto") -> Graph:
    """The step graph (``sfd_workflow.step_graph``) with its critical path marked in red.

    See `critical_path` for the weights (``days``, ``events`` or ``auto``).
    """
    check_lang(lang)
    from sfd_workflow import step_graph  # the core's graph of `after` (lazy: no import cycle)

    graph = step_graph(spec)
    mode = weight_mode(spec, weight)
    weights = step_weights(spec, mode)
    path = critical_path(spec, weight=mode)
    on_path = set(zip(path, path[1:], strict=False))
    ids = Ids()
    nodes = []
    unit = {"days": ("天", "days"), "events": ("个事件", "events")}[mode]
    for step in spec.steps:
        if step.id not in graph:
            continue
        label = lines(
            tuple(f"{step_number(spec, step)}. {t}" if j == 0 else t
                  for j, t in enumerate(text_lines(step.title, lang))), "body", bold=True)
        w = weights[step.id]
        for one in ("zh", "en") if lang == "both" else (lang,):
            label.append(Line(f"{w}{unit[0]}" if one == "zh" else f"{w} {unit[1]}", "small"))
        style = Style.of(color=COLOURS["critical"], penwidth="3", fontcolor="#8b0000") \
            if step.id in path else Style.of(color=COLOURS["border"])
        nodes.append(Node(id=ids("step", step.id), label=tuple(label), style=style, kind="step"))
    order = {s.id: i for i, s in enumerate(spec.steps)}
    edges = []
    for a, b in sorted(graph.edges(), key=lambda e: (order[e[0]], order[e[1]])):
        crit = (a, b) in on_path
        style = Style.of(color=COLOURS["critical"], penwidth="3") if crit else Style()
        edges.append(Edge(source=ids("step", a), target=ids("step", b), style=style,
                          kind="critical" if crit else "after"))
    how = {
        "days": ("关键路径（红色，按计划天数）", "critical path (red, by planned days)"),
        "events": ("关键路径（红色，按最少事件数）", "critical path (red, by fewest events)"),
    }[mode]
    return Graph(
        name=f"{spec.id}-dependencies",
        title=_title(spec, lang, f"环节依赖与{how[0]}", f"step dependencies and {how[1]}"),
        nodes=tuple(nodes), edges=tuple(edges), direction="LR",
        legend=((how[1] if lang == "en" else how[0],
                 Style.of(fillcolor="white", color=COLOURS["critical"])),),
    )
