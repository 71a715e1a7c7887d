"""Reading model files (simulation and hierarchy models): problems with file, path and line.

Both kinds of model are small YAML (or JSON) documents written for one spec. Problems are
collected, not raised one by one, so that a file with three mistakes reports three lines,
each naming the file, the path inside it and the line (docs/format.md §1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from sfd_workflow._spec._document import parse_text
from sfd_workflow._spec._marks import visible
from sfd_workflow.errors import Problem
from sfd_workflow.sim._dist import Dist
from sfd_workflow.sim._errors import SimModelError

__all__ = ["ModelReader", "builtin_model", "known", "mapping", "read_model_file"]


class ModelReader:
    """Collects problems with file, path and line."""

    def __init__(self, source: str, lines: Mapping[str, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.source, visible(path), visible(message),
                                     self.lines.get(path)))

    def keys(self, obj: Any, path: str, allowed: tuple[str, ...]) -> bool:
        if not isinstance(obj, Mapping):
            self.fail(path, f"expected a mapping, got {type(obj).__name__}")
            return False
        for k in obj:
            if k not in allowed:
                sub = f"{path}.{k}" if path else str(k)
                self.fail(sub, f"unknown key {k!r} (known: {', '.join(allowed)})")
        return True

    def number(self, value: Any, path: str, *, lo: float = 0.0, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.fail(path, f"expected a number, got {value!r}")
            return lo
        if value < lo or (hi is not None and value > hi):
            rng = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
            self.fail(path, f"{value!r} is out of range: must be {rng}")
            return lo
        return float(value)

    def dist(self, value: Any, path: str) -> Dist | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Dist("fixed", (self.number(value, path),))
        if not isinstance(value, Mapping) or len(value) != 1:
            self.fail(path, "expected a number or one of {fixed: v}, {triangular: [min, mode, "
                            "max]}, {uniform: [min, max]}, {lognormal: {median: m, p90: q}}")
            return None
        (kind, arg), = value.items()
        sub = f"{path}.{kind}"
        if kind == "fixed":
            return Dist("fixed", (self.number(arg, sub),))
        if kind in ("triangular", "uniform"):
            n = 3 if kind == "triangular" else 2
            if not isinstance(arg, list) or len(arg) != n:
                self.fail(sub, f"expected a list of {n} numbers")
                return None
            vals = tuple(self.number(v, f"{sub}[{i}]") for i, v in enumerate(arg))
            if list(vals) != sorted(vals):
                what = "min <= mode <= max" if n == 3 else "min <= max"
                self.fail(sub, f"{list(arg)} is not ordered: need {what}")
                return None
            return Dist(kind, vals)
        if kind == "lognormal":
            if not self.keys(arg, sub, ("median", "p90")):
                return None
            if "median" not in arg or "p90" not in arg:
                self.fail(sub, "needs both median and p90")
                return None
            m = self.number(arg["median"], f"{sub}.median")
            q = self.number(arg["p90"], f"{sub}.p90")
            if not 0 < m < q:
                self.fail(sub, f"needs 0 < median < p90, got median {m:g}, p90 {q:g}")
                return None
            return Dist("lognormal", (m, q))
        self.fail(path, f"unknown distribution {kind!r} (known: fixed, lognormal, triangular, "
                        "uniform)")
        return None


def mapping(r: ModelReader, obj: Any, path: str) -> Mapping[str, Any]:
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        r.fail(path, f"expected a mapping, got {type(obj).__name__}")
        return {}
    return obj


def known(r: ModelReader, name: str, path: str, known: Any, what: str) -> bool:
    if name in known:
        return True
    r.fail(path, f"unknown {what} {name!r} (known: {', '.join(sorted(known))})")
    return False




def builtin_model(spec_id: str, suffix: str) -> Any:
    """The packaged ``models/<spec id>.<suffix>.yaml`` resource (it may not exist)."""
    return resources.files("sfd_workflow.sim").joinpath("models").joinpath(
        f"{spec_id}.{suffix}.yaml")


def read_model_file(path: str | Path, suffix: str) -> tuple[Any, str, dict[str, int]]:
    """Parse a model file, or ``builtin:<spec id>`` (the packaged one); return the document,
    its source name and the line of every path.

    Raises:
        SimModelError: the file cannot be read or is not YAML/JSON.
    """
    text: str
    source = str(path)
    if isinstance(path, str) and path.startswith("builtin:"):
        name = path.removeprefix("builtin:")
        res = builtin_model(name, suffix)
        if not res.is_file():
            raise SimModelError([Problem(source, "", f"no built-in {suffix} model {name!r}")])
        text = res.read_text(encoding="utf-8")
        source = f"builtin:{name}.{suffix}.yaml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SimModelError([Problem(source, "", f"cannot read: {exc.strerror}")]) from exc
        except UnicodeDecodeError as exc:
            raise SimModelError([Problem(source, "", f"not UTF-8 text ({exc.reason})")]) from None
    document = parse_text(text, source, error=SimModelError)  # bounded, one-line errors
    return document.value, source, dict(document.marks.by_name())
