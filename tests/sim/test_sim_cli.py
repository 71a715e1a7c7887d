"""`sfd-workflow simulate`: files written, KPIs on stdout, one-line errors with exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sfd_workflow
from sfd_workflow.cli import main


def test_simulate_a_district_writes_roster_log_tables_and_plots(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The exact engine's outputs: the log replays through `replay` with no rejection."""
    out = tmp_path / "out"
    code = main(["simulate", "builtin:xuhui-edu-2009", "--district", "12", "--seed", "3",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    captured = capsys.readouterr()
    lines = [json.loads(x) for x in captured.out.splitlines()]
    assert [x["step"] for x in lines] == ["study_research", "discussion", "life_meetings",
                                         "report", "plan", "solve"]
    assert all(0.0 <= x["on_time"] <= 1.0 for x in lines)
    for name in ("roster.yaml", "events.jsonl", "summary.csv", "summary.parquet", "steps.csv",
                 "steps.parquet", "events.parquet", "by_kind.csv", "kpis.yaml",
                 "sim-progress.png", "sim-lateness.png", "sim-gantt.png", "sim-heatmap.png"):
        assert (out / name).is_file(), name
    steps = pd.read_parquet(out / "steps.parquet")
    assert len(steps) == 12 * 6
    code = main(["replay", "builtin:xuhui-edu-2009", str(out / "roster.yaml"),
                 str(out / "events.jsonl")])
    assert code == 0
    verdicts = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert verdicts and all(v["verdict"] == "accepted" for v in verdicts)


def test_simulate_national_runs_the_fast_engine_with_bands(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--national with --runs gives on-time bands and an ensemble table; no event log."""
    out = tmp_path / "nat"
    code = main(["simulate", "builtin:xuhui-edu-2009", "--national", "--units", "5000",
                 "--seed", "1", "--runs", "3", "--out", str(out), "--no-progress"])
    assert code == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert all(len(x["on_time_band"]) == 2 for x in lines)
    assert (out / "ensemble.parquet").is_file()
    assert not (out / "events.jsonl").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--seed", "1", "--out", "X"], "give exactly one of --roster R, --district N, --national"),
    (["--district", "5", "--seed", "1", "--out", "X"], "a district needs at least 10 units"),
    (["--national", "--engine", "exact", "--seed", "1", "--out", "X"], "--national has no people"),
    (["--roster", "missing.yaml", "--seed", "1", "--out", "X"], "missing.yaml"),
    (["--district", "8", "--model", "missing.sim.yaml", "--seed", "1", "--out", "X"],
     "missing.sim.yaml: cannot read"),
    (["--district", "8", "--out", "X"], "--seed"),
])
def test_bad_arguments_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           args: list[str], message: str) -> None:
    """Each mistake exits 2 with one line on stderr naming it; never a traceback."""
    args = [a.replace("X", str(tmp_path / "o")) for a in args]
    code = main(["simulate", "builtin:xuhui-edu-2009", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_model_file_names_its_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A model error in the CLI is `FILE:LINE: PATH: message`."""
    model = tmp_path / "m.sim.yaml"
    model.write_text("format: sfd-workflow-sim/1\nsteps:\n  reprot: {duration: 3}\n",
                     encoding="utf-8")
    code = main(["simulate", "builtin:xuhui-edu-2009", "--district", "8", "--model", str(model),
                 "--seed", "1", "--out", str(tmp_path / "o")])
    assert code == 2
    assert f"{model}:3: steps.reprot: unknown step 'reprot'" in capsys.readouterr().err


def _console(out: Path, **streams: object) -> subprocess.CompletedProcess[str]:
    src = str(Path(sfd_workflow.__file__).parents[1])  # this checkout, installed or not
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "sfd_workflow", "simulate", "builtin:xuhui-edu-2009",
         "--national", "--units", "2000", "--seed", "2", "--out", str(out)],
        text=True, check=False, timeout=300, env=env, **streams)  # type: ignore[call-overload]


def test_the_console_command_is_quiet_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    """Smoke test of `python -m sfd_workflow simulate`: no progress bar into a pipe."""
    proc = _console(tmp_path / "o", capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert "simulate (fast)" not in proc.stderr
    assert len(proc.stdout.splitlines()) == 6


def test_the_console_command_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    """With standard error on a terminal (a pseudo-terminal here), the bar is drawn there."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    try:
        proc = _console(tmp_path / "o", stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert "simulate (fast)" in b"".join(chunks).decode("utf-8", "replace")


def test_demo_main_writes_the_district_simulation(tmp_path: Path) -> None:
    """`make demo` calls sim.demo_main: files written, a summary line per step returned."""
    from sfd_workflow.sim import demo_main

    lines = demo_main(tmp_path, n_units=12, seed=4)
    assert lines[0].startswith("exact run, 12 units, seed 4")
    assert sum("on time" in x for x in lines) == 6
    assert (tmp_path / "events.jsonl").is_file() and (tmp_path / "sim-progress.png").is_file()
