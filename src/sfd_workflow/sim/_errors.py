"""The simulation's exceptions; they live in the library's one tree, `sfd_workflow.errors`."""

from __future__ import annotations

from sfd_workflow.errors import CalendarError, SimModelError, SimulationError

__all__ = ["CalendarError", "SimModelError", "SimulationError"]
