"""Meeting mode (会议模式): the projected screen's five views, as HTML and Plotly figures.

Pure functions (no Streamlit): the page (pages/meeting.py) only chooses the view and renders
what these return, so the browser test and the unit tests see the same markup.

Design for a projector at the back of a room, at any resolution (no scrolling, nothing cut):
- every size is a design pixel of 1920×1080 scaled to the screen (`u()`, CSS `--u`), so the
  screen looks the same at 1280×720, 1366×768, 1920×1080 and 3840×2160; at 1920×1080 the key
  figures are 76 and 64 px, the view title 60 px, body text 28 px (tables shrink only to fit);
- what does not fit (more units or indicators than the stage holds) is split into pages
  ("第1/2页") that the rotation shows in turn: every unit is on screen at some point;
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

VIEWS = ("headline", "ranking", "behind", "trend", "scores")  # the default rotation
# views shown only when the URL or the settings name them (?views=...,duban,units): "duban" lists
# the open 督办 items, "units" shows each unit's card in turn
EXTRA_VIEWS = ("duban", "units")
ALL_VIEWS = VIEWS + EXTRA_VIEWS
DEFAULT_INTERVAL = 20
MIN_INTERVAL, MAX_INTERVAL = 5, 600

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
        if name in ALL_VIEWS and name not in out:
            out.append(name)
    return out or list(VIEWS)


def parse_dwell(raw, views: list[str] | None = None) -> dict[str, int]:
    """Seconds per view from the URL (`dwell=headline:30,units:12`): known views only, each
    within MIN_INTERVAL..MAX_INTERVAL; a view not named keeps the interval."""
    out: dict[str, int] = {}
    for part in str(raw or "").split(","):
        name, _, secs = part.partition(":")
        name = name.strip()
        if name in (views or ALL_VIEWS) and secs.strip():
            try:
                out[name] = max(MIN_INTERVAL, min(MAX_INTERVAL, int(float(secs))))
            except ValueError:
                continue
    return out


def parse_red_dwell(raw) -> int | None:
    """Seconds a unit's card stays up when the unit is red (`red_dwell=40`); None: as other pages."""
    if raw in (None, ""):
        return None
    return parse_interval(raw)


def page_dwell(view: str, interval: int, dwell: dict[str, int], red_dwell: int | None, red: bool) -> int:
    """How long this page stays up: a red unit's card `red_dwell` (never shorter than its view's
    dwell), else the view's dwell, else the interval."""
    base = dwell.get(view, interval)
    return max(base, red_dwell) if red and red_dwell else base


def tick_seconds(interval: int, dwell: dict[str, int], red_dwell: int | None) -> int:
    """The timer's period: the largest step every dwell is a multiple of (the rotation then moves
    on time without rerunning more often than it must), never under MIN_INTERVAL."""
    from math import gcd

    g = 0
    for v in [interval, *dwell.values(), *([red_dwell] if red_dwell else [])]:
        g = gcd(g, int(v))
    return max(MIN_INTERVAL, g)


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


# ------------------------------------------------------------------ the design grid
#
# Every size below is in design pixels of a 1920×1080 screen and is drawn as
# calc(N * var(--u)), where --u is one design pixel scaled to the viewport (the smaller of its
# height / 1080 and width / 1920; CSS below). So the screen keeps its proportions at 1280×720,
# 1366×768 and 3840×2160 alike, nothing is fixed px, and what fits at 1920×1080 fits everywhere.
# What does not fit the stage (more units or indicators than rows or columns) is split into
# pages ("第1/2页") that the rotation shows in turn.

DESIGN_W = 1920
STAGE_W = 1864          # the width between the page margins (28 each side)
STAGE_H = 800           # the view's height between the top bar and the buttons
BODY_PX = 28            # body text on a 1920×1080 projector; tables shrink below it only to fit
MIN_TABLE_PX = 20
HEADLINE_ROW_H = 160    # one indicator on the headline view
FIGURE_PX, ACTUAL_PX = 76, 64   # the key figures: larger than the title (60)


def u(n: float) -> str:
    """A length of `n` design pixels, scaled to the viewport."""
    return f"calc({n:g} * var(--u))"


def text_em(s: str) -> float:
    """How wide `s` is in em: CJK and full-width characters 1, others about 0.6 (bold)."""
    return sum(1.0 if ord(c) > 0x2E7F else 0.6 for c in str(s))


def chunk(items: list, size: int) -> list[list]:
    """`items` in pages of at most `size`, as even as possible (13 rows in 2 pages: 7 + 6)."""
    size = max(1, size)
    if len(items) <= size:
        return [items]
    n = -(-len(items) // size)
    per = -(-len(items) // n)
    return [items[i:i + per] for i in range(0, len(items), per)]


def parse_page(raw) -> int:
    """The 1-based page in the URL as a 0-based index (0 when missing or not a number)."""
    try:
        return max(0, int(raw) - 1)
    except (TypeError, ValueError):
        return 0


def step_page(views: list[str], current: str | None, page: int, n_pages: int, delta: int) -> tuple[str, int]:
    """The next (or previous) page of the rotation: a view's pages first, then the next view.
    Going back into a view lands on its last page (-1: the page resolves it once it knows)."""
    if current not in views:
        return views[0], 0
    if delta > 0:
        return (current, page + 1) if page + 1 < n_pages else (step(views, current, +1), 0)
    return (current, page - 1) if page > 0 else (step(views, current, -1), -1)


def page_text(page: int, n_pages: int, lang: str) -> str:
    return t("meeting_page_n", lang, i=page + 1, n=n_pages) if n_pages > 1 else ""


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
            paused: bool, interval: int, page: int = 0, n_pages: int = 1, snapshot_id: str | None = None) -> str:
    label = t("demo_badge", lang) if is_demo else t("real_badge", lang)
    badge_cls = "mt-badge demo" if is_demo else "mt-badge real"
    state = t("meeting_paused", lang) if paused else t("meeting_rotating", lang, s=interval)
    return (
        '<div class="mt-top">'
        f'<div class="mt-title">{_e(view_title(view, lang))}</div>'
        f'<div class="mt-pos"><span class="mt-page">{_e(page_text(page, n_pages, lang))}</span>'
        f'<span data-testid="mt-position">{_e(position_text(views, view))}</span></div>'
        '</div>'
        '<div class="mt-status">'
        f'<span class="mt-stamp">{_e(t("data_as_of", lang, date=as_of.isoformat()))}</span>'
        f'<span>{_e(t("time_progress_is", lang, pct=f"{time_progress:.1f}"))}</span>'
        f'<span class="{badge_cls}">{_e(label)}</span>'
        + (f'<span class="mt-snap">{_e(t("meeting_snapshot", lang, id=snapshot_id))}</span>' if snapshot_id else "")
        + f'<span class="mt-state">{_e(state)}</span>'
        '</div>'
    )


# ------------------------------------------------------------------ view 1: district headline


def headline_figures(ind: Indicator, row, lang: str) -> str:
    """The key figures, the largest text on the screen: completion % and the actual (for a rate,
    the rate and its target)."""
    def num(text: str, cls: str) -> str:
        return f'<span class="{cls}">{_e(text)}</span>'

    label = f'<div class="mt-hl-label">{_e(ind.short_label[lang])}</div>'
    if ind.is_rate:
        rate = "—" if is_missing(row["actual"]) else f"{fmt_number(ind, row['actual'])}%"
        key = "meeting_ceiling_target" if ind.kind == "ceiling_rate" else "meeting_rate_target"
        target = "" if is_missing(row["target"]) else t(key, lang, target=fmt_number(ind, row["target"], trim=True))
        figs = num(rate, "mt-fig") + f'<span class="mt-fig-unit">{_e(target)}</span>'
    else:
        actual = num(fmt_number(ind, row["actual"], sep=(lang == "en")), "mt-act")
        unit = f'<span class="mt-fig-unit">{_e(ind.unit[lang])}</span>'
        done = "" if is_missing(row["completion_pct"]) else num(fmt_pct(row["completion_pct"]), "mt-fig")
        figs = done + actual + unit
    return f'<div class="mt-hl-figs">{label}<div class="mt-figs">{figs}</div></div>'


def bullet_html(ind: Indicator, row, time_progress: float, lang: str) -> str:
    """A bullet bar: completion (or the rate) against 100%, with the 序时进度 (or target) mark and
    the 100% tick labelled."""
    if ind.is_rate:
        value = row["actual"]
        mark, mark_label = row["target"], t("legend_target", lang)
        scale = 100.0
        if ind.kind == "ceiling_rate" and not is_missing(mark):
            # a ceiling of a few percent on a 0-100 bar would be a sliver: twice the ceiling is the scale
            mark_label = t("meeting_ceiling_mark", lang)
            scale = max(2 * float(mark), (0 if is_missing(value) else float(value)) * 1.1)
        shown = f"{fmt_number(ind, value)}%" if not is_missing(value) else "—"
    else:
        value = row["completion_pct"]
        mark, mark_label = time_progress, t("meeting_mark_pace", lang)
        scale = max(120.0, (0 if is_missing(value) else value) + 5)
        shown = fmt_pct(value)
    status = row["status"]
    bg, _ = PALETTE[status]
    width = 0 if is_missing(value) else min(100.0, value / scale * 100)
    text = f"{shown}  {STATUS_SYMBOL[status]} {t('status_' + status, lang)}"
    mark_text = f"{mark_label} {mark:.1f}%" if not is_missing(mark) else ""
    full = 100 / scale * 100
    tick = "100%"
    if scale != 100.0 and ind.is_rate:  # a ceiling's own scale: the right end is labelled with its value
        full, tick = 100.0, f"{scale:.1f}%"
    parts = ['<div class="mt-bullet">',
             f'<div class="mt-blabels"><span class="mt-btext">{_e(text)}</span>'
             f'<span class="mt-bmark"><span class="mt-dash"></span>{_e(mark_text)}</span></div>',
             '<div class="mt-track">']
    if not ind.is_rate:
        parts.append(f'<div class="mt-full" style="width:{full:.2f}%"></div>')
    parts.append(f'<div class="mt-fill" style="width:{width:.2f}%;background:{bg}"></div>')
    if not is_missing(mark):
        parts.append(f'<div class="mt-mark" style="left:{min(100.0, mark / scale * 100):.2f}%"></div>')
    parts.append("</div>")
    # the scale under the bar: 0 at the left, 100% at the full-target tick
    parts.append(f'<div class="mt-scale"><span style="left:0">0</span>'
                 f'<span class="mt-tick100" style="left:{full:.2f}%;transform:translateX(-{50 if full < 95 else 100}%)">'
                 f'{tick}</span></div>')
    parts.append("</div>")
    return "".join(parts)


def headline_pages(registry: Registry, progress: pd.DataFrame, as_of: date, lang: str) -> list[str]:
    tp = float(progress["time_progress_pct"].iloc[0])
    rows = []
    has_targets = progress["target"].notna().any()
    for ind in registry.indicators:
        own, alloc = parent_rows(progress, ind.name)
        if has_targets and is_missing(own["target"]) and (alloc is None or is_missing(alloc["target"])):
            continue  # a count without a target (失业人员再就业) is for the explorer, not the meeting
        sentence = headline(ind, own, as_of, lang, allocation_row=alloc)
        rows.append(
            f'<div class="mt-hl-row" style="height:{u(HEADLINE_ROW_H)}">'
            f'{headline_figures(ind, own, lang)}'
            f'<div class="mt-hl-text">{_e(sentence)}</div>'
            f'{bullet_html(ind, own, tp, lang)}'
            '</div>'
        )
    return [f'<div class="mt-view mt-headline">{"".join(page)}</div>'
            for page in chunk(rows, STAGE_H // HEADLINE_ROW_H)]


def headline_view(registry: Registry, progress: pd.DataFrame, as_of: date, lang: str) -> str:
    return "".join(headline_pages(registry, progress, as_of, lang))


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


def _sep(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def ranking_flags_short(rk: Ranking, unit_code: str | None, lang: str) -> str:
    """A unit's flags as words, short enough for a table column: "⚑红 ⚑黄×3"."""
    if unit_code is None:
        return ""
    out = []
    for rule in rk.unit_flags(unit_code):
        n = len(rk.flags[(rk.flags["unit_code"] == unit_code) & (rk.flags["flag"] == rule.name)])
        out.append(f"⚑{t(f'flag_{rule.colour}', lang)}" + (f"×{n}" if n > 1 else ""))
    return " ".join(out)


def ranking_flags_detail(rk: Ranking, registry: Registry, names: dict[str, str], lang: str) -> list[str]:
    """One line per flagged unit: each flag's rule and the indicators it was raised on."""
    sep, lp, rp, comma = ("：", "（", "）", "、") if lang == "zh" else (": ", " (", ")", ", ")
    lines = []
    for code in dict.fromkeys(rk.flags["unit_code"]):
        parts = []
        for rule in rk.unit_flags(code):
            inds = rk.flags[(rk.flags["unit_code"] == code) & (rk.flags["flag"] == rule.name)]["indicator"]
            labels = comma.join(registry.get(i).short_label[lang] for i in inds)
            parts.append(f"⚑{t('flag_' + rule.colour, lang)} {rule.label[lang]}{lp}{labels}{rp}")
        if parts:
            lines.append(f"**{names.get(code, code)}**{sep}" + ("；" if lang == "zh" else "; ").join(parts))
    return lines


def flag_legend(rk: Ranking, lang: str) -> str:
    gap = "　" if lang == "zh" else " · "
    items = [f'⚑{_e(t("flag_" + r.colour, lang))}{_sep(lang)}{_e(r.label[lang])}' for r in rk.rules]
    symbols = gap.join(f"{STATUS_SYMBOL[s]} {t('status_' + s, lang)}"
                       for s in ("done", "ahead", "slightly_behind", "far_behind", "met", "not_met"))
    return (f'<div class="mt-legend">{gap.join(items)}<br>{_e(symbols)}{gap}'
            f'{_e(t("meeting_change_note", lang))}</div>')


def _table_px(columns: list[list[str]], lang: str) -> int:
    """The largest body size (≤ 28 px) at which a table whose columns hold these texts fits the
    stage's width; each cell has 20 px of padding."""
    ems = sum(max(text_em(s) for s in col) for col in columns if col)
    pad = 24 * len(columns)
    return max(MIN_TABLE_PX, min(BODY_PX, int((STAGE_W - pad) / max(ems, 1))))


def _rows_per_page(px: int, reserved: float) -> int:
    """Table rows (at `px`) that fit under a header row in the stage less `reserved`."""
    row_h = px * 1.35 + 6
    return max(1, int((STAGE_H - reserved - (px * 1.35 + 10)) // row_h))


def ranking_pages(registry: Registry, progress: pd.DataFrame, rk: Ranking, names: dict[str, str],
                  lang: str) -> list[str]:
    inds = ranked_indicators(registry, progress)
    children = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]
    cell = {(r.unit_code, r.indicator): r for r in children.itertuples(index=False)}
    overall = {r.unit_code: r for r in rk.overall.itertuples(index=False)}
    codes = [c for c in rk.overall["unit_code"]]
    codes += [c for c in dict.fromkeys(children["unit_code"]) if c not in overall
              and any((c, i.name) in cell and not is_missing(cell[(c, i.name)].rank) for i in inds)]
    heads = [t("meeting_overall_rank", lang), t("unit", lang)] + [i.short_label[lang] for i in inds] + [
        t("meeting_flags", lang)]
    texts: list[list[str]] = [[] for _ in heads]
    rows = []
    for code in codes:
        o = overall.get(code)
        rank = f"{int(o.overall_rank)}" if o is not None else "—"
        change = fmt_change(o.overall_change) if o is not None else ""
        texts[0].append(f"{rank} {change}  ")
        texts[1].append(names[code])
        tds = [f'<td class="mt-rank">{rank}<span class="mt-change">{_e(change)}</span></td>',
               f'<td class="mt-unit">{_e(names[code])}</td>']
        for k, ind in enumerate(inds):
            r = cell.get((code, ind.name))
            if r is None or is_missing(r.rank):
                tds.append('<td class="mt-cell">—</td>')
                continue
            bg, fg = PALETTE[r.status]
            value = f"{fmt_number(ind, r.actual)}%" if ind.is_rate else fmt_pct(r.completion_pct)
            info = rk.rank_of(code, ind.name) or {}
            ch = fmt_change(info.get("rank_change"))
            rank_n = t("meeting_rank_n", lang, n=int(r.rank))
            texts[2 + k].append(f"{STATUS_SYMBOL[r.status]} {value} {rank_n} {ch} ")
            tds.append(f'<td class="mt-cell" style="background:{bg};color:{fg}">{STATUS_SYMBOL[r.status]} {value}'
                       f'<span class="mt-rk">{_e(rank_n)} {_e(ch)}</span></td>')
        flags = [(t(f"flag_{rule.colour}", lang)) for rule in rk.unit_flags(code)]
        texts[-1].append("⚑××" * len(flags) + "".join(flags))
        tds.append(f'<td class="mt-flags">{flag_badges(rk, code, lang)}</td>')
        rows.append("<tr>" + "".join(tds) + "</tr>")
    px = _table_px([[h] + col for h, col in zip(heads, texts)], lang)
    legend = flag_legend(rk, lang)
    legend_lines = 2 + int(text_em(legend) * BODY_PX > 2 * STAGE_W) + (1 if lang == "en" else 0)
    per_page = _rows_per_page(px, legend_lines * BODY_PX * 1.45 + 12)
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr>"
    return [f'<div class="mt-view mt-ranking"><table class="mt-table" style="font-size:{u(px)}">{head}'
            f'{"".join(page)}</table>{legend}</div>' for page in chunk(rows, per_page)]


def ranking_view(registry: Registry, progress: pd.DataFrame, rk: Ranking, names: dict[str, str], lang: str) -> str:
    return "".join(ranking_pages(registry, progress, rk, names, lang))


# ------------------------------------------------------------------ view 3: units behind pace


MAX_BEHIND_COLUMNS = 4


NOTE_CHARS = 36  # a note on the projector: its first words (the whole text is on the unit page)


def _note_line(note: str | None, missing: bool, lang: str) -> str:
    """The unit's 情况说明 under its figures, or 缺情况说明 when its red light has none."""
    if note:
        text = note if len(note) <= NOTE_CHARS else note[:NOTE_CHARS] + "…"
        return t("meeting_note", lang, text=text)
    return t("notes_missing", lang) if missing else ""


def _behind_item(ind: Indicator, r, names: dict[str, str], lang: str, note: str = "") -> tuple[str, list[str]]:
    """One unit in a column: its markup and its lines of text (to measure)."""
    bg, fg = PALETTE[r["status"]]
    sym = f'<span class="mt-sym" style="background:{bg};color:{fg}">{STATUS_SYMBOL[r["status"]]}</span>'
    name = names[r["unit_code"]]
    if ind.is_rate:
        value = f"{fmt_number(ind, r['actual'])}%" if not is_missing(r["actual"]) else "—"
        # mid-year a year-end rate is not yet "not met": it is named as short of the standard
        gap_key = "meeting_rate_gap_year_end" if r["status"] == "year_end_check" else "meeting_rate_gap"
        gap = "" if is_missing(r["gap_pp"]) else t(gap_key, lang, gap=f"{abs(r['gap_pp']):.1f}")
        need = t("meeting_rate_target", lang, target=fmt_number(ind, r["target"], trim=True))
    else:
        value = fmt_pct(r["completion_pct"])
        gap = t("meeting_gap_pp", lang, gap=f"{abs(r['gap_pp']):.1f}")
        need = required_pace_text(ind, r, lang)
    gap_text = (f"（{gap}）" if lang == "zh" else f" ({gap})") if gap else ""
    first = f"{name} {value}{gap_text}"
    markup = (f'<div class="mt-behind-item"><div>{sym} <b>{_e(name)}</b> {_e(value)}'
              f'<span class="mt-gap">{_e(gap_text)}</span></div>'
              f'<div class="mt-need">{_e(need)}</div>'
              + (f'<div class="mt-need {"mt-missing" if note == t("notes_missing", lang) else "mt-note"}">'
                 f'{_e(note)}</div>' if note else "") + '</div>')
    lines = [f"MM{name} {value}", gap_text] if gap_text else [f"MM{name} {value}"]
    return markup, lines, "MM" + need, ("MM" + note) if note else ""


FOOT_PX = 24  # the line under the behind view's columns (the units overdue with their report)


def behind_pages(registry: Registry, progress: pd.DataFrame, names: dict[str, str], lang: str,
                 notes: dict | None = None, missing: set | None = None, footer: str = "") -> list[str]:
    """Per indicator with unit targets, the units behind: behind pace (略慢 / 明显滞后) for totals,
    below target for rates. Every unit is shown: what does not fit goes to the next page.
    `notes` {(unit, indicator): text} puts the unit's 情况说明 under it, and `missing` (unit,
    indicator) pairs say 缺情况说明 (target_monitor/followup); without them the view is as before.
    `footer` (the units overdue with their report) goes under the columns of every page, inside the
    stage: the columns give up the room it needs."""
    notes, missing = notes or {}, missing or set()
    foot = (f'<div class="mt-foot" style="font-size:{u(FOOT_PX)}">{_e(footer)}</div>') if footer else ""
    foot_h = (-(-int(text_em(footer) * 1.04 * FOOT_PX) // STAGE_W) * FOOT_PX * 1.35 + 12) if footer else 0
    children = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]
    columns = []
    for ind in registry.indicators:
        rows = children[(children["indicator"] == ind.name) & children["target"].notna()]
        if rows.empty:
            continue
        bad = ["not_met"] if ind.is_rate else ["slightly_behind", "far_behind"]
        behind = rows[rows["status"].isin(bad)]
        # a rate judged at year end (◷ until December): the units below its standard still need naming
        year_end = ind.is_rate and (rows["status"] == "year_end_check").any()
        if year_end:
            below = rows[(rows["status"] == "year_end_check") & rows["gap_pp"].notna() & (rows["gap_pp"] < 0)]
            behind = pd.concat([behind, below])
        behind = behind.sort_values(["actual" if ind.is_rate else "gap_pp", "sort_order"])
        count_key = ("meeting_n_below_year_end" if year_end else "meeting_n_not_met") if ind.is_rate \
            else "meeting_n_behind"
        count = t(count_key, lang, n=len(behind))
        header = (f'<div class="mt-col-h">{_e(ind.short_label[lang])}'
                  f'<span class="mt-count">{_e(count)}</span></div>')
        items = [_behind_item(ind, r, names, lang, _note_line(notes.get((r["unit_code"], ind.name)),
                                                             (r["unit_code"], ind.name) in missing, lang))
                 for _, r in behind.iterrows()]
        # the header's width in design px: the label at 36, a 16 gap, the count at 28
        columns.append((header, items, ind, text_em(ind.short_label[lang]) * 36 + 16 + text_em(count) * 28))
    if not columns:
        return [f'<div class="mt-view"><div class="mt-none">✔ {_e(t("meeting_none_behind", lang))}</div>{foot}</div>']
    pages = []
    for group in chunk(columns, MAX_BEHIND_COLUMNS):
        n = len(group)
        col_w = (STAGE_W - 28 * (n - 1)) / n
        px = BODY_PX if n <= 3 else BODY_PX - 2
        per_line = col_w / px
        indented = per_line
        if notes or missing:
            # a note adds a line under most units, so the column's slack is gone: measure the
            # indented lines at their real width (less the 1.7em indent) and, in English, with the
            # room lost wrapping at word ends (CJK wraps anywhere)
            indented = max(4.0, (per_line - 1.7) * (0.85 if lang == "en" else 1.0))
        head_lines = max(1 + int(label_w > col_w) for _, _, _, label_w in group)
        budget = STAGE_H - 36 * 1.35 * head_lines - 16 - foot_h
        packed = []  # per column: its items split into pages by height
        for header, items, ind, _ in group:
            col_pages, used, cur = [], 0.0, []
            for markup, first, need, note in items:
                # the gap wraps as a whole: the first line holds it only when both fit
                # (text_em errs wide for digits, which are most of this line)
                n_first = 1 if sum(text_em(s) for s in first) <= per_line * 1.05 else 2
                n_need = max(1, -(-int(text_em(need) * 1.04) // int(indented)))
                n_note = max(1, -(-int(text_em(note) * 1.04) // int(indented))) if note else 0
                h = (n_first + n_need + n_note) * px * 1.35 + 10  # 8 padding, 2 border
                if cur and used + h > budget:
                    col_pages.append(cur)
                    cur, used = [], 0.0
                cur.append(markup)
                used += h
            col_pages.append(cur)
            packed.append((header, col_pages, ind))
        for k in range(max(len(p) for _, p, _ in packed)):
            cols = []
            for header, col_pages, ind in packed:
                if k < len(col_pages) and col_pages[k]:
                    body = "".join(col_pages[k])
                elif k == 0:
                    none = ("meeting_none_below_year_end" if "year_end_check" in set(
                        progress.loc[progress["indicator"] == ind.name, "status"]) else "meeting_none_not_met") \
                        if ind.is_rate else "meeting_none_behind"
                    body = f'<div class="mt-none">✔ {_e(t(none, lang))}</div>'
                else:
                    body = ""
                cols.append(f'<div class="mt-col">{header}{body}</div>')
            pages.append(f'<div class="mt-view mt-behind" style="font-size:{u(px)};'
                         f'grid-template-columns:repeat({n}, 1fr)">{"".join(cols)}</div>{foot}')
    return pages


def behind_view(registry: Registry, progress: pd.DataFrame, names: dict[str, str], lang: str) -> str:
    return "".join(behind_pages(registry, progress, names, lang))


# ------------------------------------------------------------------ view 4: trend against the pace line


def trend_indicators(registry: Registry, progress: pd.DataFrame) -> list[Indicator]:
    """Indicators with a district target (own basis), in registry order."""
    own = progress[(progress["level"] == "parent") & (progress["target_basis"] == "own") & progress["target"].notna()]
    have = set(own["indicator"])
    return [i for i in registry.indicators if i.name in have]


def nice_ticks(top: float, n: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5 or 5 × 10^k) up to at least `top`."""
    import math

    if not top or top <= 0 or math.isnan(top):
        return [0.0, 1.0]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    count = math.ceil(top / step - 1e-9)
    return [i * step for i in range(count + 1)]


def axis_label(value: float, ind: Indicator, lang: str) -> str:
    """A y-axis label in full (never '20k'): 20000 / 20,000, 2.5, 90%."""
    text = f"{value:,.10g}" if lang == "en" else f"{value:.10g}"
    return text + ("%" if ind.is_rate else "")


def trend_svg(ind: Indicator, series: pd.DataFrame, year: int, target: float | None, lang: str) -> str:
    """District cumulative this year (solid, with its latest value), last year (dotted) and the
    pace line to the target (dashed), as SVG in a 600×330 box that scales with its column: its
    text scales with the screen like every other text here."""
    this = series[series["year"] == year].sort_values("month")
    last = series[series["year"] == year - 1].sort_values("month")
    has_target = target is not None and not is_missing(target)
    values = list(this["cumulative"]) + list(last["cumulative"]) + ([target] if has_target else [])
    values = [v for v in values if not is_missing(v)]
    ticks = nice_ticks(max(values) * 1.02 if values else 0)
    if ind.is_rate and ticks[-1] < 100:
        ticks = nice_ticks(100)
    top = ticks[-1]
    w, h, fs = 600, 330, 22
    left = max(text_em(axis_label(v, ind, lang)) for v in ticks) * fs + 14
    right, top_pad, bottom = 16, 14, fs + 18
    pw, ph = w - left - right, h - top_pad - bottom

    def x(m: float) -> float:
        return left + (m - 0.5) / 12.3 * pw

    def y(v: float) -> float:
        return top_pad + ph - (v / top) * ph

    def path(points) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{x(m):.1f},{y(v):.1f}" for i, (m, v) in enumerate(points))

    out = [f'<svg class="mt-svg" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" '
           f'font-family="{FONT}" font-size="{fs}">']
    for v in ticks:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#CCCCCC" '
                   f'stroke-width="1.5"/>')
        out.append(f'<text x="{left - 8}" y="{y(v) + fs * 0.35:.1f}" text-anchor="end">'
                   f'{_e(axis_label(v, ind, lang))}</text>')
    out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#000" stroke-width="2"/>')
    for m in range(1, 13):
        out.append(f'<text x="{x(m):.1f}" y="{h - 8}" text-anchor="middle">{m}</text>')
    if len(last):
        out.append(f'<path d="{path(zip(last["month"], last["cumulative"]))}" fill="none" stroke="#555555" '
                   f'stroke-width="4" stroke-dasharray="2 7" stroke-linecap="round"/>')
    if has_target:
        pace = [(m, target if ind.is_rate else target * m / 12) for m in range(1, 13)]
        out.append(f'<path d="{path(pace)}" fill="none" stroke="{PACE_COLOUR}" stroke-width="4" '
                   f'stroke-dasharray="14 8"/>')
    if len(this):
        pts = list(zip(this["month"], this["cumulative"]))
        out.append(f'<path d="{path(pts)}" fill="none" stroke="#00508C" stroke-width="6"/>')
        out += [f'<circle cx="{x(m):.1f}" cy="{y(v):.1f}" r="6" fill="#00508C"/>' for m, v in pts]
        m, v = pts[-1]
        label = (f"{fmt_number(ind, v)}%" if ind.is_rate else fmt_number(ind, v, sep=(lang == "en")))
        anchor = "start" if m <= 8 else "end"
        lx = x(m) + (12 if anchor == "start" else -12)
        ly = y(v) - 12 if y(v) - 12 - 28 > 0 else y(v) + 36  # below the point when at the top
        out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="28" '
                   f'font-weight="800" fill="#00508C" stroke="#FFFFFF" stroke-width="6" paint-order="stroke">'
                   f'{_e(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def trend_figure(ind: Indicator, series: pd.DataFrame, year: int, target: float | None, lang: str,
                 height: int = 400) -> go.Figure:
    """The same chart as a Plotly figure (for exports): large type, full numbers on the axis."""
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
    # full numbers ("20000", not plotly's SI "20k")
    fig.update_yaxes(showgrid=True, gridcolor="#CCCCCC", ticksuffix="%" if ind.is_rate else "",
                     tickformat=",~r" if lang == "en" else "~r", separators=".," if lang == "en" else ". ",
                     tickfont=dict(size=24, color="#000"), rangemode="tozero")
    return fig


def trend_legend(lang: str) -> str:
    return (f'<div class="mt-trend-legend">'
            f'<div><span class="mt-line" style="border-color:#00508C;border-top-width:{u(6)}"></span>{_e(t("meeting_legend_this_year", lang))}</div>'
            f'<div><span class="mt-line" style="border-color:{PACE_COLOUR};border-top-style:dashed"></span>{_e(t("legend_pace_line", lang))}</div>'
            f'<div><span class="mt-line" style="border-color:#555;border-top-style:dotted"></span>{_e(t("meeting_legend_last_year", lang))}</div>'
            f'<div class="mt-note">{_e(t("meeting_trend_note", lang))}</div></div>')


def trend_title(ind: Indicator, own, lang: str) -> str:
    chip = status_chip(own["status"], lang)
    return f'<div class="mt-chart-h">{_e(ind.short_label[lang])} {chip}</div>'


TREND_PER_PAGE = 5  # a 3 × 2 grid: five charts and the legend


def trend_pages(registry: Registry, progress: pd.DataFrame, series: pd.DataFrame, root_code: str, year: int,
                lang: str) -> list[str]:
    cells = []
    for ind in trend_indicators(registry, progress):
        own, _ = parent_rows(progress, ind.name)
        rows = series[(series["unit_code"] == root_code) & (series["indicator"] == ind.name)]
        cells.append(f'<div class="mt-chart">{trend_title(ind, own, lang)}'
                     f'{trend_svg(ind, rows, year, own["target"], lang)}</div>')
    return [f'<div class="mt-view mt-trend">{"".join(page)}{trend_legend(lang)}</div>'
            for page in chunk(cells, TREND_PER_PAGE)]


# ------------------------------------------------------------------ view 5: assessment scores


def default_basis(configured: str, chosen: str | None, as_of: date) -> str:
    """The scoring basis the meeting shows: the one in the URL, else the time-progress preview
    before the year's last day (annual scoring mid-year gives everyone ✖ and 47–72 points),
    else the configured year-end rule."""
    from target_monitor.scoring import BASES

    if chosen in BASES:
        return chosen
    if as_of < date(as_of.year, 12, 31):
        return "time_progress"
    return configured


def points_label(label: str, points: float, lang: str) -> str:
    """'完成年度任务（50）' / 'Annual tasks (50)': full-width brackets only in Chinese."""
    return f"{label}（{points:g}）" if lang == "zh" else f"{label} ({points:g})"


_paren = points_label


def scores_pages(scores: list[UnitScore], config: ScoringConfig, names: dict[str, str], lang: str) -> list[str]:
    heads = ([t("meeting_place", lang), t("unit", lang)]
             + [_paren(config.group_labels[g][lang], config.group_points[g], lang) for g in ("annual", "special")]
             + [_paren(config.work_label[lang], config.work_points, lang), t("score_total", lang),
                t("score_all_done", lang), t("score_advanced", lang)])
    body, texts = [], [[] for _ in heads]
    place = 0
    for s in scores:
        if not s.assessed:
            continue
        place += 1
        done = "✔ " + t("yes", lang) if s.all_tasks_done else "✖ " + t("no", lang)
        adv = t("score_advanced_n", lang, n=s.advanced_rank) if s.advanced_rank else ""
        adv_html = f'<span class="mt-adv">★ {_e(adv)}</span>' if adv else ""
        for k, text in enumerate([str(place), names[s.unit_code], "00.00", "00.00", "00.00", "000.00", done,
                                  "★ " + adv]):
            texts[k].append(text)
        body.append(
            f'<tr><td class="mt-rank">{place}</td><td class="mt-unit">{_e(names[s.unit_code])}</td>'
            f'<td>{s.group_totals["annual"]:.2f}</td><td>{s.group_totals["special"]:.2f}</td>'
            f'<td>{s.group_totals["work"]:.2f}</td><td class="mt-total">{s.total:.2f}</td>'
            f'<td>{_e(done)}</td><td>{adv_html}</td></tr>'
        )
    advanced = sorted((s for s in scores if s.advanced_rank), key=lambda s: s.advanced_rank)
    if advanced:
        summary = t("score_advanced_list", lang, n=config.top_n,
                    names=("、" if lang == "zh" else ", ").join(names[s.unit_code] for s in advanced))
    else:
        summary = t("score_no_advanced", lang, min=f"{config.min_total:g}")
    basis = t("score_basis_" + config.basis, lang)
    px = _table_px([[h] + col for h, col in zip(heads, texts)], lang)
    lines = 1 + int(text_em(summary) * BODY_PX > STAGE_W) + 1 + int(text_em(basis) * BODY_PX > STAGE_W)
    per_page = _rows_per_page(px, lines * BODY_PX * 1.45 + 24)
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr>"
    return [f'<div class="mt-view mt-scores"><div class="mt-basis" data-basis="{_e(config.basis)}">{_e(basis)}</div>'
            f'<table class="mt-table" style="font-size:{u(px)}">{head}{"".join(page)}</table>'
            f'<div class="mt-legend"><b>{_e(summary)}</b></div></div>' for page in chunk(body, per_page)]


def scores_view(scores: list[UnitScore], config: ScoringConfig, names: dict[str, str], lang: str) -> str:
    return "".join(scores_pages(scores, config, names, lang))


# ------------------------------------------------------------------ extra view: 督办 items


def _months_text(months: list[str], lang: str) -> str:
    """The last month ends an item was red: 5月、6月 / M5, M6."""
    return ("、" if lang == "zh" else ", ").join(t("month_n", lang, m=int(m[5:7])) for m in months)


def duban_pages(items: list[dict], names: dict[str, str], labels: dict[str, str], lang: str,
                escalation: str = "") -> list[str]:
    """The 督办 items not yet closed (target_monitor/followup/duban.py): unit, indicator, state,
    the month ends it was red, the due date and ⚑约谈; paged like the ranking when they do not fit."""
    open_items = [it for it in items if it["state"] != "closed"]
    if not open_items:
        return [f'<div class="mt-view"><div class="mt-none">✔ {_e(t("meeting_duban_none", lang))}</div></div>']
    heads = [t("duban_col_unit", lang), t("indicator", lang), t("duban_col_state", lang), t("duban_col_red", lang),
             t("duban_col_due", lang), t("duban_col_escalation", lang)]
    texts: list[list[str]] = [[] for _ in heads]
    rows = []
    flag_bg, flag_fg = FLAG_STYLE["red"]
    for it in sorted(open_items, key=lambda x: (not x.get("escalated"), x["unit"], x["indicator"])):
        cells = [names.get(it["unit"], it["unit"]), labels.get(it["indicator"], it["indicator"]),
                 t("duban_state_" + it["state"], lang), _months_text(it["red_months"][-3:], lang),
                 it.get("due_on") or "—",
                 ("⚑" + t("duban_event_escalate", lang)) if it.get("escalated") else ""]
        for k, c in enumerate(cells):
            texts[k].append(c)
        flag = (f'<span class="mt-chip" style="background:{flag_bg};color:{flag_fg}">{_e(cells[5])}</span>'
                if cells[5] else "")
        rows.append(f'<tr><td class="mt-unit">{_e(cells[0])}</td><td>{_e(cells[1])}</td><td>{_e(cells[2])}</td>'
                    f'<td>{_e(cells[3])}</td><td>{_e(cells[4])}</td><td>{flag}</td></tr>')
    px = _table_px([[h] + col for h, col in zip(heads, texts)], lang)
    n_esc = sum(bool(it.get("escalated")) for it in open_items)
    count = t("meeting_duban_count", lang, n=len(open_items), m=n_esc)
    note = f" · ⚑{t('duban_event_escalate', lang)}：{escalation}" if escalation and n_esc and lang == "zh" else \
        (f" · ⚑{t('duban_event_escalate', lang)}: {escalation}" if escalation and n_esc else "")
    footer = f'<div class="mt-legend">{_e(count + note)}</div>'
    lines = 1 + int(text_em(count + note) * BODY_PX > STAGE_W)
    per_page = _rows_per_page(px, lines * BODY_PX * 1.45 + 12)
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr>"
    return [f'<div class="mt-view mt-duban"><table class="mt-table" style="font-size:{u(px)}">{head}'
            f'{"".join(page)}</table>{footer}</div>' for page in chunk(rows, per_page)]


# ------------------------------------------------------------------ view 6: each unit's card in turn


RED_STATUSES = ("far_behind", "not_met", "not_done")


def card_units(progress: pd.DataFrame, rk: Ranking) -> list[str]:
    """The units shown one card each: the compared units, in overall rank order, then the rest in
    the table's order."""
    children = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]
    ranked = [c for c in rk.overall["unit_code"] if c in set(children["unit_code"])]
    return ranked + [c for c in dict.fromkeys(children["unit_code"]) if c not in ranked]


def unit_is_red(progress: pd.DataFrame, rk: Ranking, code: str) -> bool:
    """Red: a red flag, or any indicator far behind pace, not met or not done (the red fills)."""
    rows = progress[(progress["unit_code"] == code) & (progress["level"] == "child")
                    & (progress["target_basis"] == "own")]
    return bool(rows["status"].isin(RED_STATUSES).any()) or any(r.colour == "red" for r in rk.unit_flags(code))


def unit_pages(registry: Registry, progress: pd.DataFrame, rk: Ranking, names: dict[str, str],
               lang: str) -> list[tuple[str, str, bool]]:
    """One page per unit: (its card's markup, its code, whether it is red). The card: the unit's
    name, overall rank and flags, and per indicator its figure, status and bullet bar."""
    tp = float(progress["time_progress_pct"].iloc[0])
    children = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]
    overall = {r.unit_code: r for r in rk.overall.itertuples(index=False)}
    out = []
    for code in card_units(progress, rk):
        mine = children[children["unit_code"] == code].set_index("indicator")
        o = overall.get(code)
        rank = (t("meeting_card_rank", lang, n=int(o.overall_rank), of=len(overall)) + " " + fmt_change(o.overall_change)
                if o is not None else "")
        red = unit_is_red(progress, rk, code)
        rows = []
        for ind in registry.indicators:
            if ind.name not in mine.index:
                continue
            row = mine.loc[ind.name]
            if isinstance(row, pd.DataFrame):
                row = row.iloc[0]
            if ind.is_rate:
                fig = "—" if is_missing(row["actual"]) else f"{fmt_number(ind, row['actual'])}%"
                sub = "" if is_missing(row["target"]) else t("meeting_rate_target", lang,
                                                              target=fmt_number(ind, row["target"], trim=True))
            else:
                fig = "—" if is_missing(row["completion_pct"]) else fmt_pct(row["completion_pct"])
                target = "—" if is_missing(row["target"]) else fmt_number(ind, row["target"], sep=(lang == "en"))
                sub = f"{fmt_number(ind, row['actual'], sep=(lang == 'en'))} / {target} {ind.unit[lang]}"
            rows.append(f'<div class="mt-card-row"><div class="mt-hl-label">{_e(ind.short_label[lang])}</div>'
                        f'<div class="mt-card-fig">{_e(fig)}<span class="mt-fig-unit">{_e(sub)}</span></div>'
                        f'{bullet_html(ind, row, tp, lang)}</div>')
        head = (f'<div class="mt-card-h"><span class="mt-card-name">{_e(names.get(code, code))}</span>'
                f'<span class="mt-card-rank">{_e(rank)}</span>{flag_badges(rk, code, lang)}'
                + (f'<span class="mt-card-red">{_e(t("meeting_card_red", lang))}</span>' if red else "")
                + '</div>')
        out.append((f'<div class="mt-view mt-units" data-unit="{_e(code)}">{head}'
                    f'<div class="mt-card-rows">{"".join(rows)}</div></div>', code, red))
    return out or [(f'<div class="mt-view mt-units"><div class="mt-none">{_e(t("meeting_no_views", lang))}</div></div>',
                    "", False)]


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

# Written in design pixels of 1920×1080 for reading; `scale_css` turns every "Npx" into
# calc(N * var(--u)), so the whole screen scales with the viewport and nothing is fixed px.
_DESIGN_CSS = """
<style>
:root { --u: min(calc(100vh / 1080), calc(100vw / 1920)); }
/* meeting mode: no sidebar, no Streamlit chrome, the whole screen */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"], footer,
[data-testid="stElementContainer"]:has(.tm-stamp), [data-testid="stElementContainer"]:has(.tm-snapshot) { display: none !important; }
[data-testid="stElementContainer"]:has(> iframe), [data-testid="stElementContainer"]:has(> div > iframe) { position: absolute; height: 1px; width: 1px; overflow: hidden; opacity: 0; }
[data-testid="stMainBlockContainer"], .block-container { padding: 10px 28px 0 28px !important; max-width: 100% !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 8px; }
[data-testid="stMain"] { overflow: hidden; }
/* Streamlit pulls the next element up by 1rem under markdown: not under ours */
[data-testid="stMarkdownContainer"]:has(.mt-top), [data-testid="stMarkdownContainer"]:has(.mt-stage) { margin-bottom: 0 !important; }
html, body, [data-testid="stAppViewContainer"] { background: #FFFFFF; color: #000000; }
.mt-top, .mt-status, .mt-view, .mt-legend, .mt-trend-legend, .mt-chart-h { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif; color: #000; }
.mt-top { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 4px solid #000; }
.mt-title { font-size: 60px; font-weight: 800; line-height: 1.15; white-space: nowrap; }
.mt-pos { font-size: 44px; font-weight: 800; white-space: nowrap; }
.mt-page { margin-right: 32px; color: #00508C; }
.mt-status { display: flex; gap: 36px; font-size: 28px; line-height: 1.5; padding: 2px 0 4px 0; align-items: center; white-space: nowrap; }
.mt-stamp { font-weight: 700; }
.mt-badge { padding: 0 14px; border: 3px solid; border-radius: 6px; font-weight: 800; }
.mt-badge.demo { color: #A31F00; border-color: #A31F00; }
.mt-badge.real { color: #00664A; border-color: #00664A; }
.mt-snap { font-weight: 800; color: #00508C; }
.mt-state { margin-left: auto; }
.mt-stage { height: 800px; overflow: hidden; }
.mt-view { font-size: 28px; line-height: 1.35; }
.mt-chip { display: inline-block; line-height: 1.25; padding: 0 10px; border-radius: 6px; font-weight: 700; white-space: nowrap; }
/* one grid for all rows (subgrid): the figures' column is as wide as the widest figures */
.mt-headline { display: grid; grid-template-columns: max-content 1fr 480px; column-gap: 28px; }
.mt-hl-row { display: grid; grid-column: 1 / -1; grid-template-columns: subgrid; align-items: center;
             border-bottom: 2px solid #BBBBBB; box-sizing: border-box; overflow: hidden; }
.mt-hl-label { font-size: 30px; font-weight: 800; line-height: 1.2; white-space: nowrap; }
.mt-figs { white-space: nowrap; line-height: 1.1; }
.mt-fig { font-size: 76px; font-weight: 800; margin-right: 24px; }
.mt-act { font-size: 64px; font-weight: 800; color: #00508C; }
.mt-fig-unit { font-size: 30px; font-weight: 700; margin-left: 6px; }
.mt-hl-text { font-size: 26px; line-height: 1.35; }
.mt-bullet { position: relative; }
.mt-blabels { display: flex; flex-wrap: wrap; column-gap: 16px; justify-content: space-between; font-size: 28px; line-height: 1.3; }
.mt-btext { font-weight: 800; white-space: nowrap; }
.mt-bmark { color: #7A0060; font-weight: 700; white-space: nowrap; }
.mt-dash { display: inline-block; width: 36px; border-top: 5px dashed #7A0060; vertical-align: middle; margin-right: 8px; }
.mt-track { position: relative; height: 40px; background: #EEEEEE; border: 2px solid #000; }
.mt-full { position: absolute; top: 0; bottom: 0; left: 0; border-right: 3px solid #000; }
.mt-fill { position: absolute; top: 6px; bottom: 6px; left: 0; }
.mt-mark { position: absolute; top: -6px; bottom: -6px; border-left: 5px dashed #7A0060; }
.mt-scale { position: relative; height: 30px; font-size: 22px; line-height: 30px; font-weight: 700; }
.mt-scale span { position: absolute; top: 0; }
.mt-table { border-collapse: collapse; width: 100%; }
.mt-table th { background: #000; color: #FFF; padding: 4px 12px; text-align: center; font-weight: 700; line-height: 1.35; }
.mt-table td { border: 2px solid #FFFFFF; border-bottom: 2px solid #999; padding: 1px 12px; text-align: center; white-space: nowrap; line-height: 1.35; }
.mt-table td.mt-unit { text-align: left; font-weight: 700; }
.mt-table td.mt-rank { font-weight: 800; }
.mt-table td.mt-total { font-weight: 800; }
.mt-change { display: inline-block; min-width: 2em; margin-left: 8px; }
.mt-rk { margin-left: 12px; word-spacing: 4px; }
.mt-flags { text-align: left !important; }
.mt-flag { padding: 0 8px; margin-right: 8px; border-radius: 6px; font-weight: 800; }
.mt-legend { font-size: 28px; margin-top: 8px; line-height: 1.45; }
.mt-foot { margin-top: 12px; padding: 0 8px; line-height: 1.35; color: #7c2d12; background: #fff7e6; border-left: 6px solid #d97706; }
.mt-basis { font-size: 28px; font-weight: 800; color: #00508C; margin-bottom: 8px; line-height: 1.35; }
.mt-adv { font-weight: 800; color: #00664A; }
.mt-behind { display: grid; gap: 28px; }
.mt-col-h { font-size: 36px; font-weight: 800; border-bottom: 4px solid #000; margin-bottom: 6px; line-height: 1.35; }
.mt-count { font-size: 28px; font-weight: 700; margin-left: 16px; white-space: nowrap; }
.mt-behind-item { padding: 3px 0 5px 0; border-bottom: 2px solid #BBBBBB; }
.mt-sym { display: inline-block; width: 1.4em; text-align: center; border-radius: 6px; font-weight: 800; }
.mt-gap { white-space: nowrap; }
.mt-need { padding-left: 1.7em; font-weight: 700; }
.mt-note { font-weight: 400; color: #333; }
.mt-missing { color: #A31F00; }
.mt-more, .mt-none { padding-top: 8px; font-weight: 700; }
.mt-trend { display: grid; grid-template-columns: repeat(3, 1fr); column-gap: 28px; row-gap: 8px; }
.mt-chart-h { font-size: 32px; font-weight: 800; line-height: 1.3; white-space: nowrap; }
.mt-svg { width: 100%; height: auto; display: block; }
.mt-trend-legend { font-size: 28px; line-height: 1.8; padding-top: 40px; }
.mt-line { display: inline-block; width: 80px; border-top: 5px solid; vertical-align: middle; margin-right: 16px; }
.mt-note { margin-top: 12px; line-height: 1.4; }
.mt-card-h { display: flex; align-items: baseline; gap: 28px; border-bottom: 4px solid #000; padding-bottom: 4px; margin-bottom: 8px; white-space: nowrap; }
.mt-card-name { font-size: 56px; font-weight: 800; }
.mt-card-rank { font-size: 36px; font-weight: 800; color: #00508C; }
.mt-card-red { font-size: 32px; font-weight: 800; color: #FFFFFF; background: #A31F00; padding: 0 14px; border-radius: 6px; }
.mt-card-rows { display: grid; grid-template-columns: max-content max-content 1fr; column-gap: 36px; }
.mt-card-row { display: grid; grid-column: 1 / -1; grid-template-columns: subgrid; align-items: center; min-height: 96px; border-bottom: 2px solid #BBBBBB; }
.mt-card-fig { font-size: 52px; font-weight: 800; white-space: nowrap; line-height: 1.1; }
/* big controls that are easy to hit, always on screen: pinned to the bottom edge */
[data-testid="stHorizontalBlock"]:has(.st-key-mt_prev) { position: fixed; left: 28px; right: 28px; bottom: 10px; width: auto !important; z-index: 100; background: #FFFFFF; }
.stButton button, [data-testid="stPopover"] button { font-size: 28px !important; min-height: 60px; padding: 0 24px; font-weight: 700; }
.stButton button p, [data-testid="stPopover"] button p { font-size: 28px !important; }
</style>
"""


def scale_css(css: str) -> str:
    """Every "Npx" as calc(N * var(--u)): design pixels of 1920×1080 scaled to the viewport."""
    import re

    return re.sub(r"(?<![\w.-])(\d+(?:\.\d+)?)px", lambda m: f"calc({m.group(1)} * var(--u))", css)


CSS = scale_css(_DESIGN_CSS)
