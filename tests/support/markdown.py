"""Reading the runnable parts of the Markdown docs: fenced blocks, links and headings.

A block is *runnable* when it shows its output:

- ```` ```console ```` — a shell session: lines starting with ``$ `` are commands (a line
  ending in ``\\`` continues on the next), the lines after a command up to the next ``$ `` are
  what it prints (standard output and standard error, as a terminal shows them).
- ```` ```pycon ```` — a Python session in doctest form (``>>>`` and ``...`` prompts).

In expected output, a line ``...`` stands for any number of lines and ``...`` inside a line
for any text (doctest's ELLIPSIS). Other blocks (``yaml``, ``python``, ``sh`` without output)
are illustrations and are not run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)[^\n]*$")
_LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|"
                   r"!\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: its file, first line (1-based, the fence), language and text."""

    path: Path
    line: int
    lang: str
    text: str

    @property
    def where(self) -> str:
        """``docs/x.md:12`` for messages and test ids."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> list[Path]:
    """The Markdown files a reader follows: README, ARCHITECTURE, CHANGELOG and docs/."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += [p for p in (ROOT / "ARCHITECTURE.md", ROOT / "CHANGELOG.md") if p.exists()]
    return files


def blocks(path: Path) -> Iterator[Block]:
    """Every fenced block of `path`, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(2), m.group(3), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        yield Block(path, start + 1, lang, "\n".join(body) + "\n")
        i += 1


@dataclass(frozen=True)
class Command:
    """One ``$`` command of a console block and the output shown after it."""

    command: str
    expected: str


def console_commands(block: Block) -> list[Command]:
    """The commands of a ``console`` block with their expected output."""
    out: list[Command] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            msg = f"{block.where}: output before the first '$ ' command: {line!r}"
            raise ValueError(msg)
        cmd = line[2:]
        while cmd.endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd = cmd[:-1] + " " + lines[i].strip()
        i += 1
        shown: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        out.append(Command(cmd, "\n".join(shown)))
    return out


def matches(expected: str, actual: str) -> bool:
    """Whether `actual` is what `expected` shows, with ``...`` as a wildcard."""
    pattern = []
    for line in expected.strip("\n").splitlines():
        if line.strip() == "...":
            pattern.append(r"(?:.*\n)*?")
            continue
        parts = [re.escape(p) for p in line.rstrip().split("...")]
        pattern.append(r"[^\n]*".join(parts) + r"[ \t]*\n")
    text = "\n".join(x.rstrip() for x in actual.strip("\n").splitlines()) + "\n"
    if not expected.strip():
        return not actual.strip()
    return re.fullmatch("".join(pattern), text) is not None


def links(path: Path) -> Iterator[tuple[int, str]]:
    """(line, target) of every Markdown link and image in `path`, outside code blocks."""
    in_code = False
    fence = ""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _FENCE.match(line)
        if m and (not in_code or line.strip().startswith(fence)):
            in_code, fence = (not in_code), m.group(2)
            continue
        if in_code:
            continue
        for lm in _LINK.finditer(re.sub(r"`[^`]*`", "", line)):
            yield n, lm.group(1) or lm.group(2)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading).strip().lower()
    kept = "".join(c for c in text
                   if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of every heading of `path` (repeated headings get -1, -2, …)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            in_code = not in_code
            continue
        m = None if in_code else _HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        k = seen.get(base, 0)
        seen[base] = k + 1
        out.add(base if k == 0 else f"{base}-{k}")
    return out
