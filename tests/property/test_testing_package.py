"""The public surface of `sfd_workflow.testing`: exports, the optional extra, options."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import sfd_workflow.testing as testing
from sfd_workflow import spec_from_text
from sfd_workflow.testing import event_logs, rosters, specs


def test_all_is_exactly_the_public_surface() -> None:
    """`__all__` lists every public name of the subpackage and nothing else."""
    public = {n for n in dir(testing) if not n.startswith("_")} - {"annotations"}
    assert set(testing.__all__) == public
    assert testing.__all__ == sorted(testing.__all__)


def test_importing_without_hypothesis_names_the_extra_to_install() -> None:
    """Without Hypothesis, the import fails with MissingExtraError naming the extra."""
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n"
        "    import sfd_workflow.testing\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": "src"},
    )
    assert out.stdout.startswith("MissingExtraError")
    assert "sfd-workflow[testing]" in out.stdout


@pytest.mark.parametrize(
    "make",
    [
        lambda: specs(max_steps=0),
        lambda: specs(max_roles=0),
        lambda: specs(max_records=-1),
        lambda: rosters({"roles": {}, "unit_kinds": {}, "phases": []}, max_units=0),
    ],
)
def test_bad_options_are_refused_with_a_value_error(make: object) -> None:
    """Options out of range raise ValueError when the strategy is made."""
    with pytest.raises(ValueError, match="at least"):
        make()  # type: ignore[operator]


@given(st.data())
def test_drawn_documents_dump_to_yaml_and_json_and_load_back(data: st.DataObject) -> None:
    """A drawn spec is a plain document: JSON and YAML dumps of it load in the core."""
    doc = data.draw(specs())
    spec_from_text(yaml.safe_dump(doc, allow_unicode=True), "spec.yaml")
    spec_from_text(json.dumps(doc, ensure_ascii=False), "spec.json", fmt="json")
    roster = data.draw(rosters(doc))
    lines = data.draw(event_logs(doc, roster, max_events=5))
    assert all(isinstance(line, str) and "\n" not in line for line in lines)
