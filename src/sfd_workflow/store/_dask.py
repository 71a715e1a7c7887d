"""`verify(dask=...)`: the per-unit checks of `verify` split by root subtree across a Dask
cluster (extra ``dask``).

Two parts of `verify` go unit by unit: the hash-chain check of each unit with its snapshots
(`_verify_units.check_units`) and the replay check, which judges every stored event again,
each root's subtree from an empty runtime (`_verify.replay_check`). Subtrees are
independent, so both can run anywhere. The caller reads and checks what is store-wide
(`_verify.read_ground`: ``sfd_meta``, the spec versions, ``sfd_units``, ``sfd_clock``); the
roots are dealt into partitions of about equal event counts (largest first); each partition
is one task that opens the store itself (by its URL), checks the chains and snapshots of its
subtrees' units (the first task also those of every unit the roster does not have) and, when
asked, replays its subtrees; the caller walks the audit chain meanwhile (one chain in id
order: not split), then checks the commit numbers and puts the parts together in the order
the serial check gives (`_verify.finish`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import attrs

from .._extras import require
from .._spec._model import Roster
from ..errors import StoreError
from ._replica import subtree
from ._verify import audit_check, finish, read_ground
from ._verify_units import UnitsAsk, UnitsPart, check_units, strangers

__all__ = ["partitions", "verify_on_dask"]


def partitions(sizes: dict[str, int], n: int) -> list[list[str]]:
    """Deal the roots of `sizes` (root -> events in its subtree) into at most `n` lists of
    about equal total size: largest first, each to the lightest list so far."""
    parts: list[list[str]] = [[] for _ in range(max(1, n))]
    load = [0] * len(parts)
    for root in sorted(sizes, key=lambda r: (-sizes[r], r)):
        i = load.index(min(load))
        parts[i].append(root)
        load[i] += sizes[root]
    return [p for p in parts if p]


def subtree_sizes(roster: Roster, heads: Mapping[str, Any]) -> dict[str, int]:
    """Each root unit of `roster` -> the events its subtree has had (`heads`: unit -> its
    ``sfd_units`` event count; one that is not a whole number counts 0)."""
    def count(unit: str) -> int:
        n = heads.get(unit, 0)
        return n if type(n) is int else 0

    return {u.id: sum(count(x) for x in subtree(roster, u.id))
            for u in roster.units if u.parent is None}


def _check_part(store_class: Any, url: str, predicates: Any, roots: list[str],
                units: list[str], ask: UnitsAsk, first: bool, replay: bool
                ) -> tuple[UnitsPart, list[Any]]:
    """One task: open the store at `url` (an `EventStore`, whose class the task is given:
    Dask sends it by name), check the chains and snapshots of `units` (when `first`, also of
    every unit the roster does not have) and, when `replay`, replay-check the subtrees of
    `roots` (when `first`, also the rejected attempts of units the roster does not have)."""
    with store_class.open(url, predicates=predicates) as store:
        with store._engine.connect() as conn:
            more = strangers(conn, store.roster.by_id) if first else set()
            part = check_units(conn, ask, {*units, *ask.heads, *ask.pins, *more})
        found = list(store._replay_roots(roots, strangers=first)) if replay else []
    return part, found


def verify_on_dask(store: Any, dask: Any, url: str, predicates: Any, anchor: Any, *,
                   replay: bool) -> Any:
    """`verify` of `store` (at `url`) with its per-unit checks (and, when `replay`, the
    replay check) done on the Dask cluster `dask` (a scheduler address or a
    ``distributed.Client``): the `VerifyReport` the serial check gives. The caller walks the
    audit chain while the tasks run."""
    with store._engine.connect() as conn:
        ground = read_ground(conn, anchor)
    Client = require("distributed", feature="store verify on a Dask cluster", extra="dask",
                     package="distributed").Client
    own = not isinstance(dask, Client)
    try:
        client = Client(dask) if own else dask
    except (OSError, TimeoutError, ValueError) as exc:
        raise StoreError(f"cannot reach the Dask scheduler {dask!r}: {exc}") from None
    try:
        futures = _submit(client, store, url, predicates, ground.ask, replay)
        with store._engine.connect() as conn:
            audit = audit_check(conn, ground)
        results: list[tuple[UnitsPart, list[Any]]] = client.gather(futures)
    finally:
        if own:
            client.close()
    with store._engine.connect() as conn:
        report = finish(conn, ground, [part for part, _found in results], audit)
    if not replay:
        return report
    found = sorted((link for _part, links in results for link in links),
                   key=lambda b: (b.unit, b.seq or 0))
    return attrs.evolve(report, broken=(*report.broken, *found), replayed=True)


def _submit(client: Any, store: Any, url: str, predicates: Any, ask: UnitsAsk,
            replay: bool) -> list[Any]:
    """One task a partition, submitted to the cluster: the futures."""
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    roster = store.roster
    parts = partitions(subtree_sizes(roster, ask.heads), 2 * workers) or [[]]
    outside = {u for u in (*ask.heads, *ask.pins) if u not in roster.by_id}
    futures = []
    for i, roots in enumerate(parts):
        units = _units(roster, roots, outside if i == 0 else ())
        futures.append(client.submit(_check_part, type(store), url, predicates, roots,
                                     sorted(units), ask.only(units), i == 0, replay,
                                     pure=False))
    return futures


def _units(roster: Roster, roots: list[str], more: Collection[str]) -> set[str]:
    """The units of the subtrees of `roots`, and `more`."""
    return {*(u for r in roots for u in subtree(roster, r)), *more}
