"""Built-in specs: package data under ``sfd_workflow/specs/``.

Each built-in ``<id>.yaml`` may come with a sample roster ``<id>.roster.yaml`` and a
sample event log ``<id>.events.jsonl``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import Problem, SpecError
from ._reader import known_list, suggest

__all__ = ["PREFIX", "builtin_ids", "builtin_path", "sample_paths"]

PREFIX = "builtin:"


def _dir() -> Path:
    return Path(str(resources.files("sfd_workflow") / "specs"))


def builtin_ids() -> list[str]:
    """The ids of the built-in specs."""
    return sorted(p.name[: -len(".yaml")] for p in _dir().glob("*.yaml")
                  if p.name.count(".") == 1)


def builtin_path(spec_id: str) -> Path:
    """The file of a built-in spec.

    Raises:
        SpecError: no built-in spec has that id.
    """
    ids = builtin_ids()
    if spec_id not in ids:
        msg = f"no built-in spec '{spec_id}' {known_list(ids)}{suggest(spec_id, ids)}"
        raise SpecError([Problem(f"{PREFIX}{spec_id}", "", msg)])
    return _dir() / f"{spec_id}.yaml"


def sample_paths(spec_id: str) -> tuple[Path | None, Path | None]:
    """The sample roster and event log of a built-in spec (None where it has none)."""
    base = builtin_path(spec_id).parent
    roster = base / f"{spec_id}.roster.yaml"
    events = base / f"{spec_id}.events.jsonl"
    return (roster if roster.exists() else None, events if events.exists() else None)
