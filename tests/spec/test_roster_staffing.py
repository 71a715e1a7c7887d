"""Roster warnings about role maps nobody can fill (issue 16, bad input): `validate --roster`.

A branch without a committee relies on all members (R18): with no member, nobody can do a
committee's part. An organ with no party leading cadre has no bureau cadre for R9; a unit with
neither a leading cadre nor a leadership-team member leaves the leadership's outlines (R13)
to the secretary. Each is a warning naming the unit and the rule, never an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import sfd_workflow as sfd
from sfd_workflow._roster import roster_warnings
from sfd_workflow.cli import main
from support.campaign import ROSTER_PATH, SPEC_ID

BAD = {"units": [
    {"id": "jb", "kind": "joint_branch",
     "people": [{"id": "s", "roles": ["secretary"]}, {"id": "m", "roles": ["masses_rep"]}]},
    {"id": "org", "kind": "organ",
     "people": [{"id": "s", "roles": ["secretary", "member", "committee"]}]},
    # legal and quiet: no leading cadre at all, but members and a leadership-team member;
    # the per-person rules over leading cadres ask for nobody here by design
    {"id": "nc", "kind": "no_committee_branch",
     "people": [{"id": "s", "roles": ["secretary", "member", "leadership"]},
                {"id": "m", "roles": ["member"]}, {"id": "r", "roles": ["masses_rep"]}]},
]}


@pytest.fixture(scope="module")
def spec() -> sfd.Spec:
    """The built-in spec."""
    return sfd.load_spec(f"builtin:{SPEC_ID}")


def _gaps(spec: sfd.Spec, doc: dict[str, object]) -> list[str]:
    roster = sfd.roster_from_document(doc, spec, source="r.yaml")
    return [str(w) for w in roster_warnings(spec, roster) if "role_map" in w.message]


def test_the_sample_roster_has_no_warnings(spec: sfd.Spec) -> None:
    """The sample district gives every kind the people it relies on. The only warnings are
    of guards that hold trivially where a unit has nobody of a role or no children, which
    the built-in spec means ("every party leading cadre", "parents after children")."""
    assert ROSTER_PATH is not None
    warnings = [str(w) for w in roster_warnings(spec, sfd.load_roster(ROSTER_PATH, spec))]
    assert warnings
    assert all("holds trivially" in w for w in warnings), warnings


def test_each_gap_names_the_unit_the_role_map_and_the_rule(spec: sfd.Spec) -> None:
    """R18, R9, R13: one warning per unit and role map entry nobody can fill."""
    gaps = _gaps(spec, BAD)
    assert gaps == [
        "r.yaml: units[0]: unit 'jb' (joint_branch) has nobody with the role committee or "
        "member: kind 'joint_branch' relies on them for 'committee' (role_map), and "
        "'contribute_to_report' (R14, R18, R19, R20, R23) asks for it, so nobody can fire it",
        "r.yaml: units[0]: unit 'jb' (joint_branch) has nobody with the role leadership or "
        "leading_cadre: kind 'joint_branch' relies on them for 'leadership' (role_map), and "
        "'submit_speaking_outline' (R13, R19, R23) asks for it, so only a secretary can "
        "fire it",
        "r.yaml: units[1]: unit 'org' (organ) has nobody with the role bureau_cadre or "
        "leading_cadre: kind 'organ' relies on them for 'bureau_cadre' (role_map), and "
        "'fix_contact_point' (R9, R23) asks for it, so nobody can fire it",
        "r.yaml: units[1]: unit 'org' (organ) has nobody with the role leadership or "
        "leading_cadre: kind 'organ' relies on them for 'leadership' (role_map), and "
        "'submit_speaking_outline' (R13, R19, R23) asks for it, so only a secretary can "
        "fire it",
    ]


def test_a_skipped_step_asks_for_nobody(spec: sfd.Spec) -> None:
    """R24: a retired branch skips the life meetings, so its lack of a leadership team is no
    gap; its secretary fills `veteran_secretary`."""
    doc = {"units": [{"id": "rb", "kind": "retired_branch",
                      "people": [{"id": "s", "roles": ["secretary", "member"]}]}]}
    assert _gaps(spec, doc) == []


def test_validate_roster_prints_the_warnings_and_strict_fails(
        spec: sfd.Spec, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sfd-workflow validate SPEC --roster R` exits 0 with the warnings on stderr; with
    `--strict` it exits 1."""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(BAD), encoding="utf-8")
    args = ["validate", f"builtin:{SPEC_ID}", "--roster", str(path)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"warning: {path}: units[0]: unit 'jb' (joint_branch) has nobody" in err
    assert "'fix_contact_point' (R9, R23)" in err
    assert "unit 'nc'" not in err
    assert main([*args, "--strict"]) == 1
