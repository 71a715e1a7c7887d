"""One command-line kit: every command names what it does not know, with "did you mean".

Each row runs a command with one near miss of something the spec or roster names (a unit
kind, a phase, a step, a unit, an actor, an event) or of a fixed choice (a view, a format,
a language), and expects exit status 2 and exactly one line on standard error that names
the option and the near match.
"""

from __future__ import annotations

import pytest

from sfd_workflow.cli import main

B = "builtin:xuhui-edu-2009"


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The built-in spec exported with its sample roster and log."""
    out = tmp_path_factory.mktemp("campaign")
    assert main(["specs", "--export", "xuhui-edu-2009", str(out)]) == 0
    return {"spec": str(out / "spec.yaml"), "roster": str(out / "roster.yaml"),
            "events": str(out / "events.jsonl"), "dir": str(out)}


def _explain(c: dict[str, str], **over: str) -> list[str]:
    opts = {"--unit": "xh-ms-01", "--event": "approve_report", "--actor": "ms01-01", **over}
    return ["explain", c["spec"], c["roster"], c["events"],
            *[x for kv in opts.items() for x in kv]]


CASES = [
    ("explain --unit", lambda c: _explain(c, **{"--unit": "xh-ms-1"}),
     "--unit: unknown unit 'xh-ms-1'; did you mean 'xh-ms-01'?"),
    ("explain --event", lambda c: _explain(c, **{"--event": "aprove_report"}),
     "--event: unknown event 'aprove_report'; did you mean 'approve_report'?"),
    ("explain --actor", lambda c: _explain(c, **{"--actor": "ms01_01"}),
     "--actor: unknown person 'ms01_01' in unit 'xh-ms-01'; did you mean 'ms01-01'?"),
    ("explain --lang", lambda c: [*_explain(c), "--lang", "zhh"],
     "Invalid value for '--lang': 'zhh' is not one of zh, en, both; did you mean 'zh'?"),
    ("render --kind", lambda c: ["render", B, "--view", "machine", "--kind", "shcool",
                                 "-o", c["dir"] + "/m.svg"],
     "--kind: unknown unit kind 'shcool'; did you mean 'school'?"),
    ("render --phase", lambda c: ["render", B, "--view", "machine", "--kind", "school",
                                  "--phase", "studdy", "-o", c["dir"] + "/m.svg"],
     "--phase: unknown phase 'studdy'"),
    ("render --step", lambda c: ["render", B, "--view", "machine", "--kind", "school",
                                 "--step", "reprot", "-o", c["dir"] + "/m.svg"],
     "--step: unknown step 'reprot'; did you mean 'report'?"),
    ("render --unit", lambda c: ["render", B, "--view", "unit", "--roster", c["roster"],
                                 "--events", c["events"], "--unit", "xh-ms-1",
                                 "-o", c["dir"] + "/u.svg"],
     "--unit: unknown unit 'xh-ms-1'; did you mean 'xh-ms-01'?"),
    ("render --view", lambda c: ["render", B, "--view", "machin", "-o", c["dir"] + "/m.svg"],
     "'machin' is not one of overview, machine, unit, progress, dependencies; did you mean "
     "'machine'?"),
    ("render --format", lambda c: ["render", B, "--format", "sgv", "-o", "-"],
     "'sgv' is not one of svg, png, pdf, dot, mermaid; did you mean 'svg'?"),
    ("slides --kind", lambda c: ["slides", B, "--kind", "kindergarden",
                                 "-o", c["dir"] + "/d.pptx"],
     "--kind: unknown unit kind 'kindergarden'; did you mean 'kindergarten'?"),
    ("simulate --engine", lambda c: ["simulate", B, "--district", "10", "--engine", "exatc",
                                     "--out", c["dir"] + "/sim"],
     "'exatc' is not one of exact, fast; did you mean 'exact'?"),
]


@pytest.mark.parametrize(("name", "argv", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_near_miss_gets_did_you_mean_and_exit_2(
        name: str, argv: object, message: str, campaign: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    """The command exits 2 with one line on stderr naming the option and the near match."""
    args = argv(campaign)  # type: ignore[operator]
    assert main(args) == 2, name
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("sfd-workflow: error: ")
    assert message in err[0], err[0]


def test_every_lang_option_has_one_default_shown_in_help(
        capsys: pytest.CaptureFixture[str]) -> None:
    """--lang is zh by default on every command that has it, and --help says so."""
    for command in (["explain"], ["render"], ["slides"], ["diff"], ["report"]):
        assert main([*command, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "--lang [zh|en|both]" in out, command
        assert "[default: zh]" in out, command


def test_a_missing_store_url_mentions_the_environment_variable(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --url and without $SFD_STORE_URL the error says both ways to give it."""
    monkeypatch.delenv("SFD_STORE_URL", raising=False)
    assert main(["store", "status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("sfd-workflow: error: Missing option '--url' (or set $SFD_STORE_URL) "
                   "(see --help)")
