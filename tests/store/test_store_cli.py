"""`sfd-workflow store init|submit|status|verify|export` (issue 6 §6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.cli import main
from support.store import ROSTER, SPEC, approval_script


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(e) for e in approval_script()] + ["not json"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A fresh SQLite store made with `store init`."""
    u = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["store", "init", "--url", u, str(SPEC), str(ROSTER)]) == 0
    return u


def test_init_then_submit_writes_one_verdict_a_line(url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`submit` judges each line like `replay` does and stores what it accepts."""
    capsys.readouterr()
    assert main(["store", "submit", "--url", url, str(_log(tmp_path))]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["verdict"] for x in lines] == ["accepted"] * 4 + ["rejected", "rejected",
                                                                 "accepted", "accepted",
                                                                 "rejected"]
    assert [x["reason"] for x in lines if x["reason"]] == ["duplicate", "quorum", "malformed"]
    assert lines[-1]["unit"] is None
    assert lines[0] == {"line": 1, "unit": "ps-0-0", "event": "write_draft",
                        "verdict": "accepted", "reason": None, "late": False,
                        "detail": None}
    assert "9 events: accepted 6, duplicate 1, malformed 1, quorum 1" in err


def test_submit_one_event_from_the_command_line(url: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`--event JSON` submits a single event."""
    event = json.dumps(approval_script()[0])
    assert main(["store", "submit", "--url", url, "--event", event]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "accepted"


def test_status_prints_a_row_per_unit(url: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The table and the JSON rows name every unit; --as-of decides what is overdue."""
    main(["store", "submit", "--url", url, str(_log(tmp_path))])
    capsys.readouterr()
    assert main(["store", "status", "--url", url, "--json", "--as-of",
                 "2009-07-02T00:00:00"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(rows) == 20
    assert next(r for r in rows if r["unit"] == "ps-0-0")["events"] == 6
    assert main(["store", "status", "--url", url]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("unit")
    assert len(table) == 21


def test_verify_exits_1_when_an_event_was_edited(url: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A clean store exits 0 with 'ok'; after an edit it exits 1 naming the event."""
    main(["store", "submit", "--url", url, str(_log(tmp_path))])
    capsys.readouterr()
    assert main(["store", "verify", "--url", url]) == 0
    assert capsys.readouterr().out.startswith("ok: 6 events of 20 units")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sfd_events SET actor = 'm4' WHERE seq = 3")
    engine.dispose()
    assert main(["store", "verify", "--url", url, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["broken"][0]["unit"] == "ps-0-0"
    assert report["broken"][0]["seq"] == 3


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xes"])
def test_export_writes_each_format(url: str, tmp_path: Path, fmt: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Export to a file or standard output."""
    main(["store", "submit", "--url", url, str(_log(tmp_path))])
    capsys.readouterr()
    target = tmp_path / f"out.{fmt}"
    assert main(["store", "export", "--url", url, "--format", fmt, "-o", str(target)]) == 0
    assert f"exported 6 events as {fmt}" in capsys.readouterr().err
    assert target.stat().st_size > 0
    assert main(["store", "export", "--url", url, "--format", fmt]) == 0
    assert capsys.readouterr().out == target.read_bytes().decode("utf-8")


@pytest.mark.parametrize(("argv", "message"), [
    (["store", "verify", "--url", "sqlite:///{tmp}/none.db"], "no event store at"),
    (["store", "status", "--url", "mysql://x/y"], "unsupported database 'mysql'"),
    (["store", "init", "--url", "sqlite:///{tmp}/x.db", "{tmp}/missing.yaml", str(ROSTER)],
     "missing.yaml: no such file"),
    (["store", "submit", "--url", "sqlite:///{tmp}/x.db"], "give either EVENTS"),
    (["store", "status", "--url", "sqlite:///{tmp}/x.db", "--as-of", "soon"],
     "--as-of: not an ISO 8601 date-time"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, argv: list[str], message: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Unusable input is one line on stderr and exit status 2, never a traceback."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


def test_the_store_command_runs_as_a_program(tmp_path: Path) -> None:
    """A subprocess smoke test: init, submit from stdin, verify."""
    u = f"sqlite:///{tmp_path / 'p.db'}"
    env = {**os.environ, "SFD_STORE_URL": u,
           "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    run = [sys.executable, "-m", "sfd_workflow", "store"]
    subprocess.run([*run, "init", str(SPEC), str(ROSTER)], env=env, check=True,
                   capture_output=True)
    done = subprocess.run([*run, "submit", "-"], env=env, check=True, capture_output=True,
                          text=True, input=_log(tmp_path).read_text())
    assert len(done.stdout.splitlines()) == 9
    ok = subprocess.run([*run, "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0
    assert ok.stdout.startswith("ok: 6 events")


def test_submit_snapshot_every_sets_how_often_states_are_persisted(
        url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--snapshot-every 1` persists a snapshot per accepted event; 0 persists none."""
    db = url.removeprefix("sqlite:///")

    def snapshots() -> int:
        with sa.create_engine(f"sqlite:///{db}").connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM sfd_snapshots")).scalar_one())

    assert main(["store", "submit", "--url", url, "--snapshot-every", "0",
                 str(_log(tmp_path))]) == 0
    assert snapshots() == 0
    event = approval_script("ps-0-1")[0]  # a fresh unit's first step: accepted
    capsys.readouterr()
    assert main(["store", "submit", "--url", url, "--snapshot-every", "1", "--event",
                 json.dumps(event)]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "accepted"
    assert snapshots() == 1
    assert main(["store", "submit", "--url", url, "--snapshot-every", "-1", "--event",
                 json.dumps(event)]) == 2


def test_status_counts_events_outside_the_plans_months(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """R6 (the window flag): `store status` counts, per unit, the accepted events that
    `replay` flags as outside a flagged phase window; a flagged event is never refused."""
    spec = "builtin:xuhui-edu-2009"
    roster, events = sample_paths("xuhui-edu-2009")
    assert roster is not None and events is not None
    assert main(["replay", spec, str(roster), str(events)]) == 0
    flagged: dict[str, int] = {}
    for line in capsys.readouterr().out.splitlines():
        row = json.loads(line)
        assert row["verdict"] == "accepted"
        if row.get("outside_window"):
            flagged[row["unit"]] = flagged.get(row["unit"], 0) + 1
    assert flagged
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["store", "init", "--url", url, spec, str(roster)]) == 0
    assert main(["store", "import", "--url", url, str(events)]) == 0
    capsys.readouterr()
    assert main(["store", "status", "--url", url, "--as-of", "2009-09-01T00:00",
                 "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {r["unit"]: r["outside_window"] for r in rows if r["outside_window"]} == flagged
