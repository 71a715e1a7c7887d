"""The exceptions of sfd-workflow.

The tree::

    SfdWorkflowError
    ├── LoadError(ValueError)            a file that cannot be used
    │   ├── SpecError                    a workflow spec breaks docs/format.md §1
    │   ├── RosterError                  a roster breaks docs/format.md §2
    │   ├── EventLogError                an event log cannot be read at all
    │   ├── PlanError                    a migration plan breaks docs/format.md, or lacks
    │   │                                targets for the units it is applied to
    │   └── SimModelError                a simulation model breaks docs/simulation.md
    ├── CompileError(ValueError)         a spec that loads but cannot be compiled
    │                                    (an unregistered custom predicate)
    ├── CalendarError(ValueError)        a date outside the years the working calendar knows
    ├── SimulationError(RuntimeError)    a spec, roster or model the simulator cannot drive
    ├── UnknownUnitError(KeyError)       a unit id that is not in the roster
    ├── MissingExtraError(ImportError)   an optional feature whose extra is not installed
    ├── MissingToolError(RuntimeError)   a program or font outside Python is not installed
    │                                    (Graphviz's dot, a CJK font, LibreOffice)
    ├── BackendError(RuntimeError)       the state-machine engine (transitions) refused an
    │                                    event the core judged legal: a bug, never bad input
    ├── PlanError(RuntimeError)          sfd_workflow.testing found no way to a goal state
    │                                    (e.g. nobody holds a needed role)
    ├── StoreError                       an event store that cannot be created, opened or
    │                                    used as asked (sfd_workflow.store)
    └── ReportError(ValueError)          a progress report that cannot be made as asked
                                         (an as-of date before the campaign, a run with
                                         no events)

Rejected *events* are never exceptions: they are `Verdict` values (docs/format.md §4).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

__all__ = [
    "BackendError",
    "CalendarError",
    "CompileError",
    "EventLogError",
    "LoadError",
    "MissingExtraError",
    "MissingToolError",
    "PlanError",
    "Problem",
    "ReportError",
    "RosterError",
    "SfdWorkflowError",
    "SimModelError",
    "SimulationError",
    "SpecError",
    "StoreError",
    "UnknownUnitError",
]


class SfdWorkflowError(Exception):
    """The root of every error this library raises on purpose."""


@attrs.frozen
class Problem:
    """One thing wrong with an input file: where it is and what it is."""

    source: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class LoadError(SfdWorkflowError, ValueError):
    """An input file cannot be used; `problems` lists every problem found, in document order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            msg = "LoadError needs at least one problem"
            raise ValueError(msg)
        # document order: a problem without a line (the whole file) comes first
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=lambda p: p.line or 0))
        super().__init__(str(self.problems[0]))

    @property
    def source(self) -> str:
        """The file of the first problem."""
        return self.problems[0].source

    @property
    def path(self) -> str:
        """The path inside the file of the first problem (e.g. ``phases[0].steps[1].id``)."""
        return self.problems[0].path

    @property
    def line(self) -> int | None:
        """The line of the first problem, where the format has lines."""
        return self.problems[0].line

    def __str__(self) -> str:
        return str(self.problems[0])

    def describe(self) -> str:
        """Every problem, one a line."""
        return "\n".join(str(p) for p in self.problems)


class SpecError(LoadError):
    """A workflow spec that breaks docs/format.md §1."""


class RosterError(LoadError):
    """A roster that breaks docs/format.md §2."""


class EventLogError(LoadError):
    """An event log that cannot be read at all (a malformed line is a verdict, not this)."""


class MigrationPlanError(LoadError):
    """A migration plan that breaks docs/format.md §6, or lacks targets for the units it moves
    (not `PlanError`, the planner of `sfd_workflow.testing`)."""


class SimModelError(LoadError):
    """A simulation model file that breaks the simulation-model format."""


class CompileError(SfdWorkflowError, ValueError):
    """A spec that loads but cannot be compiled, e.g. it names an unregistered predicate."""


class CalendarError(SfdWorkflowError, ValueError):
    """A date outside the years the working-day calendar has data for."""


class SimulationError(SfdWorkflowError, RuntimeError):
    """A spec, roster or model the simulator cannot drive, with the reason in the message."""


class UnknownUnitError(SfdWorkflowError, KeyError):
    """A unit id that is not in the runtime's roster."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown unit"


class MissingExtraError(SfdWorkflowError, ImportError):
    """An optional feature is used without its extra installed."""

    def __init__(self, feature: str, extra: str, missing: str) -> None:
        self.extra = extra
        msg = (
            f"{feature} needs the '{missing}' package: "
            f"install it with  pip install 'sfd-workflow[{extra}]'"
        )
        super().__init__(msg)


class MissingToolError(SfdWorkflowError, RuntimeError):
    """A program or font outside Python is not installed; `package` is the Debian package."""

    def __init__(self, message: str, *, tool: str, package: str) -> None:
        self.tool = tool
        self.package = package
        super().__init__(message)


class BackendError(SfdWorkflowError, RuntimeError):
    """The state-machine engine refused an event the core believed legal (a bug)."""


class PlanError(SfdWorkflowError, RuntimeError):
    """The planner of `sfd_workflow.testing` found no way to the goal."""


class StoreError(SfdWorkflowError):
    """An event store that cannot be created, opened or used as asked (``sfd_workflow.store``)."""


class ReportError(SfdWorkflowError, ValueError):
    """A progress report that cannot be made as asked (sfd_workflow.report)."""
