"""The ``report`` command; ``cli.py`` adds it to the ``sfd-workflow`` group.

Thin: it loads the files (with the command-line kit) or opens the store, calls
`build_report` and turns every error into one line on standard error with exit status 2.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from sfd_workflow._cli_kit import (
    fail,
    lang_option,
    load_roster_arg,
    load_spec_arg,
    read_events_arg,
)
from sfd_workflow.errors import SfdWorkflowError
from sfd_workflow.report._report import MAX_UNITS, build_report, report_from_store

__all__ = ["report_command"]


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of: not a date (YYYY-MM-DD): {value!r}")


@click.command(name="report")
@click.argument("files", nargs=-1, metavar="[SPEC ROSTER EVENTS]")
@click.option("--url", default=None, help="Report the event store at this database URL.")
@click.option("--out", "-o", "out", required=True, metavar="FILE", help="The HTML file.")
@lang_option("Language of the page.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Report the campaign as it stood at the end of this day (YYYY-MM-DD).")
@click.option("--max-units", type=click.IntRange(min=0), default=MAX_UNITS, show_default=True,
              help="Above this many units show aggregates only.")
@click.option("--no-diagrams", is_flag=True, help="Leave the pictures out (no Graphviz).")
def report_command(files: tuple[str, ...], url: str | None, out: str, lang: str,
                   as_of: str | None, max_units: int, no_diagrams: bool) -> None:
    """Write a self-contained HTML progress report of SPEC ROSTER EVENTS, or of --url."""
    day = _as_of(as_of)
    if not ((url is None and len(files) == 3) or (url is not None and not files)):
        fail("give SPEC ROSTER EVENTS, or --url URL (not both)")
    options: dict[str, Any] = {"lang": lang, "as_of": day, "max_units": max_units,
                               "diagrams": not no_diagrams}
    try:
        if url is not None:
            page = report_from_store(url, **options)
        else:
            spec = load_spec_arg(files[0])
            roster = load_roster_arg(files[1], spec)
            page = build_report(spec, roster, read_events_arg(files[2]), source=files[2],
                                **options)
        page.save(out)
    except SfdWorkflowError as exc:
        fail(str(exc).replace("\n", " "))
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror}")
    size = len(page.html.encode("utf-8"))
    bad = page.intake.bad_count
    click.echo(f"wrote {out} ({page.units} units, {size / 1e6:.1f} MB"
               f"{f', {bad} event-log lines changed nothing' if bad else ''})", err=True)
