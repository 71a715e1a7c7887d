"""`verify(replay=True, dask=...)`: the replay check split by root subtree across a Dask
cluster (extra ``dask``).

The replay check judges every stored event again, subtree by subtree, each root's subtree
from an empty runtime (`_verify.replay_check`); subtrees are independent, so they can be
checked anywhere. The roots are dealt into partitions of about equal event counts (largest
first), each partition is checked by one task that opens the store itself (by its URL) and
returns its broken links, and the links are merged in the order the serial check gives them
(by unit, then event). The hash-chain part of `verify` is one streaming pass over the events
and runs in the calling process, before.
"""

from __future__ import annotations

from typing import Any

from .._extras import require
from ..errors import StoreError

__all__ = ["partitions", "replay_on_dask"]


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


def _check_part(store_class: Any, url: str, roots: list[str], predicates: Any,
                strangers: bool) -> list[Any]:
    """One task: open the store at `url` (an `EventStore`, whose class the task is given:
    Dask sends it by name) and replay-check the subtrees of `roots` (and, when `strangers`,
    the rejected attempts of units the roster does not have)."""
    with store_class.open(url, predicates=predicates) as store:
        return list(store._replay_roots(roots, strangers=strangers))


def replay_on_dask(store: Any, dask: Any, url: str, predicates: Any) -> list[Any]:
    """The broken links the replay check finds, computed on the Dask cluster `dask` (a
    scheduler address or a ``distributed.Client``), sorted as the serial check sorts them."""
    Client = require("distributed", feature="store verify on a Dask cluster", extra="dask",
                     package="distributed").Client
    own = not isinstance(dask, Client)
    try:
        client = Client(dask) if own else dask
    except (OSError, TimeoutError, ValueError) as exc:
        raise StoreError(f"cannot reach the Dask scheduler {dask!r}: {exc}") from None
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        parts = partitions(store._subtree_sizes(), 2 * workers)
        futures = [client.submit(_check_part, type(store), url, part, predicates, i == 0,
                                 pure=False)
                   for i, part in enumerate(parts)]
        found = [link for links in client.gather(futures) for link in links]
    finally:
        if own:
            client.close()
    return sorted(found, key=lambda b: (b.unit, b.seq or 0))
