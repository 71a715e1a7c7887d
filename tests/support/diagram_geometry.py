"""Where Graphviz puts texts and lines: a check that nothing in a picture overlaps.

``dot -Tjson`` gives every drawn text (``T`` operations: baseline point, alignment, width,
font size) and every line (``b`` operations: cubic Bézier control points) in points.
A text's box runs from a quarter of the font size below its baseline to 0.85 of it above,
grown by `CLEARANCE` points on each side: a line that comes nearer than that looks as if
it touches or crosses the text, since the drawn text can come out a little wider than
Graphviz measured it.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Iterator, Sequence
from typing import Any

CLEARANCE = 5.0
Box = tuple[float, float, float, float, str]


def layout(dot_text: str) -> dict[str, Any]:
    """The ``dot -Tjson`` layout of `dot_text`."""
    done = subprocess.run(["dot", "-Tjson"], input=dot_text.encode("utf-8"),
                          capture_output=True, check=True)
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def text_boxes(ops: Sequence[dict[str, Any]], clearance: float = CLEARANCE) -> Iterator[Box]:
    """The box of each text drawn by the xdot operations `ops`."""
    size = 14.0
    for op in ops:
        if op["op"] == "F":
            size = float(op["size"])
        elif op["op"] == "T":
            x, y = op["pt"]
            w = float(op["width"])
            x0 = {"l": x, "c": x - w / 2, "r": x - w}[op["align"]]
            yield (x0 - clearance, y - 0.25 * size, x0 + w + clearance, y + 0.85 * size,
                   op["text"])


def line_points(ops: Sequence[dict[str, Any]], step: float = 1.0) -> Iterator[tuple[float, float]]:
    """Points along every Bézier line drawn by `ops`, about `step` points apart or closer."""
    for op in ops:
        if op["op"] != "b":
            continue
        pts = op["points"]
        for i in range(0, len(pts) - 3, 3):
            p0, p1, p2, p3 = pts[i:i + 4]
            polygon = sum(math.dist(a, b) for a, b in ((p0, p1), (p1, p2), (p2, p3)))
            n = max(8, math.ceil(polygon / step))  # the curve is no longer than its polygon
            for k in range(n + 1):
                t = k / n
                a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3
                yield (a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                       a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1])


def _owned_boxes(js: dict[str, Any]) -> list[tuple[str, Box]]:
    names = {o["_gvid"]: o.get("name", "") for o in js.get("objects", [])}
    out = [("graph label", b) for b in text_boxes(js.get("_ldraw_", []))]
    for o in js.get("objects", []):
        out += [(f"node {o.get('name')}", b) for b in text_boxes(o.get("_ldraw_", []))]
    for e in js.get("edges", []):
        owner = f"edge {names[e['tail']]}->{names[e['head']]}"
        out += [(owner, b) for b in text_boxes(e.get("_ldraw_", []))]
    return out


def overlaps(dot_text: str) -> list[str]:
    """Every line that runs through a text and every two texts that overlap, in words."""
    js = layout(dot_text)
    boxes = _owned_boxes(js)
    found: set[str] = set()
    for e in js.get("edges", []):
        for x, y in line_points(e.get("_draw_", [])):
            for owner, (x0, y0, x1, y1, text) in boxes:
                if x0 < x < x1 and y0 < y < y1:
                    found.add(f"a line crosses {text!r} ({owner})")
    tight = _owned_boxes_tight(js)
    for i, (owner_a, a) in enumerate(tight):
        for owner_b, b in tight[i + 1:]:
            if owner_a != owner_b and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                found.add(f"{a[4]!r} ({owner_a}) overlaps {b[4]!r} ({owner_b})")
    return sorted(found)


def _owned_boxes_tight(js: dict[str, Any]) -> list[tuple[str, Box]]:
    return [(owner, (x0 + CLEARANCE, y0, x1 - CLEARANCE, y1, t))
            for owner, (x0, y0, x1, y1, t) in _owned_boxes(js)]
