"""The main job `make demo` runs: the built-in 2009 campaign, checked, replayed and explained.

``python -m sfd_workflow.demo [OUT_DIR]`` prints a readable summary; the parts that need
optional extras (pictures, simulation) run when those extras are installed and write into
OUT_DIR (default ``out/demo``).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import click

from . import compile_workflow, diagrams, load_roster, load_spec, read_event_lines, replay, sim
from ._engine import Runtime
from ._spec._builtin import sample_paths
from ._spec._model import Spec
from .cli import main as cli_main
from .errors import SfdWorkflowError

SPEC_ID = "xuhui-edu-2009"


def _section(title: str) -> None:
    click.echo("")
    click.echo(click.style(f"== {title}", bold=True))


def _pictures(spec: Spec, rt: Runtime, unit: str | None, out_dir: Path) -> None:
    """Overview, school machine, one unit, and the deck; skipped with a reason if unavailable."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, Callable[[], diagrams.Diagram]]] = [
        ("overview.png", lambda: diagrams.overview(spec, lang="both")),
        ("machine-school.png", lambda: diagrams.machine(spec, "school", lang="both"))]
    if unit:
        jobs.append((f"unit-{unit}.svg", lambda: diagrams.unit(rt, unit, lang="both")))
    for name, make in jobs:
        try:
            make().save(out_dir / name)
            click.echo(f"wrote {out_dir / name}")
        except (SfdWorkflowError, ImportError) as exc:
            click.echo(f"skipped {name}: {exc}")
    try:
        deck = out_dir / "deck.pptx"
        diagrams.build_deck(spec, deck, runtime=rt)
        click.echo(f"wrote {deck}")
    except (SfdWorkflowError, ImportError) as exc:
        click.echo(f"skipped deck.pptx: {exc}")


def run(out_dir: Path) -> int:
    """Run the demo, writing any files into `out_dir`; return an exit status."""
    _section("1. The built-in campaign (sfd-workflow validate builtin:xuhui-edu-2009)")
    code = cli_main(["validate", f"builtin:{SPEC_ID}"])
    if code:
        return code
    spec = load_spec(f"builtin:{SPEC_ID}")
    roster_path, events_path = sample_paths(SPEC_ID)
    assert roster_path is not None and events_path is not None
    roster = load_roster(roster_path, spec)
    compiled = compile_workflow(spec)

    _section(f"2. Replaying the sample log of one school ({events_path.name})")
    rt = Runtime(compiled, roster)
    lines = read_event_lines(events_path)
    results = list(replay(compiled, roster, lines, runtime=rt))
    counts = Counter("accepted" if r.verdict.accepted else str(r.verdict.reason)
                     for r in results)
    late = sum(r.verdict.late for r in results)
    outside = sum(r.verdict.outside_window for r in results)
    unit = results[0].unit if results else None
    click.echo(f"{len(lines)} events: " + ", ".join(f"{k} {v}" for k, v in counts.items())
               + f"; {late} late; {outside} outside the plan's months")
    if unit:
        click.echo(f"final state of {unit}:")
        for step_id, state in rt.state(unit).items():
            step = spec.step_by_id[step_id]
            done = "✓" if rt.is_complete(unit, step_id) else " "
            click.echo(f"  {done} {step.title.both()}: {state}")

    _section("3. Why an event is refused (Runtime.explain)")
    others = [u for u in roster.units if u.id != unit and u.kind == "school"]
    target = others[0] if others else roster.units[0]
    member = next((p.id for p in target.people if "secretary" not in p.roles),
                  target.people[0].id)
    # the report's quorum event shows most at once: order, state and the missing reviews
    last_event = next((t.event for s, t in spec.transitions()
                       if t.guard.quorum and s.id == "report"),
                      spec.steps[-1].transitions[-1].event)
    ex = rt.explain(target.id, last_event, member, at="2009-08-31T17:00:00")
    click.echo(f"{target.id} ({target.title or target.kind}): '{last_event}' by {member} on "
               "2009-08-31:")
    for req in ex.unmet:
        click.echo(f"  - {req.reason}: {req.zh}")
        click.echo(f"    {'':{len(str(req.reason))}}  {req.en}")

    _section("4. Pictures and slides for training (sfd_workflow.diagrams)")
    _pictures(spec, rt, unit, out_dir)
    _section("5. A district of 140 units through the whole campaign (sfd_workflow.sim)")
    try:
        sim_demo = sim.demo_main  # the sim extra's packages load here
    except ImportError as exc:  # pragma: no cover - the sim extra is not installed
        click.echo(f"skipped: {exc}")
    else:
        for line in sim_demo(out_dir / "sim", n_units=140, seed=2009):
            click.echo(line)
    click.echo("")
    click.echo(f"done; files (if any) are in {out_dir}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m sfd_workflow.demo [OUT_DIR]``."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("out") / "demo"
    return run(out)


if __name__ == "__main__":
    sys.exit(main())
