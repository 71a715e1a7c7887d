"""Issue 13, the store's part: hostile input to the event store gets a one-line error (exit 2
on the command line), a verify report (exit 1) or a verdict; never a traceback, and what is
stored stays. Each case is pinned with its exact message."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import lxml.etree
import pytest
import sqlalchemy as sa

import sfd_workflow as sfd
from sfd_workflow.cli import main
from sfd_workflow.errors import StoreError
from sfd_workflow.store import EventStore
from support.store import (  # noqa: F401  (store_url: a fixture)
    ROSTER,
    SPEC,
    approval_script,
    ev,
    spec_and_roster,
    sql_edit,
    store_url_fixture,
)

# --- URLs that would lose the store --------------------------------------------------------

NEEDS_A_FILE = ("an event store needs a file, not {!r}: use sqlite:///path.db (an in-memory "
                "or temporary database is lost when it is closed)")
MEMORY_URLS = ["sqlite://", "sqlite:///", "sqlite:///:memory:", "sqlite:///  ",
               "sqlite:///file:x?mode=memory&uri=true", "sqlite:///file::memory:?uri=true",
               "sqlite+pysqlite:///:memory:"]


@pytest.mark.parametrize("url", MEMORY_URLS)
def test_in_memory_and_temporary_sqlite_urls_are_refused(url: str) -> None:
    """create and open refuse a database that is lost on close, with one line."""
    spec, roster = spec_and_roster()
    for call in (lambda: EventStore.create(url, spec, roster), lambda: EventStore.open(url)):
        with pytest.raises(StoreError) as got:
            call()
        assert str(got.value) == NEEDS_A_FILE.format(url)


def test_store_init_refuses_an_in_memory_url_with_exit_2(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The command line says the same in one line and exits 2."""
    assert main(["store", "init", "--url", "sqlite:///:memory:", str(SPEC), str(ROSTER)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "sfd-workflow: error: " + NEEDS_A_FILE.format("sqlite:///:memory:")


# --- anchors ---------------------------------------------------------------------------------

BAD_ANCHORS: list[tuple[Any, str]] = [
    ([1, 2], "not an anchor: expected the mapping report.anchor() returns, not list [1, 2]"),
    ("abc", "not an anchor: expected the mapping report.anchor() returns, not str 'abc'"),
    ({"ps-0-0": "x"}, "not an anchor: unit 'ps-0-0' must be [a count >= 0, a hash], not 'x'"),
    ({"ps-0-0": [-1, "h"]},
     "not an anchor: unit 'ps-0-0' must be [a count >= 0, a hash], not [-1, 'h']"),
    ({"ps-0-0": [True, "h"]},
     "not an anchor: unit 'ps-0-0' must be [a count >= 0, a hash], not [True, 'h']"),
    ({"ps-0-0": [1, 2, 3]},
     "not an anchor: unit 'ps-0-0' must be [a count >= 0, a hash], not [1, 2, 3]"),
    ({1: [0, "h"]}, "not an anchor: unit 1 is not a string"),
    ({"format": "x", "units": {}}, "not an anchor: unknown format 'x'"),
    ({"format": "sfd-workflow/anchor-2", "units": {}, "audit": "x"},
     "not an anchor: audit must be [a count >= 0, a hash], not 'x'"),
]


@pytest.mark.parametrize(("anchor", "message"), BAD_ANCHORS,
                         ids=[m.split(": ", 1)[1][:40] for _, m in BAD_ANCHORS])
def test_a_bad_anchor_is_a_one_line_store_error(tmp_path: Path, anchor: Any,
                                                message: str) -> None:
    """verify(anchor=...) raises StoreError (errors.py) with one line for what is not an
    anchor; nothing else happens."""
    with _store(tmp_path) as store, pytest.raises(StoreError) as got:
        store.verify(anchor=anchor)
    assert str(got.value) == message


def test_an_anchor_of_a_unit_the_store_does_not_have_is_reported(tmp_path: Path) -> None:
    """A unit the anchor saw and the store lost is a broken link, not an error."""
    with _store(tmp_path) as store:
        anchor = store.verify().anchor()
        anchor["units"]["gone"] = [0, "0" * 64]
        report = store.verify(anchor=anchor)
    assert [str(b) for b in report.broken] == ["gone: the anchor has this unit, the store does "
                                               "not"]


def test_anchors_of_the_earlier_flat_format_still_verify(tmp_path: Path) -> None:
    """``{unit: [events, hash]}``, what report.anchor() gave before schema version 4."""
    with _store(tmp_path) as store:
        flat = store.verify().anchor()["units"]
        assert store.verify(anchor=flat).ok
        flat["ps-0-0"] = [6, "0" * 64]
        assert [str(b) for b in store.verify(anchor=flat).broken] == [
            "ps-0-0 event 6: it differs from the anchor (history rewritten)"]


def test_store_verify_anchor_file_round_trip_and_bad_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`store verify --json` prints the anchor; `--anchor FILE` checks it; an unreadable or
    wrong file is one line and exit 2."""
    url = _url(tmp_path)
    _store(tmp_path).close()
    capsys.readouterr()
    assert main(["store", "verify", "--url", url, "--json"]) == 0
    anchor = json.loads(capsys.readouterr().out)["anchor"]
    good = tmp_path / "anchor.json"
    good.write_text(json.dumps(anchor))
    assert main(["store", "verify", "--url", url, "--anchor", str(good)]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    for text, message in [("[1, 2]", "not an anchor: expected the mapping report.anchor() "
                           "returns, not list [1, 2]"),
                          ("{", "Expecting property name enclosed in double quotes: line 1 "
                           "column 2 (char 1)")]:
        bad.write_text(text)
        assert main(["store", "verify", "--url", url, "--anchor", str(bad)]) == 2
        assert capsys.readouterr().err.strip() == f"sfd-workflow: error: {bad}: {message}"
    assert main(["store", "verify", "--url", url, "--anchor", str(tmp_path / "no")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"sfd-workflow: error: {tmp_path / 'no'}: cannot read: No such file or directory")


# --- a damaged database ----------------------------------------------------------------------

DAMAGE: list[tuple[str, str, dict[str, tuple[int, str]]]] = [
    # what, the SQL, command -> (exit status, first line of standard error or output)
    ("a dropped snapshots table", "DROP TABLE sfd_snapshots",
     {"verify": (2, "sfd-workflow: error: cannot read URL: no such table: sfd_snapshots"),
      "status": (2, "sfd-workflow: error: cannot read URL: no such table: sfd_snapshots"),
      "export": (0, "URL: exported 6 events as jsonl to TMP/out.jsonl")}),
    ("a dropped events table", "DROP TABLE sfd_events",
     {"verify": (2, "sfd-workflow: error: cannot read URL: no such table: sfd_events"),
      "status": (2, "sfd-workflow: error: cannot read URL: no such table: sfd_events"),
      "export": (2, "sfd-workflow: error: cannot read URL: no such table: sfd_events")}),
    ("a dropped audit table", "DROP TABLE sfd_audit",
     {"verify": (2, "sfd-workflow: error: cannot read URL: no such table: sfd_audit"),
      "status": (0, ""), "export": (0, "URL: exported 6 events as jsonl to TMP/out.jsonl")}),
    ("a non-integer head_seq", "UPDATE sfd_units SET head_seq = 'x' WHERE unit = 'ps-0-0'",
     {"verify": (1, "ps-0-0: its event count (sfd_units head_seq) is not a whole number: 'x'"),
      "status": (0, ""), "export": (0, "URL: exported 6 events as jsonl to TMP/out.jsonl")}),
    ("a non-integer commit counter", "UPDATE sfd_clock SET gseq = 'x'",
     {"verify": (1, "*: the commit counter (sfd_clock) is not one row 1 with a whole number "
                    "(edited)"),
      "status": (2, "sfd-workflow: error: the store holds a value of the wrong type (invalid "
                    "literal for int() with base 10: 'x'): the store was altered; run verify"),
      "export": (0, "URL: exported 6 events as jsonl to TMP/out.jsonl")}),
    ("an event time that is not a date-time",
     "UPDATE sfd_events SET at = 'x' WHERE unit = 'ps-0-0' AND seq = 1",
     {"verify": (1, "ps-0-0 event 1: its content does not match its hash (edited)"),
      "status": (2, "sfd-workflow: error: stored event 1 of unit 'ps-0-0' (write_draft) is "
                    "refused on replay (malformed): the store was altered or judged by another "
                    "spec; run verify"),
      "export": (0, "URL: exported 6 events as jsonl to TMP/out.jsonl")}),
]


@pytest.mark.parametrize(("sql", "expected"), [d[1:] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_a_damaged_database_gives_one_line_or_a_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str,
        expected: dict[str, tuple[int, str]]) -> None:
    """verify, status and export of a damaged store: one line and exit 2, a verify report
    and exit 1, or a result; never a traceback."""
    url = _url(tmp_path)
    _store(tmp_path).close()
    _edit(url, sql)
    for command, (status, first) in expected.items():
        args = ["store", command, "--url", url]
        if command == "export":
            args += ["-o", str(tmp_path / "out.jsonl")]
        capsys.readouterr()
        assert main(args) == status, command
        out, err = capsys.readouterr()
        text = (out if command == "verify" and status == 1 else err).replace(url, "URL")
        text = text.replace(str(tmp_path), "TMP")
        lines = text.strip().splitlines()
        if first:
            assert lines[0 if command != "verify" or status != 1 else 1] == first, command
        if status == 2:
            assert len(lines) == 1, text


# --- an altered spec is reported, not refused ------------------------------------------------

def test_store_verify_reports_an_altered_spec_with_exit_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Editing the stored spec makes `open` refuse to judge by it, and `store verify` say so:
    a report and exit 1, not exit 2."""
    url = _url(tmp_path)
    _store(tmp_path).close()
    _edit(url, "UPDATE sfd_meta SET value = replace(value, 'majority', 'all') "
               "WHERE key = 'spec_json'")
    capsys.readouterr()
    assert main(["store", "verify", "--url", url]) == 1
    out = capsys.readouterr().out.replace(url, "URL").splitlines()
    assert out == [
        "BROKEN: 2 problem(s) in 6 events of 20 units",
        "*: the stored spec was edited",
        "*: the store cannot be opened: the spec stored at URL does not match its SHA-256: "
        "the store was altered; run verify"]


# --- the clock -------------------------------------------------------------------------------

CLOCK = dt.datetime(2009, 5, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.mark.parametrize(("minutes", "skew", "reason"), [
    (9, dt.timedelta(minutes=10), None),
    (10, dt.timedelta(minutes=10), None),
    (11, dt.timedelta(minutes=10), "future"),
    (None, dt.timedelta(minutes=10), "future"),  # 9999-12-31, in the spec's timezone
    (11, dt.timedelta(minutes=20), None),
    (11, None, None),
], ids=["9min", "10min", "11min", "year9999", "skew20", "no-skew"])
def test_an_event_dated_after_the_store_clock_plus_skew_is_future(
        tmp_path: Path, minutes: int | None, skew: dt.timedelta | None,
        reason: str | None) -> None:
    """The store's clock (injected) and skew (default 10 minutes) reject an event from the
    future as `future`, audited; the unit's later real events are not blocked by it."""
    spec, roster = spec_and_roster()
    at = ("9999-12-31T00:00:00" if minutes is None
          else (CLOCK + dt.timedelta(minutes=minutes)).isoformat())
    with EventStore.create(_url(tmp_path), spec, roster) as store:
        assert store.max_skew == dt.timedelta(minutes=10)
        store.clock = lambda: CLOCK
        store.max_skew = skew
        verdict = store.submit({**ev("ps-0-0", "write_draft", "s", 0, {"text": "x"}), "at": at})
        assert (None if verdict.accepted else str(verdict.reason)) == reason
        if reason is not None:
            assert [a.reason for a in store.audit()] == ["future"]
            assert store.submit(ev("ps-0-0", "write_draft", "s", 0, {"text": "y"})).accepted
        assert store.verify(replay=True).ok


def test_future_is_checked_right_after_malformed_and_replay_never_gives_it(
        tmp_path: Path) -> None:
    """A malformed event stays malformed; an event of an unknown unit from the future is
    `future` (checked before unknown_unit); a Runtime (replay of a log) has no clock."""
    spec, roster = spec_and_roster()
    far = {"unit": "nope", "event": "x", "actor": "s", "at": "9999-12-31T00:00:00"}
    with EventStore.create(_url(tmp_path), spec, roster) as store:
        assert store.submit({**far, "at": "9999-99-99T00:00:00"}).reason == "malformed"
        assert store.submit(far).reason == "future"
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster)
    assert rt.submit(far).reason == "unknown_unit"
    assert sfd.Reason.FUTURE not in {rt.submit({**far, "unit": "ps-0-0", "event": "write_draft",
                                                "payload": {"text": "x"}}).reason}


# --- what cannot be stored -------------------------------------------------------------------

# (what, the event, the raw text audited and its unit and actor: lone surrogates escaped)
UNSTORABLE: list[tuple[str, Any, str, tuple[str | None, str | None]]] = [
    ("a lone surrogate in the payload",
     {**ev("ps-0-0", "write_draft", "s"), "payload": {"text": "\ud800"}},
     '{"actor":"s","at":"2009-05-01T10:00:00+08:00","event":"write_draft",'
     '"payload":{"text":"\\ud800"},"unit":"ps-0-0"}', ("ps-0-0", "s")),
    ("a lone surrogate in the actor", {**ev("ps-0-0", "write_draft", "\udfff")},
     '{"actor":"\\udfff","at":"2009-05-01T10:00:00+08:00","event":"write_draft",'
     '"payload":null,"unit":"ps-0-0"}', ("ps-0-0", "\\udfff")),
    ("a lone surrogate escaped in a line",
     '{"unit": "ps-0-0", "event": "write_draft", "actor": "s", '
     '"at": "2009-05-01T10:00:00+08:00", "payload": {"t": "\\ud800"}}',
     '{"unit": "ps-0-0", "event": "write_draft", "actor": "s", '
     '"at": "2009-05-01T10:00:00+08:00", "payload": {"t": "\\ud800"}}', ("ps-0-0", "s")),
    ("a lone surrogate in a line", '{"unit": "\ud800"}', '{"unit": "\\ud800"}', (None, None)),
    ("a line nested 100,000 deep", "[" * 100_000, "[" * 100_000, (None, None)),
]


@pytest.mark.parametrize(("event", "raw", "who"), [u[1:] for u in UNSTORABLE],
                         ids=[u[0] for u in UNSTORABLE])
def test_what_the_database_cannot_hold_is_malformed_and_audited(
        tmp_path: Path, event: Any, raw: str, who: tuple[str | None, str | None]) -> None:
    """An event the store cannot keep as UTF-8 JSON is malformed, audited with its raw text
    made storable (surrogates as escapes); the store goes on."""
    with _store(tmp_path) as store:
        assert store.submit(event).reason == "malformed"
        last = store.audit()[-1]
        assert (last.reason, last.raw, (last.unit, last.actor)) == ("malformed", raw, who)
        assert store.verify().ok


def test_a_payload_nested_deeper_than_python_can_hash_is_malformed(tmp_path: Path) -> None:
    """A mapping whose payload nests past the recursion limit: malformed, never a crash."""
    deep: dict[str, Any] = {}
    for _ in range(100_000):
        deep = {"x": deep}
    with _store(tmp_path) as store:
        verdict = store.submit({**ev("ps-0-0", "write_draft", "s"), "payload": deep})
        assert verdict.reason == "malformed"
        assert store.audit()[-1].raw == "<a dict nested too deep to show>"


# --- exports of hostile text ----------------------------------------------------------------

HOSTILE = "a\uffff\ufffe\x00\x01\x1b\x7f\x85\u2028 <&\"'> \U0001f600"


def _hostile_store(tmp_path: Path) -> EventStore:
    """A store whose one event carries every kind of hostile text, the actor too (a roster
    could hold it; here it is written into the database)."""
    store = _store(tmp_path, events=[])
    assert store.submit({**ev("ps-0-0", "write_draft", "s", 1),
                         "payload": {"text": HOSTILE, "=x": "-1"}}).accepted
    _edit(store.url, "UPDATE sfd_events SET actor = '=HYPERLINK(\"x\")' || char(1, 65535)")
    return store


def test_xes_export_of_hostile_text_is_read_by_elementtree_and_lxml(tmp_path: Path) -> None:
    """Characters XML 1.0 cannot carry become U+FFFD in XES strings and \\u escapes in the
    payload (JSON: the value is kept)."""
    with _hostile_store(tmp_path) as store:
        buf = io.StringIO()
        store.export("xes", buf)
    data = buf.getvalue().encode("utf-8")
    for root in (ET.fromstring(data), lxml.etree.fromstring(data)):
        attrs = {a.get("key"): a.get("value") for a in root.iter() if a.get("key")}
        assert attrs["org:resource"] == '=HYPERLINK("x")\x01\ufffd'.replace("\x01", "\ufffd")
        assert json.loads(attrs["sfd:payload"]) == {"text": HOSTILE, "=x": "-1"}


def test_csv_export_neutralises_formulas_and_keeps_the_payload(tmp_path: Path) -> None:
    """Cells starting with =, +, -, @ get a leading quote; the payload cell is JSON whose
    value is the stored one."""
    with _hostile_store(tmp_path) as store:
        buf = io.StringIO()
        store.export("csv", buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert rows[0]["actor"] == "'=HYPERLINK(\"x\")\x01\uffff"
    assert json.loads(rows[0]["payload"]) == {"text": HOSTILE, "=x": "-1"}


@pytest.mark.parametrize(("cell", "shown"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("a=1", "a=1"), ("", ""), ("\ud800", "\ufffd"),
])
def test_csv_cells(cell: str, shown: str) -> None:
    """The rule of a CSV cell, one case a line."""
    from sfd_workflow.store._export import csv_cell

    assert csv_cell(cell) == shown


def test_jsonl_export_of_hostile_text_replays_to_the_same_events(tmp_path: Path) -> None:
    """JSON Lines keeps every value (U+0085, U+2028 escaped: one event, one line)."""
    with _hostile_store(tmp_path) as store:
        buf = io.StringIO()
        assert store.export("jsonl", buf) == 1
        events = list(store.events())
    text = buf.getvalue()
    assert len(text.splitlines()) == 1
    assert [json.loads(x) for x in text.splitlines()] == events


# --- helpers ---------------------------------------------------------------------------------

def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hostile.db'}"


def _store(tmp_path: Path, events: list[Any] | None = None) -> EventStore:
    """A SQLite store holding `events` (default: the approval script of ps-0-0)."""
    spec, roster = spec_and_roster()
    store = EventStore.create(_url(tmp_path), spec, roster)
    for e in approval_script() if events is None else events:
        store.submit(e)
    return store


def _edit(url: str, sql: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        sql_edit(sql)(conn)
    engine.dispose()



def test_store_submit_rejects_an_event_from_the_future_and_takes_max_skew(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`store submit` judges by the store's clock: a 9999 event is `future`; --max-skew
    takes whole minutes, and a value it cannot take is one line and exit 2."""
    url = _url(tmp_path)
    _store(tmp_path, events=[]).close()
    far = json.dumps({**ev("ps-0-0", "write_draft", "s", 0, {"text": "x"}),
                      "at": "9999-12-31T00:00:00"})
    capsys.readouterr()
    assert main(["store", "submit", "--url", url, "--event", far]) == 0
    assert json.loads(capsys.readouterr().out)["reason"] == "future"
    assert main(["store", "submit", "--url", url, "--max-skew", "1000000000", "--event",
                 far]) == 0
    assert json.loads(capsys.readouterr().out)["reason"] == "future"
    assert main(["store", "submit", "--url", url, "--max-skew", "nan", "--event", far]) == 2
    assert capsys.readouterr().err.strip() == (
        "sfd-workflow: error: Invalid value for '--max-skew': 'nan' is not a valid integer "
        "range. (see --help)")


@pytest.mark.parametrize(("text", "why"), [
    ("not json", "Expecting value: line 1 column 1 (char 0)"),
    ("[" * 100_000, "maximum recursion depth exceeded while decoding a JSON array from a "
                    "unicode string"),
    ('{"id": "x"}', "URL#spec: "),
], ids=["not-json", "nested-too-deep", "not-a-spec"])
def test_a_stored_spec_that_no_longer_loads_is_reported_as_altered(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, why: str) -> None:
    """A stored spec replaced (its SHA-256 recomputed) by something that does not load:
    `open` refuses with one line, `store verify` reports every chain broken, exit 1."""
    from sfd_workflow.store._canonical import sha256_hex

    url = _url(tmp_path)
    _store(tmp_path).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sfd_meta SET value = :v WHERE key = 'spec_json'"),
                     {"v": text})
        conn.execute(sa.text("UPDATE sfd_meta SET value = :v WHERE key = 'spec_sha256'"),
                     {"v": sha256_hex(text)})
    engine.dispose()
    with pytest.raises(StoreError) as got:
        EventStore.open(url)
    assert str(got.value).replace(url, "URL").startswith(
        "the store at URL holds a spec or roster that no longer loads: " + why)
    capsys.readouterr()
    assert main(["store", "verify", "--url", url]) == 1
    out = capsys.readouterr().out.replace(url, "URL").splitlines()
    assert out[1] == ("ps-0-0 event 1: its chain does not start from the genesis of the stored "
                      "spec and roster (they, or the event, were edited)")
    assert out[-1].startswith("*: the store cannot be opened: the store at URL holds a spec")


# --- ids in normal form C --------------------------------------------------------------------

def test_decomposed_unit_and_actor_ids_are_stored_composed(store_url: str) -> None:
    """An event naming unit pé-0-0 and its secretary é with combining accents is judged and
    stored with the roster's composed ids, by submit (a mapping or a line) and submit_many;
    an event id sent again with the other form is the same event; verify replays it alike."""
    spec, _ = spec_and_roster()
    text = ROSTER.read_text(encoding="utf-8").replace("id: ps-0-0", "id: pe\u0301-0-0")
    text = text.replace("  - id: s\n    roles: [secretary, member]\n  - id: m1\n",
                        "  - id: s\n    roles: [secretary, member]\n  - id: e\u0301\n", 2)
    roster = sfd.roster_from_text(text, spec)
    nfc, nfd = ("p\u00e9-0-0", "\u00e9"), ("pe\u0301-0-0", "e\u0301")
    assert nfc[0] in roster.by_id and nfc[1] in {p.id for p in roster.by_id[nfc[0]].people}
    with EventStore.create(store_url, spec, roster) as store:
        assert store.submit(ev(nfd[0], "write_draft", "s", 1, {"text": "plan"})).accepted
        assert store.submit(json.dumps(ev(nfd[0], "submit", "s", 2))).accepted
        first = {**ev(nfd[0], "review", nfd[1], 3), "id": "r1"}
        assert store.submit(first).accepted
        again = store.submit({**first, "unit": nfc[0], "actor": nfc[1]})
        assert again.duplicate_of == "event 3"  # type: ignore[attr-defined]
        assert store.submit_many([ev(nfc[0], "review", "m2", 4),
                                  ev(nfd[0], "review", nfd[1], 5)])[1].reason == (
            sfd.Reason.DUPLICATE)
        kept = store.history(nfc[0])
        assert [(e.unit, e.actor) for e in kept] == [
            (nfc[0], "s"), (nfc[0], "s"), nfc, (nfc[0], "m2")]
        assert store.audit()[-1].actor == nfc[1]
        assert store.verify(replay=True).ok
