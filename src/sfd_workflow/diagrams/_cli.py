"""The ``render`` and ``slides`` commands; ``cli.py`` adds them to the ``sfd-workflow`` group.

Thin: they load files, call the public functions of this package and turn every error
into one line on standard error with exit status 2 (the CLI's convention).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sfd_workflow._cli_kit import Choice, fail, fail_load, lang_option, pick
from sfd_workflow._eventlog import read_event_lines
from sfd_workflow._roster import load_roster
from sfd_workflow._spec._loader import load_spec
from sfd_workflow.diagrams import _api as diagrams
from sfd_workflow.diagrams._api import DEFAULT_FONT, VIEWS
from sfd_workflow.diagrams._critical import WEIGHTS
from sfd_workflow.diagrams._deck import _pptx_part
from sfd_workflow.diagrams._diagram import Diagram, format_of
from sfd_workflow.diagrams._progress import runtime_from_lines
from sfd_workflow.diagrams._render import FORMATS
from sfd_workflow.diagrams._slides import build_deck
from sfd_workflow.errors import LoadError, SfdWorkflowError

__all__ = ["render_command", "slides_command"]


def _load(spec_arg: str, roster_arg: str | None, events_arg: str | None) -> tuple[Any, Any]:
    """The spec, and a runtime that judged EVENTS when both ROSTER and EVENTS are given."""
    if (roster_arg is None) != (events_arg is None):
        fail("--roster and --events go together: give both or neither")
    try:
        spec = load_spec(spec_arg)
        if roster_arg is None or events_arg is None:
            return spec, None
        roster = load_roster(roster_arg, spec)
        lines = read_event_lines(events_arg)
        return spec, runtime_from_lines(spec, roster, lines)
    except LoadError as exc:
        fail_load(exc)
    except SfdWorkflowError as exc:
        fail(str(exc))


def _diagram(view: str, spec: Any, rt: Any, kind: str | None, unit: str | None,
             lang: str, weight: str, font: str,
             phase: str | None = None, steps: tuple[str, ...] = ()) -> Diagram:
    if (phase is not None or steps) and view != "machine":
        fail("--phase and --step go with --view machine")
    if kind is not None:
        pick("--kind", kind, spec.unit_kinds, "unit kind")
    if phase is not None:
        pick("--phase", phase, (p.id for p in spec.phases), "phase")
    for step in steps:
        pick("--step", step, (st.id for st in spec.steps), "step")
    if unit is not None and rt is not None:
        pick("--unit", unit, rt.unit_ids(), "unit")
    if view == "machine":
        if kind is None:
            fail(f"--view machine needs --kind: one of {', '.join(spec.unit_kinds)}")
        return diagrams.machine(spec, kind, lang=lang, fontname=font, phase=phase,
                                steps=steps or None)
    if view == "dependencies":
        return diagrams.dependencies(spec, lang=lang, weight=weight, fontname=font)
    if view == "overview":
        return diagrams.overview(spec, lang=lang, runtime=rt, fontname=font)
    if rt is None:
        fail(f"--view {view} needs --roster R --events E")
    if view == "progress":
        return diagrams.progress(rt, lang=lang, fontname=font)
    if unit is None:
        fail(f"--view unit needs --unit: one of {', '.join(list(rt.unit_ids())[:10])}")
    return diagrams.unit(rt, unit, lang=lang, fontname=font)


@click.command(name="render")
@click.argument("spec")
@click.option("--view", type=Choice(VIEWS), default="overview", show_default=True,
              help="What to draw.")
@click.option("--kind", default=None, help="Unit kind (for --view machine).")
@click.option("--phase", default=None,
              help="Only this phase's steps (for --view machine; fits a slide).")
@click.option("--step", "steps", multiple=True,
              help="Only this step (for --view machine; repeat for more).")
@click.option("--roster", "roster_path", metavar="R", default=None,
              help="Roster (for unit/progress; with overview: units counted per step).")
@click.option("--events", "events_path", metavar="E", default=None, help="Event log (JSON Lines).")
@click.option("--unit", default=None, help="Unit id (for --view unit).")
@click.option("--format", "fmt", type=Choice(FORMATS), default=None,
              help="Output format (default: from the suffix of -o).")
@lang_option()
@click.option("--weight", type=Choice(WEIGHTS), default="auto", show_default=True,
              help="Critical-path weights (for --view dependencies).")
@click.option("--font", default=DEFAULT_FONT, show_default=True,
              help="A font family with Chinese glyphs.")
@click.option("-o", "--output", required=True, help="Output file, or - for standard output.")
def render_command(spec: str, view: str, kind: str | None, phase: str | None,
                   steps: tuple[str, ...], roster_path: str | None,
                   events_path: str | None, unit: str | None, fmt: str | None, lang: str,
                   weight: str, font: str, output: str) -> None:
    """Draw one view of SPEC as SVG, PNG (1920 px wide), PDF, DOT or Mermaid."""
    if fmt is None:
        if output == "-":
            fail("writing to standard output needs --format")
        try:
            fmt = format_of(output)
        except ValueError as exc:
            fail(str(exc))
    s, rt = _load(spec, roster_path, events_path)
    try:
        diagram = _diagram(view, s, rt, kind, unit, lang, weight, font, phase, steps)
        data = diagram.render(fmt)
    except (SfdWorkflowError, ValueError, RuntimeError) as exc:
        fail(str(exc))
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror}")
    click.echo(f"wrote {output} ({view}, {fmt}, {len(data)} bytes)", err=True)


@click.command(name="slides")
@click.argument("spec")
@click.option("-o", "--output", required=True, help="The .pptx file to write.")
@click.option("--roster", "roster_path", metavar="R", default=None,
              help="Roster: with --events, adds progress slides.")
@click.option("--events", "events_path", metavar="E", default=None, help="Event log (JSON Lines).")
@click.option("--kind", default=None,
              help="Unit kind whose state machine the phase slides show "
                   "(default: the first kind that skips no step).")
@lang_option()
@click.option("--font", default=DEFAULT_FONT, show_default=True,
              help="A font family with Chinese glyphs.")
def slides_command(spec: str, output: str, roster_path: str | None, events_path: str | None,
                   kind: str | None, lang: str, font: str) -> None:
    """Write a training deck for SPEC (python-pptx): overview, timeline, phases, steps."""
    s, rt = _load(spec, roster_path, events_path)
    if kind is not None:
        pick("--kind", kind, s.unit_kinds, "unit kind")
    try:
        path = build_deck(s, output, lang=lang, runtime=rt, fontname=font, kind=kind)
    except (SfdWorkflowError, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror}")
    pptx = _pptx_part("pptx")  # build_deck succeeded, so the extra is installed
    count = len(pptx.Presentation(str(path)).slides)
    click.echo(f"wrote {path} ({count} slides)", err=True)
