"""Loader speed: the whole `load_spec` / `load_roster` call beside the bare parser (the floor).

    python bench/bench_loaders.py [--units N] [--repeats N]

Lines, each the best of --repeats wall-clock runs:

- the built-in spec (YAML): `load_spec("builtin:xuhui-edu-2009")` beside PyYAML's pure-Python
  `yaml.load(text, SafeLoader)` of the same file (our loader is built on it, adding line
  marks, duplicate keys, limits, reading and linking);
- a roster of --units units (4 people each) as YAML and as JSON: `load_roster(path, spec)`
  beside `yaml.load` / `json.loads` of the file;
- hostile files: the 307-byte "billion laughs" (9 aliases a level, 8 levels) and a nesting
  of 100,000 "[": the time to the one-line error.

Prints a table with the ratio to the floor. Numbers move ±40 % on a shared machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

import yaml

import sfd_workflow as sw
from sfd_workflow._spec._builtin import builtin_path
from sfd_workflow.errors import SfdWorkflowError

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))


def best(fn: Callable[[], object], repeats: int) -> float:
    """The best wall-clock time of `repeats` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with contextlib.suppress(SfdWorkflowError):
            fn()
        times.append(time.perf_counter() - start)
    return min(times)


def roster_document(units: int) -> dict[str, object]:
    """`units` schools of 4 people each, with the roles of the built-in spec."""
    return {"units": [{"id": f"u{i:06d}", "kind": "school", "people": [
        {"id": f"p{i}-{k}", "roles": ["secretary", "member"] if k == 0 else ["member"]}
        for k in range(4)]} for i in range(units)]}


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-hostile", action="store_true",
                        help="Leave out the hostile files (to measure a version without "
                             "limits, where they take gigabytes).")
    args = parser.parse_args()
    spec = sw.load_spec("builtin:xuhui-edu-2009")
    spec_text = builtin_path("xuhui-edu-2009").read_text(encoding="utf-8")
    rows: list[tuple[str, float, str, float | None]] = []
    rows.append(("load_spec builtin (YAML)",
                 best(lambda: sw.load_spec("builtin:xuhui-edu-2009"), args.repeats),
                 "yaml.load SafeLoader",
                 best(lambda: yaml.load(spec_text, Loader=yaml.SafeLoader), args.repeats)))
    with tempfile.TemporaryDirectory(prefix="bench-loaders-") as d:
        doc = roster_document(args.units)
        ypath, jpath = Path(d) / "roster.yaml", Path(d) / "roster.json"
        ypath.write_text(yaml.safe_dump(doc), encoding="utf-8")
        jpath.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        ytext, jtext = ypath.read_text(), jpath.read_text()
        rows.append((f"load_roster {args.units} units (YAML)",
                     best(lambda: sw.load_roster(ypath, spec), args.repeats),
                     "yaml.load SafeLoader",
                     best(lambda: yaml.load(ytext, Loader=yaml.SafeLoader), args.repeats)))
        rows.append((f"load_roster {args.units} units (JSON)",
                     best(lambda: sw.load_roster(jpath, spec), args.repeats),
                     "json.loads", best(lambda: json.loads(jtext), args.repeats)))
        hostile = (("billion laughs, 307 bytes", LAUGHS),
                   ("100,000 nested '['", "a: " + "[" * 100_000))
        for name, text in () if args.skip_hostile else hostile:
            path = Path(d) / "hostile.yaml"
            path.write_text(text, encoding="utf-8")
            rows.append((f"load_spec {name}: error",
                         best(lambda path=path: sw.load_spec(path), args.repeats), "", None))
    print(f"{'call':45} {'seconds':>9}  {'floor':24} {'seconds':>9} {'ratio':>6}")
    for call, secs, floor, floor_secs in rows:
        ratio = f"{secs / floor_secs:6.2f}" if floor_secs else ""
        floor_text = f"{floor_secs:9.4f}" if floor_secs is not None else ""
        print(f"{call:45} {secs:9.4f}  {floor:24} {floor_text:>9} {ratio:>6}")


if __name__ == "__main__":
    main()
