"""Fuzzing the loaders: whatever the input, a loaded value or a one-line library error.

Specs, rosters and simulation models are fed arbitrary text, arbitrary bytes, YAML-shaped
token soup, mutations of a good spec and nested Python structures (as YAML, as JSON and as
documents). Each example must end in a value or an exception of `sfd_workflow.errors` whose
message is one line, within a time budget; the whole run must stay within a memory budget
(the growth of the process's peak resident size, which a blow-up such as "billion laughs"
— gigabytes — would break). Budgets are generous so that a loaded 2-core machine does not
flake: a bounded parser takes milliseconds, an unbounded one minutes.
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfd_workflow import (
    load_roster,
    load_spec,
    roster_from_document,
    roster_from_text,
    spec_from_document,
    spec_from_text,
)
from sfd_workflow.errors import SfdWorkflowError
from sfd_workflow.sim import load_sim_model, sim_model_from_document

GOOD = Path(__file__).parents[1] / "data" / "good"
SPEC_TEXT = (GOOD / "review.yaml").read_text(encoding="utf-8")
SPEC = spec_from_text(SPEC_TEXT, "review.yaml")
SECONDS = 5.0  # per example; bounded parsing takes milliseconds
GROWTH_MB = 300  # of the process's peak resident size over a whole test

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])  # budget: whole run

TOKENS = ["a", "id", ": ", ":", "- ", "\n", "  ", "\t", "[", "]", "{", "}", ", ", ",", "&a ",
          "*a", "&b ", "*b", "? ", "!!python/object:os.system ", "!!binary ", "<<: ", "'", '"',
          "\\u200b", "#", "9" * 60, "1e400", ".nan", "9999-12-31", "2009-06-31", "|", ">",
          "---\n", "...\n", "\x1b", "\x00", "\x85", "\ud800", "\ufeff", "\u200b", "é",
          "format: sfd-workflow/1\n", "units:\n", "people: ", "roles: [member]"]

json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
nested = st.recursive(json_leaves, lambda kids: st.lists(kids, max_size=4)
                      | st.dictionaries(st.text(max_size=6), kids, max_size=4), max_leaves=60)
deep = st.integers(1, 3000).map(lambda n: "a: " + "[" * n + "]" * n)


def _loaders() -> Iterator[tuple[str, Callable[[str], object]]]:
    yield "spec yaml", lambda t: spec_from_text(t, "x.yaml")
    yield "spec json", lambda t: spec_from_text(t, "x.json", fmt="json")
    yield "roster yaml", lambda t: roster_from_text(t, SPEC, "x.yaml")
    yield "roster json", lambda t: roster_from_text(t, SPEC, "x.json", fmt="json")


def _check(load: Callable[[], object]) -> None:
    start = time.perf_counter()
    try:
        load()
    except SfdWorkflowError as exc:
        message = str(exc)
        assert message, "an error needs a message"
        assert "\n" not in message, f"not one line: {message!r}"
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"


@pytest.fixture
def memory_budget() -> Iterator[None]:
    """Fails the test when the process's peak resident size grows by more than the budget."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    yield
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown < GROWTH_MB, f"peak memory grew by {grown:.0f} MB"


def _all_text_loaders(text: str) -> None:
    for _name, load in _loaders():
        _check(lambda load=load: load(text))  # type: ignore[misc]


@FUZZ
@given(st.text(max_size=400) | st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
       | deep)
def test_any_text_loads_or_fails_in_one_line(memory_budget: None, text: str) -> None:
    """Arbitrary text and YAML-shaped token soup, as a spec and a roster, YAML and JSON."""
    _all_text_loaders(text)


@FUZZ
@given(st.integers(0, len(SPEC_TEXT)), st.lists(st.sampled_from(TOKENS), min_size=1,
                                                max_size=6).map("".join))
def test_a_mutated_spec_loads_or_fails_in_one_line(memory_budget: None, at: int,
                                                   insert: str) -> None:
    """The good spec with tokens inserted anywhere: deep into validation and linking."""
    _check(lambda: spec_from_text(SPEC_TEXT[:at] + insert + SPEC_TEXT[at:], "x.yaml"))


@FUZZ
@given(nested)
def test_nested_structures_load_or_fail_in_one_line(memory_budget: None, value: Any) -> None:
    """Nested lists and mappings as documents, as YAML text and as JSON text."""
    for doc in (value, {"units": value}, {"format": "sfd-workflow/1", "phases": value},
                {"format": "sfd-workflow-sim/1", "steps": value, "events": value}):
        _check(lambda doc=doc: spec_from_document(doc))  # type: ignore[misc]
        _check(lambda doc=doc: sim_model_from_document(doc, SPEC, "m.yaml"))  # type: ignore[misc]
        _check(lambda doc=doc: roster_from_document(doc, SPEC))  # type: ignore[misc]
        _all_text_loaders(yaml.safe_dump(doc, allow_unicode=True))
        _all_text_loaders(json.dumps(doc))


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8",
                                                                               "surrogatepass")))
def test_any_file_bytes_load_or_fail_in_one_line(memory_budget: None, data: bytes) -> None:
    """Arbitrary bytes in a spec, roster and simulation-model file, YAML and JSON."""
    with tempfile.TemporaryDirectory(prefix="loaders-fuzz-") as d:
        for name in ("x.yaml", "x.json"):
            path = Path(d) / name
            path.write_bytes(data)
            _check(lambda path=path: load_spec(path))  # type: ignore[misc]
            _check(lambda path=path: load_roster(path, SPEC))  # type: ignore[misc]
            _check(lambda path=path: load_sim_model(str(path), SPEC))  # type: ignore[misc]
