"""`Diagram`: one extracted view, ready to be written in any format or shown in Jupyter."""

from __future__ import annotations

import html
import os
from functools import cached_property
from pathlib import Path

import attrs

from sfd_workflow.diagrams._dot import to_dot
from sfd_workflow.diagrams._ir import Graph
from sfd_workflow.diagrams._mermaid import to_mermaid
from sfd_workflow.diagrams._render import FORMATS, SLIDE_WIDTH_PX, rasterise
from sfd_workflow.errors import MissingExtraError, MissingToolError

__all__ = ["Diagram", "format_of"]

_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot",
             ".mmd": "mermaid", ".mermaid": "mermaid"}


def format_of(path: str | os.PathLike[str]) -> str:
    """The format a file name asks for by its suffix (``deck.png`` → ``png``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        msg = (
            f"cannot tell the format of {os.fspath(path)!r} from its suffix: "
            f"use one of {', '.join(sorted(_SUFFIXES))} or give the format"
        )
        raise ValueError(msg)
    return _SUFFIXES[suffix]


@attrs.frozen(kw_only=True)
class Diagram:
    """A view of a workflow (overview, machine, unit, progress or dependencies).

    ``diagram.dot`` and ``diagram.mermaid`` are deterministic text; ``diagram.render("png")``
    draws it with Graphviz; in Jupyter it shows itself as SVG.
    """

    graph: Graph
    view: str
    lang: str

    @cached_property
    def dot(self) -> str:
        """The DOT text (stable ids, document order, no timestamps)."""
        return to_dot(self.graph)

    @cached_property
    def mermaid(self) -> str:
        """The Mermaid ``flowchart`` text."""
        return to_mermaid(self.graph)

    def without_title(self) -> Diagram:
        """The same picture without its title (the key stays): for a slide whose own title
        says what the picture shows, leaving the room to the picture."""
        return attrs.evolve(self, graph=attrs.evolve(self.graph, title=()))

    def render(self, fmt: str = "svg", *, width_px: int = SLIDE_WIDTH_PX) -> bytes:
        """The drawing as bytes: ``svg``, ``png`` (`width_px` wide), ``pdf``, ``dot``, ``mermaid``.

        Raises:
            MissingToolError: Graphviz's ``dot`` or the CJK font is not installed.
            MissingExtraError: the ``graphviz`` Python package is not installed.
        """
        if fmt not in FORMATS:
            msg = f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}"
            raise ValueError(msg)
        if fmt == "dot":
            return self.dot.encode("utf-8")
        if fmt == "mermaid":
            return self.mermaid.encode("utf-8")
        return rasterise(self.dot, fmt, fontname=self.graph.fontname, width_px=width_px)

    def save(
        self, path: str | os.PathLike[str], fmt: str | None = None, *,
        width_px: int = SLIDE_WIDTH_PX,
    ) -> Path:
        """Write the drawing to `path` (format from `fmt`, else from the suffix); the path."""
        out = Path(path)
        data = self.render(fmt or format_of(out), width_px=width_px)
        out.write_bytes(data)
        return out

    def _repr_svg_(self) -> str | None:
        """Jupyter's SVG view; None (no SVG) when Graphviz or the font is missing."""
        try:
            return self.render("svg").decode("utf-8")
        except (MissingToolError, MissingExtraError):
            return None

    def _repr_html_(self) -> str:
        """Jupyter's HTML view: the SVG scaled to the cell, or why it cannot be drawn."""
        try:
            svg = self.render("svg").decode("utf-8")
        except (MissingToolError, MissingExtraError) as exc:
            return (
                f"<p><b>{html.escape(str(exc))}</b></p>"
                f"<pre>{html.escape(self.dot)}</pre>"
            )
        # drop the XML prologue: the SVG is inlined in HTML
        start = svg.find("<svg")
        return f'<div style="max-width:100%;overflow:auto">{svg[start:]}</div>'

    def __repr__(self) -> str:
        return (
            f"<Diagram {self.view} {self.graph.name!r} lang={self.lang}: "
            f"{len(self.graph.nodes)} nodes, {len(self.graph.edges)} edges>"
        )
