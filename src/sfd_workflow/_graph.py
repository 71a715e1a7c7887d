"""networkx graphs of a workflow's steps and of a roster's units."""

from __future__ import annotations

import networkx as nx

from ._spec._model import Roster, Spec

__all__ = ["step_graph", "unit_graph"]


def step_graph(spec: Spec) -> nx.DiGraph:
    """The step dependency graph: an edge a → b when b is `after` a.

    Nodes carry ``phase``, ``title`` (a `Text`), ``index`` (document order) and
    ``transitions`` (how many); the graph is acyclic (the linker refuses cycles).
    """
    g: nx.DiGraph = nx.DiGraph(spec=spec.id)
    for i, step in enumerate(spec.steps):
        g.add_node(step.id, phase=step.phase, title=step.title, index=i,
                   transitions=len(step.transitions))
    for step in spec.steps:
        for a in step.after:
            g.add_edge(a, step.id)
    return g


def unit_graph(roster: Roster) -> nx.DiGraph:
    """The unit hierarchy: an edge parent → child. Nodes carry ``kind`` and ``people``."""
    g: nx.DiGraph = nx.DiGraph()
    for u in roster.units:
        g.add_node(u.id, kind=u.kind, people=len(u.people), title=u.title)
    for u in roster.units:
        if u.parent is not None:
            g.add_edge(u.parent, u.id)
    return g
