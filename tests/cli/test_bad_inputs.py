"""Bad specs, rosters, event files and CLI arguments: each pinned to its exact message and line.

Every case runs the real CLI (`main([...])`), which must exit 2 with the pinned one-line
message first on stderr and never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sfd_workflow.cli import main

DATA = Path(__file__).parents[1] / "data" / "good"
SPEC = (DATA / "review.yaml").read_text(encoding="utf-8")
ROSTER = (DATA / "review.roster.yaml").read_text(encoding="utf-8")
EVENTS = '{"unit": "s1", "event": "log_hours", "actor": "a", "at": "2009-03-02T09:00:00"}\n'

ROLES = "(known: committee, masses_rep, member, secretary)"
STEPS = "(known: learn, report, research, wrapup)"
KINDS = "(known: general_branch, joint_branch, retired_branch, school)"

# (case id, old text, new text, expected first line of stderr after "sfd-workflow: error: ")
SPEC_CASES = [
    ("unknown-guard-role", "guard: {role: secretary}\n            records: report_draft",
     "guard: {role: secretery}\n            records: report_draft",
     f"spec.yaml:63: phases[1].steps[0].transitions[0].guard.role: unknown role 'secretery' "
     f"{ROLES}; did you mean 'secretary'?"),
    ("wrong-format", "format: sfd-workflow/1", "format: sfd-workflow/2",
     "spec.yaml:1: format: must be exactly 'sfd-workflow/1', not 'sfd-workflow/2'"),
    ("bad-spec-id", "id: review-demo", "id: Review Demo",
     "spec.yaml:2: id: spec id 'Review Demo' must match [a-z0-9][a-z0-9_-]* (lower-case "
     "ASCII; put other scripts in titles)"),
    ("unknown-top-key", "timezone: Asia/Shanghai\n", "timezone: Asia/Shanghai\ncolour: red\n",
     "spec.yaml:5: colour: unknown key 'colour' (known: description, format, id, period, "
     "phases, records, roles, timezone, title, unit_kinds)"),
    ("unknown-timezone", "timezone: Asia/Shanghai", "timezone: Asia/Shanghia",
     "spec.yaml:4: timezone: unknown IANA time zone 'Asia/Shanghia'"),
    ("period-backwards", "end: 2009-08-31}", "end: 2009-02-01}",
     "spec.yaml:5: period.end: ends (2009-02-01) before it starts (2009-03-01)"),
    ("duplicate-key", "id: review-demo\n", "id: review-demo\nid: again\n",
     "spec.yaml:3: id: duplicate key 'id' (first at line 2)"),
    ("after-cycle", "        title: {zh: 学习, en: Learn}\n",
     "        title: {zh: 学习, en: Learn}\n        after: [wrapup]\n",
     "spec.yaml:58: phases[1].steps[0].after: the steps' order has a cycle: "
     "learn → report → wrapup → learn"),
    ("unknown-after", "after: []", "after: [lern]",
     f"spec.yaml:44: phases[0].steps[1].after[0]: unknown step 'lern' {STEPS}; "
     "did you mean 'learn'?"),
    ("unreachable-state", "states: [open, reported]", "states: [open, reported, lost]",
     "spec.yaml:45: phases[0].steps[1].states[2]: state 'lost' of step 'research' cannot be "
     "reached from the initial state 'open'"),
    ("no-final-state", "from: pending", "from: [pending, closed]",
     "spec.yaml:87: phases[1].steps[1].states: step 'wrapup' has no final state (a state "
     "with no outgoing transition)"),
    ("event-in-two-steps", "event: close", "event: submit_report",
     "spec.yaml:89: phases[1].steps[1].transitions[0].event: event 'submit_report' already "
     "belongs to step 'report' (an event belongs to exactly one step)"),
    ("record-never-recorded", "has: [report_draft]", "has: [report_draf]",
     "spec.yaml:69: phases[1].steps[0].transitions[1].guard.has[0]: record kind 'report_draf' "
     "is never recorded by any transition (known: member_review, report_draft, study_hours); "
     "did you mean 'report_draft'?"),
    ("once-per-actor-without-records", "guard: {role: secretary}\n            clears",
     "guard: {role: secretary, once_per_actor: true}\n            clears",
     "spec.yaml:74: phases[1].steps[0].transitions[2].guard.once_per_actor: once_per_actor "
     "needs the transition to set 'records' (the kind counted per actor)"),
    ("children-unknown-step", "children: [report, wrapup]", "children: [report, wrap]",
     f"spec.yaml:92: phases[1].steps[1].transitions[0].guard.children[1]: unknown step 'wrap' "
     f"{STEPS}; did you mean 'wrapup'?"),
    ("skip-unknown-step", "skip: [report]", "skip: [reports]",
     f"spec.yaml:21: unit_kinds.retired_branch.skip[0]: unknown step 'reports' {STEPS}; "
     "did you mean 'report'?"),
    ("role-map-unknown-role", "role_map: {committee: member}", "role_map: {committee: membr}",
     f"spec.yaml:18: unit_kinds.joint_branch.role_map.committee: unknown role 'membr' {ROLES}; "
     "did you mean 'member'?"),
    ("quorum-bad-at-least", "at_least: majority}", "at_least: most}",
     "spec.yaml:79: phases[1].steps[0].transitions[3].guard.quorum.at_least: must be a whole "
     "number ≥ 0, 'majority', 'all' or a fraction 0<x<1, not 'most'"),
    ("unknown-guard-key", "not_before: 2009-03-15", "not_after: 2009-03-15",
     "spec.yaml:50: phases[0].steps[1].transitions[0].guard.not_after: unknown key "
     "'not_after' (known: children, custom, fields, has, not_before, once_per_actor, "
     "per_person, quorum, role); did you mean 'not_before'?"),
    ("impossible-date", "due: 2009-06-15", "due: 2009-06-31",
     "spec.yaml:65: phases[1].steps[0].transitions[0].due: must be a date (YYYY-MM-DD), "
     "not '2009-06-31'"),
    ("python-tag", "title: {zh: 总结, en: Wrap-up}",
     "title: !!python/object/apply:os.system [echo hi]",
     "spec.yaml:86: not valid YAML: YAML tag not allowed (specs are data only): could not "
     "determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("yaml-syntax", "states: [pending, closed]", "states: [pending, closed",
     "spec.yaml:88: not valid YAML: expected ',' or ']', but got ':'"),
    ("missing-states", "        states: [todo, done]\n", "",
     "spec.yaml:28: phases[0].steps[0]: missing required key 'states'"),
    ("unknown-to-state", "to: reported", "to: reportd",
     "spec.yaml:49: phases[0].steps[1].transitions[0].to: unknown state 'reportd' of step "
     "'research' (known: open, reported); did you mean 'reported'?"),
    ("unregistered-custom", "children: [report, wrapup]}", "children: [report, wrapup], "
     "custom: no_such_predicate}",
     "spec.yaml: phases[1].steps[1].transitions[0].guard.custom: predicate "
     "'no_such_predicate' is not registered (known: none registered); register it with "
     "@sfd_workflow.register_predicate(name) or pass predicates="),
    ("empty-file", SPEC, "", "spec.yaml: must be a mapping, not null"),
    ("roles-not-a-map", "  masses_rep: {zh: 群众代表, en: masses' representative}\n",
     "  - masses_rep\n",
     "spec.yaml:10: not valid YAML: expected <block end>, but found '-'; a list item ('- ') "
     "cannot stand among the keys of a mapping: put the list under a key of its own"),
    ("roles-empty", "roles:\n", "roles: {}\nold_roles:\n",
     "spec.yaml:6: roles: needs at least one role"),
    ("text-map-empty", "title: {zh: 评审演示, en: Review demo}", "title: {}",
     "spec.yaml:3: title: a text map needs at least one language"),
]

ROSTER_CASES = [
    ("unknown-kind", "kind: school", "kind: schol",
     f"roster.yaml:8: units[1].kind: unknown unit kind 'schol' {KINDS}; did you mean 'school'?"),
    ("unknown-parent", "    parent: gb\n    people:\n      - {id: x",
     "    parent: gbb\n    people:\n      - {id: x",
     "roster.yaml:18: units[2].parent: unknown parent unit 'gbb' (known: gb, j1, r1, s1); "
     "did you mean 'gb'?"),
    ("duplicate-unit", "id: r1", "id: s1", "roster.yaml:22: units[3].id: duplicate unit id 's1'"),
    ("duplicate-person", "{id: d, roles: [member]}", "{id: c, roles: [member]}",
     "roster.yaml:14: units[1].people[3].id: duplicate person id 'c' in unit 's1'"),
    ("unknown-person-role", "roles: [masses_rep]", "roles: [masses]",
     f"roster.yaml:15: units[1].people[4].roles[0]: unknown role 'masses' {ROLES}; "
     "did you mean 'masses_rep'?"),
    ("parent-cycle", "kind: general_branch", "kind: general_branch\n    parent: s1",
     "roster.yaml:4: units[0].parent: units' parents form a cycle: gb → s1 → gb"),
    ("roster-not-mapping", ROSTER, "- a\n- b\n", "roster.yaml:1: must be a mapping, not a list"),
    ("unit-without-kind", "    kind: retired_branch\n", "",
     "roster.yaml:22: units[3]: missing required key 'kind'"),
]


def _write(tmp: Path, name: str, text: str | bytes) -> str:
    path = tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def _first_error(err: str, tmp: Path) -> str:
    first = err.splitlines()[0]
    prefix = "sfd-workflow: error: "
    assert first.startswith(prefix), err
    return first[len(prefix):].replace(str(tmp) + "/", "")


@pytest.mark.parametrize(("old", "new", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in SPEC_CASES])
def test_bad_spec_is_reported_with_file_line_and_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        expected: str) -> None:
    """A bad spec exits 2 and names the file, the line and the path of the first problem."""
    assert SPEC.count(old) == 1, f"the case must change exactly one place: {old!r}"
    spec = _write(tmp_path, "spec.yaml", SPEC.replace(old, new))
    roster = _write(tmp_path, "roster.yaml", ROSTER)
    events = _write(tmp_path, "events.jsonl", EVENTS)
    code, err = _run(capsys, ["replay", spec, roster, events])
    assert code == 2
    assert _first_error(err, tmp_path) == expected


@pytest.mark.parametrize(("old", "new", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in ROSTER_CASES])
def test_bad_roster_is_reported_with_file_line_and_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        expected: str) -> None:
    """A bad roster exits 2 and names the file, the line and the path of the first problem."""
    assert ROSTER.count(old) == 1, f"the case must change exactly one place: {old!r}"
    spec = _write(tmp_path, "spec.yaml", SPEC)
    roster = _write(tmp_path, "roster.yaml", ROSTER.replace(old, new))
    events = _write(tmp_path, "events.jsonl", EVENTS)
    code, err = _run(capsys, ["replay", spec, roster, events])
    assert code == 2
    assert _first_error(err, tmp_path) == expected


OTHER_CASES = [
    ("spec-missing", ["replay", "{tmp}/nope.yaml", "{roster}", "{events}"],
     "nope.yaml: no such file"),
    ("spec-json-syntax", ["replay", "{tmp}/bad.json", "{roster}", "{events}"],
     "bad.json:3: not valid JSON: Expecting property name enclosed in double quotes"),
    ("spec-is-directory", ["validate", "{tmp}"], "{tmpname}: is a directory, not a file"),
    ("unknown-builtin", ["validate", "builtin:xuhui-edu-2010"],
     "builtin:xuhui-edu-2010: no built-in spec 'xuhui-edu-2010' (known: xuhui-edu-2009); "
     "did you mean 'xuhui-edu-2009'?"),
    ("roster-missing", ["replay", "{spec}", "{tmp}/nope.yaml", "{events}"],
     "nope.yaml: no such file"),
    ("events-missing", ["replay", "{spec}", "{roster}", "{tmp}/nope.jsonl"],
     "nope.jsonl: no such file"),
    ("events-directory", ["replay", "{spec}", "{roster}", "{tmp}"],
     "{tmpname}: is a directory, not a file"),
    ("replay-missing-argument", ["replay", "{spec}"],
     "Missing argument 'ROSTER'. (see --help)"),
    ("unknown-command", ["frobnicate"], "No such command 'frobnicate'. (see --help)"),
    ("unknown-option", ["validate", "--colour", "{spec}"],
     "No such option '--colour'. (see --help)"),
    ("explain-bad-payload", ["explain", "{spec}", "{roster}", "{events}", "--unit", "s1",
                             "--event", "log_hours", "--actor", "a", "--payload", "nope"],
     "--payload: not JSON: Expecting value at character 1"),
    ("explain-payload-not-object", ["explain", "{spec}", "{roster}", "{events}", "--unit", "s1",
                                    "--event", "log_hours", "--actor", "a", "--payload", "[1]"],
     "--payload: must be a JSON object"),
    ("explain-bad-at", ["explain", "{spec}", "{roster}", "{events}", "--unit", "s1",
                        "--event", "log_hours", "--actor", "a", "--at", "yesterday"],
     "--at: 'at' \"yesterday\": not an ISO 8601 date-time"),
    ("export-unknown-id", ["specs", "--export", "nope", "{tmp}/out"],
     "builtin:nope: no built-in spec 'nope' (known: xuhui-edu-2009)"),
    ("export-existing", ["specs", "--export", "xuhui-edu-2009", "{tmp}/exists"],
     "exists/spec.yaml: already exists (use --force to overwrite)"),
]


@pytest.mark.parametrize(("argv", "expected"), [pytest.param(*c[1:], id=c[0]) for c in OTHER_CASES])
def test_bad_files_and_arguments_exit_2_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
        expected: str) -> None:
    """Unreadable files and bad CLI arguments exit 2 with a one-line message."""
    names = {
        "tmp": str(tmp_path),
        "tmpname": str(tmp_path),
        "spec": _write(tmp_path, "spec.yaml", SPEC),
        "roster": _write(tmp_path, "roster.yaml", ROSTER),
        "events": _write(tmp_path, "events.jsonl", EVENTS),
    }
    _write(tmp_path, "bad.json", '{\n  "format": "sfd-workflow/1",\n}\n')
    _write(tmp_path, "latin1.jsonl", "caf\xe9 \xe9t\xe9".encode("latin-1"))
    (tmp_path / "exists").mkdir()
    _write(tmp_path / "exists", "spec.yaml", "mine")
    code, err = _run(capsys, [a.format(**names) for a in argv])
    assert code == 2
    message = err.splitlines()[0].removeprefix("sfd-workflow: error: ")
    assert message.replace(str(tmp_path) + "/", "") == expected.format(**names)
    assert (tmp_path / "exists" / "spec.yaml").read_text() == "mine"  # nothing overwritten


def test_all_problems_of_a_spec_are_listed_one_a_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every problem of a file is reported, each on its own line, first one first."""
    text = SPEC.replace("role: secretary}\n            records: report_draft",
                        "role: secretery}\n            records: report_draft")
    text = text.replace("skip: [report]", "skip: [reports]")
    spec = _write(tmp_path, "spec.yaml", text)
    code, err = _run(capsys, ["validate", spec])
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("sfd-workflow: error: ") for line in lines)
    assert "'reports'" in lines[0]  # document order: unit_kinds come before phases
    assert "'secretery'" in lines[1]
