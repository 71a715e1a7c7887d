"""Extractors of the views that need only a spec: overview, machine, dependencies.

Each returns an IR `Graph`; nothing here knows DOT or Graphviz.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

import attrs

from sfd_workflow._spec._model import Spec, Step, Transition, UnitKind
from sfd_workflow.diagrams._critical import critical_path, step_weights, weight_mode
from sfd_workflow.diagrams._ir import Cluster, Edge, Graph, Line, Node, Style
from sfd_workflow.diagrams._labels import (
    COLOURS,
    PHASE_FILLS,
    Ids,
    in_lang,
    muted,
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
    "back_edges",
    "dependencies_graph",
    "machine_graph",
    "machine_steps",
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


def overview_graph(spec: Spec, *, lang: str = "zh", counts: StepCounts | None = None) -> Graph:
    """Phases as numbered clusters with their windows; steps with titles, roles, dependencies.

    Args:
        spec: the workflow.
        lang: ``zh``, ``en`` or ``both``.
        counts: optional cohort overlay: step id -> {"active"|"done"|"waiting"|"skipped": n}.
    """
    check_lang(lang)
    ids = Ids()
    clusters, nodes = [], []
    for i, phase in enumerate(spec.phases):
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
        for step in spec.steps for before in step.after
    ]
    edges += phase_order_edges(spec, ids)
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


def _transition_title(t: Transition, lang: str) -> tuple[str, ...]:
    return text_lines(t.title, lang) if t.title is not None else (t.event,)


def _opens_after(spec: Spec, step: Step, lang: str) -> list[Line]:
    out = []
    for one in _langs(lang):
        if not step.after:
            words = "自始开启" if one == "zh" else "open from the start"
        else:
            names = ("、" if one == "zh" else ", ").join(
                f"{step_number(spec, spec.step_by_id[a])}. {spec.step_by_id[a].title.get(one)}"
                for a in step.after
            )
            words = f"开启条件：{names}已完成" if one == "zh" else f"opens when done: {names}"
        out += [Line(x, "small") for x in wrap(words, 2 * _COLUMNS[one])]
    return out


def _balanced_split(sizes: Sequence[int]) -> int:
    """Where to cut `sizes` into two runs whose sums are nearest (the first one larger)."""
    total = sum(sizes)
    best, best_j, run = total, len(sizes), 0
    for j, n in enumerate(sizes[:-1], 1):
        run += n
        if max(run, total - run) < best:
            best, best_j = max(run, total - run), j
    return best_j


def back_edges(step: Step) -> frozenset[tuple[str, str]]:
    """The (source, dest) pairs of a step that go against its flow (close a cycle).

    A depth-first walk from the initial state, following transitions in document order:
    an arrow to a state still on the walk's path goes back (``退回修改``: evaluating →
    drafting). Self-loops are not counted (they are drawn inside their state).
    """
    out: set[tuple[str, str]] = set()
    succ: dict[str, list[str]] = {}
    for t in step.transitions:
        for src in t.sources:
            if src != t.dest and t.dest not in succ.setdefault(src, []):
                succ[src].append(t.dest)
    seen: set[str] = set()
    for root in (step.initial, *step.states):
        if root in seen:
            continue
        seen.add(root)
        path, stack = [root], [iter(succ.get(root, []))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                path.pop()
            elif nxt in path:
                out.add((path[-1], nxt))
            elif nxt not in seen:
                seen.add(nxt)
                path.append(nxt)
                stack.append(iter(succ.get(nxt, [])))
    return frozenset(out)


def machine_steps(spec: Spec, *, phase: str | None = None,
                  steps: Sequence[str] | None = None) -> tuple[str, ...]:
    """The ids of the steps a machine picture shows, in document order.

    Every step by default; with `phase`, that phase's steps; with `steps`, those (both:
    the steps named in `steps` that are in `phase`).

    Raises:
        ValueError: an unknown phase or step id (the message lists the known ones), or a
            selection with no step in it.
    """
    chosen = [s.id for s in spec.steps]
    if phase is not None:
        by_id = {p.id: p for p in spec.phases}
        if phase not in by_id:
            msg = f"unknown phase {phase!r}: the spec defines {', '.join(by_id)}"
            raise ValueError(msg)
        chosen = [s.id for s in by_id[phase].steps]
    if steps is not None:
        unknown = [x for x in steps if x not in spec.step_by_id]
        if unknown:
            msg = (f"unknown step {unknown[0]!r}: the spec defines "
                   f"{', '.join(s.id for s in spec.steps)}")
            raise ValueError(msg)
        chosen = [x for x in chosen if x in set(steps)]
    if not chosen:
        msg = f"no step of phase {phase!r} is among the steps {', '.join(steps or ())}"
        raise ValueError(msg)
    return tuple(chosen)


def _part_words(spec: Spec, shown: set[str], lang: str) -> tuple[str, str, str]:
    """How the title and graph name say which steps a partial machine shows."""
    if shown >= {s.id for s in spec.steps}:
        return "", "", ""
    for phase in spec.phases:
        if {s.id for s in phase.steps} == shown:
            heading = phase_heading(spec, phase, "zh" if lang == "both" else lang)[0].text
            en = phase_heading(spec, phase, "en")[0].text
            zh = heading if lang != "en" else en
            return f"（{zh}）", f" ({en})", f"-{phase.id}"
    numbers = [str(step_number(spec, s)) for s in spec.steps if s.id in shown]
    ids = "-".join(s.id for s in spec.steps if s.id in shown)
    return (f"（环节{'、'.join(numbers)}）", f" (step{'s' if len(numbers) > 1 else ''} "
            f"{', '.join(numbers)})", f"-{ids}")


def machine_graph(spec: Spec, kind: str, *, lang: str = "zh",
                  steps: Sequence[str] | None = None, direction: str = "TB") -> Graph:
    """The full state machine of one unit kind: states grouped by step, guards in words.

    With `steps` (ids, see `machine_steps`) only those steps are drawn. `direction` ``TB``
    puts the steps side by side in document order, states flowing down; ``LR`` stacks
    them, states flowing right, with every edge label a node on its line and a state with
    four or more kept events listing them in two columns (a wide picture: the shape of a
    slide). Each step says which steps open it. An event that keeps a state (a self-loop:
    contributions, reviews, meetings) is listed inside its state with ``↻``; an event that
    changes state is an arrow. Both carry the guard in words with the kind's role mapping
    applied (R18), the record stored and the ``due`` date. Steps the kind skips (R24) are
    grey and marked.
    """
    check_lang(lang)
    if kind not in spec.unit_kinds:
        known = ", ".join(spec.unit_kinds)
        msg = f"unknown unit kind {kind!r}: the spec defines {known}"
        raise ValueError(msg)
    unit_kind = spec.unit_kinds[kind]
    shown = set(steps) if steps is not None else {s.id for s in spec.steps}
    ids = Ids()
    clusters, nodes, edges = [], [], []
    for i, phase in enumerate(spec.phases):
        # Steps are top-level clusters filled with their phase's colour: dot mirrors the
        # order of clusters nested in clusters, so phases are named in each step's heading.
        fill = PHASE_FILLS[i % len(PHASE_FILLS)]
        phase_line = [Line(x.text, "small") for x in phase_heading(spec, phase, lang)[:1]]
        for step in phase.steps:
            if step.id not in shown:
                continue
            skipped = step.id in unit_kind.skip
            sid = ids("step", step.id)
            heading = phase_line + _step_heading(spec, step, lang) + _opens_after(spec, step, lang)
            if skipped:
                heading += [Line({"zh": "本类单位不适用", "en": "skipped for this kind"}[one],
                                 "small", bold=True) for one in _langs(lang)]
            cstyle = (
                Style.of(style="rounded,dashed", color=COLOURS["muted"],
                         fontcolor=COLOURS["muted"])
                if skipped else Style.of(style="rounded,filled", fillcolor=fill,
                                         color="#667788")
            )
            clusters.append(Cluster(id=sid, label=tuple(heading), style=cstyle))
            for state in step.states:
                loops = [t for t in step.transitions if state in t.sources and t.dest == state]
                names = text_lines(step.state_title(state), lang)
                label = [Line(names[0], "body", bold=True, align="left" if loops else "center"),
                         *(Line(x, "small", align="left" if loops else "center")
                           for x in names[1:])]
                # many events in one state: two columns in a wide picture (LR)
                blocks = []
                for t in loops:
                    title = _transition_title(t, lang)
                    block = [Line(f"↻ {title[0]}", "small", bold=True, align="left")]
                    block += [Line(f"   {x}", "small", align="left") for x in title[1:]]
                    block += transition_lines(spec, t, lang, kind=unit_kind, align="left",
                                              indent="   ")
                    blocks.append(block)
                split = _balanced_split([len(b) for b in blocks]) \
                    if direction == "LR" and len(blocks) >= 4 else 0
                for j, block in enumerate(blocks):
                    column = 0 if not split else 1 if j < split else 2
                    label += [attrs.evolve(x, column=column) for x in block]
                pairs: dict[str, str] = {"color": COLOURS["border"]}
                if state == step.initial:
                    pairs["penwidth"] = "2"
                if state in step.finals:
                    pairs["peripheries"] = "2"
                    pairs["fillcolor"] = "#f0f7ef"
                if skipped:
                    pairs.update(dict(muted().items))
                nodes.append(Node(id=ids("state", step.id, state), label=tuple(label),
                                  cluster=sid, style=Style(pairs), kind="state"))
            backs = back_edges(step)
            for t in step.transitions:
                title = _transition_title(t, lang)
                label = [Line(title[0], "small", bold=True), *(Line(x, "small") for x in title[1:])]
                label += transition_lines(spec, t, lang, kind=unit_kind,
                                          narrow=direction == "LR")
                estyle = (Style.of(color=COLOURS["muted"], fontcolor=COLOURS["muted"])
                          if skipped else Style())
                for source in t.sources:
                    if source == t.dest:
                        continue  # drawn inside the state
                    edges.append(Edge(
                        source=ids("state", step.id, source),
                        target=ids("state", step.id, t.dest),
                        label=tuple(label), style=estyle, kind="transition",
                        back=(source, t.dest) in backs,
                    ))
    # Steps side by side in document order: their initial states share the top rank, and
    # invisible flat edges between them keep them left to right (dot would mirror clusters).
    firsts = tuple(ids("state", s.id, s.initial) for s in spec.steps if s.id in shown)
    edges += [Edge(source=a, target=b, style=Style.of(style="invis"), kind="order")
              for a, b in pairwise(firsts)]
    kind_zh, kind_en = unit_kind.title.get("zh"), unit_kind.title.get("en")
    legend_words = tuple(in_lang(zh, en, lang) for zh, en in (
        ("初始状态（粗框）", "initial state (bold)"),
        ("完成状态（双框）", "final state (double)"),
        ("↻ 不改变状态的事件", "↻ event that keeps the state"),
    ))
    if direction == "LR":
        # dot stacks same-rank clusters of a left-to-right layout bottom-up in the order
        # they are written: write them last first, so that the first step is on top
        clusters.reverse()
    part_zh, part_en, name = _part_words(spec, shown, lang)
    return Graph(
        name=f"{spec.id}-machine-{kind}{name}",
        title=_title(spec, lang, f"{kind_zh}状态机{part_zh}",
                     f"state machine of a {kind_en}{part_en}"),
        nodes=tuple(nodes), edges=tuple(edges), clusters=tuple(clusters), direction=direction,
        same_rank=(firsts,),
        label_nodes=direction == "LR", ranksep=0.3 if direction == "LR" else 0.55,
        legend=(
            (legend_words[0], Style.of(fillcolor="white")),
            (legend_words[1], Style.of(fillcolor="#f0f7ef")),
            (legend_words[2], Style.of(fillcolor="white")),
        ),
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
