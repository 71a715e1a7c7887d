"""Simulation model files: the packaged default, distributions, and errors with path and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml

import sfd_workflow as sfd
from sfd_workflow.errors import LoadError
from sfd_workflow.sim import (
    Dist,
    SimModelError,
    default_sim_model,
    load_sim_model,
    sim_model_from_document,
)


@pytest.fixture(scope="module")
def spec() -> sfd.Spec:
    """The built-in spec."""
    return sfd.load_spec("builtin:xuhui-edu-2009")


def test_default_model_of_the_builtin_spec_loads(spec: sfd.Spec) -> None:
    """The packaged model starts on 9 March 2009 and varies by kind and step."""
    m = default_sim_model(spec)
    assert m.start == dt.date(2009, 3, 9)
    assert m.calendar == "cn"
    assert m.params("report", "school").loop.p == 0.25
    assert m.params("report", "joint_branch").loop.p == 0.3
    assert m.params("study_research", "organ").duration != m.params(
        "study_research", "school").duration
    assert m.event("evaluate_report").p == 0.8


def test_lognormal_is_given_by_median_and_p90() -> None:
    """Draws of {lognormal: {median: 10, p90: 20}} have that median and 90th percentile."""
    x = Dist("lognormal", (10.0, 20.0)).sample(np.random.default_rng(0), 200_000)
    assert np.median(x) == pytest.approx(10, rel=0.02)
    assert np.percentile(x, 90) == pytest.approx(20, rel=0.02)


def test_triangular_median_matches_draws() -> None:
    """The documented median of a triangular distribution is the draws' median."""
    d = Dist("triangular", (2.0, 4.0, 12.0))
    x = d.sample(np.random.default_rng(1), 200_000)
    assert np.median(x) == pytest.approx(d.median(), rel=0.02)


def test_what_if_helpers_change_only_what_they_say(spec: sfd.Spec) -> None:
    """`delayed` moves the start; `with_loop_factor` scales every return probability."""
    m = default_sim_model(spec)
    assert m.delayed(14).start == dt.date(2009, 3, 23)
    doubled = m.with_loop_factor(2)
    assert doubled.params("report", "school").loop.p == 0.5
    assert doubled.params("report", "school").duration == m.params("report", "school").duration


BAD = [
    ("format: sfd-workflow-sim/2\n", "format", 1, "expected format"),
    ("format: sfd-workflow-sim/1\nspec: other\n", "spec", 2, "for spec 'other'"),
    ("format: sfd-workflow-sim/1\nsteps:\n  reprot: {duration: 3}\n", "steps.reprot", 3,
     "unknown step 'reprot'"),
    ("format: sfd-workflow-sim/1\nsteps:\n  report:\n    kinds:\n      scool: {duration: 3}\n",
     "steps.report.kinds.scool", 5, "unknown unit kind 'scool'"),
    ("format: sfd-workflow-sim/1\nsteps:\n  report:\n    loop: {p: 1.5}\n", "steps.report.loop.p",
     4, "out of range"),
    ("format: sfd-workflow-sim/1\nsteps:\n  report:\n    duration: {triangular: [5, 3, 9]}\n",
     "steps.report.duration.triangular", 4, "not ordered"),
    ("format: sfd-workflow-sim/1\nsteps:\n  plan:\n"
     "    duration: {lognormal: {median: 9, p90: 5}}\n",
     "steps.plan.duration.lognormal", 4, "0 < median < p90"),
    ("format: sfd-workflow-sim/1\nsteps:\n  plan:\n    duration: {gamma: [1, 2]}\n",
     "steps.plan.duration", 4, "unknown distribution 'gamma'"),
    ("format: sfd-workflow-sim/1\nevents:\n  evaluate: {p: 0.5}\n", "events.evaluate", 3,
     "unknown event 'evaluate'"),
    ("format: sfd-workflow-sim/1\nevents:\n  evaluate_report: {pp: 0.5}\n",
     "events.evaluate_report.pp", 3, "unknown key 'pp'"),
    ("format: sfd-workflow-sim/1\ncalendar: moon\n", "calendar", 2, "unknown calendar"),
    ("format: sfd-workflow-sim/1\nstart: 2009-02-30\n", "start", 2, "not a date"),
    ("format: sfd-workflow-sim/1\nmax_loops: -1\n", "max_loops", 2, "integer from 0 to 20"),
    ("format: sfd-workflow-sim/1\nspeed: 3\n", "speed", 2, "unknown key 'speed'"),
]


@pytest.mark.parametrize(("text", "path", "line", "message"), BAD)
def test_bad_models_name_file_path_and_line(tmp_path: Path, spec: sfd.Spec, text: str, path: str,
                                            line: int, message: str) -> None:
    """Each bad model is a `SimModelError` (a `LoadError`) pinned to its path and line."""
    f = tmp_path / "bad.sim.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SimModelError) as info:
        load_sim_model(f, spec)
    err = info.value
    assert isinstance(err, LoadError)
    assert err.path == path
    assert err.line == line
    assert message in str(err)
    assert str(err).startswith(f"{f}:{line}: {path}: ")


def test_unreadable_and_invalid_yaml_are_load_errors(tmp_path: Path, spec: sfd.Spec) -> None:
    """A missing file and broken YAML are one-line errors too."""
    with pytest.raises(SimModelError, match="cannot read"):
        load_sim_model(tmp_path / "none.yaml", spec)
    f = tmp_path / "broken.yaml"
    f.write_text("steps: [\n", encoding="utf-8")
    with pytest.raises(SimModelError, match="not valid YAML"):
        load_sim_model(f, spec)


def test_every_problem_is_listed(spec: sfd.Spec) -> None:
    """All problems are collected, first one first."""
    doc = yaml.safe_load("format: sfd-workflow-sim/1\nsteps: {x: 1, y: 2}\n")
    with pytest.raises(SimModelError) as info:
        sim_model_from_document(doc, spec)
    assert [p.path for p in info.value.problems] == ["steps.x", "steps.y"]


def test_json_models_load(tmp_path: Path, spec: sfd.Spec) -> None:
    """JSON is accepted as well as YAML."""
    f = tmp_path / "m.json"
    f.write_text('{"format": "sfd-workflow-sim/1", "start": "2009-03-16"}', encoding="utf-8")
    assert load_sim_model(f, spec).start == dt.date(2009, 3, 16)
