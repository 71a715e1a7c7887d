"""The docs run: every block shown with its output prints exactly that, and links resolve.

A newcomer follows README.md → docs/getting-started.md → docs/format.md and types what they
show. Each ``console`` and ``pycon`` block (see `support.markdown`) runs here, in a fresh
directory per document shared by that document's blocks in order, with the checkout's
``sfd-workflow`` on the PATH.
"""

from __future__ import annotations

import doctest
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import sfd_workflow
from support.markdown import (
    ROOT,
    Block,
    anchors,
    blocks,
    console_commands,
    doc_files,
    links,
    matches,
)

RUNNABLE = ("console", "pycon")


def _runnable(path: Path) -> list[Block]:
    return [b for b in blocks(path) if b.lang in RUNNABLE]


DOCS_WITH_BLOCKS = [p for p in doc_files() if _runnable(p)]


def _shell_env(tmp: Path) -> dict[str, str]:
    """PATH with an ``sfd-workflow`` that runs this checkout's package."""
    bindir = tmp / ".bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / "sfd-workflow"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sfd_workflow "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    src = str(Path(sfd_workflow.__file__).parents[1])
    return {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": src, "PYTHONUNBUFFERED": "1", "COLUMNS": "100",
            "SFD_DOCS_TEST": "1"}


def _run_console(block: Block, cwd: Path, env: dict[str, str]) -> None:
    for cmd in console_commands(block):
        done = subprocess.run(["bash", "-c", cmd.command], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=600, check=False)
        assert matches(cmd.expected, done.stdout), (
            f"{block.where}: `$ {cmd.command}` printed:\n{done.stdout}\n"
            f"but the doc shows:\n{cmd.expected}")


def _run_pycon(block: Block, globs: dict[str, object]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.text, globs, block.where, str(block.path), block.line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append, clear_globs=False)
    assert runner.failures == 0, "".join(out)


@pytest.mark.parametrize("doc", DOCS_WITH_BLOCKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_block_shown_with_output_prints_it(doc: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Each console and pycon block of the document, run in order in one directory, prints
    what the document shows."""
    env = _shell_env(tmp_path)
    monkeypatch.chdir(tmp_path)
    globs: dict[str, object] = {"__name__": "__docs__"}
    for block in _runnable(doc):
        if block.lang == "console":
            _run_console(block, tmp_path, env)
        else:
            _run_pycon(block, globs)


def _link_problems(doc: Path) -> list[str]:
    problems = []
    for line, target in links(doc):
        if "://" in target or target.startswith("mailto:"):
            continue
        file_part, _, anchor = target.partition("#")
        dest = doc if not file_part else (doc.parent / file_part).resolve()
        if not dest.exists():
            problems.append(f"{doc.relative_to(ROOT)}:{line}: {target}: no such file")
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{doc.relative_to(ROOT)}:{line}: {target}: no heading "
                            f"'#{anchor}' in {dest.relative_to(ROOT)}")
    return problems


def test_every_relative_link_and_anchor_resolves() -> None:
    """Every relative link of the docs names a file of the repository, and every anchor a
    heading of that file."""
    problems = [p for doc in doc_files() for p in _link_problems(doc)]
    assert not problems, "\n".join(problems)


def test_the_newcomers_path_has_runnable_blocks() -> None:
    """README, getting started and the format reference each show commands with output
    (so the test above is not vacuous for the path a newcomer takes)."""
    for name in ("README.md", "docs/getting-started.md", "docs/format.md"):
        assert _runnable(ROOT / name), f"{name} shows no command with its output"


def test_docs_cite_only_what_is_in_the_repository() -> None:
    """No doc or comment sends the reader to what is not in the repository (the team's
    reference notes and its issue tracker live outside it)."""
    outside = ("NOTES.md", "STYLE.md", "SPEC-FORMAT", "BRIEF.md", "../shared", "issue 2",
               "issue 3", "issue 6", "issue 9", "issue 10", "issue 12", "issue 13")
    files = [*doc_files(), *sorted((ROOT / "src").rglob("*.py")),
             *sorted((ROOT / "src").rglob("*.yaml")),
             *sorted((ROOT / "bench").glob("*.py")), ROOT / "Makefile", ROOT / ".ci" / "run"]
    hits = [f"{f.relative_to(ROOT)}:{n}: {word}"
            for f in files
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            for word in outside if word in line
            # the changelog records which issue each change answered
            and not (f.name == "CHANGELOG.md" and word.startswith("issue"))]
    assert not hits, "\n".join(hits)
