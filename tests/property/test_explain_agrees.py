"""explain = submit, always: before each event, `explain` gives the reason and the decision
the verdict then gives (issue 9), on drawn specs, rosters and logs and on the built-in spec.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

from sfd_workflow import Runtime, compile_workflow, roster_from_document, spec_from_document
from sfd_workflow._checks import EVENT_CHECKS, all_pass
from sfd_workflow._context import Context
from sfd_workflow._eventlog import ParsedEvent, parse_line
from sfd_workflow.testing import event_logs, rosters, specs

PREDICATES: dict[str, Any] = {
    "actor_is_p0": lambda ctx: ctx.actor == "p0",
    "even_utc_hour": lambda ctx: ctx.at.astimezone(dt.UTC).hour % 2 == 0,
}


_FIELDS = {"unit", "event", "actor", "at", "payload"}


def _strict(name: str) -> Any:
    raise ValueError(name)


def _hot_path_agrees_with_the_table(rt: Runtime, line: str) -> None:
    """`all_pass` (steps 2–8 as one conjunction, submit's hot path) is True exactly when
    every check of the table's steps 2–8 holds."""
    parsed = parse_line(line, rt.compiled.tz)
    if not isinstance(parsed, ParsedEvent):
        return
    units = rt._units
    fast = all_pass(Context(rt.compiled, units, rt.roster.children), parsed)
    ctx = Context(rt.compiled, units, rt.roster.children)
    ctx.load(parsed)
    assert fast == all(check.holds(ctx) for check in EVENT_CHECKS[1:]), line


def _explain_then_submit(rt: Runtime, lines: list[str]) -> None:
    """Explain each line's event, then submit it: same reason, same decision, same detail.

    `explain` takes the event's fields as arguments, so a line is compared when those are
    all it says: a JSON object with the four keys of §3 (and a payload), nothing else, no NaN
    elsewhere on the line, an `at` that is not null (``at=None`` means "now" to `explain`).
    Other lines are submitted all the same; the malformed-line table of
    tests/core/test_event_lines.py covers them.
    """
    for line in lines:
        _hot_path_agrees_with_the_table(rt, line)
        try:
            obj = json.loads(line, parse_constant=_strict)
        except ValueError:
            obj = None
        if (isinstance(obj, dict) and _FIELDS - {"payload"} <= set(obj) <= _FIELDS
                and obj["at"] is not None):
            ex = rt.explain(obj.get("unit"), obj.get("event"), obj.get("actor"),  # type: ignore[arg-type]
                            at=obj["at"], payload=obj.get("payload"))
            v = rt.submit_line(line)
            assert (ex.reason, ex.allowed) == (v.reason, v.accepted), line
            if not v.accepted and v.reason != "malformed":  # (json.loads read 1e400 as inf)
                assert (v.detail, v.detail_in("zh")) == (ex.unmet[0].en, ex.unmet[0].zh), line
        else:
            rt.submit_line(line)


@given(st.data())
def test_explain_agrees_with_submit_on_drawn_workflows(data: st.DataObject) -> None:
    """All guard keys, role_map lists, skips, children: explain's verdict is submit's."""
    spec_doc = data.draw(specs(predicates=sorted(PREDICATES)), label="spec")
    roster_doc = data.draw(rosters(spec_doc), label="roster")
    lines = data.draw(event_logs(spec_doc, roster_doc, predicates=PREDICATES), label="log")
    note("events.jsonl:\n" + "\n".join(lines))
    spec = spec_from_document(spec_doc)
    rt = Runtime(compile_workflow(spec, predicates=PREDICATES),
                 roster_from_document(roster_doc, spec), keep_log=False)
    _explain_then_submit(rt, lines)


@given(st.data())
def test_explain_agrees_with_submit_on_the_builtin_spec(data: st.DataObject) -> None:
    """On builtin:xuhui-edu-2009 (small district, deep prefixes of the campaign log)."""
    from support import xuhui

    full = xuhui.campaign_log()
    prefix = full[: data.draw(st.integers(0, len(full)), label="prefix")]
    lines = data.draw(event_logs(xuhui.spec_document(), xuhui.SMALL_ROSTER, max_events=40,
                                 start=prefix), label="log")
    spec = xuhui.spec()
    rt = Runtime(xuhui.compiled(), roster_from_document(xuhui.SMALL_ROSTER, spec),
                 keep_log=False)
    _explain_then_submit(rt, lines)
