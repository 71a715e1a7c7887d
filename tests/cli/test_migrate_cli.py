"""`sfd-workflow diff` and `sfd-workflow migrate plan|check` (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import sfd_workflow
from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.cli import main
from support.versions import BUILTIN, builtin_document, move_due, rename_state

ROSTER, EVENTS = (str(p) for p in sample_paths("xuhui-edu-2009"))


@pytest.fixture
def renamed(tmp_path: Path) -> str:
    """A new version of the built-in: report.evaluating renamed, approve_report due later."""
    doc = rename_state(builtin_document(), "report", "evaluating", "under_review")
    doc = move_due(doc, "approve_report", "2009-07-31")
    path = tmp_path / "new.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


def test_diff_prints_sentences_and_json(renamed: str, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    """The words group changes by class; --json gives the same changes as data."""
    assert main(["diff", BUILTIN, renamed, "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "xuhui-edu-2009 → xuhui-edu-2009: 10 changes, 8 need a plan"
    assert out[1] == "needs a plan:"
    assert "  - state report.evaluating removed" in out
    assert out[out.index("safe for units under way:") + 1:] == [
        "  - state report.under_review added",
        "  - due date report.approve_report changed: 2009-06-30 → 2009-07-31"]
    assert main(["diff", BUILTIN, renamed, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["safe"] is False
    assert len(data["changes"]) == 10
    assert {"zh", "en", "what", "where", "change", "safe", "old", "new"} <= set(
        data["changes"][0])


def test_migrate_plan_then_check_for_the_sample_units(renamed: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """The automatic plan lacks the renamed state: complete for units before the report's
    evaluation, incomplete (exit 1, file:line) for the sample log's units after it."""
    plan = tmp_path / "plan.yaml"
    assert main(["migrate", "plan", BUILTIN, renamed, "-o", str(plan)]) == 0
    assert capsys.readouterr().err.strip() == f"{plan}: 1 item to decide"
    assert main(["migrate", "check", BUILTIN, renamed, str(plan), "--roster", ROSTER]) == 0
    assert capsys.readouterr().out.strip() == f"{plan}: complete for 11 units"
    assert main(["migrate", "check", BUILTIN, renamed, str(plan), "--roster", ROSTER,
                 "--events", EVENTS]) == 0  # the sample log ends with the report approved
    log = tmp_path / "half.jsonl"
    log.write_text("\n".join(Path(EVENTS).read_text(encoding="utf-8").splitlines()[:80]) + "\n",
                   encoding="utf-8")
    capsys.readouterr()
    assert main(["migrate", "check", BUILTIN, renamed, str(plan), "--roster", ROSTER,
                 "--events", str(log)]) == 1
    cap = capsys.readouterr()
    line = next(i for i, t in enumerate(plan.read_text().splitlines(), 1)
                if t.strip().startswith("evaluating: null"))
    assert cap.out.splitlines() == [
        f"{plan}:{line}: states.report.evaluating: no target for state 'evaluating' of step "
        "'report' (held by 1 unit: xh-ms-01)"]
    assert cap.err.strip() == f"{plan}: incomplete for 11 units: 1 item without a target"
    assert main(["migrate", "check", BUILTIN, renamed, str(plan), "--roster", ROSTER,
                 "--events", str(log), "--units", "xh-ps-01,xh-kg-01"]) == 0
    assert capsys.readouterr().out.strip() == f"{plan}: complete for 2 units"


@pytest.mark.parametrize(("args", "message"), [
    (["--units", "nobody"], "--units: no unit 'nobody' in {roster}"),
    (["--events", "{events}"], "--events and --units need --roster (or --url)"),
])
def test_check_refuses_bad_options(renamed: str, tmp_path: Path, args: list[str], message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown units and options that need a roster exit 2 with one line."""
    plan = tmp_path / "plan.yaml"
    assert main(["migrate", "plan", BUILTIN, renamed, "-o", str(plan)]) == 0
    capsys.readouterr()
    roster = ["--roster", ROSTER] if "--units" in args else []
    args = [a.format(events=EVENTS) for a in args]
    assert main(["migrate", "check", BUILTIN, renamed, str(plan), *roster, *args]) == 2
    err = capsys.readouterr().err
    assert err == f"sfd-workflow: error: {message.format(roster=ROSTER)}\n"


def test_a_bad_plan_is_one_line_with_file_and_line(renamed: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A target state in another step exits 2, naming the plan's line."""
    plan = tmp_path / "plan.yaml"
    plan.write_text("from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\nstates:\n"
                    "  report:\n    evaluating: published\n", encoding="utf-8")
    assert main(["migrate", "check", BUILTIN, renamed, str(plan)]) == 2
    assert capsys.readouterr().err == (
        f"sfd-workflow: error: {plan}:5: states.report.evaluating: 'published' is not a state "
        "of new step 'report' but of step 'plan': write {plan: published} to place units "
        "there\n")


def test_migrate_plan_will_not_overwrite(renamed: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """An existing output needs --force."""
    plan = tmp_path / "plan.yaml"
    plan.write_text("mine\n", encoding="utf-8")
    assert main(["migrate", "plan", BUILTIN, renamed, "-o", str(plan)]) == 2
    assert "already exists (use --force to overwrite)" in capsys.readouterr().err
    assert plan.read_text(encoding="utf-8") == "mine\n"


def test_the_installed_command_runs_diff() -> None:
    """Smoke test through a real process."""
    env = {**os.environ, "PYTHONPATH": str(Path(sfd_workflow.__file__).parent.parent)}
    done = subprocess.run([sys.executable, "-m", "sfd_workflow", "diff", BUILTIN, BUILTIN],
                          capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("xuhui-edu-2009 → xuhui-edu-2009: 0 处变化")
