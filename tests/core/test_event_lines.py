"""Reading events (SPEC-FORMAT §3): every malformed kind with its exact detail, ISO 8601 `at`,
limits, JSON numbers, lone surrogates, non-UTF-8 bytes, empty files and frozen payloads.

One parse serves `replay`, `Runtime.submit_line`, `Runtime.submit`, `explain` and the store;
each case below goes through several of them and must get the same verdict and detail.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow import Reason
from sfd_workflow._eventlog import MAX_LINE, read_event_lines, split_lines
from sfd_workflow.cli import main

DATA = Path(__file__).parents[1] / "data" / "good"
SPEC = str(DATA / "review.yaml")
ROSTER = str(DATA / "review.roster.yaml")
AT = "2009-03-02T09:00:00"


def line(**fields: Any) -> str:
    event = {"unit": "s1", "event": "log_hours", "actor": "c", "at": AT,
             "payload": {"hours": 3}}
    event.update(fields)
    return json.dumps({k: v for k, v in event.items() if v is not ...})


@pytest.fixture
def rt() -> sfd.Runtime:
    spec = sfd.load_spec(SPEC)
    return sfd.Runtime(sfd.compile_workflow(spec), sfd.load_roster(ROSTER, spec))


#: (case, line, English detail, Chinese detail) — every line is malformed
MALFORMED = [
    ("blank", "", "a blank line", "空行"),
    ("spaces", "   ", "a blank line", "空行"),
    ("no closing brace", line()[:-1],
     "not JSON: Expecting ',' delimiter at character 104",
     "不是 JSON：第 104 个字符处 Expecting ',' delimiter"),
    ("not an object", "[1, 2]", "not a JSON object but an array", "不是 JSON 对象，而是数组"),
    ("null", "null", "not a JSON object but null", "不是 JSON 对象，而是null"),
    ("unit missing", line(unit=...), "'unit' is missing", "缺少“unit”"),
    ("actor a number", line(actor=7), "'actor' is not a string but a number",
     "“actor”不是字符串，而是数字"),
    ("at a date alone", line(at="2009-03-02"),
     "'at' \"2009-03-02\": a date without a time", "“at” \"2009-03-02\"：只有日期，没有时间"),
    ("at yesterday", line(at="yesterday"),
     "'at' \"yesterday\": not an ISO 8601 date-time",
     "“at” \"yesterday\"：不是 ISO 8601 日期时间"),
    ("at out of range", line(at="2009-02-30T10:00"),
     "'at' \"2009-02-30T10:00\": not a valid date-time (day is out of range for month)",
     "“at” \"2009-02-30T10:00\"：日期时间无效（day is out of range for month）"),
    ("payload an array", line(payload=[1]), "'payload' is not an object but an array",
     "“payload”不是对象，而是数组"),
    ("NaN", line()[:-2] + ', "x": NaN}}', "not JSON: NaN is not a JSON number",
     "不是 JSON：NaN is not a JSON number"),
    ("-Infinity", line()[:-2] + ', "x": -Infinity}}', "not JSON: -Infinity is not a JSON number",
     "不是 JSON：-Infinity is not a JSON number"),
    ("overflow", line()[:-2] + ', "x": 1e400}}', "not JSON: 1e400 is too large for a number",
     "不是 JSON：1e400 is too large for a number"),
    ("lone surrogate in actor", line(actor="\ud800"),
     "'actor' has a lone surrogate at character 1: \"\\ud800\"",
     "“actor”在第 1 个字符处含有孤立代理码位：\"\\ud800\""),
    ("lone surrogate in payload", line(payload={"note": "a\udfff"}),
     "'payload.note' has a lone surrogate at character 2: \"a\\udfff\"",
     "“payload.note”在第 2 个字符处含有孤立代理码位：\"a\\udfff\""),
    ("nested too deep", line()[:-2] + ', "x": ' + "[" * 80 + "]" * 80 + "}}",
     "nested deeper than 64 levels", "嵌套超过 64 层"),
    ("too long", line(payload={"x": "a" * MAX_LINE}),
     f"the line is longer than {MAX_LINE} characters", f"该行超过 {MAX_LINE} 个字符"),
    ("huge integer", line()[:-2] + ', "x": ' + "9" * 5000 + "}}",
     "not JSON: a number of more than 4300 digits", "不是 JSON：a number of more than 4300 digits"),
]


@pytest.mark.parametrize(("text", "en", "zh"), [pytest.param(*c[1:], id=c[0]) for c in MALFORMED])
def test_each_malformed_line_says_what_is_wrong(rt: sfd.Runtime, text: str, en: str,
                                                zh: str) -> None:
    """submit_line and replay give `malformed` with the same detail in both languages."""
    v = rt.submit_line(text)
    assert (v.accepted, v.reason, v.late) == (False, Reason.MALFORMED, False)
    assert (v.detail, v.detail_in("zh")) == (en, zh)
    [out] = sfd.replay(rt.compiled, rt.roster, [text])
    assert out.to_json("en") == {"line": 1, "unit": None, "event": None, "verdict": "rejected",
                                 "reason": "malformed", "late": False, "detail": en}


@pytest.mark.parametrize("case", ["lone surrogate in actor", "lone surrogate in payload",
                                  "actor a number", "at a date alone", "payload an array"])
def test_a_mapping_is_judged_like_its_line(rt: sfd.Runtime, case: str) -> None:
    """`submit(dict)` gives the same verdict and detail as `submit_line` of its JSON text."""
    text, en = next((c[1], c[2]) for c in MALFORMED if c[0] == case)
    v = rt.submit(json.loads(text))
    assert (v.reason, v.detail) == (Reason.MALFORMED, en)


@pytest.mark.parametrize(("value", "en"), [
    (float("nan"), "'payload.x' is not a finite number (nan)"),
    (float("inf"), "'payload.x' is not a finite number (inf)"),
    ({1: 2}, "'payload.x' has a key that is not a string (1)"),
    ({"a", "b"}, "'payload.x' is not JSON data but a Python set"),
])
def test_a_payload_that_is_not_json_data_is_malformed(rt: sfd.Runtime, value: Any,
                                                      en: str) -> None:
    """Python values JSON cannot carry make an event from the API malformed, as on a line."""
    v = rt.submit({"unit": "s1", "event": "log_hours", "actor": "c", "at": AT,
                   "payload": {"hours": 3, "x": value}})
    assert (v.reason, v.detail) == (Reason.MALFORMED, en)


def test_a_self_containing_payload_is_malformed_not_a_recursion_error(rt: sfd.Runtime) -> None:
    """A payload that contains itself is cut at the nesting limit."""
    loop: dict[str, Any] = {"hours": 3}
    loop["self"] = loop
    v = rt.submit({"unit": "s1", "event": "log_hours", "actor": "c", "at": AT, "payload": loop})
    assert v.reason == Reason.MALFORMED
    assert v.detail is not None and v.detail.endswith("is nested deeper than 64 levels")


@pytest.mark.parametrize(("text", "expected"), [
    ("2009-05-01T10:00:00+08:00", "2009-05-01T10:00:00+08:00"),
    ("2009-05-01T02:00:00Z", "2009-05-01T02:00:00+00:00"),
    ("2009-05-01t10:00", "2009-05-01T10:00:00+08:00"),
    ("2009-05-01 10:00", "2009-05-01T10:00:00+08:00"),
    ("20090501T100000", "2009-05-01T10:00:00+08:00"),
    ("20090501T1000+0800", "2009-05-01T10:00:00+08:00"),
    ("20090501T10", "2009-05-01T10:00:00+08:00"),
    ("2009-05-01T10:00:00,5", "2009-05-01T10:00:00.500000+08:00"),
    ("2009-05-01T10.5", "2009-05-01T10:30:00+08:00"),
    ("2009-05-01T10:00.5", "2009-05-01T10:00:30+08:00"),
    ("2009-05-01T10:00-05", "2009-05-01T10:00:00-05:00"),
    ("2009-05-01T10:00+0530", "2009-05-01T10:00:00+05:30"),
    ("2009-05-01T10:00:00.123456+08:00", "2009-05-01T10:00:00.123456+08:00"),
    ("2009-05-01T10:00+08:00", "2009-05-01T10:00:00+08:00"),
    ("2009-W18-5T10:00", "2009-05-01T10:00:00+08:00"),
    ("2009W185T1000", "2009-05-01T10:00:00+08:00"),
    ("2009-121T10:00", "2009-05-01T10:00:00+08:00"),
    ("2009-04-30T24:00", "2009-05-01T00:00:00+08:00"),
])
def test_at_is_any_iso_8601_date_time(text: str, expected: str) -> None:
    """Extended and basic formats, calendar, week and ordinal dates, fractions, offsets."""
    from sfd_workflow._eventlog import parse_at

    at = parse_at(text, dt.timezone(dt.timedelta(hours=8)))
    assert isinstance(at, dt.datetime)
    assert at.isoformat() == expected


@pytest.mark.parametrize(("text", "why"), [
    ("2009-05-01", "a date without a time"),
    ("20090501", "a date without a time"),
    ("2009-W18-5", "a date without a time"),
    ("2009-05-01x10:00", "not an ISO 8601 date-time"),
    ("2009-05-01T100000", "not an ISO 8601 date-time"),
    ("20090501T10:00:00", "not an ISO 8601 date-time"),
    ("2009-05-01T10:00+08:00:30", "not an ISO 8601 date-time"),
    ("2009-05-01T10:00:00+08:00:00", "not an ISO 8601 date-time"),
    ("2009-05-01T10:00:00+08:00:00.5", "not an ISO 8601 date-time"),
    ("2009-05-01T１0:00", "not an ISO 8601 date-time"),
    ("2009-05-01T24:30", "not a valid date-time (only 24:00 may have hour 24)"),
    ("2009-05-01T23:59:60", "not a valid date-time (second 60 is out of range)"),
    ("2009-366T10:00", "not a valid date-time (day of the year 366 does not exist in 2009)"),
    ("2009-05-01T10:00+24:00", "not a valid date-time (offset +24:00 is out of range)"),
])
def test_what_fromisoformat_reads_but_iso_8601_does_not_is_malformed(rt: sfd.Runtime, text: str,
                                                                     why: str) -> None:
    """A date alone, other separators, mixed formats, offsets with seconds: malformed."""
    v = rt.submit_line(line(at=text))
    assert (v.reason, v.detail) == (Reason.MALFORMED, f"'at' {json.dumps(text)[:-1]}\": {why}"
                                    if text.isascii() else v.detail)
    assert v.detail is not None and v.detail.endswith(why)


def test_explain_reads_at_like_an_event(rt: sfd.Runtime) -> None:
    """`explain` with an `at` that `submit` calls malformed is malformed with the same detail."""
    ex = rt.explain("s1", "log_hours", "c", at="2009-03-02", payload={"hours": 3})
    v = rt.submit_line(line(at="2009-03-02"))
    assert (ex.allowed, ex.reason) == (False, Reason.MALFORMED)
    assert ex.unmet[0].en == v.detail
    ex = rt.explain("s1", "log_hours", "c", at="20090302T0900", payload={"hours": 3})
    assert ex.allowed


def test_an_empty_file_has_no_line_and_a_final_newline_starts_none(tmp_path: Path) -> None:
    """SPEC-FORMAT §3: an empty file has zero lines; "\\n" alone is one blank line."""
    assert split_lines("") == []
    assert split_lines("\n") == [""]
    assert split_lines("a\r\nb\n") == ["a", "b"]
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert read_event_lines(empty) == []


def test_replay_of_an_empty_file_prints_nothing(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """No phantom `line 1 malformed` for an empty log."""
    events = tmp_path / "e.jsonl"
    events.write_bytes(b"")
    assert main(["replay", SPEC, ROSTER, str(events)]) == 0
    assert capsys.readouterr().out == ""


def test_non_utf8_bytes_make_only_their_line_malformed(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A Latin-1 byte is named in its line's detail; the other lines are judged; the output
    is valid UTF-8 JSON (nothing raises UnicodeEncodeError)."""
    events = tmp_path / "e.jsonl"
    good = line().encode()
    events.write_bytes(good + b"\n" + b'{"unit": "caf\xe9"}\n' + good.replace(b"T09", b"T10"))
    assert main(["replay", SPEC, ROSTER, str(events), "--lang", "en"]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["reason"] for o in out] == [None, "malformed", None]
    assert out[1]["detail"] == "not UTF-8: byte 0xe9 at character 14"


def test_replay_prints_a_detail_for_each_malformed_kind(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """One line of each malformed kind: each output line names its problem (zh by default)."""
    events = tmp_path / "e.jsonl"
    events.write_text("\n".join(c[1] for c in MALFORMED[:-2]) + "\n", encoding="utf-8")
    assert main(["replay", SPEC, ROSTER, str(events)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["detail"] for o in out] == [c[3] for c in MALFORMED[:-2]]


def test_a_stored_payload_is_a_frozen_copy(rt: sfd.Runtime) -> None:
    """Mutating the caller's payload afterwards changes nothing stored; the stored one
    refuses changes; it still serialises as JSON."""
    payload: dict[str, Any] = {"hours": 3, "notes": ["a", {"k": "v"}]}
    event = {"unit": "s1", "event": "log_hours", "actor": "c", "at": AT, "payload": payload}
    assert rt.submit(event).accepted
    payload["hours"] = 99
    payload["notes"][1]["k"] = "changed"
    event["actor"] = "d"
    [rec] = rt.records("s1")
    assert rec.payload == {"hours": 3, "notes": ("a", {"k": "v"})}
    assert rt.log[0].event["actor"] == "c"
    with pytest.raises(TypeError):
        rec.payload["hours"] = 1  # type: ignore[index]
    assert json.loads(json.dumps(rt.snapshot("s1")))["records"][0]["payload"] == {
        "hours": 3, "notes": ["a", {"k": "v"}]}


@pytest.mark.parametrize(("payload", "message"), [
    ("nope", "--payload: not JSON: Expecting value at character 1"),
    ('{"x": NaN}', "--payload: not JSON: NaN is not a JSON number"),
    ('{"x": 1e400}', "--payload: not JSON: 1e400 is too large for a number"),
    ('{"x": "\\ud800"}', "--payload: 'payload.x' has a lone surrogate at character 1: "
                         '"\\ud800"'),
])
def test_explain_payload_goes_through_the_same_parse(tmp_path: Path, payload: str, message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`explain --payload` refuses what an event line would call malformed, with its detail."""
    events = tmp_path / "e.jsonl"
    events.write_bytes(b"")
    assert main(["explain", SPEC, ROSTER, str(events), "--unit", "s1", "--event", "log_hours",
                 "--actor", "c", "--at", AT, "--payload", payload]) == 2
    assert capsys.readouterr().err == f"sfd-workflow: error: {message}\n"


@pytest.mark.parametrize("submitted", [
    line(actor="\ud800"),
    line(payload={"hours": 3, "note": "\udfff"}),
    '{"unit": "caf\udce9"}',  # a non-UTF-8 byte, as read with surrogateescape
    line()[:-2] + ', "x": 1e400}}',
    {"unit": "s1", "event": "log_hours", "actor": "\ud800", "at": AT},
    {"unit": "s1", "event": "log_hours", "actor": "c", "at": AT,
     "payload": {"x": float("nan")}},
])
def test_the_store_records_a_hostile_event_as_malformed(tmp_path: Path, submitted: Any) -> None:
    """The store judges with the same parse: malformed, audited, nothing raises (no
    UnicodeEncodeError writing the audit row); the audit keeps an escaped copy."""
    from sfd_workflow.store import EventStore

    spec = sfd.load_spec(SPEC)
    store = EventStore.create(f"sqlite:///{tmp_path / 's.db'}", spec,
                              sfd.load_roster(ROSTER, spec))
    try:
        v = store.submit(submitted)
        assert (v.accepted, v.reason) == (False, Reason.MALFORMED)
        [entry] = store.audit()
        assert entry.reason == "malformed"
        entry.raw.encode("utf-8")
    finally:
        store.close()


# --- ids in normal form C --------------------------------------------------------------------

NFC_UNIT, NFD_UNIT = "\u00e91", "e\u03011"  # é1: one code point, or e and a combining accent
NFC_ACTOR, NFD_ACTOR = "\u00e9", "e\u0301"


@pytest.fixture
def accented() -> tuple[sfd.Spec, sfd.Roster]:
    """The review roster with unit s1 called é1 and its member c called é (NFC, as loaded)."""
    spec = sfd.load_spec(SPEC)
    text = Path(ROSTER).read_text(encoding="utf-8")
    text = text.replace("id: s1", f"id: {NFD_UNIT}").replace("{id: c,", f"{{id: {NFD_ACTOR},")
    roster = sfd.roster_from_text(text, spec)
    assert NFC_UNIT in roster.by_id
    return spec, roster


@pytest.mark.parametrize("unit", [NFC_UNIT, NFD_UNIT])
@pytest.mark.parametrize("actor", [NFC_ACTOR, NFD_ACTOR])
def test_event_ids_are_read_in_normal_form_c(accented: tuple[sfd.Spec, sfd.Roster], unit: str,
                                             actor: str) -> None:
    """An event's unit and actor typed decomposed name the roster's (composed) unit and person
    in replay, submit, submit_line and explain; what is kept is the composed form."""
    spec, roster = accented
    compiled = sfd.compile_workflow(spec)
    text = line(unit=unit, actor=actor)
    [out] = sfd.replay(compiled, roster, [text])
    assert out.verdict.accepted and out.unit == NFC_UNIT
    rt = sfd.Runtime(compiled, roster)
    assert rt.submit(json.loads(text)).accepted
    assert rt.log[-1].event["unit"] == NFC_UNIT and rt.log[-1].event["actor"] == NFC_ACTOR
    assert rt.submit_line(line(unit=unit, actor=actor, at="2009-03-02T10:00:00")).accepted
    assert rt.explain(unit, "log_hours", actor, at="2009-03-02T11:00:00",
                      payload={"hours": 1}).allowed
    assert [r.actor for r in rt.records(NFC_UNIT)] == [NFC_ACTOR, NFC_ACTOR]
