"""The simulation's own exceptions, placed in the library's tree (``sfd_workflow.errors``).

The tree (the part this subpackage adds)::

    SfdWorkflowError
    ├── LoadError(ValueError)
    │   └── SimModelError            a simulation model breaks docs/simulation.md
    ├── CalendarError(ValueError)    a date outside the years the working calendar knows
    └── SimulationError(RuntimeError) a spec the simulator cannot drive (named reason)
"""

from __future__ import annotations

from sfd_workflow.errors import LoadError, SfdWorkflowError

__all__ = ["CalendarError", "SimModelError", "SimulationError"]


class SimModelError(LoadError):
    """A simulation model file that breaks the simulation-model format."""


class CalendarError(SfdWorkflowError, ValueError):
    """A date outside the years the working-day calendar has data for."""


class SimulationError(SfdWorkflowError, RuntimeError):
    """A spec, roster or model the simulator cannot drive, with the reason in the message."""
