"""DOT text → SVG, PNG or PDF through Graphviz; the only module that runs ``dot``.

Before drawing it checks what silently spoils a picture: that ``dot`` is installed, and
that the CJK font named in the DOT text is known to
fontconfig, since Graphviz draws boxes instead of Chinese characters without it.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from typing import Any

from sfd_workflow._extras import require
from sfd_workflow.diagrams._dot import PAD_INCHES
from sfd_workflow.errors import MissingToolError

__all__ = [
    "FORMATS",
    "SLIDE_WIDTH_PX",
    "check_dot",
    "check_font",
    "has_cjk",
    "layout_size_inches",
    "rasterise",
    "smallest_font_pt",
    "with_pad",
]

FORMATS = ("svg", "png", "pdf", "dot", "mermaid")
SLIDE_WIDTH_PX = 1920
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_FONT_PACKAGES = {
    "WenQuanYi Micro Hei": "fonts-wqy-microhei",
    "WenQuanYi Zen Hei": "fonts-wqy-zenhei",
    "Noto Sans CJK SC": "fonts-noto-cjk",
    "Noto Serif CJK SC": "fonts-noto-cjk",
}


def has_cjk(text: str) -> bool:
    """True when `text` holds Chinese (CJK) characters."""
    return _CJK.search(text) is not None


def check_dot() -> str:
    """The path of Graphviz's ``dot``; MissingToolError naming the Debian package if absent."""
    path = shutil.which("dot")
    if path is None:
        msg = (
            "drawing needs Graphviz's 'dot' program, which is not installed: "
            "run  apt-get install graphviz  (Debian/Ubuntu) or  make setup"
        )
        raise MissingToolError(msg, tool="dot", package="graphviz")
    return path


@functools.cache
def _font_known(fontname: str) -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run(  # a fixed program, the family as one argument
        [fc_list, f":family={fontname}", "family"],
        capture_output=True, text=True, check=False,
    )
    return bool(found.stdout.strip())


def check_font(fontname: str) -> None:
    """MissingToolError naming the Debian package when fontconfig does not know `fontname`."""
    if shutil.which("fc-list") is None:
        msg = (
            "drawing Chinese labels needs fontconfig's 'fc-list' to find a CJK font: "
            "run  apt-get install fontconfig fonts-wqy-microhei"
        )
        raise MissingToolError(msg, tool="fc-list", package="fontconfig")
    if not _font_known(fontname):
        package = _FONT_PACKAGES.get(fontname, "fonts-wqy-microhei")
        msg = (
            f"the CJK font {fontname!r} is not installed, so Chinese would be drawn as "
            f"boxes: run  apt-get install {package}  (Debian/Ubuntu) or  make setup, "
            "or choose another installed CJK font (--font on the command line, fontname= in "
            "Python)"
        )
        raise MissingToolError(msg, tool=fontname, package=package)


def _graphviz() -> Any:  # the module object of an untyped package
    return require("graphviz", feature="drawing diagrams", extra="diagrams")


def _pipe(dot_text: str, fmt: str) -> bytes:
    graphviz = _graphviz()
    try:
        data: bytes = graphviz.pipe("dot", fmt, dot_text.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound as exc:  # dot vanished between the check and the call
        check_dot()
        raise MissingToolError(str(exc), tool="dot", package="graphviz") from exc
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip()
        msg = f"Graphviz could not draw the diagram: {detail}"
        raise RuntimeError(msg) from exc
    return data


def layout_size_inches(dot_text: str) -> tuple[float, float]:
    """The width and height of the laid-out drawing in inches (``dot -Tplain``), without
    the margin (``pad``)."""
    plain = _pipe(dot_text, "plain").decode("utf-8", errors="replace")
    first = plain.split("\n", 1)[0].split()  # "graph scale width height"
    return float(first[2]) * float(first[1]), float(first[3]) * float(first[1])


def layout_width_inches(dot_text: str) -> float:
    """The width of the laid-out drawing in inches (from ``dot -Tplain``)."""
    return layout_size_inches(dot_text)[0]


_SIZES = re.compile(r'(?:fontsize|POINT-SIZE)="([0-9.]+)"')


def smallest_font_pt(dot_text: str) -> float:
    """The smallest font size (points) any text of a DOT graph is drawn with."""
    return min(float(x) for x in _SIZES.findall(dot_text))


def with_pad(dot_text: str, pad: float) -> str:
    """`dot_text` with the root graph's margin set to `pad` inches."""
    body = dot_text.rstrip()
    return f'{body[:-1]}  graph [pad="{pad}"]\n}}\n'


def with_dpi(dot_text: str, dpi: float) -> str:
    """`dot_text` with the root graph's resolution set (a last ``graph [dpi=…]`` statement)."""
    body = dot_text.rstrip()
    if not body.endswith("}"):
        msg = "not a DOT graph: it does not end with '}'"
        raise ValueError(msg)
    return f"{body[:-1]}  graph [dpi={dpi:.4f}]\n}}\n"


def _png_width(data: bytes) -> int:
    return int.from_bytes(data[16:20], "big")  # IHDR width, right after the signature


def _png(dot_text: str, width_px: int) -> bytes:
    # The layout is in inches and does not change with dpi; the margin (pad) is outside it.
    inches = layout_width_inches(dot_text) + 2 * PAD_INCHES
    dpi = width_px / inches
    data = _pipe(with_dpi(dot_text, dpi), "png")
    for _ in range(3):  # rounding can leave the raster a pixel or two off: correct it
        got = _png_width(data)
        if got == width_px:
            break
        dpi *= width_px / got if abs(got - width_px) > 1 else (width_px + 0.5) / (got + 0.5)
        data = _pipe(with_dpi(dot_text, dpi), "png")
    return data


def rasterise(
    dot_text: str, fmt: str, *, fontname: str, width_px: int = SLIDE_WIDTH_PX
) -> bytes:
    """Draw `dot_text` as ``svg``, ``png`` or ``pdf``.

    PNG is drawn `width_px` pixels wide (1920 = a 16:9 slide at full HD) by choosing the
    resolution from the laid-out width. Raises MissingToolError when ``dot`` or the CJK
    font is missing (the font is checked only when the text holds Chinese).
    """
    if fmt not in ("svg", "png", "pdf"):
        msg = f"cannot rasterise to {fmt!r}: use svg, png or pdf"
        raise ValueError(msg)
    check_dot()
    _graphviz()
    if has_cjk(dot_text):
        check_font(fontname)
    if fmt == "png":
        return _png(dot_text, width_px)
    return _pipe(dot_text, fmt)
