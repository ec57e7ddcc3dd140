"""Meeting mode (会议模式): the projected screen's five views, as HTML and Plotly figures.

Pure functions (no Streamlit): the page (pages/meeting.py) only chooses the view and renders
what these return, so the browser test and the unit tests see the same markup.

Design for a projector at the back of a room (1920×1080, no scrolling):
- the view title is 64 px, every other text at least 28 px;
- colours are chosen to survive a washed-out projector (dark fills with white text, or amber
  with black text) and status is never shown by colour alone: each cell carries the status
  symbol (✔ ▲ ▽ ✖), and flags carry their word (⚑红 / ⚑黄) with a legend;
- the views shown and their order, the interval and the position live in the URL
  (?views=headline,ranking&interval=20&view=ranking), so a meeting's set-up is a bookmark.
"""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from target_monitor.i18n import STATUS_SYMBOL, status_label, t
from target_monitor.present import (
    fmt_number, fmt_pct, headline, is_missing, required_pace_text,
)
from target_monitor.progress import parent_rows
from target_monitor.ranking import Ranking, fmt_change
from target_monitor.registry import Indicator, Registry
from target_monitor.scoring import ScoringConfig, UnitScore

VIEWS = ("headline", "ranking", "behind", "trend", "scores")
DEFAULT_INTERVAL = 20
MIN_INTERVAL, MAX_INTERVAL = 5, 600
# what fits at 28 px per column (English names and phrases are longer); the rest is counted,
# never silently dropped
MAX_BEHIND_PER_COLUMN = {"zh": 7, "en": 4}

# projector palette: (fill, text); the symbol and word always accompany the fill
PALETTE = {
    "done": ("#00664A", "#FFFFFF"),
    "met": ("#00664A", "#FFFFFF"),
    "ahead": ("#00508C", "#FFFFFF"),
    "slightly_behind": ("#F2B200", "#000000"),
    "far_behind": ("#A31F00", "#FFFFFF"),
    "not_met": ("#A31F00", "#FFFFFF"),
    "year_end_check": ("#4B4B7A", "#FFFFFF"),
    "not_done": ("#A31F00", "#FFFFFF"),
    "no_target": ("#DDDDDD", "#000000"),
    "no_data": ("#DDDDDD", "#000000"),
}
FLAG_STYLE = {"red": ("#A31F00", "#FFFFFF"), "yellow": ("#F2B200", "#000000")}
PACE_COLOUR = "#7A0060"
FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"


# ------------------------------------------------------------------ URL state


def parse_views(raw: str | None) -> list[str]:
    """Views from the URL: known names in the given order, duplicates dropped; all when empty."""
    if not raw:
        return list(VIEWS)
    out = []
    for name in str(raw).split(","):
        name = name.strip()
        if name in VIEWS and name not in out:
            out.append(name)
    return out or list(VIEWS)


def parse_interval(raw) -> int:
    try:
        value = int(float(raw))
    except (TypeError, ValueError):
        return DEFAULT_INTERVAL
    return max(MIN_INTERVAL, min(MAX_INTERVAL, value))


def parse_as_of(raw, year: int) -> date | None:
    try:
        d = date.fromisoformat(str(raw))
    except (TypeError, ValueError):
        return None
    return d if d.year == year else None


def step(views: list[str], current: str | None, delta: int) -> str:
    """The view `delta` places from `current`, wrapping round."""
    if current not in views:
        return views[0]
    return views[(views.index(current) + delta) % len(views)]


def position_text(views: list[str], current: str) -> str:
    return f"{views.index(current) + 1} / {len(views)}"


# ------------------------------------------------------------------ shared pieces


def _e(text) -> str:
    return html.escape(str(text))


def status_chip(status: str, lang: str, text: str | None = None) -> str:
    bg, fg = PALETTE[status]
    body = text if text is not None else status_label(status, lang)
    return f'<span class="mt-chip" style="background:{bg};color:{fg}">{_e(body)}</span>'


def view_title(view: str, lang: str) -> str:
    return t(f"meeting_view_{view}", lang)


def top_bar(view: str, views: list[str], lang: str, as_of: date, time_progress: float, is_demo: bool,
            paused: bool, interval: int) -> str:
    label = t("demo_badge", lang) if is_demo else t("real_badge", lang)
    badge_cls = "mt-badge demo" if is_demo else "mt-badge real"
    state = t("meeting_paused", lang) if paused else t("meeting_rotating", lang, s=interval)
    return (
        '<div class="mt-top">'
        f'<div class="mt-title">{_e(view_title(view, lang))}</div>'
        f'<div class="mt-pos" data-testid="mt-position">{_e(position_text(views, view))}</div>'
        '</div>'
        '<div class="mt-status">'
        f'<span class="mt-stamp">{_e(t("data_as_of", lang, date=as_of.isoformat()))}</span>'
        f'<span>{_e(t("time_progress_is", lang, pct=f"{time_progress:.1f}"))}</span>'
        f'<span class="{badge_cls}">{_e(label)}</span>'
        f'<span class="mt-state">{_e(state)}</span>'
        '</div>'
    )


# ------------------------------------------------------------------ view 1: district headline


def bullet_html(ind: Indicator, row, time_progress: float, lang: str) -> str:
    """A bullet bar: completion (or the rate) against 100%, with the 序时进度 (or target) mark."""
    if ind.is_rate:
        value = row["actual"]
        mark, mark_label = row["target"], t("legend_target", lang)
        scale = 100.0
        shown = f"{fmt_number(ind, value)}%" if not is_missing(value) else "—"
    else:
        value = row["completion_pct"]
        mark, mark_label = time_progress, t("meeting_mark_pace", lang)
        scale = max(120.0, (value or 0) + 5)
        shown = fmt_pct(value)
    status = row["status"]
    bg, _ = PALETTE[status]
    width = 0 if is_missing(value) else min(100.0, value / scale * 100)
    text = f"{shown}  {STATUS_SYMBOL[status]} {t('status_' + status, lang)}"
    mark_text = f"{mark_label} {mark:.1f}%" if not is_missing(mark) else ""
    parts = ['<div class="mt-bullet">',
             f'<div class="mt-blabels"><span class="mt-btext">{_e(text)}</span>'
             f'<span class="mt-bmark"><span class="mt-dash"></span>{_e(mark_text)}</span></div>',
             '<div class="mt-track">']
    if not ind.is_rate:
        parts.append(f'<div class="mt-full" style="width:{100 / scale * 100:.2f}%"></div>')
    parts.append(f'<div class="mt-fill" style="width:{width:.2f}%;background:{bg}"></div>')
    if not is_missing(mark):
        parts.append(f'<div class="mt-mark" style="left:{min(100.0, mark / scale * 100):.2f}%"></div>')
    parts.append("</div></div>")
    return "".join(parts)


def headline_view(registry: Registry, progress: pd.DataFrame, as_of: date, lang: str) -> str:
    tp = float(progress["time_progress_pct"].iloc[0])
    rows = []
    for ind in registry.indicators:
        own, alloc = parent_rows(progress, ind.name)
        sentence = headline(ind, own, as_of, lang, allocation_row=alloc)
        rows.append(
            '<div class="mt-hl-row">'
            f'<div class="mt-hl-text"><b>{_e(ind.label[lang])}</b><br>{_e(sentence)}</div>'
            f'{bullet_html(ind, own, tp, lang)}'
            '</div>'
        )
    return f'<div class="mt-view mt-headline">{"".join(rows)}</div>'


# ------------------------------------------------------------------ view 2: ranking


def ranked_indicators(registry: Registry, progress: pd.DataFrame) -> list[Indicator]:
    children = progress[(progress["level"] == "child") & progress["rank"].notna()]
    have = set(children["indicator"])
    return [i for i in registry.indicators if i.name in have]


def flag_badges(rk: Ranking, unit_code: str, lang: str) -> str:
    out = []
    for rule in rk.unit_flags(unit_code):
        n = len(rk.flags[(rk.flags["unit_code"] == unit_code) & (rk.flags["flag"] == rule.name)])
        bg, fg = FLAG_STYLE[rule.colour]
        word = t(f"flag_{rule.colour}", lang) + (f"×{n}" if n > 1 else "")
        out.append(f'<span class="mt-flag" style="background:{bg};color:{fg}" title="{_e(rule.label[lang])}">'
                   f'⚑{_e(word)}</span>')
    return "".join(out)


def flag_legend(rk: Ranking, lang: str) -> str:
    items = [f'⚑{_e(t("flag_" + r.colour, lang))}：{_e(r.label[lang])}' for r in rk.rules]
    symbols = "　".join(f"{STATUS_SYMBOL[s]} {t('status_' + s, lang)}"
                       for s in ("done", "ahead", "slightly_behind", "far_behind", "met", "not_met"))
    return f'<div class="mt-legend">{"　".join(items)}<br>{_e(symbols)}　{_e(t("meeting_change_note", lang))}</div>'


def ranking_view(registry: Registry, progress: pd.DataFrame, rk: Ranking, names: dict[str, str], lang: str) -> str:
    inds = ranked_indicators(registry, progress)
    children = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]
    cell = {(r.unit_code, r.indicator): r for r in children.itertuples(index=False)}
    overall = {r.unit_code: r for r in rk.overall.itertuples(index=False)}
    codes = [c for c in rk.overall["unit_code"]]
    codes += [c for c in dict.fromkeys(children["unit_code"]) if c not in overall
              and any((c, i.name) in cell and not is_missing(cell[(c, i.name)].rank) for i in inds)]
    head = (f'<tr><th>{_e(t("meeting_overall_rank", lang))}</th><th>{_e(t("unit", lang))}</th>'
            + "".join(f"<th>{_e(i.short_label[lang])}</th>" for i in inds)
            + f'<th>{_e(t("meeting_flags", lang))}</th></tr>')
    body = []
    for code in codes:
        o = overall.get(code)
        rank = f"{int(o.overall_rank)}" if o is not None else "—"
        change = fmt_change(o.overall_change) if o is not None else ""
        tds = [f'<td class="mt-rank">{rank}<span class="mt-change">{_e(change)}</span></td>',
               f'<td class="mt-unit">{_e(names[code])}</td>']
        for ind in inds:
            r = cell.get((code, ind.name))
            if r is None or is_missing(r.rank):
                tds.append('<td class="mt-cell">—</td>')
                continue
            bg, fg = PALETTE[r.status]
            value = f"{fmt_number(ind, r.actual)}%" if ind.is_rate else fmt_pct(r.completion_pct)
            info = rk.rank_of(code, ind.name) or {}
            ch = fmt_change(info.get("rank_change"))
            tds.append(f'<td class="mt-cell" style="background:{bg};color:{fg}">{STATUS_SYMBOL[r.status]} {value}'
                       f'<span class="mt-rk">{_e(t("meeting_rank_n", lang, n=int(r.rank)))} {_e(ch)}</span></td>')
        tds.append(f'<td class="mt-flags">{flag_badges(rk, code, lang)}</td>')
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (f'<div class="mt-view mt-ranking"><table class="mt-table">{head}{"".join(body)}</table>'
            f"{flag_legend(rk, lang)}</div>")


# ------------------------------------------------------------------ view 3: units behind pace


def behind_view(registry: Registry, progress: pd.DataFrame, names: dict[str, str], lang: str) -> str:
    children = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]
    cols = []
    for ind in registry.indicators:
        if ind.is_rate:
            continue
        rows = children[(children["indicator"] == ind.name) & children["target"].notna()]
        if rows.empty:
            continue
        behind = rows[rows["status"].isin(["slightly_behind", "far_behind"])].sort_values(["gap_pp", "sort_order"])
        items = []
        limit = MAX_BEHIND_PER_COLUMN.get(lang, 5)
        for _, r in behind.head(limit).iterrows():
            bg, fg = PALETTE[r["status"]]
            gap = f"{abs(r['gap_pp']):.1f}"
            items.append(
                '<div class="mt-behind-item">'
                f'<div><span class="mt-sym" style="background:{bg};color:{fg}">{STATUS_SYMBOL[r["status"]]}</span> '
                f'<b>{_e(names[r["unit_code"]])}</b> {fmt_pct(r["completion_pct"])}'
                f'（{_e(t("meeting_gap_pp", lang, gap=gap))}）</div>'
                f'<div class="mt-need">{_e(required_pace_text(ind, r, lang))}</div></div>'
            )
        more = len(behind) - limit
        if more > 0:
            items.append(f'<div class="mt-more">{_e(t("meeting_more_behind", lang, n=more))}</div>')
        if not items:
            items.append(f'<div class="mt-none">✔ {_e(t("meeting_none_behind", lang))}</div>')
        cols.append(f'<div class="mt-col"><div class="mt-col-h">{_e(ind.short_label[lang])}'
                    f'<span class="mt-count">{_e(t("meeting_n_behind", lang, n=len(behind)))}</span></div>'
                    f'{"".join(items)}</div>')
    return f'<div class="mt-view mt-behind">{"".join(cols)}</div>'


# ------------------------------------------------------------------ view 4: trend against the pace line


def trend_indicators(registry: Registry, progress: pd.DataFrame) -> list[Indicator]:
    """Indicators with a district target (own basis), in registry order."""
    own = progress[(progress["level"] == "parent") & (progress["target_basis"] == "own") & progress["target"].notna()]
    have = set(own["indicator"])
    return [i for i in registry.indicators if i.name in have]


def trend_figure(ind: Indicator, series: pd.DataFrame, year: int, target: float | None, lang: str,
                 height: int = 400) -> go.Figure:
    """District cumulative this year, last year's, and the pace line to the target; large type."""
    this = series[series["year"] == year]
    last = series[series["year"] == year - 1]
    months = list(range(1, 13))
    fig = go.Figure()
    if not last.empty:
        fig.add_trace(go.Scatter(x=list(last["month"]), y=list(last["cumulative"]), mode="lines",
                                 line=dict(color="#555555", width=4, dash="dot"), hoverinfo="skip"))
    if target is not None and not is_missing(target):
        pace = [target] * 12 if ind.is_rate else [target * m / 12 for m in months]
        fig.add_trace(go.Scatter(x=months, y=pace, mode="lines", line=dict(color=PACE_COLOUR, width=4, dash="dash"),
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=list(this["month"]), y=list(this["cumulative"]), mode="lines+markers",
                             line=dict(color="#00508C", width=6), marker=dict(size=12), hoverinfo="skip"))
    if len(this):
        end = this.iloc[-1]
        text = (f"{fmt_number(ind, end['cumulative'])}%" if ind.is_rate
                else fmt_number(ind, end["cumulative"], sep=(lang == "en")))
        fig.add_annotation(x=int(end["month"]), y=end["cumulative"], text=f"<b>{text}</b>", showarrow=False,
                           xanchor="left", xshift=12, font=dict(size=28, color="#00508C"),
                           bgcolor="rgba(255,255,255,0.9)")
    fig.update_layout(height=height, margin=dict(l=10, r=20, t=10, b=10), showlegend=False,
                      font=dict(family=FONT, size=24, color="#000000"), plot_bgcolor="white", paper_bgcolor="white")
    fig.update_xaxes(tickvals=months, ticktext=[str(m) for m in months], range=[0.5, 12.8], showgrid=False,
                     linecolor="#000", tickfont=dict(size=24, color="#000"))
    fig.update_yaxes(showgrid=True, gridcolor="#CCCCCC", ticksuffix="%" if ind.is_rate else "",
                     tickfont=dict(size=24, color="#000"),
                     rangemode="tozero")
    return fig


def trend_legend(lang: str) -> str:
    return (f'<div class="mt-trend-legend">'
            f'<div><span class="mt-line" style="border-color:#00508C;border-top-width:6px"></span>{_e(t("meeting_legend_this_year", lang))}</div>'
            f'<div><span class="mt-line" style="border-color:{PACE_COLOUR};border-top-style:dashed"></span>{_e(t("legend_pace_line", lang))}</div>'
            f'<div><span class="mt-line" style="border-color:#555;border-top-style:dotted"></span>{_e(t("meeting_legend_last_year", lang))}</div>'
            f'<div class="mt-note">{_e(t("meeting_trend_note", lang))}</div></div>')


def trend_title(ind: Indicator, own, lang: str) -> str:
    chip = status_chip(own["status"], lang)
    return f'<div class="mt-chart-h">{_e(ind.short_label[lang])} {chip}</div>'


# ------------------------------------------------------------------ view 5: assessment scores


def _paren(label: str, points: float, lang: str) -> str:
    return f"{label}（{points:g}）" if lang == "zh" else f"{label} ({points:g})"


def scores_view(scores: list[UnitScore], config: ScoringConfig, names: dict[str, str], lang: str) -> str:
    head = (f'<tr><th>{_e(t("meeting_place", lang))}</th><th>{_e(t("unit", lang))}</th>'
            + "".join(f'<th>{_e(_paren(config.group_labels[g][lang], config.group_points[g], lang))}</th>'
                      for g in ("annual", "special"))
            + f'<th>{_e(_paren(config.work_label[lang], config.work_points, lang))}</th>'
            f'<th>{_e(t("score_total", lang))}</th><th>{_e(t("score_all_done", lang))}</th>'
            f'<th>{_e(t("score_advanced", lang))}</th></tr>')
    body = []
    place = 0
    for s in scores:
        if not s.assessed:
            continue
        place += 1
        done = "✔ " + t("yes", lang) if s.all_tasks_done else "✖ " + t("no", lang)
        adv = f'<span class="mt-adv">★ {_e(t("score_advanced_n", lang, n=s.advanced_rank))}</span>' if s.advanced_rank else ""
        body.append(
            f'<tr><td class="mt-rank">{place}</td><td class="mt-unit">{_e(names[s.unit_code])}</td>'
            f'<td>{s.group_totals["annual"]:.2f}</td><td>{s.group_totals["special"]:.2f}</td>'
            f'<td>{s.group_totals["work"]:.2f}</td><td class="mt-total">{s.total:.2f}</td>'
            f'<td>{_e(done)}</td><td>{adv}</td></tr>'
        )
    advanced = [s for s in scores if s.advanced_rank]
    advanced.sort(key=lambda s: s.advanced_rank)
    if advanced:
        summary = t("score_advanced_list", lang, n=config.top_n,
                    names=("、" if lang == "zh" else ", ").join(names[s.unit_code] for s in advanced))
    else:
        summary = t("score_no_advanced", lang, min=f"{config.min_total:g}")
    basis = t("score_basis_" + config.basis, lang)
    return (f'<div class="mt-view mt-scores"><table class="mt-table">{head}{"".join(body)}</table>'
            f'<div class="mt-legend"><b>{_e(summary)}</b><br>{_e(basis)}</div></div>')


def keyboard_script(prev_label: str, next_label: str, pause_label: str) -> str:
    """Keys for a presenter's clicker: PageDown / → / ↓ next, PageUp / ← / ↑ previous, space or P
    pause. Runs in the component's iframe and clicks the page's own buttons (same origin)."""
    import json

    labels = json.dumps({"prev": prev_label, "next": next_label, "pause": pause_label})
    return f"""<script>
const doc = window.parent.document;
// a handler from an earlier (reloaded) iframe belongs to a dead frame: replace it every load
if (doc.mtHandler) doc.removeEventListener('keydown', doc.mtHandler);
const labels = {labels};
const press = (which) => {{
  const btn = [...doc.querySelectorAll('button')].find(b => b.innerText.trim() === labels[which]);
  if (btn) btn.click();
}};
doc.mtHandler = (e) => {{
  if (e.target && ['INPUT', 'TEXTAREA'].includes(e.target.tagName)) return;
  if (['PageDown', 'ArrowRight', 'ArrowDown'].includes(e.key)) {{ press('next'); e.preventDefault(); }}
  else if (['PageUp', 'ArrowLeft', 'ArrowUp'].includes(e.key)) {{ press('prev'); e.preventDefault(); }}
  else if (e.key === ' ' || e.key === 'p' || e.key === 'P') {{ press('pause'); e.preventDefault(); }}
}};
doc.addEventListener('keydown', doc.mtHandler);
</script>"""


# ------------------------------------------------------------------ CSS


CSS = """
<style>
/* meeting mode: no sidebar, no Streamlit chrome, the whole 1920×1080 screen */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"], footer,
[data-testid="stElementContainer"]:has(.tm-stamp) { display: none !important; }
[data-testid="stElementContainer"]:has(> iframe), [data-testid="stElementContainer"]:has(> div > iframe) { position: absolute; height: 1px; width: 1px; overflow: hidden; opacity: 0; }
[data-testid="stMainBlockContainer"], .block-container { padding: 12px 28px 0 28px !important; max-width: 100% !important; }
[data-testid="stMain"] { overflow: hidden; }
html, body, [data-testid="stAppViewContainer"] { background: #FFFFFF; color: #000000; }
.mt-top, .mt-status, .mt-view, .mt-legend, .mt-trend-legend, .mt-chart-h { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif; color: #000; }
.mt-top { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 4px solid #000; }
.mt-title { font-size: 64px; font-weight: 800; line-height: 1.15; }
.mt-pos { font-size: 48px; font-weight: 800; }
.mt-status { display: flex; gap: 36px; font-size: 28px; line-height: 1.5; padding: 2px 0 6px 0; align-items: center; }
.mt-stamp { font-weight: 700; }
.mt-badge { padding: 0 14px; border: 3px solid; border-radius: 6px; font-weight: 800; }
.mt-badge.demo { color: #A31F00; border-color: #A31F00; }
.mt-badge.real { color: #00664A; border-color: #00664A; }
.mt-state { margin-left: auto; }
.mt-view { font-size: 28px; line-height: 1.35; }
.mt-chip { padding: 0 10px; border-radius: 6px; font-weight: 700; white-space: nowrap; }
.mt-hl-row { display: grid; grid-template-columns: 1fr 640px; gap: 28px; align-items: center; padding: 8px 0;
             border-bottom: 2px solid #BBBBBB; }
.mt-hl-text { font-size: 28px; line-height: 1.4; }
.mt-bullet { position: relative; }
.mt-blabels { display: flex; flex-wrap: wrap; column-gap: 16px; justify-content: space-between; font-size: 28px; line-height: 1.3; }
.mt-btext { font-weight: 800; white-space: nowrap; }
.mt-bmark { color: #7A0060; font-weight: 700; white-space: nowrap; }
.mt-dash { display: inline-block; width: 36px; border-top: 5px dashed #7A0060; vertical-align: middle; margin-right: 8px; }
.mt-track { position: relative; height: 44px; background: #EEEEEE; border: 2px solid #000; }
.mt-full { position: absolute; top: 0; bottom: 0; left: 0; border-right: 3px solid #000; }
.mt-fill { position: absolute; top: 6px; bottom: 6px; left: 0; }
.mt-mark { position: absolute; top: -6px; bottom: -6px; border-left: 5px dashed #7A0060; }
.mt-table { border-collapse: collapse; width: 100%; font-size: 28px; }
.mt-table th { background: #000; color: #FFF; padding: 4px 10px; text-align: center; font-weight: 700; }
.mt-table td { border: 2px solid #FFFFFF; border-bottom: 2px solid #999; padding: 2px 10px; text-align: center; white-space: nowrap; line-height: 1.35; }
.mt-table td.mt-unit { text-align: left; font-weight: 700; }
.mt-table td.mt-rank { font-weight: 800; }
.mt-table td.mt-total { font-weight: 800; }
.mt-change { display: inline-block; min-width: 56px; margin-left: 8px; }
.mt-rk { margin-left: 12px; word-spacing: 4px; }
.mt-flags { text-align: left !important; }
.mt-flag { padding: 0 8px; margin-right: 8px; border-radius: 6px; font-weight: 800; }
.mt-legend { font-size: 28px; margin-top: 8px; line-height: 1.45; }
.mt-adv { font-weight: 800; color: #00664A; }
.mt-behind { display: grid; grid-template-columns: repeat(3, 1fr); gap: 28px; }
.mt-col-h { font-size: 36px; font-weight: 800; border-bottom: 4px solid #000; margin-bottom: 6px; }
.mt-count { font-size: 28px; font-weight: 700; margin-left: 16px; }
.mt-behind-item { padding: 4px 0 6px 0; border-bottom: 2px solid #BBBBBB; }
.mt-sym { display: inline-block; width: 40px; text-align: center; border-radius: 6px; font-weight: 800; }
.mt-need { padding-left: 48px; font-weight: 700; }
.mt-more, .mt-none { padding-top: 8px; font-weight: 700; }
.mt-chart-h { font-size: 32px; font-weight: 800; }
.mt-trend-legend { font-size: 28px; line-height: 1.8; padding-top: 40px; }
.mt-line { display: inline-block; width: 80px; border-top: 5px solid; vertical-align: middle; margin-right: 16px; }
.mt-note { margin-top: 12px; line-height: 1.4; }
/* big controls that are easy to hit */
.stButton button, [data-testid="stPopover"] button { font-size: 28px !important; min-height: 60px; padding: 0 24px; font-weight: 700; }
.stButton button p, [data-testid="stPopover"] button p { font-size: 28px !important; }
</style>
"""
