"""``sfd-workflow diff`` and ``sfd-workflow migrate {plan,check}``: spec versions on the CLI.

Unusable input exits 2 with one line naming the file (and line); ``migrate check`` exits 1
when the plan is incomplete for the units, listing what is missing with file:line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ._cli_kit import (
    compile_arg,
    fail,
    fail_load,
    lang_option,
    load_roster_arg,
    load_spec_arg,
    read_events_arg,
)
from ._diff import diff
from ._engine import Runtime, replay
from ._extras import require
from ._plan import auto_plan, load_plan, same_spec
from ._spec._reader import suggest
from .errors import LoadError, MissingExtraError, SfdWorkflowError

__all__ = ["diff_command", "migrate_group", "split_units", "store_migrate_command",
           "unknown_units"]

_LANG = lang_option("Language of the sentences.")


@click.command(name="diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_LANG
def diff_command(old: str, new: str, as_json: bool, lang: str) -> None:
    """What changed from spec OLD to spec NEW, each change safe or needing a plan."""
    d = diff(load_spec_arg(old), load_spec_arg(new))
    if as_json:
        click.echo(json.dumps(d.to_json(), ensure_ascii=False))
        return
    for line in d.lines(lang):
        click.echo(line)


@click.group(name="migrate")
def migrate_group() -> None:
    """Move units under way from one version of a spec to another (docs/migration.md)."""


@migrate_group.command(name="plan")
@click.argument("old")
@click.argument("new")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the plan here (default: standard output).")
@click.option("--force", is_flag=True, help="Overwrite an existing OUTPUT.")
def plan_command(old: str, new: str, output: Path | None, force: bool) -> None:
    """Write a plan mapping every same id of OLD to NEW; `null` marks what is yours to decide."""
    plan = auto_plan(load_spec_arg(old), load_spec_arg(new))
    text = plan.to_yaml()
    undecided = len(plan.missing())
    if output is None:
        click.echo(text, nl=False)
    else:
        if output.exists() and not force:
            fail(f"{output}: already exists (use --force to overwrite)")
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"{output}: cannot write: {exc.strerror}")
    click.echo(f"{output or 'plan'}: {undecided} item{'s' if undecided != 1 else ''} "
               "to decide", err=True)


def split_units(values: Sequence[str]) -> list[str]:
    """``--units a,b --units c`` → ``[a, b, c]``."""
    return [u for v in values for u in v.split(",") if u]


def unknown_units(units: Sequence[str], known: Any, where: str) -> None:
    """Fail (exit 2) on the first of `units` not in `known`."""
    missing = [u for u in units if u not in known]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        fail(f"--units: no unit '{missing[0]}' in {where}{more}"
             f"{suggest(missing[0], [str(k) for k in known])}")


@migrate_group.command(name="check")
@click.argument("old")
@click.argument("new")
@click.argument("plan")
@click.option("--roster", "roster_path", metavar="R", help="The units (with --events).")
@click.option("--events", metavar="LOG", help="Replay this log by OLD to find where units are.")
@click.option("--url", metavar="URL", help="The units of this event store, where they stand.")
@click.option("--units", "units", multiple=True, metavar="U[,U…]",
              help="Only these units (default: all of the roster or store).")
def check_command(old: str, new: str, plan: str, roster_path: str | None, events: str | None,
                  url: str | None, units: tuple[str, ...]) -> None:
    """Say whether PLAN is complete for the units (all possible units without --roster or
    --url)."""
    old_spec, new_spec = load_spec_arg(old), load_spec_arg(new)
    try:
        p = load_plan(plan, old_spec, new_spec)
    except LoadError as exc:
        fail_load(exc)
    snaps: dict[str, Any] | None = None
    chosen = split_units(units)
    if url is not None:
        if roster_path is not None or events is not None:
            fail("--url cannot be combined with --roster or --events")
        snaps = _store_snapshots(url, old_spec, chosen)
        what = f"{len(snaps)} unit{'s' if len(snaps) != 1 else ''}"
    elif roster_path is None:
        if events is not None or chosen:
            fail("--events and --units need --roster (or --url)")
        what = "any unit"
    else:
        roster = load_roster_arg(roster_path, old_spec)
        rt = Runtime(compile_arg(old_spec), roster, keep_log=False)
        unknown_units(chosen, roster.by_id, roster_path)
        if events is not None:
            for _ in replay(rt.compiled, roster, read_events_arg(events), runtime=rt):
                pass
        snaps = {u: rt.snapshot(u) for u in (chosen or list(rt.unit_ids()))}
        what = f"{len(snaps)} unit{'s' if len(snaps) != 1 else ''}"
    missing = p.missing(snaps)
    if not missing:
        click.echo(f"{plan}: complete for {what}")
        return
    for problem in missing:
        click.echo(str(problem))
    click.echo(f"{plan}: incomplete for {what}: {len(missing)} item"
               f"{'s' if len(missing) != 1 else ''} without a target", err=True)
    sys.exit(1)


def _store_part(module: str) -> Any:
    """A module of the event store through the gate; a missing extra fails naming it."""
    try:
        return require(module, feature="the event store", extra="store")
    except MissingExtraError as exc:
        fail(str(exc))


def _open(url: str) -> Any:
    """The event store at `url`; a missing extra or a bad store fails the command."""
    mod = _store_part("sfd_workflow.store._store")
    try:
        return mod.EventStore.open(url)
    except SfdWorkflowError as exc:
        fail(str(exc))


def _store_snapshots(url: str, old: Any, chosen: list[str]) -> dict[str, Any]:
    """Each unit's snapshot in the store at `url`; every unit chosen must be judged by `old`."""
    subtree = _store_part("sfd_workflow.store._replica").subtree
    with _open(url) as store:
        unknown_units(chosen, store.roster.by_id, store.url)
        wanted = set(chosen or store.roster.by_id)
        snaps = {}
        for root in (u.id for u in store.roster.units if u.parent is None):
            units = [u for u in subtree(store.roster, root) if u in wanted]
            if not units:
                continue
            rt = store.runtime(root)  # a runtime of the version the tree is judged by
            if not same_spec(rt.spec, old):
                fail(f"the store at {store.url} does not judge unit '{units[0]}' by "
                     f"{old.source}")
            snaps.update({u: rt.snapshot(u) for u in units})
    return snaps


@click.command(name="migrate")
@click.option("--url", envvar="SFD_STORE_URL", required=True, metavar="URL",
              help="The store (default: $SFD_STORE_URL).")
@click.option("--to", "to", required=True, metavar="NEW", help="The new version of the spec.")
@click.option("--plan", "plan_path", required=True, metavar="PLAN",
              help="The migration plan (see `sfd-workflow migrate plan`).")
@click.option("--units", "units", multiple=True, metavar="ROOT[,ROOT…]",
              help="Move only the trees of these root units (default: every unit).")
def store_migrate_command(url: str, to: str, plan_path: str, units: tuple[str, ...]) -> None:
    """Move every unit of the store, or the trees of the --units roots, to spec NEW by PLAN;
    their later events are judged by NEW, the other units' by the version they are on.

    Each moved unit's hash chain gets a migration entry; nothing is written when a unit
    named is not a root, the units are on another version than the plan's `from`, or the
    plan lacks a target some unit needs (docs/migration.md).
    """
    new = load_spec_arg(to)
    chosen = split_units(units) or None
    with _open(url) as store:  # fails naming the extra when SQLAlchemy is missing
        part = _store_part("sfd_workflow.store._migrate")
        try:
            plan = load_plan(plan_path, part.from_version(store, chosen), new)
            report = part.migrate_store(store, new, plan, units=chosen)
        except LoadError as exc:
            fail_load(exc)
        except SfdWorkflowError as exc:
            fail(str(exc))
    trees = "" if chosen is None else f" (the trees of {', '.join(report.trees)})"
    click.echo(f"{store.url}: migration {report.migration}: {report.units} units moved"
               f"{trees} from sha256:{report.from_sha256[:12]} to {new.id} "
               f"sha256:{report.to_sha256[:12]}", err=True)
