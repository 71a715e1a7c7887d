"""``sfd-workflow store ...``: the event store on the command line.

Importing this module does not import SQLAlchemy (the ``store`` extra); each command does.
Machine output goes to standard output (JSON Lines, CSV, XES), one human line to standard
error; unusable input exits 2 with a one-line message, a broken chain makes ``verify`` exit 1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .._cli_kit import Choice, fail, load_roster_arg, load_spec_arg
from .._eventlog import read_event_lines
from .._extras import require
from ..errors import LoadError, MissingExtraError, SfdWorkflowError

if TYPE_CHECKING:
    from ._store import EventStore

__all__ = ["store_group"]

_URL = click.option("--url", envvar="SFD_STORE_URL", required=True, metavar="URL",
                    help="sqlite:///path.db or postgresql+psycopg://user:pw@host/db "
                         "(default: $SFD_STORE_URL).")


def _fail(message: str) -> NoReturn:
    fail(message)


def _store_module(module: str = "sfd_workflow.store._store") -> Any:
    """`module` of the event store through the gate; a missing extra fails the command."""
    try:
        return require(module, feature="the event store", extra="store")
    except MissingExtraError as exc:
        _fail(str(exc))


def _open(url: str, **options: Any) -> EventStore:
    mod = _store_module()
    try:
        store: EventStore = mod.EventStore.open(url, **options)
    except SfdWorkflowError as exc:
        _fail(str(exc))
    return store


@click.group(name="store")
def store_group() -> None:
    """A durable event store on SQLite or PostgreSQL: init, submit, import, status, verify,
    export."""


@store_group.command()
@_URL
@click.argument("spec")
@click.argument("roster")
def init(url: str, spec: str, roster: str) -> None:
    """Create a store at URL judging by SPEC and ROSTER."""
    mod = _store_module()
    s = load_spec_arg(spec)
    r = load_roster_arg(roster, s)
    try:
        store = mod.EventStore.create(url, s, r)
    except SfdWorkflowError as exc:
        _fail(str(exc))
    with store:
        click.echo(f"{store.url}: created a store for spec {s.id} "
                   f"(sha256:{store.spec_sha256[:12]}), {len(r)} units", err=True)


def _event_lines(source: str) -> Iterator[str]:
    if source == "-":
        for line in sys.stdin:
            yield line.rstrip("\n").rstrip("\r")
        return
    try:
        lines = read_event_lines(source)
    except LoadError as exc:
        _fail(str(exc))
    yield from lines


#: as `replay --lang`: the language of each line's "detail" (what is wrong)
_DETAIL_LANG = click.option("--lang", type=Choice(["zh", "en"]), default="zh", show_default=True,
                            help="Language of each line's \"detail\" (what is wrong).")


@store_group.command()
@_URL
@click.argument("events", required=False)
@click.option("--event", "one", metavar="JSON", help="Submit this one event (a JSON object).")
@click.option("--snapshot-every", "snapshot_every", type=click.IntRange(min=0), default=100,
              show_default=True,
              help="Persist a unit's state after every K of its accepted events (0: never).")
@click.option("--max-skew", "max_skew", type=click.IntRange(min=0, max=10**9), default=10,
              show_default=True, metavar="MINUTES",
              help="Reject as `future` an event dated more than this after the store's clock.")
@_DETAIL_LANG
def submit(url: str, events: str | None, one: str | None, snapshot_every: int,
           max_skew: int, lang: str) -> None:
    """Judge and store each line of EVENTS (a JSON Lines file, - for stdin), or --event.

    Writes one JSON object a line, as `replay` does: line, unit, event, verdict, reason, late.
    """
    if (events is None) == (one is None):
        _fail("give either EVENTS (a file, or - for standard input) or --event JSON")
    prepare = _store_module("sfd_workflow.store._records").prepare
    lines: Iterator[str] = iter([one]) if one is not None else _event_lines(events or "-")
    with _open(url, snapshot_every=snapshot_every) as store:
        store.max_skew = dt.timedelta(minutes=max_skew)
        written = _Written(lang)
        for n, line in enumerate(lines, 1):
            try:
                verdict = store.submit(line)
            except SfdWorkflowError as exc:
                _fail(f"line {n}: {exc}")
            written.line(n, prepare(line), verdict)
        written.summary(store.url)


class _Written:
    """The output of submit and import: one JSON object a line, and a summary line."""

    def __init__(self, lang: str) -> None:
        self.counts: dict[str, int] = {}
        self.lang = lang

    def line(self, n: int, attempt: Any, verdict: Any) -> None:
        malformed = str(verdict.reason) == "malformed" and getattr(
            verdict, "conflict", None) is None
        out = {"line": n, "unit": None if malformed else attempt.unit,
               "event": None if malformed else attempt.event, **verdict.to_json(),
               "detail": verdict.detail_in(self.lang)}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        if getattr(verdict, "duplicate_of", None) is not None:
            key = "already stored"
        else:
            key = "accepted" if verdict.accepted else str(verdict.reason)
        self.counts[key] = self.counts.get(key, 0) + 1

    def summary(self, url: str) -> None:
        sys.stdout.flush()
        text = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        click.echo(f"{url}: {sum(self.counts.values())} events: {text or 'none'}", err=True)


@store_group.command(name="import")
@_URL
@click.argument("events")
@click.option("--batch", type=click.IntRange(min=1), default=500, show_default=True,
              help="Events judged and written in one transaction.")
@click.option("--snapshot-every", "snapshot_every", type=click.IntRange(min=0), default=100,
              show_default=True,
              help="Persist a unit's state after every K of its accepted events (0: never).")
@_DETAIL_LANG
def import_(url: str, events: str, batch: int, snapshot_every: int, lang: str) -> None:
    """Judge and store every line of EVENTS (a JSON Lines file, - for stdin) in batches.

    Stores exactly what `submit` would, one transaction a batch; bad lines are judged and
    audited and never stop the import. Lines with an "id" can be imported again after an
    interruption: ids already stored are answered, not stored twice. Writes one JSON object
    a line, as `submit` does; a progress bar on standard error when it is a terminal.
    """
    lines = list(_event_lines(events))
    with _open(url, snapshot_every=snapshot_every) as store, _progress(len(lines)) as bar:
        written = _Written(lang)
        n = 0
        try:
            for attempts, verdicts in store._stream_attempts(lines, batch):
                for attempt, verdict in zip(attempts, verdicts, strict=True):
                    n += 1
                    written.line(n, attempt, verdict)
                bar(len(verdicts))
        except SfdWorkflowError as exc:
            _fail(f"lines {n + 1}-{min(n + batch, len(lines))}: {exc} "
                  f"(lines 1-{n} are stored)")
        written.summary(store.url)


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error when it is a terminal (tqdm, in the `store` extra);
    otherwise nothing."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    try:
        tqdm = require("tqdm", feature="the progress bar", extra="store").tqdm
    except MissingExtraError:  # pragma: no cover - tqdm ships with the store extra
        yield lambda _n: None
        return
    with tqdm(total=total, unit="event", file=sys.stderr) as bar:
        yield bar.update


@store_group.command()
@_URL
@click.option("--as-of", "as_of", metavar="DATETIME",
              help="Judge overdue steps at this ISO date-time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per unit.")
def status(url: str, as_of: str | None, as_json: bool) -> None:
    """A progress table of every unit: steps done, current, overdue, what blocks them."""
    when = None
    if as_of is not None:
        try:
            when = dt.datetime.fromisoformat(as_of)
        except ValueError:
            _fail(f"--as-of: not an ISO 8601 date-time: {as_of!r}")
    with _open(url) as store:
        try:
            rows = store.status(when)
        except SfdWorkflowError as exc:
            _fail(str(exc))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.to_json(), ensure_ascii=False))
        return
    click.echo(f"{'unit':<16} {'kind':<14} {'done':>7} {'events':>6}  current / overdue / waiting")
    for row in rows:
        current = ", ".join(row.current) or "—"
        over = f"  overdue: {', '.join(row.overdue)}" if row.overdue else ""
        if row.outside_window:
            over += f"  outside the plan's months: {row.outside_window}"
        wait = "".join(f"  [{k}] {v}" for k, v in row.waiting.items())
        click.echo(f"{row.unit:<16} {row.kind:<14} {row.done:>3}/{row.total:<3} "
                   f"{row.events:>6}  {current}{over}{wait}")


@store_group.command()
@_URL
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--replay/--no-replay", default=None,
              help="Also judge every event again and compare every snapshot (slower; "
                   "default: only with --dask).")
@click.option("--anchor", "anchor_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also check against this anchor (the \"anchor\" of an earlier --json).")
@click.option("--dask", "dask", metavar="ADDRESS",
              help="Do the chain and replay checks on this Dask scheduler, split by root "
                   "subtree (implies --replay unless --no-replay; extra `dask`).")
def verify(url: str, as_json: bool, replay: bool | None, anchor_file: Path | None,
           dask: str | None) -> None:
    """Check every chain, counter and snapshot; exit 1 when anything was altered."""
    read_anchor = _store_module("sfd_workflow.store._verify").read_anchor
    verify_store = _store_module("sfd_workflow.store._verify_url").verify_store

    anchor = None
    if anchor_file is not None:
        try:
            anchor = json.loads(anchor_file.read_text(encoding="utf-8"))
            read_anchor(anchor)
        except OSError as exc:
            _fail(f"{anchor_file}: cannot read: {exc.strerror}")
        except (ValueError, SfdWorkflowError) as exc:  # not JSON, or not an anchor
            _fail(f"{anchor_file}: {exc}")
        except RecursionError:
            _fail(f"{anchor_file}: not an anchor: nested too deep")
    try:
        report = verify_store(url, anchor, replay=replay, dask=dask)
    except SfdWorkflowError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "units": report.units, "events": report.events,
                               "snapshots": report.snapshots, "replayed": report.replayed,
                               "digest": report.digest, "anchor": report.anchor(),
                               "broken": [{"unit": b.unit, "seq": b.seq, "problem": b.problem}
                                          for b in report.broken]}, ensure_ascii=False))
    else:
        for line in report.lines():
            click.echo(line)
    if not report.ok:
        sys.exit(1)


@store_group.command()
@_URL
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xes"]), default="jsonl",
              show_default=True, help="JSON Lines (replayable), CSV, or XES (process mining).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
def export(url: str, fmt: str, output: Path | None) -> None:
    """Write the accepted events in commit order."""
    with _open(url) as store:
        try:
            n = store.export(fmt, output if output is not None else sys.stdout)
        except SfdWorkflowError as exc:
            _fail(str(exc))
        sys.stdout.flush()
        click.echo(f"{store.url}: exported {n} events as {fmt}"
                   + (f" to {output}" if output else ""), err=True)
