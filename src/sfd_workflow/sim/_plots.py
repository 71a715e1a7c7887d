"""Plots of a simulated campaign (matplotlib, Chinese labels with a CJK font).

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, no backend switch),
so they work in scripts, servers and notebooks alike. Chinese labels need a CJK font:
WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``) or Noto CJK is registered with
``font_manager.fontManager.addfont`` because a font cache built before the font was
installed hides it; without one, labels fall back to English.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from sfd_workflow._extras import require
from sfd_workflow.sim._results import SimResult

__all__ = ["cjk_font", "plot_gantt", "plot_heatmap", "plot_lateness", "plot_progress",
           "write_plots"]

_CJK_FILES = ("wqy-microhei.ttc", "wqy-zenhei.ttc", "NotoSansCJK-Regular.ttc",
              "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf")


def _mpl(module: str = "matplotlib") -> Any:
    """`module` of matplotlib through the gate (the ``sim`` extra)."""
    return require(module, feature="simulation plots", extra="sim")


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font, registered with matplotlib (None if none)."""
    font_manager = _mpl("matplotlib.font_manager")
    for path in font_manager.findSystemFonts():
        if Path(path).name in _CJK_FILES:
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
    return None


def _rc() -> dict[str, Any]:
    cjk = cjk_font()
    fam = ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]
    return {"font.family": fam, "axes.unicode_minus": False, "figure.dpi": 100}


def _lang() -> str:
    return "zh" if cjk_font() else "en"


def _figure(w: float, h: float) -> Any:
    return _mpl("matplotlib.figure").Figure(figsize=(w, h), layout="constrained")


def _title(result: SimResult, sid: str) -> str:
    return result.spec.step_by_id[sid].title.get(_lang())


_L = {
    "zh": {"progress": "各环节完成进度", "share": "已完成单位比例", "date": "日期",
           "late": "超期工作日数", "units": "单位×环节数", "lateness": "超期分布（工作日）",
           "on_time": "按期", "gantt": "单位进度甘特图",
           "heat": "各单位各环节完成时间与期限之差（工作日）",
           "heat_c": "完成日 − 期限（工作日，正数为超期）", "wait": "等待", "work": "进行",
           "deadline": "期限", "units_axis": "单位", "band": "区间"},
    "en": {"progress": "Progress of each step", "share": "share of units done", "date": "date",
           "late": "working days late", "units": "unit-steps",
           "lateness": "Lateness (working days)",
           "on_time": "on time", "gantt": "Gantt of one unit",
           "heat": "Completion minus deadline per unit and step (working days)",
           "heat_c": "completion − deadline (working days, > 0 late)", "wait": "waiting",
           "work": "in step", "deadline": "deadline", "units_axis": "units", "band": "band"},
}


def _t(key: str) -> str:
    return _L[_lang()][key]


def plot_progress(result: SimResult, ensemble: Any = None) -> Any:
    """Share of units that completed each step over the calendar; phase windows shaded.

    With an `Ensemble` of the same setting, each curve gets its 90 % band over the runs.
    """
    mpl = _mpl()
    with mpl.rc_context(_rc()):
        fig = _figure(11, 5.5)
        ax = fig.add_subplot()
        prog = result.progress()
        colors = mpl.colormaps["tab10"]
        shades = ("#9ecae1", "#a1d99b", "#fdae6b", "#bcbddc")
        for i, phase in enumerate(result.spec.phases):
            if phase.window is None:
                continue
            # the window shaded lightly, and as a labelled bar above the curves (windows of
            # consecutive phases may overlap, e.g. June 2009)
            a = np.datetime64(phase.window.start)
            b = np.datetime64(phase.window.end) + np.timedelta64(1, "D")
            ax.axvspan(a, b, color=shades[i % 4], alpha=0.18, zorder=0, linewidth=0)
            y = 1.03 + 0.045 * (i % 2)
            ax.plot([a, b], [y, y], color=shades[i % 4], linewidth=7, solid_capstyle="butt")
            ax.text(a + (b - a) / 2, y, phase.title.get(_lang()), fontsize=8, ha="center",
                    va="center")
        for i, sid in enumerate(result.schedule.steps):
            color = colors(i % 10)
            if ensemble is not None:
                band = ensemble.progress_band(sid)
                ax.fill_between(band.index, band["low"], band["high"], color=color, alpha=0.2,
                                linewidth=0)
            ax.plot(prog.index, prog[sid], color=color, label=_title(result, sid))
            dl = result.schedule.deadline[sid][result.schedule.applies[sid]]
            if len(dl) and dl[0] >= 0:
                ax.axvline(np.datetime64(int(dl.max()), "D"), color=color, linestyle=":",
                           linewidth=1)
        ax.set_ylim(0, 1.1)
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel(_t("share"))
        ax.set_xlabel(_t("date"))
        ax.legend(loc="center left", fontsize=9, frameon=False)
        ax.set_title(f"{_t('progress')} · {result.spec.title.get(_lang())[:40]}")
        ax.grid(alpha=0.3)
    return fig


def plot_lateness(result: SimResult) -> Any:
    """Histogram of working days late, per step (late unit-steps only); on-time share in the
    legend."""
    mpl = _mpl()
    with mpl.rc_context(_rc()):
        fig = _figure(9, 4.5)
        ax = fig.add_subplot()
        counts = result.lateness()
        summ = result.summary()
        labels = []
        for sid in result.schedule.steps:
            share = f"{summ.loc[sid, 'on_time']:.0%}"
            labels.append(f"{_title(result, sid)}（{_t('on_time')} {share}）" if _lang() == "zh"
                          else f"{_title(result, sid)} ({_t('on_time')} {share})")
        days = counts.index.to_numpy()
        top = int(days[-1]) if len(days) else 1
        bins = np.arange(0.5, top + 1.5, max(1, top // 30))
        ax.hist([days] * len(counts.columns), bins=bins, stacked=True, label=labels,
                weights=[counts[s].to_numpy() for s in counts.columns])
        ax.set_xlabel(_t("late"))
        ax.set_ylabel(_t("units"))
        ax.set_title(_t("lateness"))
        ax.legend(fontsize=8, frameon=False)
        ax.grid(alpha=0.3)
    return fig


def plot_gantt(result: SimResult, unit: str | None = None) -> Any:
    """Gantt of one unit: waiting (open to start) and work (start to completion) per step,
    deadlines as ticks, and its events when the run is exact. Default: the latest unit."""
    mpl = _mpl()
    sc = result.schedule
    ids = result.units.ids
    if unit is None:
        last = sc.end[sc.steps[0]].copy()
        for other in sc.steps[1:]:
            np.maximum(last, sc.end[other], out=last)
        u = int(np.argmax(last))
    else:
        u = ids.index(unit) if ids is not None else int(unit)
    uid = ids[u] if ids is not None else str(u)
    with mpl.rc_context(_rc()):
        fig = _figure(10, 4)
        ax = fig.add_subplot()
        steps = list(sc.steps)
        for i, sid in enumerate(steps):
            if not sc.applies[sid][u]:
                continue
            o, s, e = (int(sc.open[sid][u]), int(sc.start[sid][u]), int(sc.end[sid][u]))
            y = len(steps) - i
            if s > o:
                ax.barh(y, s - o, left=np.datetime64(o, "D"), color="#d9d9d9", height=0.5,
                        label=_t("wait") if i == 0 else None)
            ax.barh(y, e - s + 1, left=np.datetime64(s, "D"), color="#4c72b0", height=0.5,
                    label=_t("work") if i == 0 else None)
            dl = int(sc.deadline[sid][u])
            if dl >= 0:
                ax.plot([np.datetime64(dl, "D")] * 2, [y - 0.35, y + 0.35], color="#c44e52",
                        linewidth=2, label=_t("deadline") if i == 0 else None)
        if result.events is not None and result.event_steps is not None:
            row = {s: len(steps) - i for i, s in enumerate(steps)}
            xs, ys = [], []
            for ev, sid in zip(result.events, result.event_steps, strict=True):
                if ev["unit"] == uid:
                    xs.append(np.datetime64(ev["at"][:10]))
                    ys.append(row[sid])
            ax.scatter(xs, ys, marker="|", color="black", s=60, linewidths=0.8, zorder=3)
        ax.set_yticks([len(steps) - i for i in range(len(steps))],
                      [_title(result, s) for s in steps])
        kind_id = result.units.kind_names[int(result.units.kind[u])]
        kind = result.spec.unit_kinds[kind_id].title.get(_lang())
        name = uid
        if result.roster is not None:
            t = result.roster.units[u].title
            name = f"{t.get(_lang())} ({uid})" if t is not None else name
        ax.set_title(f"{_t('gantt')}: {name} · {kind}")
        fig.legend(fontsize=8, frameon=False, loc="outside lower center", ncols=3)
        ax.grid(alpha=0.3, axis="x")
    return fig


def plot_heatmap(result: SimResult, max_units: int = 200) -> Any:
    """Heat map of units × steps: completion minus deadline in working days (red = late).

    Units are grouped by kind and sorted by total lateness; above `max_units` an evenly
    spaced subset of that order is shown.
    """
    mpl = _mpl()
    sc, cal = result.schedule, result.calendar
    steps = list(sc.steps)
    n = len(result.units)
    late = result.late()
    total = np.zeros(n, dtype=np.int64)  # working days late over all steps
    for sid in steps:
        lt = np.flatnonzero(late[sid])
        total[lt] += cal.working_days_between(sc.deadline[sid][lt], sc.end[sid][lt])
    order = np.lexsort((-total, result.units.kind))
    if n > max_units:
        order = order[np.linspace(0, n - 1, max_units).astype(int)]
    diff = np.full((len(order), len(steps)), np.nan)
    for j, sid in enumerate(steps):
        ap = sc.applies[sid][order] & (sc.deadline[sid][order] >= 0)
        e, d = sc.end[sid][order][ap], sc.deadline[sid][order][ap]
        diff[ap, j] = np.where(e > d, cal.working_days_between(d, e),
                               -cal.working_days_between(e, d))
    with mpl.rc_context(_rc()):
        fig = _figure(8, 7)
        ax = fig.add_subplot()
        finite = np.abs(diff[np.isfinite(diff)])
        lim = max(5.0, float(np.percentile(finite, 98)) if finite.size else 5.0)
        cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="#eeeeee")
        im = ax.imshow(diff, aspect="auto", cmap=cmap, vmin=-lim, vmax=lim,
                       interpolation="nearest")
        ax.set_xticks(range(len(steps)), [_title(result, s) for s in steps], rotation=30,
                      ha="right", fontsize=8)
        kinds = result.units.kinds_of()[order]
        ticks, labels = [], []
        for k in dict.fromkeys(kinds.tolist()):
            rows = np.flatnonzero(kinds == k)
            ticks.append(float(rows.mean()))
            labels.append(result.spec.unit_kinds[k].title.get(_lang()).split("（")[0])
            ax.axhline(rows.max() + 0.5, color="white", linewidth=1)
        ax.set_yticks(ticks, labels, fontsize=8)
        ax.set_ylabel(f"{_t('units_axis')} ({len(order)}/{n})")
        fig.colorbar(im, ax=ax, label=_t("heat_c"), shrink=0.8)
        ax.set_title(_t("heat"), fontsize=10)
    return fig


def write_plots(result: SimResult, out_dir: str | Path, *, ensemble: Any = None,
                prefix: str = "sim-", unit: str | None = None) -> list[Path]:
    """Write the four plots as PNG files into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figs = {
        "progress": plot_progress(result, ensemble),
        "lateness": plot_lateness(result),
        "gantt": plot_gantt(result, unit),
        "heatmap": plot_heatmap(result),
    }
    paths = []
    for name, fig in figs.items():
        path = out / f"{prefix}{name}.png"
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths
