"""The district simulation of the built-in spec that ``make demo`` runs."""

from __future__ import annotations

from pathlib import Path

from sfd_workflow._spec._loader import load_spec
from sfd_workflow.sim._output import summary_lines, write_outputs
from sfd_workflow.sim._rosters import district
from sfd_workflow.sim._simulate import run

__all__ = ["demo_main"]


def demo_main(out_dir: str | Path = "demo-out/sim", *, n_units: int = 140,
              seed: int = 2009) -> list[str]:
    """Simulate a district of `n_units` through builtin:xuhui-edu-2009 with the exact engine.

    Writes the roster, the event log (it replays fully accepted), tables and plots into
    `out_dir`, and returns human-readable lines (a per-step summary, then the files) for the
    caller to print.
    """
    spec = load_spec("builtin:xuhui-edu-2009")
    roster = district(n_units, seed, spec=spec)
    result = run(spec, roster, engine="exact", seed=seed)
    written = write_outputs(result, out_dir)
    lines = summary_lines(result)
    lines += [f"  wrote {p}" for p in written.values()]
    return lines
