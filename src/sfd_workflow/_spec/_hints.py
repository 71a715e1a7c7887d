"""Hints for the common YAML mistakes: they say what to write instead.

- A comma inside ``{…}`` ends the entry: ``{zh: 找问题, en: Find problems, criticism}`` reads
  ``criticism`` as a key of its own; quote the text.
- ``: `` inside a plain value starts a mapping (``title: Step 1: find``) or, inside ``{…}``,
  a second value; quote the text.
- A tab cannot indent YAML; use spaces. Keys of one mapping line up in one column.
- ``key:value`` without a space after the colon is one string, not a key and a value.
"""

from __future__ import annotations

import re

import yaml

__all__ = ["flow_comma_hint", "no_space_hint", "yaml_error_hint"]

_NO_SPACE = re.compile(r"([A-Za-z_][\w-]*):(?!//)(\S.*)\Z")
_LEAD = re.compile(r" *(?:- +)*")
_BLOCK_ENTRY = re.compile(r"\s*(?:-\s+)?([^\s:#\"'{\[][^:#]*?):\s+(\S.*?)\s*\Z")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.style is None


def no_space_hint(node: yaml.Node) -> str:
    """For a plain scalar ``id:review``: put a space after the colon."""
    if not _plain(node):
        return ""
    m = _NO_SPACE.match(node.value)
    if m is None:
        return ""
    return (f"; to give '{m[1]}' a value, put a space after the colon: write "
            f"'{m[1]}: {m[2]}'")


def flow_comma_hint(mapping: yaml.MappingNode, previous: tuple[yaml.Node, yaml.Node] | None,
                    key: yaml.Node, value: yaml.Node) -> str:
    """For ``{en: Find problems, criticism}``: the entry ``criticism`` has no value."""
    if not mapping.flow_style or previous is None or not _plain(key):
        return ""
    if not (isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null"
            and value.value == ""):
        return ""
    prev_key, prev_value = previous
    if not (_plain(prev_key) and _plain(prev_value)) or not prev_value.value:
        return ""
    text = f"{prev_value.value}, {key.value}"
    return (f"; a comma inside {{…}} ends the entry, so '{key.value}' became a key of its "
            f"own: if it belongs to the text before it, quote the text, e.g. "
            f"{prev_key.value}: {_quoted(text)}")


def _line(text: str, mark: yaml.Mark | None) -> str:
    if mark is None:
        return ""
    lines = text.split("\n")
    return lines[mark.line] if 0 <= mark.line < len(lines) else ""


_TOO_FAR = ("; this key is indented more than the key before it, whose value is already "
            "given: line the keys of one mapping up in the same column")


def _indent(line: str) -> int:
    """The column where the line's first key starts (after any "- " of list items)."""
    m = _LEAD.match(line)
    return m.end() if m else 0


def _previous(text: str, mark: yaml.Mark) -> str:
    """The last line before `mark`'s that holds something (not blank, not a comment)."""
    lines = text.split("\n")[:mark.line]
    return next((ln for ln in reversed(lines) if ln.strip() and not ln.lstrip().startswith("#")),
                "")


def _flow_entry(line: str, column: int) -> str:
    start = max(line.rfind(",", 0, column), line.rfind("{", 0, column)) + 1
    ends = [i for i in (line.find(",", column), line.find("}", column)) if i >= 0]
    return line[start:min(ends) if ends else len(line)].strip()


def yaml_error_hint(exc: yaml.MarkedYAMLError, text: str) -> str:
    """A hint for a YAML syntax error that one of the common mistakes causes, else ""."""
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark
    if "'\\t'" in problem or "\t" in problem:
        return "; YAML indents with spaces, never tabs: replace the tab with spaces"
    if "mapping values are not allowed here" in problem:
        line = _line(text, mark)
        if mark is not None and line.find(":") >= mark.column:  # the line's first colon
            return _TOO_FAR
        m = _BLOCK_ENTRY.match(line)
        if m:
            return (f"; a ': ' inside a value starts a mapping: quote the value, e.g. "
                    f"{m[1]}: {_quoted(m[2])}")
        return "; a ': ' inside a value starts a mapping: quote the value"
    if "expected <block end>" in problem:
        if "found '-'" in problem:
            return ("; a list item ('- ') cannot stand among the keys of a mapping: put the "
                    "list under a key of its own")
        if mark is not None and _indent(_line(text, mark)) > _indent(_previous(text, mark)):
            return _TOO_FAR
        return ("; this line is indented less than the lines before it but not as far back "
                "as any key above: line it up with the keys it belongs with")
    if "flow mapping" in context and "got ':'" in problem and mark is not None:
        entry = _flow_entry(_line(text, mark), mark.column)
        key, _, value = entry.partition(": ")
        if key and value:
            return (f"; inside {{…}} a value that holds ': ' must be quoted, e.g. "
                    f"{key}: {_quoted(value)}")
        return "; inside {…} a value that holds ': ' must be quoted"
    if "simple key" in context and "could not find expected ':'" in problem:
        m = _NO_SPACE.match(_line(text, exc.context_mark).strip())
        if m:
            return f"; put a space after the colon: write '{m[1]}: {m[2]}'"
    return ""
