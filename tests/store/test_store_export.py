"""Export of a store (issue 6 §5): JSON Lines that `replay` accepts, CSV, and XES that pm4py
(a test-only, AGPL dependency) reads back."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

import sfd_workflow as sfd
from sfd_workflow.cli import main
from sfd_workflow.errors import StoreError
from sfd_workflow.store import EventStore
from support.store import ROSTER, SPEC, approval_script, ev, spec_and_roster, store_url_fixture  # noqa: F401


def _filled(url: str) -> EventStore:
    spec, roster = spec_and_roster()
    store = EventStore.create(url, spec, roster)
    for unit in ("ps-0-0", "gb-1"):
        for e in approval_script(unit):
            store.submit(e)
    store.submit(ev("ps-1-2", "write_draft", "s", 3, {"text": "草稿 «quoted»"}))
    store.submit("garbage")
    return store


def test_jsonl_export_is_an_event_log_replay_accepts_line_by_line(store_url: str,
                                                                  tmp_path: Path) -> None:
    """Every exported line is accepted by `replay`, in order, and the state matches."""
    spec, roster = spec_and_roster()
    with _filled(store_url) as store:
        out = tmp_path / "events.jsonl"
        n = store.export("jsonl", out)
        assert n == store.counts()[0] == 13
        results = list(sfd.replay(sfd.compile_workflow(spec), roster,
                                  sfd.read_event_lines(out)))
        assert [r.verdict.accepted for r in results] == [True] * n
        rt = sfd.Runtime(sfd.compile_workflow(spec), roster)
        for line in sfd.read_event_lines(out):
            rt.submit_line(line)
        assert all(rt.state(u.id) == store.state(u.id) for u in roster.units)


def test_jsonl_export_replays_through_the_command_line(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """`sfd-workflow replay SPEC ROSTER export.jsonl` judges every line accepted."""
    with _filled(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.export("jsonl", tmp_path / "e.jsonl")
    assert main(["replay", str(SPEC), str(ROSTER), str(tmp_path / "e.jsonl")]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 13
    assert {x["verdict"] for x in lines} == {"accepted"}


def test_csv_export_has_a_row_per_event_with_its_place_and_hash(store_url: str) -> None:
    """The CSV header, commit order, steps and hashes match the stored events."""
    with _filled(store_url) as store:
        buf = io.StringIO()
        store.export("csv", buf)
        rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
        stored = list(store.stored_events())
    assert [int(r["gseq"]) for r in rows] == [e.gseq for e in stored] == list(range(1, 14))
    assert [r["hash"] for r in rows] == [e.hash for e in stored]
    assert rows[0]["step"] == "draft"
    assert rows[1]["step"] == "review"
    assert json.loads(rows[-1]["payload"]) == {"text": "草稿 «quoted»"}


# pm4py warns that an optional faster reader (r4pm) is missing: about its speed, not our file.
@pytest.mark.filterwarnings("ignore:Install the optional requirement:UserWarning")
def test_xes_export_is_read_back_by_pm4py(store_url: str, tmp_path: Path) -> None:
    """pm4py reads one trace per unit with each event's name, actor and time."""
    pm4py = pytest.importorskip("pm4py", reason="pm4py (dev extra) reads XES back")
    with _filled(store_url) as store:
        path = tmp_path / "log.xes"
        assert store.export("xes", path) == 13
        stored = list(store.stored_events())
    with contextlib.redirect_stdout(io.StringIO()):  # pm4py prints a banner
        df = pm4py.read_xes(str(path))
    assert len(df) == 13
    assert set(df["case:concept:name"]) == {"ps-0-0", "gb-1", "ps-1-2"}
    trace = df[df["case:concept:name"] == "ps-0-0"]
    assert list(trace["concept:name"]) == [e.event for e in stored if e.unit == "ps-0-0"]
    assert list(trace["org:resource"]) == [e.actor for e in stored if e.unit == "ps-0-0"]
    first = trace["time:timestamp"].iloc[0]
    assert first.to_pydatetime() == dt.datetime.fromisoformat("2009-05-01T10:01:00+08:00")


def test_xes_reads_a_time_without_offset_in_the_specs_timezone() -> None:
    """SPEC-FORMAT §3: an `at` without offset is in the spec's timezone."""
    from sfd_workflow.store._export import xes_timestamp

    assert xes_timestamp("2009-05-01T10:00:00", "Asia/Shanghai") == \
        "2009-05-01T10:00:00.000+08:00"
    assert xes_timestamp("2009-05-01T10:00:00+00:00", "Asia/Shanghai") == \
        "2009-05-01T10:00:00.000+00:00"


def test_an_unknown_export_format_is_refused(tmp_path: Path) -> None:
    """Only jsonl, csv and xes exist."""
    with _filled(f"sqlite:///{tmp_path / 's.db'}") as store, \
            pytest.raises(StoreError, match="unknown export format 'pdf'"):
        store.export("pdf", io.StringIO())
