"""Extractors of the views that need only a spec: overview and dependencies (the machine
view is `_machine`), and the label pieces they share.

Each returns an IR `Graph`; nothing here knows DOT or Graphviz.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from sfd_workflow._graph import step_graph
from sfd_workflow._spec._model import Spec, Step, Transition, UnitKind
from sfd_workflow.diagrams._critical import critical_path, step_weights, weight_mode
from sfd_workflow.diagrams._ir import Cluster, Edge, Graph, Line, Node, Style
from sfd_workflow.diagrams._labels import (
    COLOURS,
    PHASE_FILLS,
    Ids,
    in_lang,
    phase_heading,
    step_number,
    wrap,
)
from sfd_workflow.diagrams._words import (
    check_lang,
    date_words,
    guard_phrases,
    role_words,
    text_lines,
)

__all__ = [
    "StepCounts",
    "acting_roles",
    "dependencies_graph",
    "overview_graph",
    "phase_order_edges",
    "transition_lines",
]

# The counts drawn on a step of the overview (cohort overlay): how many units are
# in it now, how many have completed it, how many wait for it, how many skip it.
StepCounts = Mapping[str, Mapping[str, int]]
_COLUMNS = {"zh": 30, "en": 34}  # label width in columns (a Chinese character is 2)
_COUNT_WORDS = {
    "zh": {"active": "进行中", "done": "已完成", "waiting": "未开启", "skipped": "不适用"},
    "en": {"active": "active", "done": "done", "waiting": "waiting", "skipped": "skipped"},
}


def acting_roles(step: Step) -> tuple[str, ...]:
    """The roles named by the guards of a step's transitions, in document order, each once."""
    return tuple(dict.fromkeys(r for t in step.transitions for r in t.guard.role))


def _roles_lines(spec: Spec, step: Step, lang: str, kind: UnitKind | None = None) -> list[Line]:
    roles = acting_roles(step)
    out = []
    for one in ("zh", "en") if lang == "both" else (lang,):
        if roles:
            words = role_words(spec, roles, one, kind=kind).replace(
                "或" if one == "zh" else " or ", "、" if one == "zh" else ", "
            )
        else:
            words = "任何成员" if one == "zh" else "any member"
        out += [Line(x, "small") for x in wrap(words, _COLUMNS[one])]
    return out


def _step_heading(spec: Spec, step: Step, lang: str, size: str = "body") -> list[Line]:
    out = []
    number = f"{step_number(spec, step)}. "
    for j, title in enumerate(text_lines(step.title, lang)):
        one = "zh" if j == 0 and lang != "en" else "en"
        for k, part in enumerate(wrap(title, _COLUMNS[one] + 6)):
            text = number + part if j == 0 and k == 0 else part
            out.append(Line(text, size if j == 0 else "small", bold=j == 0))
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


def phase_order_edges(spec: Spec, ids: Ids) -> list[Edge]:
    """Invisible edges that keep phases in order left to right (R6: the phases are linked
    in order), so a step that is open from the start still sits in its own phase's column."""
    out = []
    for before, after in zip(spec.phases, spec.phases[1:], strict=False):
        for a in before.steps:
            for b in after.steps:
                if a.id not in b.after:
                    out.append(Edge(source=ids("step", a.id), target=ids("step", b.id),
                                    style=Style.of(style="invis"), kind="order"))
    return out


def _no_prerequisite(spec: Spec, step: Step, lang: str) -> list[Line]:
    if step.after or step is spec.steps[0]:
        return []
    words = {"zh": "无前置环节，自始开启", "en": "no prerequisite: open from the start"}
    return [Line(words[one], "small") for one in (("zh", "en") if lang == "both" else (lang,))]


def overview_graph(spec: Spec, *, lang: str = "zh", counts: StepCounts | None = None,
                   phases: Sequence[str] | None = None) -> Graph:
    """Phases as numbered clusters with their windows; steps with titles, roles, dependencies.

    Args:
        spec: the workflow.
        lang: ``zh``, ``en`` or ``both``.
        counts: optional cohort overlay: step id -> {"active"|"done"|"waiting"|"skipped": n}.
        phases: draw only these phases (ids; a slide per phase); arrows only between the
            steps drawn.
    """
    check_lang(lang)
    ids = Ids()
    clusters, nodes = [], []
    shown = {s.id for p in spec.phases if phases is None or p.id in phases for s in p.steps}
    for i, phase in enumerate(spec.phases):
        if phases is not None and phase.id not in phases:
            continue
        cid = ids("phase", phase.id)
        fill = PHASE_FILLS[i % len(PHASE_FILLS)]
        clusters.append(
            Cluster(id=cid, label=tuple(phase_heading(spec, phase, lang)),
                    style=Style.of(style="filled,rounded", fillcolor=fill, color="#8899aa"))
        )
        for step in phase.steps:
            label = _step_heading(spec, step, lang)
            label += _roles_lines(spec, step, lang)
            label += _no_prerequisite(spec, step, lang)
            style = Style.of(color=COLOURS["border"])
            if counts is not None:
                c = counts.get(step.id, {})
                label += _counts_line(c, lang)
                style = Style.of(color=COLOURS["border"], fillcolor=_count_fill(c))
            nodes.append(Node(id=ids("step", step.id), label=tuple(label), cluster=cid,
                              style=style, kind="step"))
    edges = [
        Edge(source=ids("step", before), target=ids("step", step.id), kind="after")
        for step in spec.steps for before in step.after if {before, step.id} <= shown
    ]
    edges += [e for e in phase_order_edges(spec, ids)
              if phases is None or {e.source, e.target} <= {ids("step", x) for x in shown}]
    legend: tuple[tuple[str, Style], ...] = ()
    if counts is not None:
        zh, en = _COUNT_WORDS["zh"], _COUNT_WORDS["en"]
        legend = tuple((in_lang(zh[k], en[k], lang), Style.of(fillcolor=fill)) for k, fill in (
            ("active", COLOURS["active"]), ("done", COLOURS["done"]), ("waiting", "white")))
    return Graph(
        name=f"{spec.id}-overview",
        title=_title(spec, lang, "总览" if counts is None else "各环节单位数",
                     "overview" if counts is None else "units in each step"),
        nodes=tuple(nodes), edges=tuple(edges), clusters=tuple(clusters),
        direction="LR", legend=legend,
    )


def _langs(lang: str) -> tuple[str, ...]:
    return ("zh", "en") if lang == "both" else (lang,)


def transition_lines(
    spec: Spec, t: Transition, lang: str, *, kind: UnitKind | None = None,
    align: str = "center", indent: str = "", narrow: bool = False,
) -> list[Line]:
    """What a transition asks, as label lines: guard phrases, stored record, due date.

    `narrow` wraps at four fifths of the usual width (labels between states of a picture
    drawn left to right, where width is scarce and height is not).
    """
    out: list[Line] = []
    for one in _langs(lang):
        phrases = list(guard_phrases(t.guard, spec, one, kind=kind, records=t.records))
        if t.records:
            rec = spec.record_title(t.records).get(one)
            phrases.append(f"存档：{rec}" if one == "zh" else f"records: {rec}")
        if t.due is not None:
            due = date_words(t.due, one)
            phrases.append(f"期限：{due}" if one == "zh" else f"due: {due}")
        columns = _COLUMNS[one] * 4 // 5 if narrow else _COLUMNS[one]
        for phrase in phrases:
            for part in wrap(phrase, columns):
                out.append(Line(indent + part, "small", align=align))
    return out


def dependencies_graph(spec: Spec, *, lang: str = "zh", weight: str = "auto") -> Graph:
    """The step graph (``sfd_workflow.step_graph``) with its critical path marked in red.

    See `critical_path` for the weights (``days``, ``events`` or ``auto``).
    """
    check_lang(lang)
    graph = step_graph(spec)
    mode = weight_mode(spec, weight)
    weights = step_weights(spec, mode)
    path = critical_path(spec, weight=mode)
    on_path = set(pairwise(path))
    ids = Ids()
    nodes = []
    unit = {"days": ("天", "days"), "events": ("个事件", "events")}[mode]
    for step in spec.steps:
        if step.id not in graph:
            continue
        label = _step_heading(spec, step, lang)
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
        legend=((in_lang(how[0], how[1], lang),
                 Style.of(fillcolor="white", color=COLOURS["critical"])),),
    )
