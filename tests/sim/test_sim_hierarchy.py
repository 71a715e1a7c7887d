"""Hierarchy models: levels, shares, children per parent and role mixes; checked with lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sfd_workflow as sfd
from sfd_workflow.cli import main
from sfd_workflow.sim import SimModelError, SimulationError, district, national
from sfd_workflow.sim._hierarchy import derived_hierarchy, hierarchy_from_document, load_hierarchy

ROOT = Path(__file__).parents[2]
REVIEW = str(ROOT / "tests" / "data" / "good" / "review.yaml")

GOOD = """\
format: sfd-workflow-hierarchy/1
spec: review-demo
district: branches
levels:
  - id: county
    kinds: {general_branch: 1}
  - id: branches
    per_parent: {triangular: [5, 10, 20]}
    kinds: {general_branch: 0.2, school: 0.5, joint_branch: 0.2, retired_branch: 0.1}
  - id: grassroots
    parents: [general_branch]
    per_parent: 6
    kinds: {school: 1}
kinds:
  general_branch: {members: 5, roles: {secretary: 1, committee: 3}}
  school: {code: s, title: "School {n}", members: {triangular: [4, 9, 20]},
           roles: {secretary: 1, committee: 3}, others: {masses_rep: 2}}
  joint_branch: {members: 4, roles: {secretary: 1}}
  retired_branch: {members: 6, roles: {secretary: 1, committee: 2}}
"""


@pytest.fixture(scope="module")
def review() -> sfd.Spec:
    """A small spec with a children guard (its wrap-up waits for children)."""
    return sfd.load_spec(REVIEW)


def test_a_model_builds_a_three_level_nation_and_a_two_level_district(review: sfd.Spec,
                                                                      tmp_path: Path) -> None:
    """The nation has every level; a district starts at `district:`; role mixes are applied."""
    path = tmp_path / "h.hierarchy.yaml"
    path.write_text(GOOD, encoding="utf-8")
    h = load_hierarchy(path, review)
    units = national(5_000, 1, spec=review, hierarchy=h)
    assert len(units) == 5_000
    assert int(units.depth.max()) == 2
    names = np.asarray(units.kind_names)
    assert set(names[units.kind[units.depth == 0]]) == {"general_branch"}
    assert set(names[units.kind[units.depth == 2]]) == {"school"}
    roster = district(60, 2, spec=review, hierarchy=h)
    assert len(roster) == 60
    school = next(u for u in roster.units if u.kind == "school")
    assert school.id.startswith("d-s-") and school.title is not None
    assert sum("secretary" in p.roles for p in school.people) == 1
    assert sum(p.roles == ("masses_rep",) for p in school.people) == 2
    assert all(roster.by_id[u.parent].kind == "general_branch" for u in roster.units if u.parent)


def test_a_spec_without_a_model_gets_a_hierarchy_derived_from_its_guards(
        review: sfd.Spec) -> None:
    """Every kind; parents above the other units where a children guard exists; the roles the
    guards ask for (quorum roles for every member, the others for one member each)."""
    h = derived_hierarchy(review)
    assert [lv.id for lv in h.levels] == ["parents", "units"]
    assert set(h.levels[1].kinds) == set(review.unit_kinds)
    roster = district(40, 3, spec=review)
    for u in roster.units:
        roles = [set(p.roles) for p in u.people]
        assert all("member" in r for r in roles)
        assert any("secretary" in r for r in roles)
    assert any(u.parent for u in roster.units)


def test_a_kind_missing_from_the_model_gets_the_documented_default_share(
        review: sfd.Spec) -> None:
    """A spec kind the model does not name appears at the district's first level with
    `unlisted_share`, the other shares making room."""
    import yaml

    doc = yaml.safe_load(GOOD)
    doc["levels"][1]["kinds"] = {"general_branch": 0.25, "school": 0.75}
    doc["levels"][2]["kinds"] = {"school": 1}
    doc["unlisted_share"] = 0.1
    for k in ("joint_branch", "retired_branch"):
        del doc["kinds"][k]
    h = hierarchy_from_document(doc, review)
    level = h.levels[1]
    shares = dict(zip(level.kinds, level.shares, strict=True))
    assert shares == pytest.approx({"general_branch": 0.2, "school": 0.6, "joint_branch": 0.1,
                                    "retired_branch": 0.1})
    assert {"joint_branch", "retired_branch"} <= set(h.kinds)


@pytest.mark.parametrize(("edit", "line", "message"), [
    (("school: 0.5,", "schol: 0.5,"), 9, "levels[1].kinds.schol: unknown unit kind 'schol'"),
    (("retired_branch: 0.1}", "retired_branch: -0.1}"), 9,
     "levels[1].kinds.retired_branch: -0.1 is out of range"),
    (("joint_branch: 0.2,", "joint_branch: 0.3,"), 9,
     "levels[1].kinds: the shares sum to 1.1, not 1"),
    (("    kinds: {school: 1}\n", "    kinds: {}\n"), 13,
     "levels[2].kinds: a level needs kinds"),
    (("    parents: [general_branch]\n", "    parents: [county]\n"), 11,
     "levels[2].parents[0]: 'county' is not a kind of the level above"),
])
def test_bad_hierarchy_models_are_one_line_errors_with_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str], line: int,
        message: str) -> None:
    """Each mistake: exit 2, one line `FILE:LINE: PATH: message`, no traceback."""
    path = tmp_path / "bad.hierarchy.yaml"
    assert edit[0] in GOOD
    path.write_text(GOOD.replace(edit[0], edit[1], 1), encoding="utf-8")
    code = main(["simulate", REVIEW, "--district", "40", "--hierarchy", str(path), "--seed", "1",
                 "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert f"{path}:{line}: {message}" in err
    assert "Traceback" not in err


def test_a_children_guard_with_no_parent_level_is_an_error(review: sfd.Spec,
                                                          tmp_path: Path) -> None:
    """The spec's wrap-up waits for children: a model with one flat level names the guard."""
    path = tmp_path / "flat.hierarchy.yaml"
    path.write_text("format: sfd-workflow-hierarchy/1\nlevels:\n  - id: all\n"
                    "    kinds: {school: 1}\nkinds:\n  school: {members: 5}\n", encoding="utf-8")
    with pytest.raises(SimModelError, match=r"flat.hierarchy.yaml:2: levels: the spec's children "
                                            r"guard of 'close' has no parent kind to give"):
        load_hierarchy(path, review)


def test_a_children_guard_every_kind_skips_has_no_parent_kind(review: sfd.Spec) -> None:
    """Derived from a spec whose only children guard no kind can fire: a named error."""
    import attrs

    kinds = {k: attrs.evolve(uk, skip=("wrapup",)) for k, uk in review.unit_kinds.items()}
    spec = attrs.evolve(review, unit_kinds=kinds)
    with pytest.raises(SimulationError, match="children guard of 'close' has no parent kind"):
        derived_hierarchy(spec)


def test_the_builtin_model_has_four_levels_above_the_grassroots() -> None:
    """Province, city, county, district, grassroots; a district is the last two."""
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    h = load_hierarchy("builtin:xuhui-edu-2009", spec)
    assert [lv.id for lv in h.levels] == ["province", "city", "county", "district",
                                          "grassroots"]
    assert [lv.id for lv in h.level_range("district")] == ["district", "grassroots"]
    assert set(h.kinds) == set(spec.unit_kinds)


def test_a_builtin_kind_the_packaged_model_lacks_still_runs_exactly(tmp_path: Path) -> None:
    """A kind added to the built-in spec after its hierarchy model (here: the model without
    kindergartens) gets the default share and the derived role mix; the exact engine's log
    of a district of 60 replays with no rejection."""
    import yaml

    from sfd_workflow import sim
    from sfd_workflow.sim._modelio import builtin_model

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    doc = yaml.safe_load(builtin_model(spec.id, "hierarchy").read_text(encoding="utf-8"))
    for level in doc["levels"]:
        share = level["kinds"].pop("kindergarten", 0.0)
        if share:
            rest = sum(level["kinds"].values())
            level["kinds"] = {k: v / rest for k, v in level["kinds"].items()}
    del doc["kinds"]["kindergarten"]
    h = hierarchy_from_document(doc, spec)
    roster = district(60, 4, spec=spec, hierarchy=h)
    assert any(u.kind == "kindergarten" for u in roster.units)
    res = sim.run(spec, roster, engine="exact", seed=4)
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
    assert all(rt.submit(e).accepted for e in res.events or [])


def test_huge_numbers_in_a_model_are_bounded(review: sfd.Spec) -> None:
    """Hostile sizes (a trillion members, a trillion children per parent) give a nation of
    exactly the units asked for, members capped at 10,000, without exhausting memory."""
    import yaml

    doc = yaml.safe_load(GOOD)
    doc["levels"][1]["per_parent"] = 10**12
    doc["kinds"]["school"]["members"] = 10**12
    units = national(2_000, 1, spec=review, hierarchy=hierarchy_from_document(doc, review))
    assert len(units) == 2_000
    assert int(units.members.max()) == 10_000
