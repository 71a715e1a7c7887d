"""Hypothesis profiles for the whole suite, selected by the HYPOTHESIS_PROFILE variable.

* ``dev`` (the default): few examples, for a quick local run.
* ``ci`` (set by ``.ci/run``): more examples, derandomized so CI is deterministic, no
  deadline (shared 2-core CI machines have noisy timings).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
