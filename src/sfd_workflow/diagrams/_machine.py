"""The machine view: the state machine of one unit kind, every guard in words.

Each step is a cluster of its states; an event that changes state is an arrow, one that
keeps it is listed inside the state. Only an IR `Graph` is built here (no DOT, no Graphviz).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import attrs

from sfd_workflow._spec._model import Spec, Step, Transition
from sfd_workflow.diagrams._ir import Cluster, Edge, Graph, Line, Node, Style
from sfd_workflow.diagrams._labels import (
    COLOURS,
    PHASE_FILLS,
    Ids,
    check_phases,
    in_lang,
    muted,
    phase_heading,
    step_number,
    wrap,
)
from sfd_workflow.diagrams._views import (
    _COLUMNS,
    _langs,
    _step_heading,
    _title,
    transition_lines,
)
from sfd_workflow.diagrams._words import check_lang, text_lines

__all__ = ["back_edges", "machine_graph", "machine_steps"]


def _elsewhere(nodes: list[Node], ids: Ids, spec: Spec, step: Step, state: str, cluster: str,
               lang: str) -> str:
    """A small dashed box for a state drawn on another slide (made once per state)."""
    node_id = ids("elsewhere", step.id, state)
    if not any(n.id == node_id for n in nodes):
        name = "、".join(text_lines(step.state_title(state), lang))
        nodes.append(Node(id=node_id, label=(Line(f"（{name}）", "small"),), cluster=cluster,
                          style=Style.of(style="rounded,dashed", color=COLOURS["muted"],
                                         fontcolor="#555555"), kind="elsewhere"))
    return node_id


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
        check_phases(spec, [phase])
        chosen = [s.id for s in spec.phases[[p.id for p in spec.phases].index(phase)].steps]
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
                  steps: Sequence[str] | None = None, direction: str = "TB",
                  guards: bool = True, states: Sequence[str] | None = None) -> Graph:
    """The full state machine of one unit kind: states grouped by step, guards in words.

    With `steps` (ids, see `machine_steps`) only those steps are drawn. `direction` ``TB``
    puts the steps side by side in document order, states flowing down; ``LR`` stacks
    them, states flowing right, with every edge label a node on its line and a state with
    four or more kept events listing them in two columns (a wide picture: the shape of a
    slide). Each step says which steps open it. An event that keeps a state (a self-loop:
    contributions, reviews, meetings) is listed inside its state with ``↻``; an event that
    changes state is an arrow. Both carry the guard in words with the kind's role mapping
    applied (R18), the record stored and the ``due`` date. Steps the kind skips (R24) are
    grey and marked. `guards` False leaves out the guards, records and dates: only the
    states and the event titles (a slide whose next slides list the guards).

    `states` draws only those states of the steps shown (a step too long for one slide,
    cut into runs of states) and the arrows leaving them: an arrow to a state left out
    ends at a small dashed box naming that state.
    """
    check_lang(lang)
    if kind not in spec.unit_kinds:
        known = ", ".join(spec.unit_kinds)
        msg = f"unknown unit kind {kind!r}: the spec defines {known}"
        raise ValueError(msg)
    unit_kind = spec.unit_kinds[kind]
    shown = set(steps) if steps is not None else {s.id for s in spec.steps}
    keep = set(states) if states is not None else None
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
            heading = _step_heading(spec, step, lang)
            if guards:  # the compact picture of a slide: the slide's title says the rest
                heading = phase_line + heading + _opens_after(spec, step, lang)
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
                if keep is not None and state not in keep:
                    continue
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
                    if guards:
                        block += transition_lines(spec, t, lang, kind=unit_kind,
                                                  align="left", indent="   ")
                    blocks.append(block)
                split = _balanced_split([len(b) for b in blocks]) \
                    if (direction == "LR" or not guards) and len(blocks) >= 4 else 0
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
                if guards:
                    label += transition_lines(spec, t, lang, kind=unit_kind,
                                              narrow=direction == "LR")
                estyle = (Style.of(color=COLOURS["muted"], fontcolor=COLOURS["muted"])
                          if skipped else Style())
                for source in t.sources:
                    if source == t.dest:
                        continue  # drawn inside the state
                    if keep is not None and source not in keep:
                        continue  # drawn with its source state, once
                    target = ids("state", step.id, t.dest) if keep is None or t.dest in keep \
                        else _elsewhere(nodes, ids, spec, step, t.dest, sid, lang)
                    edges.append(Edge(
                        source=ids("state", step.id, source), target=target,
                        label=tuple(label), style=estyle, kind="transition",
                        back=(source, t.dest) in backs and (keep is None or t.dest in keep),
                    ))
    # Steps side by side in document order: their initial states share the top rank, and
    # invisible flat edges between them keep them left to right (dot would mirror clusters).
    firsts = tuple(ids("state", s.id, next(x for x in s.states if keep is None or x in keep))
                   for s in spec.steps
                   if s.id in shown and (keep is None or keep & set(s.states)))
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
    if keep is not None:
        name += "-" + "-".join(x for s in spec.steps if s.id in shown for x in s.states
                               if x in keep)
    return Graph(
        name=f"{spec.id}-machine-{kind}{name}",
        title=_title(spec, lang, f"{kind_zh}状态机{part_zh}",
                     f"state machine of a {kind_en}{part_en}"),
        nodes=tuple(nodes), edges=tuple(edges), clusters=tuple(clusters), direction=direction,
        same_rank=(firsts,),
        label_nodes=direction == "LR", ranksep=0.3 if direction == "LR" or not guards else 0.55,
        legend=(
            (legend_words[0], Style.of(fillcolor="white")),
            (legend_words[1], Style.of(fillcolor="#f0f7ef")),
            (legend_words[2], Style.of(fillcolor="white")),
        ),
    )
