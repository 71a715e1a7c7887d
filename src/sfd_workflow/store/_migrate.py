"""Moving a store to a new version of its spec mid-campaign (issue 14).

`migrate_store` replays the whole stored history (each event by the spec version it was
judged by), checks that the plan is complete for every unit where it stands, and then, in
the same transaction, appends to each unit's hash chain one *migration entry*: a row of
``sfd_events`` whose event is `MIGRATION_EVENT` (no spec event can be called that: event
ids match ``[a-z0-9][a-z0-9_-]*``) and whose payload holds the migration's id, the SHA-256 of
the spec versions it leaves and enters, and the unit's state after the move
(`sfd_workflow.migrate_snapshot`). The new spec is kept in ``sfd_specs`` beside the old one,
the plan in ``sfd_migrations``, and ``sfd_meta`` names the spec the store judges by now
(``current_spec_json``, ``current_spec_sha256``); the spec it was created with stays where it
was (``spec_json``), since every unit's chain starts from its hash. Persisted snapshots are
dropped: they hold states of the old version.

An event is judged by the version its unit's chain says: the created one before the unit's
first migration entry, then each entry's ``to``. A replica starts each unit from its latest
entry (`restore_migrated`); ``verify(replay=True)`` judges every event again by its version
and checks every entry against its plan (`VersionedRuntime`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from .._compile import compile_workflow
from .._engine import Runtime
from .._migrate import moved_snapshot, note_head
from .._plan import Plan, plan_from_text, spec_sha256
from .._roster import roster_from_document
from .._spec._loader import spec_from_document
from .._spec._model import Roster, Spec
from .._verdict import ACCEPTED, Reason, Verdict
from ..errors import LoadError, MigrationPlanError, SfdWorkflowError, StoreError
from . import _schema as t
from ._canonical import canonical_json, chain_genesis, event_hash, sha256_hex
from ._database import make_durable, write_options
from ._replica import subtree, subtree_roster
from ._report import BrokenLink
from ._rows import hashed, now

__all__ = ["MIGRATION_EVENT", "MigrationReport", "VersionedRuntime", "Versions", "check_versions",
           "current_spec", "judged_spec", "migrate_store", "restore_migrated", "versioned_roots"]

#: The refusals a `VersionedRuntime` gives of its own.
REJECTED = {r: Verdict(False, r, False) for r in (Reason.UNKNOWN_UNIT, Reason.WRONG_STATE)}

#: The event name of a migration entry in a unit's hash chain.
MIGRATION_EVENT = "sfd:migrate"

versions = t.specs
migrations = t.migrations


def current_spec(meta: Mapping[str, str]) -> tuple[str, str]:
    """(canonical JSON, SHA-256) of the spec a store judges by now, from its ``sfd_meta``."""
    if "current_spec_json" in meta:
        return meta["current_spec_json"], meta.get("current_spec_sha256", "")
    return meta["spec_json"], meta["spec_sha256"]


def judged_spec(meta: Mapping[str, str], shown: str) -> tuple[str, str]:
    """`current_spec`, checked against its SHA-256.

    Raises:
        StoreError: the current spec stored at `shown` was edited.
    """
    text, sha = current_spec(meta)
    if sha256_hex(text) != sha:
        msg = (f"the current spec stored at {shown} does not match its SHA-256: "
               "the store was altered; run verify")
        raise StoreError(msg)
    return text, sha


def versioned_roots(conn: sa.Connection, compiled: Any, roster: Roster,
                    roots: Iterable[str]) -> Iterator[tuple[str, VersionedRuntime,
                                                            tuple[str, ...]]]:
    """The `roots` argument of `replay_check` for `roots`: each event judged by the spec
    version its unit's chain says."""
    stored = Versions(conn, compiled)
    for r in roots:
        yield r, VersionedRuntime(stored, subtree_roster(roster, r)), subtree(roster, r)


@attrs.frozen
class MigrationReport:
    """What `migrate_store` did."""

    migration: int
    """The migration's number in ``sfd_migrations`` (1 for a store's first)."""
    units: int
    """Units moved (every unit of the roster)."""
    from_sha256: str
    to_sha256: str


class Versions:
    """The spec versions and migration plans of a store, each loaded and compiled once.

    Args:
        conn: a connection to the store.
        compiled: the store's compiled spec: reused for its version, and its predicates
            used to compile the others.
    """

    def __init__(self, conn: sa.Connection, compiled: Any) -> None:
        meta = dict(conn.execute(sa.select(t.meta.c.key, t.meta.c.value)).all())
        self.origin = meta["spec_sha256"]
        """SHA-256 of the spec the store was created with."""
        self._json = {str(r.sha256): str(r.spec_json) for r in conn.execute(sa.select(versions))}
        self._json.setdefault(self.origin, meta["spec_json"])
        self.plans = {int(r.id): r for r in conn.execute(sa.select(migrations))}
        """Migration number -> its ``sfd_migrations`` row."""
        self._predicates = compiled.predicates
        self._compiled = {spec_sha256(compiled.spec): compiled}
        self._specs: dict[str, Spec] = {}
        self._plans: dict[int, tuple[Plan, dict[str, Any]]] = {}

    def spec(self, sha: str) -> Spec:
        """The stored spec version with this SHA-256."""
        if sha not in self._specs:
            self._specs[sha] = spec_from_document(json.loads(self._json[sha]),
                                                  source=f"sfd_specs#{sha[:12]}")
        return self._specs[sha]

    def plan(self, number: int) -> tuple[Plan, dict[str, Any]]:
        """Migration `number`'s plan, and what its history records say of it."""
        if number not in self._plans:
            row = self.plans[number]
            plan = plan_from_text(row.plan_json, self.spec(row.from_sha256),
                                  self.spec(row.to_sha256), row.plan_source)
            self._plans[number] = (plan, note_head(plan))
        return self._plans[number]

    def compiled(self, sha: str) -> Any:
        """The stored spec version with this SHA-256, compiled."""
        if sha not in self._compiled:
            self._compiled[sha] = compile_workflow(self.spec(sha), self._predicates)
        return self._compiled[sha]


class VersionedRuntime:
    """Judges each unit's stored events by the spec version its chain says (a `Runtime`
    per version, over the same roster); a migration entry moves the unit to its ``to``
    version, and is refused (``wrong_state``) when its stored state is not what its plan
    gives from the replayed one.

    Used by ``verify(replay=True)`` and by `migrate_store`; it has the two `Runtime`
    methods they call, `submit` and `snapshot`.
    """

    def __init__(self, stored: Versions, roster: Roster) -> None:
        self._versions = stored
        self._roster_doc = roster.to_document()
        self._roster = roster
        self._rts: dict[str, Any] = {}
        self._at = {u.id: stored.origin for u in roster.units}

    def _rt(self, sha: str) -> Any:
        rt = self._rts.get(sha)
        if rt is None:
            compiled = self._versions.compiled(sha)
            roster = (self._roster if sha == self._versions.origin else
                      roster_from_document(self._roster_doc, compiled.spec,
                                           source=self._roster.source))
            rt = self._rts[sha] = Runtime(compiled, roster, keep_log=False)
        return rt

    def version(self, unit: str) -> str:
        """The SHA-256 of the spec `unit` is judged by now."""
        return str(self._at[unit])

    def submit(self, event: Mapping[str, Any]) -> Any:
        """Judge a stored event (or apply a migration entry) by its unit's version."""
        unit = event["unit"]
        if event["event"] != MIGRATION_EVENT:
            return self._rt(self._at.get(unit, "")).submit(event) if unit in self._at \
                else REJECTED[Reason.UNKNOWN_UNIT]
        try:
            return self._move(unit, event)
        except (KeyError, TypeError, ValueError, SfdWorkflowError):
            return REJECTED[Reason.WRONG_STATE]

    def _move(self, unit: str, event: Mapping[str, Any]) -> Any:
        body = event["payload"]
        row = self._versions.plans[int(body["migration"])]
        if (body["from"], body["to"]) != (self._at[unit], row.to_sha256) or \
                row.from_sha256 != self._at[unit]:
            return REJECTED[Reason.WRONG_STATE]
        plan, head = self._versions.plan(int(body["migration"]))
        before = self.snapshot(unit)
        if plan.missing({unit: before}):
            return REJECTED[Reason.WRONG_STATE]
        expected = moved_snapshot(plan, before, dt.datetime.fromisoformat(event["at"]), head)
        if canonical_json(expected) != canonical_json(body["state"]):
            return REJECTED[Reason.WRONG_STATE]
        self._rt(row.to_sha256).restore(unit, body["state"])
        self._at[unit] = row.to_sha256
        return ACCEPTED

    def submit_line(self, line: str) -> Any:
        """Judge an audited line (``sfd_audit.raw``) by its unit's version, as the store did;
        a line naming no unit of the roster is judged by the created version (any version
        refuses it alike)."""
        try:
            unit = json.loads(line).get("unit")
        except (ValueError, AttributeError):
            unit = None
        sha = self._at[unit] if isinstance(unit, str) and unit in self._at \
            else self._versions.origin
        return self._rt(sha).submit_line(line)

    def snapshot(self, unit: str) -> dict[str, Any]:
        """The unit's state, in its current version's runtime."""
        return dict(self._rt(self._at[unit]).snapshot(unit))


def restore_migrated(conn: sa.Connection, rep: Any, judged_by: str) -> int:
    """Start each unit of a fresh replica at its latest migration entry, if the store has
    one; returns how many units were restored (0 for a store never migrated).

    `judged_by` is the SHA-256 of the spec the replica's runtime judges by: a store object
    opened before the latest migration (another version) refuses to go on.
    """
    last = conn.execute(sa.select(migrations.c.first_gseq, migrations.c.last_gseq,
                                  migrations.c.to_sha256)
                        .order_by(migrations.c.id.desc()).limit(1)).first()
    if last is None:
        return 0
    if last.to_sha256 != judged_by:
        msg = (f"the store's migration entries are refused on replay by this store object: "
               f"the store was moved to spec sha256:{str(last.to_sha256)[:12]} after it was "
               f"opened (it judges by sha256:{judged_by[:12]}); open the store again")
        raise StoreError(msg)
    q = (sa.select(t.events.c.unit, t.events.c.seq, t.events.c.gseq, t.events.c.hash,
                   t.events.c.payload)
         .where(t.events.c.gseq.between(last.first_gseq, last.last_gseq),
                t.events.c.event == MIGRATION_EVENT))
    inside = set(rep.units)
    n = 0
    for row in conn.execute(q):
        if row.unit not in inside:
            continue
        try:
            rep.rt.restore(row.unit, json.loads(row.payload)["state"])
        except (ValueError, KeyError, TypeError) as exc:
            msg = (f"the migration entry of unit {row.unit!r} (event {row.seq}) cannot be "
                   f"used ({exc}): the store was altered; run verify")
            raise StoreError(msg) from None
        rep.heads[row.unit] = (int(row.seq), str(row.hash), int(row.gseq))
        n += 1
    rep.gseq = min(h[2] for h in rep.heads.values())
    return n


def check_versions(conn: sa.Connection) -> list[BrokenLink]:
    """The stored spec versions and the current one each match their SHA-256."""
    meta = dict(conn.execute(sa.select(t.meta.c.key, t.meta.c.value)).all())
    out = []
    if "current_spec_json" in meta:
        text, sha = current_spec(meta)
        if sha256_hex(text) != sha:
            out.append(BrokenLink(unit="*", seq=None, problem="the current spec was edited"))
    for row in conn.execute(sa.select(versions)):
        if sha256_hex(row.spec_json) != row.sha256:
            out.append(BrokenLink(unit="*", seq=None, problem=(
                f"the stored spec version sha256:{row.sha256[:12]} was edited")))
    return out


def _plan_problem(plan: Plan, message: str) -> MigrationPlanError:
    return MigrationPlanError([plan.document.problem(("from",), message)])


def migrate_store(store: Any, spec: Spec, plan: Plan, *, at: dt.datetime | None = None
                  ) -> MigrationReport:
    """Move every unit of `store` to `spec` by `plan` (see the module's docstring).

    Nothing is written unless every check passes: the plan must be from the spec the store
    judges by to `spec`, the roster must load against `spec`, the stored history must replay,
    and the plan must be complete for every unit where it stands. Open the store again
    afterwards: this `store` object (and any other open on the same database) still judges
    by the old version, and a replica that meets a migration entry refuses to go on.

    Raises:
        MigrationPlanError: the plan is for another spec, or is incomplete for the store's units
            (each missing target with the units that need it).
        StoreError: the roster does not fit `spec`, the history does not replay, or the
            database failed.
    """
    old_sha, new_sha = spec_sha256(store.spec), spec_sha256(spec)
    if spec_sha256(plan.old) != old_sha:
        raise _plan_problem(plan, f"the plan moves units of {plan.old.source} (sha256:"
                                  f"{spec_sha256(plan.old)[:12]}), but the store at {store.url} "
                                  f"judges by sha256:{old_sha[:12]}")
    if spec_sha256(plan.new) != new_sha:
        raise _plan_problem(plan, f"the plan moves units to {plan.new.source}, not to "
                                  f"{spec.source}")
    try:
        roster = roster_from_document(store.roster.to_document(), spec,
                                      source=store.roster.source)
        compile_workflow(spec, store._compiled.predicates)
    except (LoadError, SfdWorkflowError) as exc:
        raise StoreError(f"{spec.source} cannot judge the store's units: {exc}") from None
    engine: sa.Engine = store._engine  # a function of the store package, beside EventStore
    when = at if at is not None else dt.datetime.now(dt.UTC)
    try:
        with engine.connect().execution_options(**write_options()) as conn, conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE sfd_units, sfd_clock IN EXCLUSIVE MODE")
            report = _write(conn, store, roster, spec, plan, old_sha, new_sha, when)
        make_durable(engine)  # writers commit with synchronous_commit=off on PostgreSQL
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot write to {store.url}: {exc}") from None
    return report


def _replayed(conn: sa.Connection, store: Any
              ) -> tuple[VersionedRuntime, dict[str, tuple[int, str]]]:
    vr = VersionedRuntime(Versions(conn, store._compiled), store.roster)
    heads: dict[str, tuple[int, str]] = {}
    rows = conn.execute(sa.select(t.events).order_by(t.events.c.gseq)
                        .execution_options(yield_per=2000))
    for row in rows:
        verdict = vr.submit({"unit": row.unit, "event": row.event, "actor": row.actor,
                             "at": row.at, "payload": json.loads(row.payload)})
        if not verdict.accepted:
            msg = (f"stored event {row.seq} of unit {row.unit!r} is refused on replay "
                   f"({verdict.reason}): the store was altered; run verify")
            raise StoreError(msg)
        heads[row.unit] = (int(row.seq), str(row.hash))
    return vr, heads


def _write(conn: sa.Connection, store: Any, roster: Roster, spec: Spec, plan: Plan,
           old_sha: str, new_sha: str, when: dt.datetime) -> MigrationReport:
    vr, heads = _replayed(conn, store)
    snaps = {u.id: vr.snapshot(u.id) for u in roster.units}
    if any(vr.version(u) != old_sha for u in snaps):
        raise StoreError(f"the store at {store.url} was migrated meanwhile: open it again")
    problems = plan.missing(snaps)
    if problems:
        raise MigrationPlanError(problems)
    number = int(conn.execute(sa.select(sa.func.count()).select_from(migrations))
                 .scalar_one()) + 1
    meta = dict(conn.execute(sa.select(t.meta.c.key, t.meta.c.value)).all())
    first = last = 0
    head = note_head(plan)
    genesis = chain_genesis(meta)  # the chain format the store was created with (schema 4)
    for u in roster.units:
        seq, prev = heads.get(u.id, (0, genesis(u.id)))
        state = moved_snapshot(plan, snaps[u.id], when, head)
        gseq = conn.execute(t.clock.update().where(t.clock.c.id == 1)
                            .values(gseq=t.clock.c.gseq + 1).returning(t.clock.c.gseq)
                            ).scalar_one()
        first, last = first or gseq, gseq
        row = {"gseq": gseq, "unit": u.id, "seq": seq + 1, "event": MIGRATION_EVENT,
               "actor": "", "at": when.isoformat(), "late": False, "recorded_at": now(),
               "payload": canonical_json({"migration": number, "from": old_sha,
                                          "to": new_sha, "state": state})}
        conn.execute(t.events.insert(), {**row, "prev_hash": prev,
                                         "hash": event_hash(prev, hashed(row))})
        if conn.execute(t.units.update().where(t.units.c.unit == u.id,
                                               t.units.c.head_seq == seq)
                        .values(head_seq=seq + 1)).rowcount != 1:
            raise StoreError(f"unit {u.id!r} changed during the migration: try again")
    spec_json = canonical_json(dict(spec.document))
    for sha, text, sid in ((meta["spec_sha256"], meta["spec_json"], meta.get("spec_id", "")),
                           (new_sha, spec_json, spec.id)):
        if conn.execute(sa.select(versions.c.sha256).where(versions.c.sha256 == sha)).first() \
                is None:
            conn.execute(versions.insert(), {"sha256": sha, "spec_id": sid, "spec_json": text,
                                             "added_at": now()})
    conn.execute(migrations.insert(), {
        "id": number, "from_sha256": old_sha, "to_sha256": new_sha,
        "plan_json": plan.to_yaml(), "plan_source": plan.source,
        "first_gseq": first, "last_gseq": last,
        "applied_at": now()})
    for key, value in (("current_spec_json", spec_json), ("current_spec_sha256", new_sha)):
        conn.execute(t.meta.delete().where(t.meta.c.key == key))
        conn.execute(t.meta.insert(), {"key": key, "value": value})
    conn.execute(t.snapshots.delete())
    return MigrationReport(number, len(roster.units), old_sha, new_sha)
