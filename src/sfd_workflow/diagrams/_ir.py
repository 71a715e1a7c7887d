"""The small intermediate representation every view is extracted into.

A `Graph` is plain data: nodes, edges and clusters with already-chosen labels (in the
requested language) and styles. Renderers (`_dot.py`, `_mermaid.py`) turn it into text and
never look at a spec; extractors (`_views.py`, `_progress.py`) never write DOT. This is the
extract → IR → render split (ARCHITECTURE.md).

Ids are ASCII and Chinese goes in labels (tools that read DOT disagree on non-ASCII ids);
order is the order the extractor gives, which is document order, so the same input always
gives the same text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

__all__ = ["Cell", "Cluster", "Edge", "Graph", "Line", "Node", "Style"]


def _sorted_items(
    value: Mapping[str, str] | Iterable[tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(dict(value).items()))


@attrs.frozen
class Line:
    """One line of a label; `size` is ``"title"``, ``"body"`` or ``"small"``.

    `column` 1, 2, … puts the line in that column of a label set in columns (a long state
    listing many events is wider and less tall); 0 spans the whole label.
    """

    text: str
    size: str = attrs.field(
        default="body", validator=attrs.validators.in_(("title", "body", "small"))
    )
    bold: bool = False
    align: str = attrs.field(default="center", validator=attrs.validators.in_(("center", "left")))
    column: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen
class Style:
    """Drawing attributes (Graphviz names), kept sorted so that output is stable."""

    items: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_sorted_items)

    @classmethod
    def of(cls, **attrs_: str) -> Style:
        """A style from keyword attributes: ``Style.of(fillcolor="#eee", style="filled")``."""
        return cls(attrs_)

    def get(self, key: str, default: str = "") -> str:
        """One attribute, or `default`."""
        return dict(self.items).get(key, default)


@attrs.frozen
class Cell:
    """One small square of a node's grid (a unit in a group): short text on a fill;
    `late` draws a thick red border."""

    text: str
    fill: str
    late: bool = False


@attrs.frozen(kw_only=True)
class Node:
    """A box, ellipse or circle; `cluster` is the id of the cluster it sits in.

    `grid` cells are drawn under the label, `grid_columns` to a row (DOT only: Mermaid
    shows the label alone).
    """

    id: str
    label: tuple[Line, ...]
    cluster: str | None = None
    style: Style = Style()
    kind: str = ""  # what the node stands for (step, state, unit…); Mermaid class name
    grid: tuple[Cell, ...] = ()
    grid_columns: int = 20


@attrs.frozen(kw_only=True)
class Edge:
    """An arrow from `source` to `target`; `constraint=False` leaves ranks alone.

    `back` marks an arrow against the flow (it closes a cycle, like "send back for
    revision"): renderers that lay out by rank draw it reversed, with its label in a node
    of its own on the line, so that the line never crosses the label.
    """

    source: str
    target: str
    label: tuple[Line, ...] = ()
    style: Style = Style()
    constraint: bool = True
    kind: str = ""
    back: bool = False


@attrs.frozen(kw_only=True)
class Cluster:
    """A titled group of nodes; `parent` nests it inside another cluster."""

    id: str
    label: tuple[Line, ...]
    parent: str | None = None
    style: Style = Style()


@attrs.frozen(kw_only=True)
class Graph:
    """A whole picture: what the renderers receive."""

    name: str
    title: tuple[Line, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    direction: str = attrs.field(
        default="LR", validator=attrs.validators.in_(("LR", "TB", "RL", "BT"))
    )
    fontname: str = "WenQuanYi Micro Hei"
    legend: tuple[tuple[str, Style], ...] = ()  # (text, node style) pairs shown as a key
    same_rank: tuple[tuple[str, ...], ...] = ()  # groups of node ids drawn side by side
    # draw every edge label as a node on its line (as for back edges): in a left-to-right
    # layout dot can leave edge labels outside their cluster
    label_nodes: bool = False
    ranksep: float = 0.55  # inches between ranks (label nodes make ranks of their own)

    def __attrs_post_init__(self) -> None:
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            msg = f"duplicate node ids in graph {self.name!r}: {', '.join(dup)}"
            raise ValueError(msg)
        cluster_ids = {c.id for c in self.clusters}
        known = set(ids)
        for n in self.nodes:
            if n.cluster is not None and n.cluster not in cluster_ids:
                msg = f"node {n.id!r} names unknown cluster {n.cluster!r}"
                raise ValueError(msg)
        for c in self.clusters:
            if c.parent is not None and c.parent not in cluster_ids:
                msg = f"cluster {c.id!r} names unknown parent cluster {c.parent!r}"
                raise ValueError(msg)
        for group in self.same_rank:
            if not set(group) <= known:
                msg = f"same_rank names an unknown node: {sorted(set(group) - known)}"
                raise ValueError(msg)
        for e in self.edges:
            if e.source not in known or e.target not in known:
                msg = f"edge {e.source!r} -> {e.target!r} names an unknown node"
                raise ValueError(msg)
