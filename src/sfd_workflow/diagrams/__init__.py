"""Diagrams and slides of a workflow: extract → small IR → DOT/Mermaid → Graphviz.

Five views, each a function returning a `Diagram`::

    import sfd_workflow as sfd
    from sfd_workflow import diagrams

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    diagrams.overview(spec).save("overview.png")            # 1920 px wide
    diagrams.machine(spec, "school", lang="both").save("school.svg")
    diagrams.dependencies(spec).dot                         # deterministic DOT text

    rt = diagrams.runtime_from_lines(spec, roster, open("events.jsonl").read().splitlines())
    diagrams.unit(rt, "xh-ps-01")                           # shows itself in Jupyter
    diagrams.progress(rt)
    diagrams.overview(spec, runtime=rt)                     # with units counted per step

``Diagram.dot`` and ``Diagram.mermaid`` need nothing outside Python; SVG, PNG and PDF need
the ``diagrams`` extra (the ``graphviz`` package), Graphviz's ``dot`` and a CJK font
(Debian ``graphviz fonts-wqy-microhei``); slides need the ``slides`` extra (python-pptx).
See docs/diagrams.md.
"""

from __future__ import annotations

from sfd_workflow.diagrams._api import (
    VIEWS,
    all_progress,
    dependencies,
    machine,
    overview,
    progress,
    unit,
)
from sfd_workflow.diagrams._critical import critical_path, step_weights
from sfd_workflow.diagrams._diagram import Diagram, format_of
from sfd_workflow.diagrams._dot import to_dot
from sfd_workflow.diagrams._ir import Cell, Cluster, Edge, Graph, Line, Node, Style
from sfd_workflow.diagrams._mermaid import to_mermaid
from sfd_workflow.diagrams._progress import (
    StepStatus,
    UnitProgress,
    cohort_counts,
    runtime_from_lines,
    unit_progress,
)
from sfd_workflow.diagrams._render import FORMATS, SLIDE_WIDTH_PX, check_dot, check_font
from sfd_workflow.diagrams._slides import build_deck
from sfd_workflow.diagrams._words import LANGS, guard_phrases, guard_words

__all__ = [
    "FORMATS",
    "LANGS",
    "SLIDE_WIDTH_PX",
    "VIEWS",
    "Cell",
    "Cluster",
    "Diagram",
    "Edge",
    "Graph",
    "Line",
    "Node",
    "StepStatus",
    "Style",
    "UnitProgress",
    "all_progress",
    "build_deck",
    "check_dot",
    "check_font",
    "cohort_counts",
    "critical_path",
    "dependencies",
    "format_of",
    "guard_phrases",
    "guard_words",
    "machine",
    "overview",
    "progress",
    "runtime_from_lines",
    "step_weights",
    "to_dot",
    "to_mermaid",
    "unit",
    "unit_progress",
]
