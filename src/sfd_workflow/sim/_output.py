"""Writing a simulation's files: roster, event log, tables (CSV and Parquet), plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sfd_workflow._extras import require
from sfd_workflow._spec._model import Roster
from sfd_workflow.sim._plots import write_plots
from sfd_workflow.sim._results import KPI_DEFINITIONS, SimResult

__all__ = ["roster_document", "summary_lines", "write_outputs"]


def roster_document(roster: Roster) -> dict[str, Any]:
    """A roster as a docs/format.md §2 document (``{"units": [...]}``)."""
    return roster.to_document()


def _table(frame: pd.DataFrame, out: Path, name: str, written: dict[str, Path]) -> None:
    csv = out / f"{name}.csv"
    frame.to_csv(csv)
    written[f"{name}.csv"] = csv
    require("pyarrow", feature="Parquet tables", extra="sim")
    pq = out / f"{name}.parquet"
    flat = frame.reset_index()
    for col in flat.columns:
        if isinstance(flat[col].dtype, pd.CategoricalDtype):
            flat[col] = flat[col].astype(str)
    flat.to_parquet(pq, index=False)
    written[f"{name}.parquet"] = pq


def write_outputs(result: SimResult, out_dir: str | Path, *, ensemble: Any = None,
                  max_step_rows: int = 2_000_000) -> dict[str, Path]:
    """Write everything a run produced into `out_dir`; return name -> path.

    ``roster.yaml`` (when the run had a roster), ``events.jsonl`` (exact engine; replayable
    with ``sfd-workflow replay``), ``summary``, ``by_kind``, ``steps`` (skipped above
    `max_step_rows` rows), ``events`` and ``ensemble`` tables as CSV and Parquet, and the
    PNG plots of `write_plots`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if result.roster is not None:
        path = out / "roster.yaml"
        path.write_text(yaml.safe_dump(roster_document(result.roster), allow_unicode=True,
                                       sort_keys=False), encoding="utf-8")
        written["roster.yaml"] = path
    if result.events is not None:
        path = out / "events.jsonl"
        result.write_events(path)
        written["events.jsonl"] = path
        _table(result.events_frame(), out, "events", written)
    _table(result.summary(), out, "summary", written)
    _table(result.by_kind(), out, "by_kind", written)
    if len(result.units) * len(result.schedule.steps) <= max_step_rows:
        _table(result.steps_frame(), out, "steps", written)
    if ensemble is not None:
        _table(ensemble.summary(), out, "ensemble", written)
    defs = out / "kpis.yaml"
    defs.write_text(yaml.safe_dump(dict(KPI_DEFINITIONS), allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    written["kpis.yaml"] = defs
    for p in write_plots(result, out, ensemble=ensemble):
        written[p.name] = p
    return written


def summary_lines(result: SimResult) -> list[str]:
    """A short human-readable summary, one line per step (for the CLI and the demo)."""
    s = result.summary()
    lines = [f"{result.engine} run, {len(result.units):,} units, seed {result.seed}"
             + (f", {len(result.events or ()):,} events" if result.events is not None else "")]
    for sid, row in s.iterrows():
        lines.append(
            f"  {sid:<15} {row['title']}: {row['on_time']:.0%} on time, median "
            f"{row['median_end']:%Y-%m-%d}, p90 {row['p90_end']:%Y-%m-%d}, "
            f"bottleneck #{row['bottleneck_rank']}")
    return lines
