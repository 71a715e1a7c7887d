"""The `sfd-workflow` command line: thin wrappers over the public API.

Machine output (JSON Lines) goes to standard output, one human line per message to standard
error. Bad input of any kind exits 2 with a one-line message that names the file (and line
or path); never a traceback.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from ._compile import CompiledWorkflow, compile_workflow
from ._engine import Runtime, replay
from ._eventlog import read_event_lines
from ._roster import load_roster, roster_warnings
from ._spec._builtin import PREFIX, builtin_ids, builtin_path, sample_paths
from ._spec._loader import load_spec
from ._spec._model import Roster, Spec
from .errors import LoadError, SfdWorkflowError

__all__ = ["cli", "main", "run"]


class CliError(click.ClickException):
    """One-line errors (one or more, each on its own line), exit status 2."""

    exit_code = 2

    def __init__(self, message: str, *more: str) -> None:
        super().__init__(message)
        self.lines = (message, *more)

    def show(self, file: Any = None) -> None:
        for line in self.lines:
            click.echo(f"sfd-workflow: error: {line}", err=True)


def _fail(message: str) -> NoReturn:
    raise CliError(message)


def _load_error(exc: LoadError) -> NoReturn:
    # every problem on its own line, first one first
    raise CliError(*(str(p) for p in exc.problems))


def _spec(arg: str) -> Spec:
    try:
        return load_spec(arg)
    except LoadError as exc:
        _load_error(exc)


def _roster(arg: str, spec: Spec) -> Roster:
    try:
        return load_roster(arg, spec)
    except LoadError as exc:
        _load_error(exc)


def _compile(spec: Spec) -> CompiledWorkflow:
    try:
        return compile_workflow(spec)
    except SfdWorkflowError as exc:
        _fail(str(exc))


def _lines(arg: str) -> list[str]:
    try:
        return read_event_lines(arg)
    except LoadError as exc:
        _load_error(exc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sfd-workflow")
def cli() -> None:
    """Declarative campaign workflows as per-unit state machines.

    SPEC is a YAML/JSON file or builtin:<id> (see `sfd-workflow specs`).
    """


@cli.command()
@click.argument("spec")
@click.option("--roster", "roster_path", metavar="R", help="Also check a roster against the spec.")
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings.")
def validate(spec: str, roster_path: str | None, strict: bool) -> None:
    """Check a spec (and a roster) and print a summary."""
    s = _spec(spec)
    _compile(s)
    warnings = list(s.warnings)
    steps = s.steps
    n_states = sum(len(st.states) for st in steps)
    n_trans = sum(len(st.transitions) for st in steps)
    out = click.echo
    out(f"{s.source}: ok — {s.id}: {s.title.both()}")
    out(f"  {len(s.phases)} phases, {len(steps)} steps, {n_states} states, "
        f"{n_trans} transitions, {len(s.roles)} roles, {len(s.unit_kinds)} unit kinds")
    for i, phase in enumerate(s.phases, 1):
        window = f"  {phase.window.start} – {phase.window.end}" if phase.window else ""
        out(f"  {i}. {phase.title.both()}{window}")
        for st in phase.steps:
            after = ", ".join(st.after) if st.after else "—"
            out(f"     - {st.id}: {st.title.both()}  (after: {after}; "
                f"{len(st.states)} states, {len(st.transitions)} transitions)")
    kinds = ", ".join(f"{k}{' (skips ' + ', '.join(v.skip) + ')' if v.skip else ''}"
                      for k, v in s.unit_kinds.items())
    out(f"  unit kinds: {kinds}")
    if roster_path:
        r = _roster(roster_path, s)
        by_kind: dict[str, int] = {}
        for u in r.units:
            by_kind[u.kind] = by_kind.get(u.kind, 0) + 1
        people = sum(len(u.people) for u in r.units)
        counts = ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items()))
        out(f"{r.source}: ok — {len(r)} units ({counts}), {people} people")
        warnings.extend(roster_warnings(s, r))
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if strict and warnings:
        sys.exit(1)


@cli.command(name="replay")
@click.argument("spec")
@click.argument("roster")
@click.argument("events")
@click.option("--summary", is_flag=True, help="Also print a count of verdicts to stderr.")
def replay_command(spec: str, roster: str, events: str, summary: bool) -> None:
    """Judge every line of EVENTS; one JSON object a line (SPEC-FORMAT §5)."""
    s = _spec(spec)
    r = _roster(roster, s)
    compiled = _compile(s)
    lines = _lines(events)
    write = sys.stdout.write
    counts: dict[str, int] = {}
    for result in replay(compiled, r, lines):
        write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        key = "accepted" if result.verdict.accepted else str(result.verdict.reason)
        counts[key] = counts.get(key, 0) + 1
    sys.stdout.flush()
    if summary:
        text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        click.echo(f"{events}: {len(lines)} lines: {text or 'empty'}", err=True)


@cli.command()
@click.argument("spec")
@click.argument("roster")
@click.argument("events")
@click.option("--unit", required=True, help="The unit id.")
@click.option("--event", "event", required=True, help="The event name.")
@click.option("--actor", required=True, help="The person id.")
@click.option("--at", default=None, help="ISO date-time to judge at (default: now).")
@click.option("--payload", default=None, help="The event's payload as a JSON object.")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of sentences.")
def explain(spec: str, roster: str, events: str, unit: str, event: str, actor: str,
            at: str | None, payload: str | None, lang: str, as_json: bool) -> None:
    """Replay EVENTS, then say everything that stands between an event and acceptance."""
    s = _spec(spec)
    r = _roster(roster, s)
    rt = Runtime(_compile(s), r, keep_log=False)
    for _ in replay(rt.compiled, r, _lines(events), runtime=rt):
        pass
    body: dict[str, Any] | None = None
    if payload is not None:
        try:
            body = json.loads(payload)
        except ValueError as exc:
            _fail(f"--payload: not valid JSON ({exc})")
        if not isinstance(body, dict):
            _fail("--payload: must be a JSON object")
    if at is not None:
        from ._eventlog import parse_at

        if parse_at(at, rt.compiled.tz) is None:
            _fail(f"--at: not an ISO 8601 date-time: {at!r}")
    ex = rt.explain(unit, event, actor, at=at, payload=body)
    if as_json:
        click.echo(json.dumps({
            "unit": unit, "event": event, "actor": actor, "allowed": ex.allowed,
            "reason": None if ex.reason is None else str(ex.reason),
            "unmet": [{"reason": str(q.reason), "zh": q.zh, "en": q.en} for q in ex.unmet],
        }, ensure_ascii=False))
        return
    if ex.allowed:
        click.echo(f"{unit}: '{event}' by {actor} would be accepted / 可以办理")
        return
    click.echo(f"{unit}: '{event}' by {actor} would be rejected ({ex.reason}):")
    for q in ex.unmet:
        text = {"zh": q.zh, "en": q.en, "both": f"{q.zh} / {q.en}"}[lang]
        click.echo(f"  - {q.reason}: {text}")


@cli.command()
@click.option("--export", "export", nargs=2, metavar="ID DIR", default=None,
              help="Write a built-in spec with its sample roster and log into DIR.")
@click.option("--force", is_flag=True, help="With --export: overwrite existing files.")
def specs(export: tuple[str, str] | None, force: bool) -> None:
    """List the built-in specs, or export one as a starting point."""
    if export is None:
        for sid in builtin_ids():
            s = _spec(PREFIX + sid)
            click.echo(f"{PREFIX}{sid}\t{s.title.both()}\t{len(s.phases)} phases, "
                       f"{len(s.steps)} steps")
        return
    sid, target = export
    try:
        src = builtin_path(sid)
    except LoadError as exc:
        _load_error(exc)
    roster, events = sample_paths(sid)
    out = Path(target)
    plan = [(src, out / "spec.yaml"), (roster, out / "roster.yaml"),
            (events, out / "events.jsonl")]
    existing = [str(dst) for s_, dst in plan if s_ is not None and dst.exists()]
    if existing and not force:
        _fail(f"{existing[0]}: already exists (use --force to overwrite)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for s_, dst in plan:
            if s_ is not None:
                shutil.copyfile(s_, dst)
                click.echo(f"wrote {dst}", err=True)
    except OSError as exc:
        _fail(f"{target}: cannot write: {exc.strerror}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` (default: sys.argv[1:]); return the exit status."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="sfd-workflow",
                 standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("sfd-workflow: aborted", err=True)
        return 130
    except click.ClickException as exc:
        if isinstance(exc, CliError):
            exc.show()
        else:
            message = exc.format_message().replace("\n", " ")
            click.echo(f"sfd-workflow: error: {message} (see --help)", err=True)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except BrokenPipeError:
        return 0
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


# Commands of the optional areas; each imports its extra's packages only when run.
from .diagrams._cli import render_command, slides_command  # noqa: E402  # after `cli` exists

cli.add_command(render_command)
cli.add_command(slides_command)

from .sim._cli import simulate_command  # noqa: E402  (the sim branch's command, lazy imports)

cli.add_command(simulate_command)

from .store._cli import store_group  # noqa: E402  (the event store; imports SQLAlchemy lazily)

cli.add_command(store_group)

from ._migrate_cli import (  # noqa: E402  (spec versions, issue 14)
    diff_command,
    migrate_group,
    store_migrate_command,
)

cli.add_command(diff_command)
cli.add_command(migrate_group)
store_group.add_command(store_migrate_command)
