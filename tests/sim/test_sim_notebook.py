"""The what-if notebook runs from top to bottom (nbclient), as a reader would run it."""

from __future__ import annotations

from pathlib import Path

import pytest

import sfd_workflow

NOTEBOOK = Path(__file__).parents[2] / "examples" / "notebooks" / "what-if.ipynb"


@pytest.mark.slow  # a kernel start and about 60 fast runs plus one exact run
def test_the_what_if_notebook_executes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every cell runs; the last one checks that both what-ifs cost units their deadlines."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    src = str(Path(sfd_workflow.__file__).parents[1])
    monkeypatch.setenv("PYTHONPATH", src)  # the kernel imports this checkout
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "Two weeks' late mobilisation costs" in text
