"""Shared helpers of the event-store tests (tests/store/test_store*.py).

Not a test module. Fixtures defined here are imported by the test modules that use them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow.testing import scratch_schema

DATA = Path(__file__).parents[1] / "data" / "good"
SPEC = DATA / "store-review.yaml"
ROSTER = DATA / "store-review.roster.yaml"
PG_ENV = "SFD_TEST_PG_URL"
V1_FIXTURE = Path(__file__).parents[1] / "data" / "store-v1.json"


@functools.cache
def spec_and_roster() -> tuple[sfd.Spec, sfd.Roster]:
    """The test workflow (a quorum review, once-per-actor reviews, a children guard) and its
    20 units (4 branches of 4 schools)."""
    spec = sfd.load_spec(SPEC)
    return spec, sfd.load_roster(ROSTER, spec)


def ev(unit: str, event: str, actor: str, minute: int = 0,
       payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """An event of 2009-05-01, `minute` minutes after 10:00 (Shanghai)."""
    h, m = divmod(minute, 60)
    return {"unit": unit, "event": event, "actor": actor,
            "at": f"2009-05-{1 + h // 14:02d}T{10 + h % 14:02d}:{m:02d}:00+08:00",
            "payload": payload}


def approval_script(unit: str = "ps-0-0") -> list[dict[str, Any]]:
    """Draft, submit, three reviews (one duplicate), approve: a unit through its review."""
    return [ev(unit, "write_draft", "s", 1, {"text": "plan"}), ev(unit, "submit", "s", 2),
            ev(unit, "review", "m1", 3), ev(unit, "review", "m2", 4),
            ev(unit, "review", "m2", 5), ev(unit, "approve", "s", 6),
            ev(unit, "review", "m3", 7), ev(unit, "approve", "s", 8)]


# --- back ends -----------------------------------------------------------------------------

def pg_base_url() -> str:
    """The PostgreSQL URL of the test server; skips (with the reason) when there is none."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need a server: set {PG_ENV} "
                    "(.ci/run installs and starts one and sets it)")
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        pytest.fail(f"{PG_ENV} is set but the server cannot be reached: {exc.orig}")
    finally:
        engine.dispose()
    return url


@contextlib.contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A URL whose connections see a new, empty schema of the test database, dropped
    afterwards (`sfd_workflow.testing.scratch_schema`); skips when there is no server."""
    with scratch_schema(pg_base_url()) as url:
        yield url


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS, name="store_url")
def store_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL where no store exists yet, on SQLite and (marked `postgres`) on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with fresh_pg_database() as url:
            yield url


def load_old_store(url: str, version: int) -> dict[str, list[dict[str, Any]]]:
    """Make a store of schema `version` at `url`: the tables made by the migrations up to
    that version, holding the rows a version-1 sfd-workflow wrote (tests/data/store-v1.json);
    returns those rows by table."""
    import json

    import sqlalchemy as sa

    from sfd_workflow.store import _schema as schema

    tables = json.loads(V1_FIXTURE.read_text(encoding="utf-8"))["tables"]
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            schema.MIGRATIONS[1][1](conn)
            for v in range(2, version + 1):
                schema.MIGRATIONS[v][1](conn)
            conn.execute(schema.clock.update().values(gseq=tables["sfd_clock"][0]["gseq"]))
            for name in ("sfd_schema", "sfd_meta", "sfd_units", "sfd_events", "sfd_audit"):
                table = schema.metadata.tables[name]
                rows = [{k: (bool(v) if k == "late" else v) for k, v in r.items()}
                        for r in tables[name]]
                conn.execute(table.insert(), rows)
            for v in range(2, version + 1):
                conn.execute(schema.schema.insert(), {
                    "version": v, "applied_at": "2026-01-01T00:00:00+00:00",
                    "description": schema.MIGRATIONS[v][0]})
            if conn.dialect.name == "postgresql":  # ids were given: move the sequence on
                conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('sfd_audit', 'id'),"
                                     " (SELECT max(id) FROM sfd_audit))")
    finally:
        engine.dispose()
    return tables


# --- a concurrent workload ------------------------------------------------------------------

def workload(seed: int, n: int, units: list[str], roster: sfd.Roster) -> list[Any]:
    """`n` events in review cycles on random `units`, so that writers running it with other
    seeds collide: submit, reviews by 2-4 members (once per actor), approve (a quorum), then
    reopen, send back, close or summarise (a children guard); about 1 event in 25 is bad."""
    rng = random.Random(seed)
    out: list[Any] = []
    while len(out) < n:
        unit = rng.choice(units)
        minute = len(out) // 40  # writers advance together: few out_of_order rejections
        members = [p.id for p in roster.by_id[unit].people]
        cycle: list[Any] = []
        if rng.random() < 0.2:
            cycle.append(ev(unit, "write_draft", "s", minute, {"text": f"draft {seed}"}))
        cycle.append(ev(unit, "submit", "s", minute))
        cycle.extend(ev(unit, "review", m, minute)
                     for m in rng.sample(members, rng.randint(2, 4)))
        cycle.append(ev(unit, "approve", "s", minute))
        r = rng.random()
        if r < 0.75:
            cycle.append(ev(unit, "reopen", "s", minute))
        elif r < 0.9:
            cycle.append(ev(unit, "send_back", "s", minute))
        elif r < 0.93:
            cycle.append(ev(unit, "close", "s", minute))
        else:
            cycle.append(ev(unit, "summarise", "s", minute))
        if rng.random() < 0.3:
            cycle.insert(rng.randrange(len(cycle) + 1), rng.choice([
                ev(unit, "review", "nobody", minute),                # unknown_actor
                ev(unit, "write_draft", "s", minute, {}),             # fields (or wrong_state)
                ev("no-such-unit", "review", "m1", minute),           # unknown_unit
                '{"unit": "' + unit + '", "event": "review"',        # a truncated line
                {"unit": unit, "event": "review", "actor": "m1", "at": "yesterday"},
                {"unit": unit, "event": "review", "actor": "m1",     # NaN: not storable
                 "at": "2009-05-01T10:00:00+08:00", "payload": {"x": float("nan")}},
            ]))
        out.extend(cycle)
    return out[:n]


def sql_edit(*statements: str) -> Any:
    """An edit of a stored campaign: a function running `statements` (SQL) on a connection
    (the tamper tests)."""
    def run(conn: Any) -> None:
        for s in statements:
            conn.exec_driver_sql(s)
    return run


def snapshot_state_edit(unit: str, seq: int) -> Any:
    """An edit of a stored campaign: the state of `unit`'s snapshot after event `seq` loses
    all its records but the first, its digest recomputed (only a replaying verify sees it)."""
    import sqlalchemy as sa  # the `store` extra, as the tests that use this

    from sfd_workflow.store._snapshots import snapshot_digest

    def run(conn: Any) -> None:
        spec_sha = conn.exec_driver_sql(
            "SELECT value FROM sfd_meta WHERE key = 'spec_sha256'").scalar_one()
        row = conn.execute(sa.text("SELECT * FROM sfd_snapshots WHERE unit = :u AND seq = :s"),
                           {"u": unit, "s": seq}).mappings().one()
        state = json.loads(row["state"])
        state["records"] = state["records"][:1]
        text = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        conn.execute(sa.text("UPDATE sfd_snapshots SET state = :t, digest = :d "
                             "WHERE unit = :u AND seq = :s"),
                     {"t": text, "u": unit, "s": seq,
                      "d": snapshot_digest(spec_sha, unit, seq, row["gseq"], row["hash"], text)})
    return run
