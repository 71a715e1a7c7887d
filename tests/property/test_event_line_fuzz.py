"""Hostile event lines (issue 13): arbitrary text, bytes and nested JSON through
`submit_line`, `submit` and `replay` give a verdict, never anything else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sfd_workflow as sfd
from sfd_workflow._eventlog import decode_log, split_lines

DATA = Path(__file__).parents[1] / "data" / "good"


@pytest.fixture(scope="module")
def rt() -> sfd.Runtime:
    spec = sfd.load_spec(DATA / "review.yaml")
    return sfd.Runtime(sfd.compile_workflow(spec),
                       sfd.load_roster(DATA / "review.roster.yaml", spec), keep_log=False)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30)


def _is_verdict(v: Any) -> None:
    assert isinstance(v, sfd.Verdict)
    if not v.accepted:
        assert v.detail is not None
        v.detail.encode("utf-8")  # printable: no lone surrogate in any detail
        (v.detail_in("zh") or "").encode("utf-8")


@given(text=st.text())
def test_any_text_is_a_verdict(rt: sfd.Runtime, text: str) -> None:
    """Any string, lone surrogates included, is judged."""
    _is_verdict(rt.submit_line(text))


@given(data=st.binary())
def test_any_bytes_read_as_a_log_are_judged_line_by_line(rt: sfd.Runtime, data: bytes) -> None:
    """Bytes decoded as a log file would be give one JSON-safe output object per line."""
    lines = split_lines(decode_log(data))
    for out in sfd.replay(rt.compiled, rt.roster, lines):
        json.dumps(out.to_json("en"), ensure_ascii=False).encode("utf-8")


@given(payload=JSON, depth=st.integers(0, 200))
def test_any_json_payload_and_any_nesting_is_a_verdict(rt: sfd.Runtime, payload: Any,
                                                       depth: int) -> None:
    """Any JSON value as payload, wrapped `depth` times, as a mapping and as a line."""
    for _ in range(depth):
        payload = {"x": [payload]}
    event = {"unit": "s1", "event": "log_hours", "actor": "c", "at": "2009-03-02T09:00",
             "payload": payload}
    _is_verdict(rt.submit(event))
    _is_verdict(rt.submit_line(json.dumps(event)))
