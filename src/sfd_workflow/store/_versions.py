"""The spec versions of a store, and which one judges each unit and each stored event.

After `store migrate` (`_migrate.py`), a store holds several versions of its spec
(``sfd_specs``) and each moved unit's hash chain holds *migration entries*: rows of
``sfd_events`` whose event is `MIGRATION_EVENT` (no spec event can be called that: event ids
match ``[a-z0-9][a-z0-9_-]*``) and whose payload holds the migration's number, the SHA-256 of
the versions it leaves and enters, and the unit's state after the move. A migration may move
some trees of the roster only (``--units``): a root unit and all its descendants always move
together, so a tree is judged by one version at a time.

An event is judged by the version its unit's chain says: the one the store was created with
before the unit's first migration entry, then each entry's ``to``. `JudgedBy` answers that
for any stored event (status, exports), `restore_migrated` starts a fresh replica at its
units' latest entries with a runtime of their version, and `VersionedRuntime` judges a
whole stored history again, entry by entry (``verify(replay=True)``, `migrate_store`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from .._compile import compile_workflow
from .._engine import Runtime
from .._migrate import moved_snapshot, note_head
from .._plan import Plan, plan_from_text, spec_sha256
from .._roster import roster_from_document
from .._spec._loader import spec_from_document
from .._spec._model import Roster, Spec
from .._verdict import ACCEPTED, Reason, Verdict
from ..errors import SfdWorkflowError, StoreError
from . import _schema as t
from ._canonical import canonical_json, sha256_hex
from ._replica import subtree, subtree_roster
from ._report import BrokenLink

__all__ = ["MIGRATION_EVENT", "Entry", "JudgedBy", "VersionedRuntime", "Versions",
           "check_versions", "current_spec", "judged_spec", "latest_entries",
           "migration_entries", "restore_migrated", "versioned_roots"]

#: The event name of a migration entry in a unit's hash chain.
MIGRATION_EVENT = "sfd:migrate"

versions = t.specs
migrations = t.migrations


#: The refusals a `VersionedRuntime` gives of its own.
REJECTED = {r: Verdict(False, r, False) for r in (Reason.UNKNOWN_UNIT, Reason.WRONG_STATE)}

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
        self.home = spec_sha256(compiled.spec)
        """SHA-256 of the store's spec (`EventStore.spec`): its roster is loaded against it."""
        self._compiled = {self.home: compiled}
        self._specs: dict[str, Spec] = {}
        self._plans: dict[int, tuple[Plan, dict[str, Any]]] = {}

    def spec(self, sha: str) -> Spec:
        """The stored spec version with this SHA-256."""
        if sha in self._compiled:
            return self._compiled[sha].spec  # type: ignore[no-any-return]
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

    def __contains__(self, sha: object) -> bool:
        return sha in self._json

    def runtime(self, sha: str, roster: Roster) -> Any:
        """A new `Runtime` (keeping no log) of version `sha` over `roster`, a roster loaded
        against the store's spec (`home`): loaded again against any other version."""
        compiled = self.compiled(sha)
        if sha != self.home:
            roster = roster_from_document(roster.to_document(), compiled.spec,
                                          source=roster.source)
        return Runtime(compiled, roster, keep_log=False)


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
        self._roster = roster
        self._rts: dict[str, Any] = {}
        self._at = {u.id: stored.origin for u in roster.units}

    def _rt(self, sha: str) -> Any:
        rt = self._rts.get(sha)
        if rt is None:
            rt = self._rts[sha] = self._versions.runtime(sha, self._roster)
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




class Entry(NamedTuple):
    """A migration entry of a unit's hash chain."""

    gseq: int
    seq: int
    hash: str
    payload: str
    """Its payload (canonical JSON), holding the unit's state after the move."""
    to: str
    """SHA-256 of the version it moved the unit to (its migration's ``to_sha256``)."""

    def state(self) -> dict[str, Any]:
        """The unit's state after the move (a `Runtime.snapshot` of the `to` version).

        Raises:
            ValueError, KeyError, TypeError: the payload is not a migration entry's.
        """
        state = json.loads(self.payload)["state"]
        if not isinstance(state, dict):
            raise TypeError(f"the state of a migration entry is not an object: {state!r}")
        return state


def migration_entries(conn: sa.Connection, units: Collection[str] | None = None
                      ) -> dict[str, list[Entry]]:
    """Each unit's migration entries (of `units`, or all), oldest first; units never moved
    are left out. Read migration by migration: its entries have consecutive commit numbers
    (``first_gseq`` to ``last_gseq`` of ``sfd_migrations``)."""
    out: dict[str, list[Entry]] = {}
    done = conn.execute(sa.select(migrations.c.first_gseq, migrations.c.last_gseq,
                                  migrations.c.to_sha256).order_by(migrations.c.id)).all()
    for m in done:
        q = (sa.select(t.events.c.unit, t.events.c.gseq, t.events.c.seq, t.events.c.hash,
                       t.events.c.payload)
             .where(t.events.c.gseq.between(m.first_gseq, m.last_gseq),
                    t.events.c.event == MIGRATION_EVENT).order_by(t.events.c.gseq))
        if units is not None:
            q = q.where(t.events.c.unit.in_(list(units)))
        for r in conn.execute(q):
            out.setdefault(r.unit, []).append(Entry(int(r.gseq), int(r.seq), str(r.hash),
                                                    str(r.payload), str(m.to_sha256)))
    return out


def latest_entries(conn: sa.Connection) -> dict[str, Entry]:
    """Each moved unit's latest migration entry: where its replicas start, and the version
    that judges it now (`Entry.to`); units never moved are left out."""
    return {u: es[-1] for u, es in migration_entries(conn).items()}


class JudgedBy:
    """Which stored spec version judged each stored event, and judges each unit now.

    Args:
        conn: a connection to the store.
        compiled: the store's compiled spec (see `Versions`).
    """

    def __init__(self, conn: sa.Connection, compiled: Any) -> None:
        self.versions = Versions(conn, compiled)
        self.entries = migration_entries(conn)
        """Each moved unit's migration entries, oldest first."""
        self._marks = {u: [e.gseq for e in es] for u, es in self.entries.items()}

    def sha(self, unit: str, gseq: float = float("inf")) -> str:
        """SHA-256 of the version that judged `unit`'s stored event at commit `gseq` (by
        default: the version that judges the unit now)."""
        marks = self._marks.get(unit)
        i = 0 if marks is None else bisect.bisect_left(marks, gseq)
        return self.versions.origin if i == 0 else self.entries[unit][i - 1].to

    def spec(self, unit: str, gseq: float = float("inf")) -> Spec:
        """The version `sha` names."""
        return self.versions.spec(self.sha(unit, gseq))

    def compiled(self, unit: str, gseq: float = float("inf")) -> Any:
        """The version `sha` names, compiled."""
        return self.versions.compiled(self.sha(unit, gseq))

    def events(self, unit: str, head_seq: int) -> int:
        """The events among a unit's `head_seq` chain rows (its migration entries left out)."""
        moved = len(self.entries.get(unit, ()))
        return head_seq - moved if moved else head_seq


def restore_migrated(conn: sa.Connection, rep: Any, judged_by: str, origin: str,
                     runtime_of: Callable[[str], Any]) -> int:
    """Give a fresh replica a runtime of its units' version and start each moved unit at
    its latest migration entry; return how many units were restored (0 for units never
    moved).

    `judged_by` is the SHA-256 of the spec the store object judges by (its latest version
    when it was opened): a store object opened before the latest migration refuses to go
    on. `origin` is the version the store was created with; `runtime_of(sha)` makes a
    runtime of version `sha` over the replica's units.
    """
    last = conn.execute(sa.select(migrations.c.to_sha256)
                        .order_by(migrations.c.id.desc()).limit(1)).first()
    if last is None:
        return 0
    if last.to_sha256 != judged_by:
        msg = (f"the store's migration entries are refused on replay by this store object: "
               f"the store was moved to spec sha256:{str(last.to_sha256)[:12]} after it was "
               f"opened (it judges by sha256:{judged_by[:12]}); open the store again")
        raise StoreError(msg)
    latest = {u: es[-1] for u, es in migration_entries(conn, rep.units).items()}
    on = {latest[u].to if u in latest else origin for u in rep.units}
    if len(on) != 1:
        msg = (f"the units of the tree of {rep.units[0]!r} are on different spec versions "
               "(a tree moves together): the store was altered; run verify")
        raise StoreError(msg)
    sha = on.pop()
    if sha != judged_by:
        try:
            rep.rt = runtime_of(sha)
        except (KeyError, ValueError, SfdWorkflowError) as exc:
            msg = (f"the spec version sha256:{sha[:12]} of unit {rep.units[0]!r} cannot be "
                   f"used ({exc}): the store was altered; run verify")
            raise StoreError(msg) from None
    for unit, row in latest.items():
        try:
            rep.rt.restore(unit, row.state())
        except (ValueError, KeyError, TypeError) as exc:
            msg = (f"the migration entry of unit {unit!r} (event {row.seq}) cannot be "
                   f"used ({exc}): the store was altered; run verify")
            raise StoreError(msg) from None
        rep.heads[unit] = (row.seq, row.hash, row.gseq)
    rep.gseq = min(h[2] for h in rep.heads.values())
    return len(latest)
