"""Verdicts: the value every event gets (docs/format.md §4). Rejections are values, not errors."""

from __future__ import annotations

import enum

import attrs

__all__ = ["CHECK_ORDER", "Reason", "Requirement", "Verdict"]


class Reason(enum.StrEnum):
    """Why an event was rejected; the codes of docs/format.md §4, in check order.

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


#: docs/format.md §4: the first failing check gives the reason. The checks themselves, in this
#: order, are the table `sfd_workflow._checks.TABLE`. (`Reason.FUTURE` is the event store's,
#: checked before the runtime judges: not a check of the table.)
CHECK_ORDER: tuple[Reason, ...] = tuple(r for r in Reason if r is not Reason.FUTURE)


@attrs.frozen
class Requirement:
    """One unmet requirement of an event: its reason code and a sentence in zh and en."""

    reason: Reason
    zh: str
    en: str

    def text(self, lang: str = "en") -> str:
        """The sentence in ``zh`` or ``en``."""
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        return f"{self.reason}: {self.en}"


@attrs.frozen
class Verdict:
    """The verdict of one event: accepted or not, why not, whether it was late, and whether
    it fell outside its phase's flagged window or the flagged campaign period.

    Two verdicts are equal when they judge alike (accepted, reason, late, outside_window);
    the `why` of a rejection (the first unmet requirement, in words) does not take part.
    Fields added later carry a default, so ``Verdict(accepted, reason, late)`` keeps meaning
    the same.
    """

    accepted: bool
    reason: Reason | None = None
    late: bool = False
    #: the first unmet requirement (None when accepted): what is wrong, in zh and en
    why: Requirement | None = attrs.field(default=None, eq=False, repr=False)
    #: accepted outside a phase window (or campaign period) that asks for a flag
    outside_window: bool = attrs.field(default=False, kw_only=True)

    @property
    def detail(self) -> str | None:
        """What is wrong, in English (None when accepted); see `detail_in` for Chinese."""
        why = self.why
        return None if why is None else why.en

    def detail_in(self, lang: str) -> str | None:
        """What is wrong in ``zh`` or ``en`` (None when accepted)."""
        why = self.why
        return None if why is None else why.text(lang)

    def to_json(self) -> dict[str, object]:
        """The verdict's fields as in a `replay` output line (docs/format.md §5).

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
ACCEPTED_OUTSIDE = Verdict(True, None, False, outside_window=True)
ACCEPTED_LATE_OUTSIDE = Verdict(True, None, True, outside_window=True)


def rejected(why: Requirement) -> Verdict:
    """The rejection `why` gives (its reason, not late)."""
    return Verdict(False, why.reason, False, why)
