"""Ensembles: the same seeds give the same KPIs serially, in a process pool and on Dask."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

import sfd_workflow as sfd
from sfd_workflow import sim


@pytest.fixture(scope="module")
def spec() -> sfd.Spec:
    """The built-in spec."""
    return sfd.load_spec("builtin:xuhui-edu-2009")


@pytest.fixture(scope="module")
def units(spec: sfd.Spec) -> sim.UnitArrays:
    """Twenty thousand units without people."""
    return sim.national(20_000, 5, spec=spec)


@pytest.fixture(scope="module")
def serial(spec: sfd.Spec, units: sim.UnitArrays) -> sim.Ensemble:
    """Four runs, one after the other, in this process."""
    with ThreadPoolExecutor(max_workers=1) as ex:
        return sim.simulate(spec, units, seed=42, runs=4, executor=ex)


def test_a_process_pool_gives_the_serial_results(spec: sfd.Spec, units: sim.UnitArrays,
                                                 serial: sim.Ensemble) -> None:
    """The default executor (a local process pool) reproduces the serial KPIs exactly."""
    pooled = sim.simulate(spec, units, seed=42, runs=4)
    pd.testing.assert_frame_equal(pooled.kpi_table(), serial.kpi_table())


def test_a_dask_cluster_gives_the_serial_results(spec: sfd.Spec, units: sim.UnitArrays,
                                                 serial: sim.Ensemble) -> None:
    """Replications on a dask.distributed LocalCluster, through client.get_executor()."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        on_dask = sim.simulate(spec, units, seed=42, runs=4, executor=client.get_executor())
    pd.testing.assert_frame_equal(on_dask.kpi_table(), serial.kpi_table())


def test_runs_differ_and_bands_contain_the_mean(serial: sim.Ensemble) -> None:
    """Replications are not copies; every KPI's band holds its mean."""
    table = serial.kpi_table()
    assert table["report.on_time"].nunique() > 1
    summ = serial.summary()
    assert ((summ["low"] <= summ["mean"] + 1e-9) & (summ["mean"] <= summ["high"] + 1e-9)).all()
    assert set(summ.loc["report"].index) >= {"on_time", "median_end", "p90_end", "mean_returns"}
    assert (summ["runs"] == 4).all()


def test_progress_bands_are_ordered(serial: sim.Ensemble) -> None:
    """The low, median and high curves of a step's progress are ordered and end at 1."""
    band = serial.progress_band("report")
    assert (band["low"] <= band["median"]).all() and (band["median"] <= band["high"]).all()
    assert band["low"].iloc[-1] == 1.0


def test_run_zero_of_an_ensemble_is_the_single_run(spec: sfd.Spec, units: sim.UnitArrays,
                                                   serial: sim.Ensemble) -> None:
    """`run(seed=s)` is replication 0 of `simulate(seed=s)`."""
    one = sim.run(spec, units, seed=42)
    assert one.kpis() == serial.runs[0].kpis


def test_runs_must_be_positive(spec: sfd.Spec, units: sim.UnitArrays) -> None:
    """Zero runs is a clear error."""
    with pytest.raises(sim.SimulationError, match="at least 1"):
        sim.simulate(spec, units, runs=0)


def test_a_run_the_caller_already_has_is_not_run_again(spec: sfd.Spec, units: sim.UnitArrays,
                                                        serial: sim.Ensemble) -> None:
    """`first=` (what `sfd-workflow simulate --runs R` passes) stands in for run 0 exactly."""
    first = sim.run(spec, units, seed=42)
    with ThreadPoolExecutor(max_workers=1) as ex:
        rest = sim.simulate(spec, units, seed=42, runs=4, executor=ex, first=first)
    pd.testing.assert_frame_equal(rest.kpi_table(), serial.kpi_table())
    assert sim.simulate(spec, units, seed=42, runs=1, first=first).kpi_table().equals(
        serial.kpi_table().iloc[:1])
