"""Result tables, KPIs that say what they measure, and plots with Chinese labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sfd_workflow as sfd
from sfd_workflow import sim


@pytest.fixture(scope="module")
def result() -> sim.SimResult:
    """A fast run over a district of 140 units."""
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    return sim.run(spec, sim.district(140, 9, spec=spec), seed=9)


def test_every_summary_column_is_defined(result: sim.SimResult) -> None:
    """Each KPI printed has a definition saying what it measures."""
    cols = set(result.summary().columns) - {"title"}
    assert cols <= set(sim.KPI_DEFINITIONS)


def test_summary_agrees_with_the_per_unit_table(result: sim.SimResult) -> None:
    """on_time and late counts are those of the unit x step rows."""
    frame = result.steps_frame()
    summ = result.summary()
    for step, rows in frame[frame["applies"]].groupby("step", observed=True):
        assert summ.loc[step, "units"] == len(rows)
        assert summ.loc[step, "late"] == int(rows["late"].sum())
        assert summ.loc[step, "on_time"] == pytest.approx(1 - rows["late"].mean())
        assert summ.loc[step, "median_end"] == rows["end"].sort_values().iloc[
            (len(rows) + 1) // 2 - 1]
    assert (frame.loc[frame["late"], "end"] > frame.loc[frame["late"], "deadline"]).all()
    assert (frame.loc[frame["late"], "days_late"] > 0).all()


def test_bottleneck_ranking_counts_where_lateness_starts(result: sim.SimResult) -> None:
    """first_late_here sums to the units late anywhere; rank 1 has the most."""
    frame = result.steps_frame()
    late_units = frame.loc[frame["late"], "unit"].nunique()
    summ = result.summary()
    assert summ["first_late_here"].sum() == late_units
    top = summ["bottleneck_rank"].idxmin()
    assert summ.loc[top, "first_late_here"] == summ["first_late_here"].max()


def test_progress_curves_rise_to_one(result: sim.SimResult) -> None:
    """The share of units done never falls and reaches 1 for every step."""
    prog = result.progress()
    assert (prog.diff().fillna(0) >= 0).all().all()
    assert (prog.iloc[-1] == 1.0).all()
    assert isinstance(prog.index, pd.DatetimeIndex)


def test_by_kind_splits_every_step(result: sim.SimResult) -> None:
    """Per kind rows add up to the step's units; retired branches skip three steps (R24)."""
    bk = result.by_kind()
    summ = result.summary()
    for step in summ.index:
        assert bk.loc[step, "units"].sum() == summ.loc[step, "units"]
    assert "retired_branch" not in bk.loc["report"].index


def test_plots_are_written_with_a_cjk_font(result: sim.SimResult, tmp_path: Path) -> None:
    """Four PNGs; with WenQuanYi installed (Makefile DEB_PACKAGES) labels are Chinese."""
    paths = sim.write_plots(result, tmp_path)
    assert [p.name for p in paths] == ["sim-progress.png", "sim-lateness.png", "sim-gantt.png",
                                       "sim-heatmap.png"]
    for p in paths:
        assert p.stat().st_size > 10_000
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists():
        assert sim.cjk_font() == "WenQuanYi Micro Hei"


def test_steps_frame_dates_are_working_days(result: sim.SimResult) -> None:
    """Every start and completion falls on a working day of the 2009 calendar."""
    cal = result.calendar
    frame = result.steps_frame()
    ap = frame[frame["applies"]]
    for col in ("start", "end"):
        days = ap[col].to_numpy().astype("datetime64[D]").astype(np.int64)
        assert np.isin(days, cal.workdays).all()


def test_quantiles_from_day_counts_equal_numpys() -> None:
    """The histogram quantiles used by `summary` equal numpy's median and inverted-cdf
    percentiles on random whole numbers (odd and even counts, one value, ties)."""
    from sfd_workflow.sim._results import _Counts

    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 10, 101, 1000):
        for _ in range(20):
            x = rng.integers(14_000, 14_100, n)
            c = _Counts(x)
            assert c.median() == np.median(x)
            for q in (10, 50, 90, 100):
                assert c.quantile(q) == int(np.percentile(x, q, method="inverted_cdf"))
