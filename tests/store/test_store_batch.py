"""Bulk import (issue 12 §1): `submit_many` stores exactly what one `submit` per event stores
— verdicts, every column of every event (hash chain included), audit rows, snapshots, event
ids, heads and clock — on SQLite and PostgreSQL; bad lines never stop it."""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfd_workflow.errors import StoreError
from sfd_workflow.store import EventStore
from sfd_workflow.store import _rows as rows_module
from support.store import (  # noqa: F401
    approval_script,
    ev,
    fresh_pg_database,
    spec_and_roster,
    store_url_fixture,
    workload,
)

_TABLES = {
    "sfd_events": "gseq",
    "sfd_audit": "id",
    "sfd_snapshots": "unit, seq",
    "sfd_ids": "id",
    "sfd_units": "unit",
    "sfd_clock": "id",
}


@contextlib.contextmanager
def _two_urls(backend: str) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/a.db", f"sqlite:///{tmp}/b.db"
        return
    with fresh_pg_database() as a, fresh_pg_database() as b:
        yield a, b


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a submit writes, in a fixed order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: [tuple(r) for r in conn.exec_driver_sql(
                        f"SELECT * FROM {name} ORDER BY {order}")]
                    for name, order in _TABLES.items()}
    finally:
        engine.dispose()


@contextlib.contextmanager
def fixed_clock() -> Iterator[None]:
    """`recorded_at` and `attempted_at` from a counter, so that two runs hash alike."""
    tick = itertools.count()
    with mock.patch.object(rows_module, "now",
                           lambda: f"2026-01-01T00:00:00.{next(tick):06d}+00:00"):
        yield


@st.composite
def logs(draw: st.DrawFn) -> list[Any]:
    """A contended workload on a few units (bad lines included), some events carrying ids:
    new ones, a retry of an earlier event with its id, an id reused for another event, and
    ids that are not ids."""
    _, roster = spec_and_roster()
    names = [u.id for u in roster.units]
    units = draw(st.lists(st.sampled_from(names), min_size=1, max_size=5, unique=True))
    events = workload(draw(st.integers(0, 10_000)), draw(st.integers(1, 60)), units, roster)
    out: list[Any] = []
    for i, e in enumerate(events):
        kind = draw(st.sampled_from(["none", "none", "fresh", "retry", "reuse", "bad"]))
        if not isinstance(e, dict) or kind == "none":
            out.append(e)
        elif kind == "fresh":
            out.append({**e, "id": f"e{i}"})
        elif kind == "retry" and out:
            out.append(draw(st.sampled_from(out)))
        elif kind == "reuse" and i:
            out.append({**e, "id": f"e{draw(st.integers(0, i - 1))}"})
        else:
            out.append({**e, "id": draw(st.sampled_from([7, "", "x" * 129, None]))})
    return out


def _equivalent(backend: str, log: list[Any], batch: int) -> None:
    spec, roster = spec_and_roster()
    with _two_urls(backend) as (one, many):
        with fixed_clock(), EventStore.create(one, spec, roster, snapshot_every=3) as store:
            singles = [store.submit(e) for e in log]
        with fixed_clock(), EventStore.create(many, spec, roster, snapshot_every=3) as store:
            batched = store.submit_many(log, batch=batch)
            assert store.verify(replay=True).ok
        assert batched == singles
        assert dump(many) == dump(one)


@given(logs(), st.integers(1, 40))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_submit_many_stores_what_submit_stores_on_sqlite(log: list[Any], batch: int) -> None:
    """Drawn logs, drawn batch sizes: the same verdicts and the same rows as one submit per
    event (SQLite)."""
    _equivalent("sqlite", log, batch)


@pytest.mark.postgres
@given(logs(), st.integers(1, 40))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_submit_many_stores_what_submit_stores_on_postgres(log: list[Any], batch: int) -> None:
    """The same on PostgreSQL."""
    _equivalent("postgres", log, batch)


def test_a_batch_sees_its_own_earlier_events_through_children_guards(store_url: str) -> None:
    """A branch summarising in the same batch as its schools close their reviews sees them:
    refused (children) before the last school closes, accepted after, as a replay says."""
    import sfd_workflow as sfd

    spec, roster = spec_and_roster()

    def close(unit: str, m: int) -> list[Any]:
        return [*approval_script(unit)[:4], ev(unit, "review", "m3", m),
                ev(unit, "approve", "s", m), ev(unit, "close", "s", m)]

    log = [*close("gb-0", 10), *(e for i in range(3) for e in close(f"ps-0-{i}", 10)),
           ev("gb-0", "summarise", "s", 20), *close("ps-0-3", 30),
           ev("gb-0", "summarise", "s", 40)]
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
    want = [rt.submit(e) for e in log]
    assert want[-1].accepted and want[-9].reason == sfd.Reason.CHILDREN
    with EventStore.create(store_url, spec, roster) as store:
        store.state("gb-0")  # a replica of the branch exists before the batch
        assert store.submit_many(log, batch=len(log)) == want
        assert store.state("gb-0")["summary"] == "summarised"
        assert store.verify(replay=True).ok


def test_bad_batches_are_refused_with_a_message(store_url: str) -> None:
    """A batch size that is not a whole number >= 1 is a StoreError; nothing is stored."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        for bad in (0, -1, 1.5, True):
            with pytest.raises(StoreError, match="batch must be"):
                store.submit_many(approval_script(), batch=bad)  # type: ignore[arg-type]
        assert store.counts() == (0, 0)


def test_a_source_failing_midway_leaves_the_batches_before_it_stored(tmp_path: Path) -> None:
    """The next batch is read ahead while one is written; the events are still taken from the
    source in the caller's thread, and an error taking them is raised after the batches
    before it are stored and given out, as a plain loop would."""
    import threading

    spec, roster = spec_and_roster()
    script = approval_script()
    taken_in: set[str] = set()

    def source() -> Iterator[Any]:
        for i, e in enumerate(script):
            taken_in.add(threading.current_thread().name)
            if i == 5:
                raise OSError("the disk went away")
            yield e

    with EventStore.create(f"sqlite:///{tmp_path / 's.db'}", spec, roster) as store:
        got: list[Any] = []
        with pytest.raises(OSError, match="the disk went away"):
            for verdicts in store.submit_batches(source(), batch=2):
                got.extend(verdicts)
        assert len(got) == 4  # two whole batches, given out before the error
        assert store.counts()[0] + store.counts()[1] == 4
        assert taken_in == {threading.current_thread().name}


def test_an_import_cli_stores_the_file_and_reports_each_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`store import` writes a JSON line per input line (bad lines included) and stores the
    accepted ones; running it again answers the lines with ids from the store."""
    import json

    from sfd_workflow.cli import main
    from support.store import ROSTER, SPEC

    url = f"sqlite:///{tmp_path / 's.db'}"
    lines = [json.dumps({**e, "id": f"k{i}"}) for i, e in enumerate(approval_script())]
    lines.insert(2, "{not json")
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["store", "init", "--url", url, str(SPEC), str(ROSTER)]) == 0
    capsys.readouterr()
    assert main(["store", "import", "--url", url, "--batch", "3", str(log)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["line"] for o in out] == list(range(1, len(lines) + 1))
    assert out[2]["reason"] == "malformed"
    assert main(["store", "import", "--url", url, str(log)]) == 0
    stdout, err = capsys.readouterr()
    repeat = [json.loads(x) for x in stdout.splitlines()]
    assert all("duplicate_of" in o for i, o in enumerate(repeat) if i != 2)
    assert [o["verdict"] for o in repeat] == [o["verdict"] for o in out]
    assert "already stored 8" in err
    with EventStore.open(url) as store:
        accepted = sum(o["verdict"] == "accepted" for o in out)
        assert store.counts() == (accepted, len(lines) - accepted + 1)
        assert store.verify().ok


def test_import_of_a_missing_file_exits_2(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable EVENTS file is one line on standard error and exit 2."""
    from sfd_workflow.cli import main
    from support.store import ROSTER, SPEC

    url = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["store", "init", "--url", url, str(SPEC), str(ROSTER)]) == 0
    capsys.readouterr()
    assert main(["store", "import", "--url", url, str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.jsonl" in err[0]
