"""Records: what an accepted transition with ``records`` stores (docs/format.md §4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

__all__ = ["Record"]


class Record:
    """A record a transition stored: its kind, who, when, the payload; retired or live.

    The payload is the frozen copy the event parse made (`_jsonvalue.FrozenDict`): changing
    the caller's dict afterwards changes nothing here.
    """

    # __weakref__: the store keeps each record's canonical JSON beside it, weakly.
    __slots__ = ("__weakref__", "actor", "at", "event", "kind", "payload", "retired", "t")

    def __init__(self, kind: str, actor: str, at: dt.datetime, t: float,
                 payload: Mapping[str, Any], event: str) -> None:
        self.kind = kind
        self.actor = actor
        self.at = at
        self.t = t
        self.payload = payload
        self.event = event
        self.retired = False

    def __repr__(self) -> str:
        flag = " retired" if self.retired else ""
        return f"<Record {self.kind} by {self.actor} at {self.at.isoformat()}{flag}>"
