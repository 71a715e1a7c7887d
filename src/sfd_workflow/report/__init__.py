"""A progress report supervisors open in a browser: one self-contained HTML page.

Needs the ``report`` extra (``pip install 'sfd-workflow[report]'``: Jinja2); the pictures in
it need the ``diagrams`` extra, Graphviz and a CJK font (without them the page says so)::

    import sfd_workflow as sfd
    from sfd_workflow import report

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    roster = sfd.load_roster("roster.yaml", spec)
    page = report.build_report(spec, roster, sfd.read_event_lines("events.jsonl"))
    page.save("report.html")
    report.report_from_store("sqlite:///campaign.db", lang="both").save("report.html")
    report.report_from_simulation(sim.run(spec, roster, engine="exact"))   # shows inline

The page holds the campaign at a glance (steps with dates, units per status, late counts,
the critical path), progress by parent organisation and by unit kind, a table of every unit
(searchable, sortable, filterable), a panel per unit with what it still lacks in the words
of ``Runtime.explain``, the diagrams as inline SVG, and every event-log line that changed
nothing. See docs/report.md.
"""

from __future__ import annotations

from sfd_workflow.report._intake import BadLine, Intake
from sfd_workflow.report._report import (
    MAX_UNITS,
    Report,
    build_report,
    report_from_simulation,
    report_from_store,
)
from sfd_workflow.report._words import LANGS

__all__ = [
    "LANGS",
    "MAX_UNITS",
    "BadLine",
    "Intake",
    "Report",
    "build_report",
    "report_from_simulation",
    "report_from_store",
]
