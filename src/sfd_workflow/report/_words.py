"""The words of the report page, in Chinese and English, and how a text is shown in a language.

Status words (done, in progress, …) are the diagrams' (`STATUS_WORDS`): one table for the
pictures and the page.
"""

from __future__ import annotations

from sfd_workflow._spec._model import Text
from sfd_workflow.diagrams._labels import in_lang
from sfd_workflow.diagrams._status_views import STATUS_WORDS
from sfd_workflow.diagrams._words import LANGS

__all__ = ["LANGS", "SHOWN_IDS", "WORDS", "ids_shown", "status_word", "text_in", "word"]

SHOWN_IDS = 5  # unit ids named in a sentence about many units

#: key -> (Chinese, English)
WORDS: dict[str, tuple[str, str]] = {
    "report": ("进度报告", "Progress report"),
    "as_of": ("截至", "as of"),
    "generated_from": ("数据来源", "data from"),
    "glance": ("总体情况", "The campaign at a glance"),
    "units": ("单位", "units"),
    "unit": ("单位", "Unit"),
    "phase": ("阶段", "Phase"),
    "step": ("环节", "Step"),
    "window": ("时间", "Window"),
    "due": ("最后期限", "Last due date"),
    "critical": ("关键路径", "Critical path"),
    "critical_note": ("关键路径上的环节标有 ★", "steps on the critical path are marked ★"),
    "late_units": ("逾期单位", "late units"),
    "by_parent": ("按上级组织", "By parent organisation"),
    "by_kind": ("按单位类别", "By unit kind"),
    "group": ("分组", "Group"),
    "all_done": ("全部完成", "all done"),
    "started": ("已开始", "started"),
    "not_started": ("未开始", "not started"),
    "steps_done": ("环节完成率", "steps done"),
    "no_parent": ("（无上级）", "(no parent)"),
    "table": ("单位一览", "Every unit"),
    "search": ("搜索编号或名称", "search id or name"),
    "late_only": ("只看逾期", "late only"),
    "all_kinds": ("全部类别", "every kind"),
    "all_parents": ("全部上级", "every parent"),
    "shown": ("显示", "showing"),
    "id": ("编号", "Id"),
    "name": ("名称", "Name"),
    "kind": ("类别", "Kind"),
    "parent": ("上级", "Parent"),
    "current": ("当前环节", "Current steps"),
    "progress": ("完成", "Done"),
    "flags": ("逾期", "Late"),
    "last_event": ("最近事件", "Last event"),
    "details": ("详情", "details"),
    "close": ("关闭", "close"),
    "states": ("各环节状态", "Steps"),
    "status": ("情况", "Status"),
    "state": ("状态", "State"),
    "lacks": ("尚缺", "Still lacks"),
    "waits_for": ("等待：", "waits for: "),
    "nothing_lacks": ("当前无欠缺，可以办理", "nothing missing: it can act now"),
    "can_act": ("现在可以办理", "Who can act now"),
    "person": ("人员", "Person"),
    "events": ("可办理的事件", "Events they can fire"),
    "nobody": ("目前无人可以办理任何事件", "nobody can fire any event now"),
    "records": ("记录", "Records"),
    "record": ("记录", "Record"),
    "count": ("数量", "Count"),
    "people": ("人数", "People"),
    "last": ("最近", "Last"),
    "first": ("最早", "First"),
    "history": ("办理历史", "History"),
    "event": ("事件", "Event"),
    "recent": ("最近的事件", "Latest events"),
    "actor": ("办理人", "Actor"),
    "at": ("时间", "Time"),
    "none": ("无", "none"),
    "diagrams": ("图示", "Diagrams"),
    "no_diagrams": ("无法绘制图示", "Diagrams cannot be drawn"),
    "intake": ("事件日志", "Event log"),
    "lines": ("行", "lines"),
    "accepted": ("已受理", "accepted"),
    "rejected": ("未受理", "rejected"),
    "bad_lines": ("无法读取的行", "lines that cannot be read"),
    "after_as_of": ("晚于截至日期、未计入", "after the as-of date, not counted"),
    "outside_window": ("已受理但在计划月份之外（标记，不退回）",
                       "accepted outside the plan's months (flagged, never refused)"),
    "earlier_version": ("由较早版本的规范受理（在其单位迁移到本页的版本之前，或属于未列入的单位），"
                        "保留当时的判定",
                        "accepted by an earlier version of the spec (before their unit moved "
                        "to this page's version, or of a unit left out), kept as judged then"),
    "left_out": ("{n}个单位仍按较早版本的规范判定（只有部分单位树迁移到了本页的版本），本页未列入："
                 "{ids}（可用 store status 查看）",
                 "{n} units are still judged by an earlier version of the spec (only some "
                 "trees moved to this page's version) and are left out of this page: {ids} "
                 "(store status shows them)"),
    "line": ("行号", "Line"),
    "reason": ("原因", "Reason"),
    "text": ("内容", "Text"),
    "more_not_listed": ("另有{n}条未列出", "{n} more not listed"),
    "aggregated": ("单位数为{n}，超过{max}，只显示汇总（可用 --max-units 调整）",
                   "{n} units, more than {max}: aggregates only (see --max-units)"),
    "no_events": ("尚无已受理的事件", "no accepted event yet"),
    "noscript": ("未启用JavaScript：表格不能搜索、排序或按类别、上级筛选，其余内容均可查看。",
                 "JavaScript is off: the table cannot be searched, sorted or filtered by kind "
                 "or parent; everything else works."),
}


def word(key: str, lang: str, **values: object) -> str:
    """The page word `key` in `lang` (``both``: ``中文 / English``), with `values` filled in."""
    zh, en = WORDS[key]
    return in_lang(zh.format(**values), en.format(**values), lang)


def ids_shown(ids: tuple[str, ...] | list[str]) -> str:
    """The first `SHOWN_IDS` ids, ``, …`` when there are more."""
    return ", ".join(ids[:SHOWN_IDS]) + (", …" if len(ids) > SHOWN_IDS else "")


def status_word(status: str, lang: str) -> str:
    """A step status (``done``, ``active``, ``blocked``, ``skipped``, ``late``, ``overdue``)."""
    return in_lang(STATUS_WORDS["zh"][status], STATUS_WORDS["en"][status], lang)


def text_in(text: Text | None, lang: str, fallback: str = "") -> str:
    """A spec text in `lang`; ``both`` gives ``中文 / English`` where both exist."""
    if text is None:
        return fallback
    return text.both() if lang == "both" else text.get(lang)
