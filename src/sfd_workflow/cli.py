"""The `sfd-workflow` command line: thin wrappers over the public API.

Machine output (JSON Lines) goes to standard output, one human line per message to standard
error. Bad input of any kind exits 2 with a one-line message that names the file (and line
or path); never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from . import __version__
from ._cli_kit import (
    Choice,
    compile_arg,
    fail,
    fail_load,
    lang_option,
    load_roster_arg,
    load_spec_arg,
    pick,
    print_error,
    read_events_arg,
)
from ._engine import Runtime, replay
from ._eventlog import event_id, load_json
from ._migrate_cli import diff_command, migrate_group, store_migrate_command
from ._roster import roster_warnings
from ._spec._builtin import PREFIX, builtin_ids, builtin_path, sample_paths
from ._spec._model import Roster, Spec
from ._verdict import Reason, Requirement
from .diagrams._cli import render_command, slides_command
from .errors import LoadError
from .report._cli import report_command
from .sim._cli import simulate_command
from .store._cli import store_group

__all__ = ["cli", "main", "run"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__, prog_name="sfd-workflow")
def cli() -> None:
    """Declarative campaign workflows as per-unit state machines.

    SPEC is a YAML/JSON file or builtin:<id> (see `sfd-workflow specs`).
    """


# The commands of the optional areas: each module imports its extra's packages only when a
# command runs, so `sfd-workflow --help` works with the core alone.
cli.add_command(render_command)
cli.add_command(slides_command)
cli.add_command(simulate_command)
cli.add_command(store_group)
cli.add_command(report_command)
# Spec versions (issue 14): `diff`, `migrate plan|check`, and `store migrate`.
cli.add_command(diff_command)
cli.add_command(migrate_group)
store_group.add_command(store_migrate_command)


@cli.command()
@click.argument("spec")
@click.option("--roster", "roster_path", metavar="R", help="Also check a roster against the spec.")
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings.")
def validate(spec: str, roster_path: str | None, strict: bool) -> None:
    """Check a spec (and a roster) and print a summary."""
    s = load_spec_arg(spec)
    compile_arg(s)
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
        r = load_roster_arg(roster_path, s)
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
@click.option("--lang", type=Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of each line's \"detail\" (what is wrong).")
def replay_command(spec: str, roster: str, events: str, summary: bool, lang: str) -> None:
    """Judge every line of EVENTS; one JSON object a line (docs/format.md §5).

    Each object has the six keys of §5 and a seventh, "detail": what is wrong with a
    rejected line (null when accepted).
    """
    s = load_spec_arg(spec)
    r = load_roster_arg(roster, s)
    compiled = compile_arg(s)
    lines = read_events_arg(events)
    write = sys.stdout.write
    counts: dict[str, int] = {}
    for result in replay(compiled, r, lines):
        write(json.dumps(result.to_json(lang), ensure_ascii=False) + "\n")
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
@click.option("--at", default=None, help="ISO 8601 date-time to judge at (default: now).")
@click.option("--payload", default=None, help="The event's payload as a JSON object.")
@lang_option()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of sentences.")
def explain(spec: str, roster: str, events: str, unit: str, event: str, actor: str,
            at: str | None, payload: str | None, lang: str, as_json: bool) -> None:
    """Replay EVENTS, then say everything that stands between an event and acceptance."""
    s = load_spec_arg(spec)
    r = load_roster_arg(roster, s)
    rt = Runtime(compile_arg(s), r, keep_log=False)
    for _ in replay(rt.compiled, r, read_events_arg(events), runtime=rt):
        pass
    body: Any = None
    if payload is not None:
        body = load_json(payload)  # the reader of every event line (docs/format.md §3)
        if isinstance(body, Requirement):
            fail(f"--payload: {body.en}")
        if not isinstance(body, dict):
            fail("--payload: must be a JSON object")
    unit, actor = event_id(unit), event_id(actor)  # as an event's ids are read
    _names_in_roster(s, r, unit, event, actor)
    ex = rt.explain(unit, event, actor, at=at, payload=body)
    if ex.reason is Reason.MALFORMED:  # the option the event's detail names
        detail = ex.unmet[0].en
        option = next((k for k in ("at", "payload", "unit", "event", "actor")
                       if detail.startswith(f"'{k}")), "payload")
        fail(f"--{option}: {detail}")
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


def _names_in_roster(spec: Spec, roster: Roster, unit: str, event: str, actor: str) -> None:
    """Exit 2 with "did you mean" when --unit, --event or --actor names nothing."""
    pick("--unit", unit, (u.id for u in roster.units), "unit")
    pick("--event", event, (t.event for st in spec.steps for t in st.transitions), "event")
    people = (p.id for p in roster.by_id[unit].people)
    pick("--actor", actor, people, "person", f" in unit '{unit}'")


@cli.command()
@click.option("--export", "export", nargs=2, metavar="ID DIR", default=None,
              help="Write a built-in spec with its sample roster and log into DIR.")
@click.option("--force", is_flag=True, help="With --export: overwrite existing files.")
def specs(export: tuple[str, str] | None, force: bool) -> None:
    """List the built-in specs, or export one as a starting point."""
    if export is None:
        for sid in builtin_ids():
            s = load_spec_arg(PREFIX + sid)
            click.echo(f"{PREFIX}{sid}\t{s.title.both()}\t{len(s.phases)} phases, "
                       f"{len(s.steps)} steps")
        return
    sid, target = export
    try:
        src = builtin_path(sid)
    except LoadError as exc:
        fail_load(exc)
    roster, events = sample_paths(sid)
    out = Path(target)
    plan = [(s_, out / name) for s_, name in ((src, "spec.yaml"), (roster, "roster.yaml"),
                                              (events, "events.jsonl")) if s_ is not None]
    links = [str(dst) for _, dst in plan if dst.is_symlink()]
    if links:
        fail(f"{links[0]}: is a symbolic link; --export never writes through one")
    existing = [str(dst) for _, dst in plan if dst.exists()]
    if existing and not force:
        fail(f"{existing[0]}: already exists (use --force to overwrite)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for s_, dst in plan:
            _copy_no_follow(s_, dst)
            click.echo(f"wrote {dst}", err=True)
    except OSError as exc:
        fail(f"{target}: cannot write: {exc.strerror}")


def _copy_no_follow(src: Path, dst: Path) -> None:
    # O_NOFOLLOW: a link made at `dst` after the check above still fails (ELOOP) instead of
    # writing wherever it points
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(src.read_bytes())


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
        print_error(exc)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except BrokenPipeError:
        return 0
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
