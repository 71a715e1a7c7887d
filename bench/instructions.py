"""Instructions per event, counted by valgrind's callgrind: a ratio that load cannot move.

Wall-clock ratios on a shared 2-core machine move by ±40 %; callgrind counts the machine
instructions a run executes, the same count twice for the same inputs. This script runs the
benchmark workflow (`_baselines.py`: 16 states, one role guard per event) three times under
callgrind — set-up only, set-up + `Runtime.submit` on every event, set-up + the shared bare
`transitions` machine (peer b) on the same events — and prints instructions per event and
the ratio ours ÷ (b).

    python bench/instructions.py [--units N]   # needs valgrind (Debian: valgrind)
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))


def _workload(mode: str, units: int) -> None:
    from _baselines import TransitionsShared, event_documents, roster_document, spec_document

    import sfd_workflow as sfd

    events = event_documents(units, units * 3)
    roster_doc = roster_document(units)
    if mode == "create-ours":
        spec = sfd.spec_from_document(spec_document())
        compiled = sfd.compile_workflow(spec)
        roster = sfd.roster_from_document(roster_doc, spec)
        sfd.Runtime(compiled, roster, keep_log=False)
        return
    if mode == "create-bare":
        sfd.roster_from_document(roster_doc, sfd.spec_from_document(spec_document()))
        TransitionsShared().create(roster_doc)
        return
    if mode == "create-none":
        spec = sfd.spec_from_document(spec_document())
        sfd.compile_workflow(spec)
        sfd.roster_from_document(roster_doc, spec)
        return
    if mode == "ours":
        spec = sfd.spec_from_document(spec_document())
        rt = sfd.Runtime(sfd.compile_workflow(spec), sfd.roster_from_document(roster_doc, spec),
                         keep_log=False)
        accepted = sum(rt.submit(e).accepted for e in events)
    elif mode == "bare":
        peer = TransitionsShared()
        world = peer.create(roster_doc)
        accepted = peer.fire(world, events)
    else:
        # the same set-up as both: documents built, spec loaded, nothing fired
        import transitions  # noqa: F401

        sfd.roster_from_document(roster_doc, sfd.spec_from_document(spec_document()))
        accepted = len(events)
    if accepted != len(events):
        msg = f"{mode}: {accepted} of {len(events)} events accepted"
        raise SystemExit(msg)


def _count(mode: str, units: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             __file__, "--run", mode, "--units", str(units)],
            capture_output=True, text=True, check=False)
        found = re.search(r"Collected : (\d+)", run.stderr)
        if run.returncode != 0 or not found:
            raise SystemExit(f"callgrind failed for {mode}:\n{run.stderr[-2000:]}")
        return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--run", choices=("none", "ours", "bare", "create-none", "create-ours",
                                          "create-bare"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        _workload(args.run, args.units)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    n_events = args.units * 3
    base = _count("none", args.units)
    ours = (_count("ours", args.units) - base) / n_events
    bare = (_count("bare", args.units) - base) / n_events
    print(f"instructions per event over {n_events:,} events ({args.units:,} units), "
          "set-up subtracted:")
    print(f"  ours: Runtime.submit                 {ours:>10,.0f}")
    print(f"  (b) shared transitions machine       {bare:>10,.0f}")
    print(f"  ratio ours ÷ (b)                     {ours / bare:>10.2f}   target ≤ 1.5")
    made = _count("create-none", args.units)
    ours_c = (_count("create-ours", args.units) - made) / args.units
    bare_c = (_count("create-bare", args.units) - _count("none", args.units)) / args.units
    print(f"instructions per unit created ({args.units:,} units; roster loading subtracted):")
    print(f"  ours: Runtime(compiled, roster)      {ours_c:>10,.0f}")
    print(f"  (b) a __slots__ unit per roster unit {bare_c:>10,.0f}")
    print(f"  ratio ours ÷ (b)                     {ours_c / bare_c:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
