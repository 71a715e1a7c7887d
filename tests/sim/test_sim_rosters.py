"""Synthetic rosters: realistic districts with people, national-scale arrays without them."""

from __future__ import annotations

import numpy as np
import pytest

import sfd_workflow as sfd
from sfd_workflow.sim import SimulationError, district, national, roster_document, unit_arrays


@pytest.fixture(scope="module")
def spec() -> sfd.Spec:
    """The built-in spec."""
    return sfd.load_spec("builtin:xuhui-edu-2009")


def test_a_district_is_a_valid_roster_of_the_builtin_spec(spec: sfd.Spec) -> None:
    """Written out and loaded back by the core loader, a district passes every roster check."""
    roster = district(140, 3, spec=spec)
    again = sfd.roster_from_document(roster_document(roster), spec, "<district>")
    assert [u.id for u in again.units] == [u.id for u in roster.units]
    assert len(roster) == 140


def test_a_district_has_every_kind_and_general_branches_with_sub_branches(spec: sfd.Spec) -> None:
    """Organs, general branches parenting schools and kindergartens (R21), joint and retired
    branches are all present."""
    roster = district(140, 3, spec=spec)
    kinds = {u.kind for u in roster.units}
    assert kinds == set(spec.unit_kinds)
    by_id = roster.by_id
    parents = {by_id[u.parent].kind for u in roster.units if u.parent}
    assert parents == {"general_branch"}
    child_kinds = {u.kind for u in roster.units if u.parent}
    assert child_kinds == {"school", "kindergarten"}


def test_branches_have_3_to_60_members_and_the_roles_the_spec_needs(spec: sfd.Spec) -> None:
    """Each unit: 3-60 members, one secretary; a committee except joint, retired and
    no-committee branches (R18); masses' representatives wherever the report is evaluated
    (R14)."""
    roster = district(300, 4, spec=spec)
    for u in roster.units:
        members = [p for p in u.people if "member" in p.roles]
        assert 3 <= len(members) <= 60
        assert sum("secretary" in p.roles for p in u.people) == 1
        has_committee = any("committee" in p.roles for p in u.people)
        assert has_committee == (u.kind not in ("joint_branch", "retired_branch",
                                                "no_committee_branch"))
        if u.kind != "retired_branch":
            assert any("masses_rep" in p.roles for p in u.people)
        if u.kind in ("school", "kindergarten"):
            assert any("principal" in p.roles for p in u.people)  # R19


def test_the_same_seed_gives_the_same_district(spec: sfd.Spec) -> None:
    """Generation is deterministic; another seed gives another district."""
    assert district(50, 7) == district(50, 7)
    assert district(50, 7) != district(50, 8)


def test_a_district_needs_one_unit_of_each_kind_at_each_level() -> None:
    """Fewer units cannot hold one of each kind at each level (6 + 2 in the built-in's)."""
    with pytest.raises(SimulationError, match="at least 10 units"):
        district(9)


def test_national_units_are_compact_arrays_over_five_levels(spec: sfd.Spec) -> None:
    """A million units: small dtypes; province, city and county organs above the district's
    units, grassroots sub-branches under general branches (R21); members 3-60."""
    units = national(1_000_000, 1, spec=spec)
    assert len(units) == 1_000_000
    assert units.kind.dtype == np.int8 and units.members.dtype == np.int32
    names = np.asarray(units.kind_names)
    depth = units.depth
    assert int(depth.max()) == 4
    for d in (0, 1, 2):
        assert set(names[units.kind[depth == d]]) == {"organ"}
    assert set(names[units.kind[depth == 4]]) == {"school", "kindergarten"}
    assert set(names[units.kind[units.parent[depth == 4]]]) == {"general_branch"}
    assert units.members.min() >= 3 and units.members.max() <= 60
    assert set(np.unique(units.kind).tolist()) == set(range(len(spec.unit_kinds)))
    nbytes = units.kind.nbytes + units.parent.nbytes + units.members.nbytes
    assert nbytes / len(units) <= 16


def test_unit_arrays_of_a_roster_keep_ids_and_parents(spec: sfd.Spec) -> None:
    """Arrays from a roster point parents at the right rows."""
    roster = district(40, 2, spec=spec)
    arr = unit_arrays(roster, spec)
    for i, u in enumerate(roster.units):
        if u.parent is None:
            assert arr.parent[i] == -1
        else:
            assert arr.ids is not None and arr.ids[arr.parent[i]] == u.parent
