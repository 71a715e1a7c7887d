"""The progress views at district scale: 140 simulated units, mid-campaign (2009-06-15)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow import diagrams
from support.diagram_geometry import layout, overlaps

pytest.importorskip("numpy", reason="the sim extra is not installed")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")
CUT = "2009-06-16"  # events before this day: the campaign on the evening of 2009-06-15


@pytest.fixture(scope="module")
def district() -> tuple[sfd.Spec, Any, list[str]]:
    """A 140-unit district simulated with the exact engine (seed 1), its log cut mid-way."""
    from sfd_workflow import sim

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    roster = sim.district(140, seed=1, spec=spec)
    result = sim.run(spec, roster, engine="exact", seed=1)
    assert result.events is not None
    lines = [json.dumps(e, ensure_ascii=False) for e in result.events if e["at"] < CUT]
    return spec, roster, lines


@pytest.fixture(scope="module")
def rt(district: tuple[sfd.Spec, Any, list[str]]) -> Any:
    """The runtime that judged the cut log."""
    spec, roster, lines = district
    return diagrams.runtime_from_lines(spec, roster, lines)


def test_progress_of_140_units_is_grouped_by_parent_and_kind(rt: Any) -> None:
    """Above 40 units the hierarchy collapses: the district, the general branches in
    their own boxes, and one box per (parent, kind) with a square per unit; the squares
    add up to the units with nothing under them, group by group."""
    g = diagrams.progress(rt).graph
    assert "按上级与类别分组" in g.title[0].text
    groups = [n for n in g.nodes if n.kind == "group"]
    branches = [n for n in g.nodes if n.kind == "unit"]
    parents = {u.parent for u in rt.roster.units}
    assert [n.id for n in branches] == [f"unit_{u.id.replace('-', '_')}" for u in rt.roster.units
                                        if u.id in parents]
    assert len(branches) >= 2
    leaves = Counter((u.parent, u.kind) for u in rt.roster.units if u.id not in parents)
    assert len(groups) == len(leaves) >= 7
    assert sum(len(n.grid) for n in groups) == sum(leaves.values()) == 140 - len(branches)
    assert {(e.source, e.target) for e in g.edges} >= {
        ("unit_d_gb_001", "group_d_gb_001_school"), ("district", "group_district_organ")}
    schools = next(n for n in groups if n.id == "group_d_gb_001_school")
    assert schools.label[0].text == f"学校党组织 · {leaves[('d-gb-001', 'school')]} 个"
    assert not diagrams.progress(rt, grouped=False).graph.nodes[1].grid  # one box per unit


def test_each_square_is_a_unit_with_its_steps_done_and_lateness(rt: Any) -> None:
    """A square holds the unit's number of done steps, its colour the unit's state, a red
    border when it was late; the box counts the late units and names the first three."""
    g = diagrams.progress(rt).graph
    everyone = diagrams.all_progress(rt)
    rb = next(n for n in g.nodes if n.id == "group_district_retired_branch")
    members = [u.id for u in rt.roster.units if u.kind == "retired_branch"]
    assert [c.text for c in rb.grid] == [str(everyone[u].done) for u in members]
    assert [c.late for c in rb.grid] == [everyone[u].late for u in members]
    late = [u for u in members if everyone[u].late]
    words = " ".join(x.text for x in rb.label)
    assert (f"逾期办理 / 已过期限 {len(late)}" in words) == bool(late)
    assert all(u in words for u in late[:3])


def test_cohort_counts_of_140_units_add_up_for_every_step(
    district: tuple[sfd.Spec, Any, list[str]], rt: Any,
) -> None:
    """Mid-campaign every step's active + done + waiting + skipped is the 140 units; the
    first phase is done everywhere by mid-June and step 6 is open from the start."""
    spec = district[0]
    counts = diagrams.cohort_counts(diagrams.all_progress(rt).values())
    assert all(sum(c.values()) == 140 for c in counts.values())
    assert counts["study_research"]["done"] == 140
    assert counts["solve"]["waiting"] == 0
    dot = diagrams.overview(spec, runtime=rt).dot
    assert "已完成 140" in dot


@needs_dot
def test_district_progress_dot_parses_is_deterministic_and_nothing_overlaps(
    district: tuple[sfd.Spec, Any, list[str]], rt: Any,
) -> None:
    """`dot` accepts the text; a second runtime replaying the same lines gives the same
    bytes; no line crosses a text; the drawing is wider than tall (a slide's shape) and
    1920 px give at least 1 px per point of layout."""
    spec, roster, lines = district
    dot = diagrams.progress(rt).dot
    again = diagrams.progress(diagrams.runtime_from_lines(spec, roster, lines)).dot
    assert dot == again
    done = subprocess.run(["dot", "-Tcanon"], input=dot, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and done.stderr == ""
    assert overlaps(dot) == []
    x0, y0, x1, y1 = (float(v) for v in layout(dot)["bb"].split(","))
    assert x1 - x0 > y1 - y0
    assert 1920 / (x1 - x0) >= 1.0
    assert overlaps(diagrams.overview(spec, runtime=rt).dot) == []
