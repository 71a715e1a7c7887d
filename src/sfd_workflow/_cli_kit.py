"""The command-line kit: what every ``sfd-workflow`` command shares.

Every command module (``cli.py``, ``diagrams/_cli.py``, ``sim/_cli.py``, ``store/_cli.py``, …)
imports this module and nothing of another command module, so the command modules form no
circle: ``cli.py`` imports each of them at the top and adds its commands to the group.

- `CliError` and `fail`: one or more problems, one line each, exit status 2.
- `fail_load`: every problem of a `LoadError`, in document order, ``FILE:LINE`` first.
- `load_spec_arg`, `load_roster_arg`, `compile_arg`, `read_events_arg`: the shared loaders.
- `pick` and `Choice`: "did you mean" for every option that names something (a kind, a
  phase, a step, a unit, an actor, an event, a view, a format).
- `lang_option`: one ``--lang`` everywhere: ``zh`` (the campaigns' language), ``en`` or
  ``both``, default ``zh``.
- `print_error`: how `cli.main` prints any error, as one line each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn, TypeVar

import click

from ._compile import CompiledWorkflow, compile_workflow
from ._eventlog import read_event_lines
from ._roster import load_roster
from ._spec._loader import load_spec
from ._spec._model import Roster, Spec
from ._spec._reader import suggest
from .errors import LoadError, SfdWorkflowError

__all__ = [
    "LANGS",
    "PROG",
    "Choice",
    "CliError",
    "compile_arg",
    "fail",
    "fail_load",
    "lang_option",
    "load_roster_arg",
    "load_spec_arg",
    "pick",
    "print_error",
    "read_events_arg",
]

PROG = "sfd-workflow"
#: The languages of every ``--lang`` option; the first is the default.
LANGS: tuple[str, ...] = ("zh", "en", "both")

F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """One or more one-line problems; the command exits with status 2."""

    exit_code = 2

    def __init__(self, message: str, *more: str) -> None:
        super().__init__(message)
        self.lines: tuple[str, ...] = (message, *more)

    def show(self, file: Any = None) -> None:
        """Print each problem on its own line of standard error."""
        for line in self.lines:
            click.echo(f"{PROG}: error: {line}", err=True)


def fail(message: str, *more: str) -> NoReturn:
    """Stop the command with these one-line problems (exit status 2)."""
    raise CliError(message, *more)


def fail_load(exc: LoadError) -> NoReturn:
    """Stop the command with every problem of `exc`, in document order."""
    raise CliError(*(str(p) for p in exc.problems))


def pick(option: str, value: str, known: Iterable[str], what: str, where: str = "") -> str:
    """`value` if it is one of `known`; else stop with a did-you-mean naming the option.

    ``pick("--kind", "shcool", spec.unit_kinds, "unit kind")`` fails with
    ``--kind: unknown unit kind 'shcool'; did you mean 'school'?``; `where` follows the
    value (``" in unit 'x'"``).
    """
    names = list(known)
    if value in names:
        return value
    shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
    hint = suggest(value, names)
    fail(f"{option}: unknown {what} '{value}'{where}{hint or f' (known: {shown})'}")


class Choice(click.Choice):  # type: ignore[type-arg]
    """`click.Choice` whose refusal says "did you mean" for a near miss."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        """The choice, or a one-line refusal with the choices and a suggestion."""
        if isinstance(value, str) and value not in self.choices:
            hint = suggest(value, [str(c) for c in self.choices])
            choices = ", ".join(str(c) for c in self.choices)
            self.fail(f"'{value}' is not one of {choices}{hint}", param, ctx)
        return super().convert(value, param, ctx)


def lang_option(help_text: str = "Language of the words shown.") -> Callable[[F], F]:
    """The ``--lang`` option, the same on every command (default ``zh``)."""
    return click.option("--lang", type=Choice(LANGS), default=LANGS[0], show_default=True,
                        help=help_text)


def load_spec_arg(arg: str) -> Spec:
    """The spec named on the command line (a file or ``builtin:<id>``), or exit 2."""
    try:
        return load_spec(arg)
    except LoadError as exc:
        fail_load(exc)


def load_roster_arg(arg: str, spec: Spec) -> Roster:
    """The roster file named on the command line, checked against `spec`, or exit 2."""
    try:
        return load_roster(arg, spec)
    except LoadError as exc:
        fail_load(exc)


def compile_arg(spec: Spec) -> CompiledWorkflow:
    """`spec` compiled, or exit 2 (an unregistered custom predicate)."""
    try:
        return compile_workflow(spec)
    except SfdWorkflowError as exc:
        fail(str(exc))


def read_events_arg(arg: str) -> list[str]:
    """The lines of the event log named on the command line (``-`` = standard input)."""
    try:
        return read_event_lines(arg)
    except LoadError as exc:
        fail_load(exc)


def print_error(exc: click.ClickException) -> None:
    """Print a command-line error: ours as they are, click's as one line with a hint."""
    if isinstance(exc, CliError):
        exc.show()
        return
    message = " ".join(exc.format_message().split())
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        envvar = exc.param.envvar
        names: Sequence[str] = [envvar] if isinstance(envvar, str) else list(envvar or ())
        if names:
            message = f"{message.rstrip('.')} (or set ${names[0]})"
    click.echo(f"{PROG}: error: {message} (see --help)", err=True)
