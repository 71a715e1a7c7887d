"""Verdicts: the value every event gets (SPEC-FORMAT §4). Rejections are values, not errors."""

from __future__ import annotations

import enum

import attrs

__all__ = ["CHECK_ORDER", "GUARD_ORDER", "Reason", "Verdict"]


class Reason(enum.StrEnum):
    """Why an event was rejected; the codes of SPEC-FORMAT §4, in check order."""

    MALFORMED = "malformed"
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
    """The verdict of one event: accepted or not, why not, whether it was late, and whether
    it fell outside its phase's flagged window or the flagged campaign period."""

    accepted: bool
    reason: Reason | None = None
    late: bool = False
    outside_window: bool = False

    def to_json(self) -> dict[str, object]:
        """The verdict's fields as in a `replay` output line.

        ``outside_window`` is an extra key, present (and true) only when the event was
        accepted outside a flagged window, so specs without flags print what they always did.
        """
        out: dict[str, object] = {"verdict": "accepted" if self.accepted else "rejected",
                                  "reason": None if self.reason is None else str(self.reason),
                                  "late": self.late}
        if self.outside_window:
            out["outside_window"] = True
        return out


ACCEPTED = Verdict(True)
ACCEPTED_LATE = Verdict(True, None, True)
ACCEPTED_OUTSIDE = Verdict(True, None, False, True)
ACCEPTED_LATE_OUTSIDE = Verdict(True, None, True, True)
REJECTED = {r: Verdict(False, r, False) for r in Reason}
