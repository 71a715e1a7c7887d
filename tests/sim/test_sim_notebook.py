"""Every notebook of examples/notebooks runs from top to bottom (nbclient), as a reader
would run it with the documented one-line command (docs/simulation.md, *Notebooks*)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sfd_workflow

NOTEBOOKS = Path(__file__).parents[2] / "examples" / "notebooks"
#: what each notebook's last cell prints (its own assertions ran before it)
FINDINGS = {
    "what-if.ipynb": "Two weeks' late mobilisation costs",
    "own-campaign.ipynb": "Starting three weeks late costs",
}


def test_every_notebook_has_a_finding_to_check() -> None:
    """A notebook added to examples/ is executed below only when it is listed here."""
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(FINDINGS)


@pytest.mark.slow  # a kernel start and ensembles of fast runs plus an exact run each
@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_the_notebook_executes(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Every cell runs in the notebook's directory; the last one checks the what-ifs."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    src = str(Path(sfd_workflow.__file__).parents[1])
    monkeypatch.setenv("PYTHONPATH", src)  # the kernel imports this checkout
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert FINDINGS[name] in text
