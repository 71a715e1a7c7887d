"""The page itself: Jinja2 templates (package data) filled with the content of `_page`.

Styles, script and pictures are written into the page (inline CSS, JavaScript and SVG), so
that it loads nothing: it can be mailed or put on a share and opened with no network.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from sfd_workflow._extras import require
from sfd_workflow.diagrams import _api as diagram_api
from sfd_workflow.diagrams._api import all_progress
from sfd_workflow.diagrams._progress import UnitProgress
from sfd_workflow.errors import MissingExtraError, MissingToolError
from sfd_workflow.report._intake import LISTED, Intake
from sfd_workflow.report._page import group_rows, step_rows, unit_panel, unit_row
from sfd_workflow.report._words import ids_shown, status_word, text_in, word

__all__ = ["render_page"]

_TEMPLATES = "templates"


def _environment() -> Any:
    jinja2 = require("jinja2", feature="writing a report", extra="report")
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sfd_workflow.report", _TEMPLATES),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _asset(name: str) -> str:
    return (resources.files("sfd_workflow.report") / _TEMPLATES / name).read_text("utf-8")


_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _inline_svg(svg: str) -> str:
    """An SVG file as an element of the page: no XML prologue, doctype or comments, and a
    width that follows the page."""
    body = _COMMENT.sub("", _PROLOGUE.sub("", svg, count=1))
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="picture"', body, count=1)


def _pictures(rt: Any, lang: str, at: dt.datetime | None) -> tuple[list[tuple[str, str]], str]:
    """(title, inline SVG) of the overview, dependencies and progress; or why none."""
    try:
        views = [
            (word("glance", lang), diagram_api.overview(rt.spec, lang=lang, runtime=rt)),
            (word("critical", lang), diagram_api.dependencies(rt.spec, lang=lang)),
            (word("by_parent", lang), diagram_api.progress(rt, lang=lang, at=at)),
        ]
        return [(t, _inline_svg(d.render("svg").decode("utf-8"))) for t, d in views], ""
    except (MissingExtraError, MissingToolError) as exc:
        return [], str(exc)


def render_page(rt: Any, intake: Intake, log: Mapping[str, Sequence[Mapping[str, Any]]], *,
                lang: str, at: dt.datetime | None, source: str, listed: bool,
                max_units: int, diagrams: bool) -> str:
    """The HTML of the report of runtime `rt` (see `build_report`)."""
    env = _environment()
    spec, roster = rt.spec, rt.roster
    progress: dict[str, UnitProgress] = all_progress(rt, at=at, explain=listed)
    names = roster.by_id
    last = {u: (es[-1]["at"], str(es[-1]["event"])) for u, es in log.items() if es}
    rows = [unit_row(spec, u, progress[u.id], names, last.get(u.id), lang)
            for u in roster.units] if listed else []
    panels = [unit_panel(spec, r, progress[r.id], rt, log.get(r.id, ()), lang, at)
              for r in rows]
    pictures, no_pictures = _pictures(rt, lang, at) if diagrams else ([], "")
    parents = [(p, text_in(names[p].title, lang, p)) for p in dict.fromkeys(
        u.parent for u in roster.units if u.parent is not None) if p in names]
    template = env.get_template("report.html.j2")
    return str(template.render(
        lang=lang, html_lang={"zh": "zh-CN", "en": "en"}.get(lang, "zh-CN"),
        w=lambda key, **kw: word(key, lang, **kw), status=lambda s: status_word(s, lang),
        css=_asset("report.css"), js=_asset("report.js"),
        title=text_in(spec.title, lang), source=source,
        as_of=at.strftime("%Y-%m-%d %H:%M") if at is not None else "",
        steps=step_rows(spec, progress, lang),
        by_parent=group_rows(spec, roster.units, progress, "parent", lang, names),
        by_kind=group_rows(spec, roster.units, progress, "kind", lang, names),
        total=len(roster.units), late_units=sum(1 for p in progress.values() if p.late),
        rows=rows, panels=panels, listed=listed, max_units=max_units,
        kinds=[(k, text_in(v.title, lang)) for k, v in spec.unit_kinds.items()],
        parents=parents, pictures=pictures, no_pictures=no_pictures,
        intake=intake, listed_max=LISTED, left_out_ids=ids_shown(intake.left_out),
    ))
