"""IR → Mermaid ``flowchart`` text, for Markdown pages that render Mermaid (GitHub, GitLab).

The same graph as the DOT text: clusters become ``subgraph`` blocks, node styles become
``classDef`` classes (one per distinct style, numbered in order of first use), dashed edges
become ``-.->``. Deterministic like `to_dot`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sfd_workflow.diagrams._ir import Cluster, Graph, Line, Style

__all__ = ["to_mermaid"]


def _text(lines: Iterable[Line]) -> str:
    parts = []
    for line in lines:
        text = (
            line.text.replace("&", "#amp;")
            .replace('"', "#quot;")
            .replace("<", "#lt;")
            .replace(">", "#gt;")
            .replace("|", "#124;")
        )
        if line.bold:
            text = f"<b>{text}</b>"
        if line.size == "small":
            text = f"<small>{text}</small>"
        parts.append(text)
    return "<br/>".join(parts)


def _class_def(style: Style) -> str:
    css = []
    if style.get("fillcolor"):
        css.append(f"fill:{style.get('fillcolor')}")
    if style.get("color"):
        css.append(f"stroke:{style.get('color')}")
    if style.get("penwidth"):
        css.append(f"stroke-width:{style.get('penwidth')}px")
    if "dashed" in style.get("style"):
        css.append("stroke-dasharray:4 3")
    if style.get("fontcolor"):
        css.append(f"color:{style.get('fontcolor')}")
    return ",".join(css)


def to_mermaid(graph: Graph) -> str:
    """The Mermaid text of `graph`, ending with a newline."""
    out = [f"flowchart {graph.direction}"]
    title = _text(graph.title[:1])
    if title:
        out.insert(0, f"---\ntitle: \"{title.replace('<b>', '').replace('</b>', '')}\"\n---")
    classes: dict[str, str] = {}  # css -> class name
    node_class: dict[str, str] = {}
    for n in graph.nodes:
        css = _class_def(n.style)
        if css:
            classes.setdefault(css, f"c{len(classes)}")
            node_class[n.id] = classes[css]

    children: dict[str | None, list[Cluster]] = {}
    for c in graph.clusters:
        children.setdefault(c.parent, []).append(c)
    members: dict[str | None, list[str]] = {}
    for n in graph.nodes:
        shape = ("((", "))") if n.style.get("shape") in ("circle", "doublecircle") else ("[", "]")
        if n.style.get("shape") == "ellipse":
            shape = ("([", "])")
        members.setdefault(n.cluster, []).append(f'{n.id}{shape[0]}"{_text(n.label)}"{shape[1]}')

    def emit(parent: str | None, indent: str) -> None:
        for stmt in members.get(parent, []):
            out.append(indent + stmt)
        for c in children.get(parent, []):
            out.append(f'{indent}subgraph {c.id}["{_text(c.label)}"]')
            emit(c.id, indent + "  ")
            out.append(f"{indent}end")

    emit(None, "  ")
    for e in graph.edges:
        if "invis" in e.style.get("style"):
            out.append(f"  {e.source} ~~~ {e.target}")
            continue
        line = e.style.get("style")
        arrow = "-.->" if "dashed" in line or "dotted" in line else "-->"
        if e.style.get("penwidth") and float(e.style.get("penwidth")) >= 2.5:
            arrow = "==>"
        label = f'|"{_text(e.label)}"|' if e.label else ""
        out.append(f"  {e.source} {arrow}{label} {e.target}")
    for css, name in classes.items():
        out.append(f"  classDef {name} {css}")
    for node_id, name in node_class.items():
        out.append(f"  class {node_id} {name}")
    return "\n".join(out) + "\n"
