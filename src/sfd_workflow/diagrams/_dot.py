"""IR → DOT text. Deterministic: same graph, same bytes (no dates, no counters, no dict order).

Labels are Graphviz HTML-like labels (``<<B>…</B><BR/>…>``) so that a title line can be
bold and a detail line smaller; every text is escaped. The legend is drawn inside the graph
label as a table, so it never moves the nodes.

A back edge (`Edge.back`, an arrow against the flow) is written reversed with
``dir=back``, so that dot ranks it like the others, and its label becomes a borderless node
on the line (``<source>__back__<target>``): dot places labels of reversed edges next to a
spline it routes later, which can run through the text; a node is never crossed. With
`Graph.label_nodes` every edge label is such a node (``<source>__via__<target>``).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from sfd_workflow.diagrams._ir import Cell, Cluster, Graph, Line, Style

__all__ = ["FONT_SIZES", "PAD_INCHES", "to_dot"]

FONT_SIZES = {"title": 16, "body": 13, "small": 11}
_GRAPH_TITLE_SIZE = 22
PAD_INCHES = 0.3  # margin around the drawing, outside the layout's own bounding box


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _line(line: Line, base: str) -> str:
    text = _html(line.text)
    if line.bold:
        text = f"<B>{text}</B>"
    if line.size != base:
        text = f'<FONT POINT-SIZE="{FONT_SIZES[line.size]}">{text}</FONT>'
    return text


def html_label(lines: Iterable[Line], base: str = "body") -> str:
    """The DOT value of an HTML-like label made of `lines` (``<…>``).

    Lines that are all centred are joined with ``<BR/>``; when some line is left-aligned
    the label is a borderless table with one cell per line (Graphviz aligns cells, not
    text after a break). A table is used too when a line is larger than the one above it:
    after a ``<BR/>`` Graphviz spaces the lines by the smaller font, so the larger line
    would touch the one above.
    """
    items = list(lines)
    if any(x.column for x in items):
        return _columns_label(items, base)
    grows = any(FONT_SIZES[b.size] > FONT_SIZES[a.size] for a, b in pairwise(items))
    if all(x.align == "center" for x in items) and not grows:
        return "<" + "<BR/>".join(_line(x, base) for x in items) + ">"
    rows = "".join(
        f'<TR><TD ALIGN="{x.align.upper()}">{_line(x, base)}</TD></TR>' for x in items
    )
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>>'


def _columns_label(items: list[Line], base: str) -> str:
    """A table whose column-0 lines span it and whose other lines sit in their columns.

    The columns are laid out as a grid, line k of every column in row k, so that every
    column keeps the spacing of a one-column label.
    """
    n = max(x.column for x in items)
    columns = [[y for y in items if y.column == c] for c in range(1, n + 1)]
    rows: list[str] = []
    placed = False
    for x in items:
        if x.column == 0:
            rows.append(f'<TR><TD COLSPAN="{n}" ALIGN="{x.align.upper()}">'
                        f"{_line(x, base)}</TD></TR>")
        elif not placed:
            placed = True
            for k in range(max(len(c) for c in columns)):
                cells = "".join(
                    f'<TD ALIGN="{c[k].align.upper()}">{_line(c[k], base)}</TD>'
                    if k < len(c) else "<TD></TD>"
                    for c in columns)
                rows.append(f"<TR>{cells}</TR>")
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'


GRID_CELL = 17  # points: the side of a grid square
_LATE_COLOUR = "#d62728"


def grid_label(lines: Iterable[Line], cells: tuple[Cell, ...], columns: int) -> str:
    """`html_label` of `lines` with a grid of small squares under it, `columns` to a row."""
    head = html_label(lines)[1:-1]
    rows = []
    for i in range(0, len(cells), columns):
        tds = "".join(
            f'<TD WIDTH="{GRID_CELL}" HEIGHT="{GRID_CELL}" FIXEDSIZE="TRUE" '
            f'BGCOLOR="{_html(c.fill)}" BORDER="{2 if c.late else 1}" '
            f'COLOR="{_LATE_COLOUR if c.late else "#888888"}">'
            f'<FONT POINT-SIZE="9">{_html(c.text)}</FONT></TD>'
            for c in cells[i:i + columns])
        rows.append(f"<TR>{tds}</TR>")
    # a fixed width, or Graphviz spreads the squares over a wider label
    across = min(columns, len(cells))
    width, height = (across * (GRID_CELL + 2) + 2, len(rows) * (GRID_CELL + 2) + 2)
    grid = (f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0" FIXEDSIZE="TRUE" '
            f'WIDTH="{width}" HEIGHT="{height}">{"".join(rows)}</TABLE>')
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>{head}</TD></TR>'
            f'<TR><TD ALIGN="LEFT">{grid}</TD></TR></TABLE>>')


EDGE_LABEL_PAD = 6  # points of clear space around an edge label: dot draws lines beside it


def edge_label(lines: Iterable[Line]) -> str:
    """The DOT value of an edge label: `html_label` in a borderless, padded table.

    dot routes an edge right next to its label's box, and the drawn text can come out a
    point or two wider than measured at layout; the padding keeps the line off the text.
    """
    inner = html_label(lines, base="small")[1:-1]
    if inner.startswith("<TABLE"):
        return f"<{inner}>".replace('CELLPADDING="1"', f'CELLPADDING="{EDGE_LABEL_PAD}"', 1)
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="{EDGE_LABEL_PAD}">'
            f"<TR><TD>{inner}</TD></TR></TABLE>>")


def _attrs(pairs: Iterable[tuple[str, str]]) -> str:
    parts = []
    for key, value in pairs:
        parts.append(f"{key}={value if value.startswith('<') else _quote(value)}")
    return ", ".join(parts)


def _style_pairs(style: Style) -> list[tuple[str, str]]:
    return [(k, v) for k, v in style.items]


def _graph_label(graph: Graph) -> str:
    title = "<BR/>".join(
        f'<FONT POINT-SIZE="{_GRAPH_TITLE_SIZE}"><B>{_html(x.text)}</B></FONT>'
        if i == 0
        else _line(x, "body")
        for i, x in enumerate(graph.title)
    )
    if not graph.legend:
        return f"<{title}>"
    def key(text: str) -> str:
        # a wide picture (LR) is short of width: "中文 / English" (lang both) on two lines
        if graph.direction == "LR":
            return "<BR/>".join(_html(part) for part in text.split(" / "))
        return _html(text)

    cells = "".join(
        f'<TD BGCOLOR="{_html(s.get("fillcolor", "white"))}" BORDER="1" '
        f'COLOR="{_html(s.get("color", "black"))}">'
        f'<FONT POINT-SIZE="{FONT_SIZES["small"]}">{key(text)}</FONT></TD>'
        for text, s in graph.legend
    )
    # the key is a table of its own inside the title's table, so it keeps its own width;
    # without a title (a picture on a slide) only the key is drawn
    head = f'<TR><TD ALIGN="LEFT">{title}</TD></TR>' if title else ""
    return (
        '<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">'
        f"{head}"
        '<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3">'
        f"<TR>{cells}</TR></TABLE></TD></TR></TABLE>>"
    )


def to_dot(graph: Graph) -> str:
    """The DOT text of `graph`, ending with a newline."""
    font = graph.fontname
    out = [f"digraph {_quote(graph.name)} {{"]
    out.append(
        "  graph ["
        + _attrs(
            [
                ("rankdir", graph.direction),
                ("fontname", font),
                *((("label", _graph_label(graph)),) if graph.title or graph.legend else ()),
                ("labelloc", "t"),
                ("labeljust", "l"),
                ("newrank", "true"),
                ("compound", "true"),
                ("nodesep", "0.35"),
                ("ranksep", f"{graph.ranksep:g}"),
                ("pad", str(PAD_INCHES)),
                ("bgcolor", "white"),
            ]
        )
        + "]"
    )
    out.append(
        "  node ["
        + _attrs(
            [
                ("fontname", font),
                ("fontsize", str(FONT_SIZES["body"])),
                ("shape", "box"),
                ("style", "rounded,filled"),
                ("fillcolor", "white"),
                ("margin", "0.15,0.08"),
            ]
        )
        + "]"
    )
    out.append(
        "  edge ["
        + _attrs([("fontname", font), ("fontsize", str(FONT_SIZES["small"])), ("color", "#555555")])
        + "]"
    )

    children: dict[str | None, list[Cluster]] = {}
    for c in graph.clusters:
        children.setdefault(c.parent, []).append(c)
    members: dict[str | None, list[str]] = {}
    for n in graph.nodes:
        label = (grid_label(n.label, n.grid, n.grid_columns) if n.grid
                 else html_label(n.label))
        pairs = [("label", label), *_style_pairs(n.style)]
        members.setdefault(n.cluster, []).append(f"{_quote(n.id)} [{_attrs(pairs)}]")
    edge_lines, label_nodes = _edges(graph)
    for cluster, stmt in label_nodes:
        members.setdefault(cluster, []).append(stmt)

    def emit(parent: str | None, indent: str) -> None:
        for stmt in members.get(parent, []):
            out.append(f"{indent}{stmt}")
        for c in children.get(parent, []):
            out.append(f"{indent}subgraph {_quote('cluster_' + c.id)} {{")
            pairs = [
                # an unlabelled cluster says so, or it would inherit the graph's label
                ("label", html_label(c.label, base="title") if c.label else ""),
                ("fontsize", str(FONT_SIZES["title"])),
                *_style_pairs(c.style),
            ]
            out.append(f"{indent}  graph [{_attrs(pairs)}]")
            emit(c.id, indent + "  ")
            out.append(f"{indent}}}")

    emit(None, "  ")
    for group in graph.same_rank:
        out.append("  { rank=same; " + " ".join(_quote(n) + ";" for n in group) + " }")
    out += edge_lines
    out.append("}")
    return "\n".join(out) + "\n"


def _edge_line(source: str, target: str, pairs: list[tuple[str, str]]) -> str:
    tail = f" [{_attrs(pairs)}]" if pairs else ""
    return f"  {_quote(source)} -> {_quote(target)}{tail}"


def _edges(graph: Graph) -> tuple[list[str], list[tuple[str | None, str]]]:
    """The edge statements, and the label nodes (of back edges, or of every labelled edge
    when `Graph.label_nodes`) with the cluster of each."""
    cluster_of = {n.id: n.cluster for n in graph.nodes}
    used = set(cluster_of)
    lines: list[str] = []
    label_nodes: list[tuple[str | None, str]] = []
    for e in graph.edges:
        pairs = _style_pairs(e.style)
        if not e.constraint:
            pairs.append(("constraint", "false"))
        as_node = e.label and (e.back or graph.label_nodes)
        if not as_node:
            if e.label:
                pairs = [("label", edge_label(e.label)), *pairs]
            if e.back:
                lines.append(_edge_line(e.target, e.source, [("dir", "back"), *pairs]))
            else:
                lines.append(_edge_line(e.source, e.target, pairs))
            continue
        word = "back" if e.back else "via"
        node_id, i = f"{e.source}__{word}__{e.target}", 2
        while node_id in used:
            node_id, i = f"{e.source}__{word}__{e.target}_{i}", i + 1
        used.add(node_id)
        node_pairs = [
            ("label", html_label(e.label, base="small")),
            ("shape", "plaintext"),
            ("style", ""),
            ("fontsize", str(FONT_SIZES["small"])),
            ("margin", "0.08,0.06"),
            *((k, v) for k, v in e.style.items if k == "fontcolor"),
        ]
        same = cluster_of[e.source] == cluster_of[e.target]
        label_nodes.append((cluster_of[e.source] if same else None,
                            f"{_quote(node_id)} [{_attrs(node_pairs)}]"))
        line_pairs = [(k, v) for k, v in pairs if k != "fontcolor"]
        if e.back:  # reversed, so that dot ranks it like the others
            lines.append(_edge_line(e.target, node_id, [("dir", "back"), *line_pairs]))
            lines.append(_edge_line(node_id, e.source, [("arrowhead", "none"), *line_pairs]))
        else:
            lines.append(_edge_line(e.source, node_id, [("arrowhead", "none"), *line_pairs]))
            lines.append(_edge_line(node_id, e.target, line_pairs))
    return lines, label_nodes
