"""The command line: validate, replay, explain, specs; and one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sfd_workflow
from sfd_workflow.cli import main

DATA = Path(__file__).parents[1] / "data" / "good"
SPEC, ROSTER = str(DATA / "review.yaml"), str(DATA / "review.roster.yaml")


def test_validate_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """`validate` counts phases, steps, states, transitions, roles and checks the roster."""
    assert main(["validate", SPEC, "--roster", ROSTER]) == 0
    out = capsys.readouterr().out
    assert "2 phases, 4 steps, 9 states, 9 transitions, 4 roles, 4 unit kinds" in out
    assert "4 units (general_branch 1, joint_branch 1, retired_branch 1, school 1)" in out


def test_validate_warns_of_units_that_can_never_advance(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """A unit where nobody holds the role a step starts with is a warning, not an error."""
    assert main(["validate", SPEC, "--roster", ROSTER]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"warning: {ROSTER}: units[0]: unit 'gb' can never start step 'research': nobody "
        "holds the role committee",
        f"warning: {ROSTER}: units[3]: unit 'r1' can never start step 'research': nobody "
        "holds the role committee",
        f"warning: {ROSTER}: the children guard of 'close' holds trivially in 3 units (no "
        "child units): s1, j1, r1",
    ]
    assert main(["validate", SPEC, "--roster", ROSTER, "--strict"]) == 1


def test_validate_strict_fails_on_warnings(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A legal but suspicious spec validates, with warnings; `--strict` makes them fail."""
    text = (DATA / "review.yaml").read_text(encoding="utf-8").replace(
        "due: 2009-04-30", "due: 2009-05-30")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    assert main(["validate", str(spec)]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "outside the window of phase 'study'" in err
    assert main(["validate", str(spec), "--strict"]) == 1


def test_replay_writes_one_json_object_per_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """SPEC-FORMAT §5: line, unit, event, verdict, reason, late — for every line."""
    events = tmp_path / "e.jsonl"
    events.write_text(
        '{"unit": "s1", "event": "log_hours", "actor": "c", "at": "2009-03-02T09:00:00", '
        '"payload": {"hours": 3}}\n'
        '{"unit": "s1", "event": "log_hours", "actor": "m", "at": "2009-03-02T09:00:00"}\n'
        "\n", encoding="utf-8")
    assert main(["replay", SPEC, ROSTER, str(events)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert out == [
        {"line": 1, "unit": "s1", "event": "log_hours", "verdict": "accepted", "reason": None,
         "late": False, "detail": None},
        {"line": 2, "unit": "s1", "event": "log_hours", "verdict": "rejected", "reason": "role",
         "late": False, "detail": "须满足“党员”：m 不具备该角色"},
        {"line": 3, "unit": None, "event": None, "verdict": "rejected", "reason": "malformed",
         "late": False, "detail": "空行"},
    ]


def test_explain_says_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`explain` replays the log, then lists every unmet requirement."""
    events = tmp_path / "e.jsonl"
    events.write_text("", encoding="utf-8")
    assert main(["explain", SPEC, ROSTER, str(events), "--unit", "s1", "--event",
                 "finish_learning", "--actor", "c", "--at", "2009-03-02T09:00:00", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["allowed"] is False
    assert [u["reason"] for u in body["unmet"]] == ["role", "per_person"]


def test_explain_reads_unit_and_actor_in_normal_form_c(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--unit` and `--actor` typed with combining accents name the roster's composed ids."""
    roster = tmp_path / "roster.yaml"
    roster.write_text(Path(ROSTER).read_text(encoding="utf-8").replace(
        "id: s1", "id: \u00e91").replace("{id: c,", "{id: \u00e9,"), encoding="utf-8")
    events = tmp_path / "e.jsonl"
    events.write_text("", encoding="utf-8")
    assert main(["explain", SPEC, str(roster), str(events), "--unit", "e\u03011", "--event",
                 "log_hours", "--actor", "e\u0301", "--at", "2009-03-02T09:00:00",
                 "--payload", '{"hours": 1}', "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["allowed"] is True


def test_specs_lists_and_exports_the_builtin(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`specs` lists built-ins; `--export` writes spec, roster and log that replay cleanly."""
    assert main(["specs"]) == 0
    assert "builtin:xuhui-edu-2009" in capsys.readouterr().out
    out = tmp_path / "mine"
    assert main(["specs", "--export", "xuhui-edu-2009", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["events.jsonl", "roster.yaml", "spec.yaml"]
    capsys.readouterr()
    assert main(["replay", str(out / "spec.yaml"), str(out / "roster.yaml"),
                 str(out / "events.jsonl")]) == 0
    verdicts = [json.loads(x)["verdict"] for x in capsys.readouterr().out.splitlines()]
    assert verdicts and set(verdicts) == {"accepted"}


def test_console_script_runs_in_a_subprocess(tmp_path: Path) -> None:
    """`python -m sfd_workflow` is the real entry point: exit codes and streams."""
    # the package under test, installed or not
    env = {**os.environ, "PYTHONPATH": str(Path(sfd_workflow.__file__).parent.parent)}
    ok = subprocess.run([sys.executable, "-m", "sfd_workflow", "validate",
                         "builtin:xuhui-edu-2009"], capture_output=True, text=True, check=False,
                        env=env)
    assert ok.returncode == 0, ok.stderr
    assert "3 phases, 6 steps" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "sfd_workflow", "replay", "nope.yaml", "r", "e"],
                         capture_output=True, text=True, check=False, env=env)
    assert bad.returncode == 2
    assert bad.stderr == "sfd-workflow: error: nope.yaml: no such file\n"
