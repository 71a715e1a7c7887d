"""The phase-window flag (format extension): events outside the plan's months.

A phase's ``window`` or the spec's ``period`` with ``flag: true`` asks that an accepted event
of a step in that phase (any step, for the period) whose time falls outside those dates
carries ``outside_window``. It is a flag like ``late``, never a rejection (R6: progress stays
subordinate to quality). Days are whole days in the spec's timezone: inside means from 00:00
of ``start`` to before 00:00 of the day after ``end``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ._guards import late_threshold
from ._spec._model import Spec, Window

__all__ = ["window_bounds"]


def window_bounds(spec: Spec, step_id: str, tz: Any) -> tuple[float, float]:
    """Epoch seconds ``(lo, hi)``: an event of the step is inside its flagged windows when
    ``lo <= t < hi``; ``(-inf, inf)`` when neither its phase window nor the period is flagged.
    """
    lo, hi = -math.inf, math.inf
    flagged: list[Window] = [w for w in (spec.phase_of_step[step_id].window, spec.period)
                             if w is not None and w.flag]
    for w in flagged:
        # late_threshold(day) is 00:00 of the day after `day`, the same boundary as `due`
        lo = max(lo, late_threshold(w.start - dt.timedelta(days=1), tz))
        hi = min(hi, late_threshold(w.end, tz))
    return lo, hi
