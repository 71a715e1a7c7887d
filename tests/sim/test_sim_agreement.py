"""The fast engine agrees in distribution with the exact engine (two-sample KS, 2,000 units)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sfd_workflow as sfd
from sfd_workflow import sim


@pytest.mark.slow  # the exact engine fires about 600,000 events here (about a minute)
def test_completion_dates_agree_in_distribution_at_2000_units() -> None:
    """Per step, the exact engine's completion dates (seed 11, as the runtime accepted them)
    and the fast engine's (seed 12, other draws) pass a two-sample Kolmogorov-Smirnov test;
    a fast run of the model with mobilisation two weeks late does not."""
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    roster = sim.district(2000, 11, spec=spec)
    exact = sim.run(spec, roster, engine="exact", seed=11)
    fast = sim.run(spec, roster, engine="fast", seed=12)
    late = sim.run(spec, roster, engine="fast", seed=12,
                   model=sim.default_sim_model(spec).delayed(14))
    for s in exact.schedule.steps:
        ap = exact.schedule.applies[s]
        a, b = exact.schedule.end[s][ap], fast.schedule.end[s][ap]
        assert stats.ks_2samp(a, b).pvalue > 0.01, s
        # the test has power: a two-week shift is detected at every step
        c = late.schedule.end[s][ap]
        assert stats.ks_2samp(a, c).pvalue < 1e-6, s
    assert len(exact.events or ()) > 100_000
    assert np.all(exact.schedule.end["solve"] >= exact.schedule.end["discussion"])
