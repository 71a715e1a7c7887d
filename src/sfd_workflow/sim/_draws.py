"""The random quantities of a run, drawn for all units at once (shared by both engines).

For each step and unit: the late-start delay (working days), the number of returns (revision
loops) and the working days of work (the step's duration plus each revision's). Draws are
made kind by kind in a fixed order from one generator, so a run is reproducible from its
seed, and a subset of units (a sample expanded into events) reuses exactly its own draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from sfd_workflow._spec._model import Spec
from sfd_workflow.sim._behaviour import SimModel

__all__ = ["Draws", "draw"]

IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True, eq=False)
class Draws:
    """Per step: arrays over units of late-start delay, returns and working days of work."""

    late: Mapping[str, IntArray]
    loops: Mapping[str, IntArray]
    work: Mapping[str, IntArray]

    def take(self, idx: npt.NDArray[np.intp]) -> Draws:
        """The draws of the units at `idx`, in that order."""
        return Draws(late={k: v[idx] for k, v in self.late.items()},
                     loops={k: v[idx] for k, v in self.loops.items()},
                     work={k: v[idx] for k, v in self.work.items()})


def _days(x: npt.NDArray[np.float64]) -> IntArray:
    return np.maximum(np.rint(x), 0).astype(np.int64)


def draw(spec: Spec, model: SimModel, kinds: npt.NDArray[np.integer], kind_names: Sequence[str],
         rng: np.random.Generator) -> Draws:
    """Draw every unit's late starts, returns and work durations.

    Args:
        kinds: each unit's kind, as an index into `kind_names`.
    """
    n = len(kinds)
    late: dict[str, IntArray] = {}
    loops: dict[str, IntArray] = {}
    work: dict[str, IntArray] = {}
    masks = [np.flatnonzero(kinds == code) for code in range(len(kind_names))]
    for step in spec.steps:
        lt = np.zeros(n, dtype=np.int64)
        lp = np.zeros(n, dtype=np.int64)
        wk = np.zeros(n, dtype=np.int64)
        for code, name in enumerate(kind_names):
            idx = masks[code]
            m = len(idx)
            if m == 0 or step.id in spec.unit_kinds[name].skip:
                continue
            p = model.params(step.id, name)
            d = _days(p.duration.sample(rng, m))
            if p.late_start.p > 0:
                is_late = rng.random(m) < p.late_start.p
                lt[idx] = np.where(is_late, _days(p.late_start.delay.sample(rng, m)), 0)
            if p.loop.p > 0 and model.max_loops > 0:
                k = np.minimum(rng.geometric(1.0 - p.loop.p, m) - 1, model.max_loops)
                extra = _days(p.loop.duration.sample(rng, m * model.max_loops))
                extra = extra.reshape(m, model.max_loops)
                extra[np.arange(model.max_loops)[None, :] >= k[:, None]] = 0
                lp[idx] = k
                d = d + extra.sum(axis=1)
            wk[idx] = d
        late[step.id], loops[step.id], work[step.id] = lt, lp, wk
    return Draws(late=late, loops=loops, work=work)
