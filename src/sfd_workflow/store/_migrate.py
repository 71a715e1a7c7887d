"""Moving a store, or some trees of its roster, to a new version of its spec mid-campaign.

`migrate_store` replays the whole stored history (each event by the spec version it was
judged by, `_versions.py`), checks that the plan is complete for every unit it moves where
the unit stands, and then, in the same transaction, appends to each of those units' hash
chains one *migration entry* (`MIGRATION_EVENT`), whose payload holds the migration's
number, the SHA-256 of the spec versions it leaves and enters, and the unit's state after
the move (`sfd_workflow.migrate_snapshot`). The new spec is kept in ``sfd_specs`` beside
the old one, the plan in ``sfd_migrations``, and ``sfd_meta`` names the version the latest
migration moved units to (``current_spec_json``, ``current_spec_sha256``: `EventStore.spec`);
the spec the store was created with stays where it was (``spec_json``), since every unit's
chain starts from its hash. The moved units' persisted snapshots are dropped: they hold
states of the old version.

A migration moves every unit, or the trees of the roots it is given (``units``): a root and
all its descendants move together, because a unit's ``children`` guard reads its children's
step states by the unit's own version. Every unit it moves must be on the plan's ``from``
version; units it does not move stay judged by the version they are on.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import attrs
import sqlalchemy as sa

from .._compile import compile_workflow
from .._migrate import moved_snapshot, note_head
from .._plan import Plan, spec_sha256
from .._roster import roster_from_document
from .._spec._model import Roster, Spec
from .._spec._reader import suggest
from ..errors import LoadError, MigrationPlanError, SfdWorkflowError, StoreError, UnknownUnitError
from . import _schema as t
from ._canonical import canonical_json, chain_genesis, event_hash
from ._database import make_durable, write_options
from ._replica import root_of, subtree
from ._rows import hashed, now
from ._versions import MIGRATION_EVENT, JudgedBy, VersionedRuntime, Versions, migrations, versions

__all__ = ["MigrationReport", "from_version", "migrate_store", "moved_units"]

@attrs.frozen
class MigrationReport:
    """What `migrate_store` did."""

    migration: int
    """The migration's number in ``sfd_migrations`` (1 for a store's first)."""
    units: int
    """Units moved (every unit of the roster, or every unit of the trees named)."""
    from_sha256: str
    to_sha256: str
    trees: tuple[str, ...] = ()
    """The roots of the trees moved, in roster order."""


def moved_units(roster: Roster, units: Iterable[str] | None, where: str = "the roster"
                ) -> tuple[str, ...]:
    """The units a migration of `units` moves, in roster order: every unit (None), or every
    unit of the trees whose roots `units` names.

    Raises:
        UnknownUnitError: a unit that is not in `roster` (with a "did you mean").
        StoreError: a unit that is not a root (naming its root), or no unit at all.
    """
    if units is None:
        return tuple(u.id for u in roster.units)
    names = [units] if isinstance(units, str) else list(units)
    if not names:
        raise StoreError("no unit to move: name the root of each tree to move")
    for name in names:
        if name not in roster.by_id:
            raise UnknownUnitError(f"no unit {name!r} in {where}"
                                   f"{suggest(name, roster.by_id)}")
        root = root_of(roster, name)
        if root != name:
            msg = (f"unit {name!r} belongs to the tree of {root!r}: a tree moves together, "
                   "because a parent's children guard reads its children by the parent's "
                   f"version; name {root!r}")
            raise StoreError(msg)
    chosen = {u for name in names for u in subtree(roster, name)}
    return tuple(u.id for u in roster.units if u.id in chosen)


def _roots(roster: Roster, units: Iterable[str]) -> list[str]:
    return [u for u in units if roster.by_id[u].parent is None]


def _few(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _one_version(store: Any, judged: JudgedBy, moving: tuple[str, ...]) -> str:
    """The SHA-256 of the version every unit of `moving` is judged by now.

    Raises:
        StoreError: they are on different versions.
    """
    on: dict[str, list[str]] = {}
    for root in _roots(store.roster, moving):
        on.setdefault(judged.sha(root), []).append(root)
    if len(on) > 1:
        parts = "; ".join(f"sha256:{sha[:12]} judges the trees of {_few(roots)}"
                          for sha, roots in on.items())
        msg = (f"the units to move are on {len(on)} spec versions ({parts}): a plan moves "
               "units of one version; move each version's trees with its own plan")
        raise StoreError(msg)
    return next(iter(on)) if on else judged.versions.origin


def from_version(store: Any, units: Iterable[str] | None = None) -> Spec:
    """The spec version the units a migration of `units` would move are judged by: the
    `from` of a plan that moves them (see `moved_units`).

    Raises:
        UnknownUnitError, StoreError: as `moved_units`; or the units are on several versions.
    """
    moving = moved_units(store.roster, units, f"the store at {store.url}")
    with store._engine.connect() as conn:
        judged = JudgedBy(conn, store._compiled)
        return judged.versions.spec(_one_version(store, judged, moving))


def _plan_problem(plan: Plan, message: str) -> MigrationPlanError:
    return MigrationPlanError([plan.document.problem(("from",), message)])


def migrate_store(store: Any, spec: Spec, plan: Plan, *, units: Iterable[str] | None = None,
                  at: dt.datetime | None = None) -> MigrationReport:
    """Move the units of `store` to `spec` by `plan` (see the module's docstring): every
    unit, or every unit of the trees whose root units `units` names.

    Nothing is written unless every check passes: `units` must name roots of the roster, the
    units moved must all be on the plan's ``from`` version (by default every unit, so the
    whole store must be on it), the plan must lead to `spec`, the roster must load against
    `spec`, the stored history must replay, and the plan must be complete for every unit it
    moves where the unit stands. Open the store again afterwards: this `store` object (and
    any other open on the same database) still judges by the versions it knew, and a
    replica that meets a migration entry refuses to go on.

    Raises:
        MigrationPlanError: the plan is for another version than the units', or is
            incomplete for them (each missing target with the units that need it).
        UnknownUnitError: `units` names a unit the roster does not have.
        StoreError: `units` names a unit that is not a root, or units on several versions;
            the roster does not fit `spec`, the history does not replay, or the database
            failed.
    """
    shown = store.url
    moving = moved_units(store.roster, units, f"the store at {shown}")
    old_sha, new_sha = spec_sha256(plan.old), spec_sha256(spec)
    if spec_sha256(plan.new) != new_sha:
        raise _plan_problem(plan, f"the plan moves units to {plan.new.source}, not to "
                                  f"{spec.source}")
    engine: sa.Engine = store._engine
    try:
        with engine.connect() as conn:
            on = _one_version(store, JudgedBy(conn, store._compiled), moving)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot read {shown}: {exc}") from None
    if on != old_sha:
        whose = ("its units" if units is None else
                 f"the trees of {_few(_roots(store.roster, moving))}")
        raise _plan_problem(plan, f"the plan moves units of {plan.old.source} (sha256:"
                                  f"{old_sha[:12]}), but the store at {shown} judges {whose} "
                                  f"by sha256:{on[:12]}")
    try:
        roster = roster_from_document(store.roster.to_document(), spec,
                                      source=store.roster.source)
        compile_workflow(spec, store._compiled.predicates)
    except (LoadError, SfdWorkflowError) as exc:
        raise StoreError(f"{spec.source} cannot judge the store's units: {exc}") from None
    when = at if at is not None else dt.datetime.now(dt.UTC)
    try:
        with engine.connect().execution_options(**write_options()) as conn, conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE sfd_units, sfd_clock IN EXCLUSIVE MODE")
            report = _write(conn, store, moving, spec, plan, old_sha, new_sha, when)
        make_durable(engine)  # writers commit with synchronous_commit=off on PostgreSQL
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot write to {shown}: {exc}") from None
    return attrs.evolve(report, trees=tuple(_roots(roster, moving)))


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


def _write(conn: sa.Connection, store: Any, moving: tuple[str, ...], spec: Spec, plan: Plan,
           old_sha: str, new_sha: str, when: dt.datetime) -> MigrationReport:
    vr, heads = _replayed(conn, store)
    snaps = {u: vr.snapshot(u) for u in moving}
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
    for unit in moving:
        seq, prev = heads.get(unit, (0, genesis(unit)))
        state = moved_snapshot(plan, snaps[unit], when, head)
        gseq = conn.execute(t.clock.update().where(t.clock.c.id == 1)
                            .values(gseq=t.clock.c.gseq + 1).returning(t.clock.c.gseq)
                            ).scalar_one()
        first, last = first or gseq, gseq
        row = {"gseq": gseq, "unit": unit, "seq": seq + 1, "event": MIGRATION_EVENT,
               "actor": "", "at": when.isoformat(), "late": False, "recorded_at": now(),
               "payload": canonical_json({"migration": number, "from": old_sha,
                                          "to": new_sha, "state": state})}
        conn.execute(t.events.insert(), {**row, "prev_hash": prev,
                                         "hash": event_hash(prev, hashed(row))})
        if conn.execute(t.units.update().where(t.units.c.unit == unit,
                                               t.units.c.head_seq == seq)
                        .values(head_seq=seq + 1)).rowcount != 1:
            raise StoreError(f"unit {unit!r} changed during the migration: try again")
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
    dropped = t.snapshots.delete()
    if len(moving) < len(store.roster.units):
        dropped = dropped.where(t.snapshots.c.unit.in_(moving))
    conn.execute(dropped)
    return MigrationReport(number, len(moving), old_sha, new_sha)
