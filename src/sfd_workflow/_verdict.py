"""Verdicts: the value every event gets (SPEC-FORMAT §4). Rejections are values, not errors."""

from __future__ import annotations

import enum

import attrs

__all__ = ["CHECK_ORDER", "GUARD_ORDER", "Reason", "Verdict"]


class Reason(enum.StrEnum):
    """Why an event was rejected; the codes of SPEC-FORMAT §4, in check order.

    `FUTURE` is an extension of §4 used by the event store only (``sfd_workflow.store``): an
    event dated more than the store's allowed skew after the store's clock, checked right
    after `MALFORMED`. A `Runtime` (``replay`` of a log) has no clock and never gives it."""

    MALFORMED = "malformed"
    FUTURE = "future"
    UNKNOWN_UNIT = "unknown_unit"
    UNKNOWN_EVENT = "unknown_event"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN_ACTOR = "unknown_actor"
    OUT_OF_ORDER = "out_of_order"
    STEP_BLOCKED = "step_blocked"
    WRONG_STATE = "wrong_state"
    ROLE = "role"
    NOT_BEFORE = "not_before"
    MISSING_RECORD = "missing_record"
    DUPLICATE = "duplicate"
    FIELDS = "fields"
    QUORUM = "quorum"
    PER_PERSON = "per_person"
    CHILDREN = "children"
    CUSTOM = "custom"


#: SPEC-FORMAT §4: the first failing check gives the reason.
CHECK_ORDER: tuple[Reason, ...] = tuple(Reason)
#: SPEC-FORMAT §4 step 9: the order guard keys are checked in.
GUARD_ORDER: tuple[Reason, ...] = CHECK_ORDER[CHECK_ORDER.index(Reason.ROLE):]


@attrs.frozen
class Verdict:
    """The verdict of one event: accepted or not, why not, and whether it was late."""

    accepted: bool
    reason: Reason | None = None
    late: bool = False

    def to_json(self) -> dict[str, object]:
        """The verdict's fields as in a `replay` output line."""
        return {"verdict": "accepted" if self.accepted else "rejected",
                "reason": None if self.reason is None else str(self.reason),
                "late": self.late}


ACCEPTED = Verdict(True)
ACCEPTED_LATE = Verdict(True, None, True)
REJECTED = {r: Verdict(False, r, False) for r in Reason}
