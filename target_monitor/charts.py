"""Plotly figures (graph_objects only: px is ~10x slower to build on a hot page).

Colours are Okabe–Ito, readable with the common colour-vision deficiencies, and status is never
shown by colour alone: every bar carries the status symbol and word as text.
"""

from __future__ import annotations

import plotly.graph_objects as go
import pandas as pd

from target_monitor.i18n import STATUS_SYMBOL, t, status_label
from target_monitor.present import fmt_number, is_missing
from target_monitor.registry import Indicator

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
STATUS_COLOUR = {
    "done": "#009E73",
    "ahead": "#0072B2",
    "slightly_behind": "#E69F00",
    "far_behind": "#D55E00",
    "met": "#009E73",
    "not_met": "#D55E00",
    "year_end_check": "#6C6C9E",
    "not_done": "#D55E00",
    "no_target": "#999999",
    "no_data": "#BBBBBB",
}
PACE_COLOUR = "#CC79A7"
LAST_YEAR_COLOUR = "#7F7F7F"
BAR_COLOUR = "#56B4E9"


def _layout(fig: go.Figure, *, height: int, title: str | None = None, font_size: int = 15) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=30, t=40 if title else 10, b=10),
        font=dict(family=FONT, size=font_size, color="#1a1a1a"),
        title=dict(text=title, x=0, font=dict(size=font_size + 2)) if title else None,
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=1, xanchor="right"),
    )
    return fig


def _vline(x: float, line: dict) -> dict:
    """The shape `fig.add_vline` draws: a vertical line across the plot at x."""
    return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", line=line)


def _layout_dict(height: int, font_size: int = 15) -> dict:
    """`_layout`'s settings (untitled) as a dict, for figures built in one constructor call."""
    return dict(
        height=height,
        margin=dict(l=10, r=30, t=10, b=10),
        font=dict(family=FONT, size=font_size, color="#1a1a1a"),
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=1, xanchor="right"),
    )


def bullet_chart(ind: Indicator, own: pd.Series, alloc: pd.Series | None, time_progress: float, lang: str) -> go.Figure:
    """Completion against 100% with the 序时进度 mark; the district shows both target bases.

    Built in one go.Figure call: every add_*/update_* call re-validates the figure, which made
    the overview's charts ~6x slower to build than the same figure given whole.
    """
    if ind.is_rate:
        value, target = own["actual"], own["target"]
        top = max(100.0, value or 0)
        if ind.kind == "ceiling_rate" and not is_missing(target):
            # a ceiling of a few percent on 0-100% would be a sliver: the axis ends at twice the ceiling
            top = max(2 * float(target), (0 if is_missing(value) else float(value)) * 1.1)
        data = [dict(type="bar", x=[value or 0], y=[""], orientation="h", marker_color=STATUS_COLOUR[own["status"]],
                     text=[f"{fmt_number(ind, value)}%  {status_label(own['status'], lang)}"],
                     textposition="inside", insidetextanchor="start", hoverinfo="skip", showlegend=False)]
        layout = _layout_dict(height=110)
        if not is_missing(target):
            layout["shapes"] = [_vline(target, dict(color="#1a1a1a", width=3))]
            layout["annotations"] = [dict(x=target, y=0.5, yref="paper",
                                          text=f"{t('meeting_ceiling_mark' if ind.kind == 'ceiling_rate' else 'legend_target', lang)}"
                                               f" {'≤' if ind.kind == 'ceiling_rate' else ''}{fmt_number(ind, target)}%",
                                          showarrow=False, yanchor="bottom", xanchor="right", font=dict(size=13))]
        layout["xaxis"] = dict(range=[0, top], ticksuffix="%", showgrid=True, gridcolor="#eeeeee")
        return go.Figure(data=data, layout=layout)
    rows = [(t("own_target", lang), own)]
    if alloc is not None:
        rows.append((t("allocation_sum", lang), alloc))
    labels = [name for name, _ in rows]
    values = [r["completion_pct"] if not is_missing(r["completion_pct"]) else 0 for _, r in rows]
    colours = [STATUS_COLOUR[r["status"]] for _, r in rows]
    texts = [
        f"{r['completion_pct']:.1f}%  {STATUS_SYMBOL[r['status']]} {t('status_' + r['status'], lang)}"
        if not is_missing(r["completion_pct"]) else t("status_" + r["status"], lang)
        for _, r in rows
    ]
    top = max(110.0, max(values) + 5)
    data = [
        dict(type="bar", x=[100] * len(rows), y=labels, orientation="h", marker_color="#EDEDED", hoverinfo="skip",
             showlegend=False, width=0.8),
        dict(type="bar", x=values, y=labels, orientation="h", marker_color=colours, text=texts,
             textposition="inside", insidetextanchor="start", textfont=dict(color="white"),
             hoverinfo="skip", showlegend=False, width=0.45),
    ]
    layout = _layout_dict(height=80 + 45 * len(rows))
    layout.update(
        shapes=[_vline(time_progress, dict(color=PACE_COLOUR, width=3, dash="dash"))],
        annotations=[dict(x=time_progress, y=1, yref="paper", text=t("time_progress_is", lang, pct=f"{time_progress:.1f}"),
                          showarrow=False, yanchor="bottom", font=dict(size=12, color=PACE_COLOUR))],
        barmode="overlay",
        xaxis=dict(range=[0, top], ticksuffix="%", showgrid=True, gridcolor="#eeeeee"),
        yaxis=dict(autorange="reversed"),
    )
    return go.Figure(data=data, layout=layout)


def ranked_bars(ind: Indicator, rows: pd.DataFrame, time_progress: float, lang: str, names: dict[str, str]) -> go.Figure:
    """Units ranked by completion (or by rate), with the 序时进度 (or target) line."""
    rows = rows[rows["rank"].notna()].sort_values(["rank", "unit_code"])
    score = rows["actual"] if ind.is_rate else rows["completion_pct"]
    labels = [names[c] for c in rows["unit_code"]]
    texts = [
        f"{v:.1f}%  {STATUS_SYMBOL[s]} {t('status_' + s, lang)}" for v, s in zip(score, rows["status"])
    ]
    fig = go.Figure(go.Bar(
        x=score, y=labels, orientation="h", marker_color=[STATUS_COLOUR[s] for s in rows["status"]],
        text=texts, textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
    ))
    line_at = rows["target"].iloc[0] if ind.is_rate and len(rows) else time_progress
    line_label = t("legend_target", lang) if ind.is_rate else t("legend_pace", lang)
    # under the bars and their labels: drawn over them it struck through the figures beside it
    fig.add_vline(x=line_at, line=dict(color=PACE_COLOUR, width=3, dash="dash"), layer="below")
    fig.add_annotation(x=line_at, y=1, yref="paper", text=f"{line_label} {line_at:.1f}%", showarrow=False,
                       yanchor="bottom", font=dict(color=PACE_COLOUR))
    # the labels outside the bars ("98.6%  ◷ Judged at year end") are drawn in the right margin,
    # which is measured from the longest of them below: a share of the axis range is too little
    # when long unit names leave the plot narrow, and the English labels were cut at the image edge
    top = max([100.0, *[v for v in score if not is_missing(v)]]) * 1.05
    fig.update_xaxes(range=[0, top], ticksuffix="%", showgrid=True, gridcolor="#eeeeee", automargin=True)
    fig.update_yaxes(autorange="reversed", automargin=True)
    # a rate is ranked by its value against the target, not by a completion rate
    title = t("ranked_rate_chart_title" if ind.is_rate else "ranked_chart_title", lang, label=ind.label[lang])
    _layout(fig, height=70 + 30 * len(rows), title=title)
    # the left margin is measured from the longest unit name (automargin alone has cut names down
    # to their last character when the exported image was laid out before the CJK font loaded)
    fig.update_layout(margin=dict(l=label_width_px(labels, 15) + 16, r=label_width_px(texts, 15) + 24, t=48, b=10),
                      title=dict(xref="container", x=0.01))
    return fig


def label_width_px(labels, font_size: float) -> int:
    """An upper estimate of the widest label's width in pixels: CJK and other full-width
    characters take one em, Latin letters and digits about 0.56 em (Noto Sans CJK's metrics)."""
    import unicodedata

    def width(text: str) -> float:
        return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56 for ch in str(text))

    return int(max((width(x) for x in labels), default=0) * font_size) + 1


def trend_chart(ind: Indicator, series: pd.DataFrame, year: int, target: float | None, lang: str,
                title: str | None = None, allocation_target: float | None = None) -> go.Figure:
    """This year's monthly bars and cumulative line, last year's cumulative, and the pace line."""
    this = series[series["year"] == year]
    last = series[series["year"] == year - 1]
    months = list(range(1, 13))
    names = [t("month_n", lang, m=m) for m in months]
    fig = go.Figure()
    if not ind.is_rate:
        fig.add_trace(go.Bar(x=[names[m - 1] for m in this["month"]], y=this["value"], name=t("legend_monthly", lang),
                             marker_color=BAR_COLOUR, opacity=0.6))
    fig.add_trace(go.Scatter(x=[names[m - 1] for m in this["month"]], y=this["cumulative"], mode="lines+markers",
                             name=f"{year} {t('legend_cumulative', lang)}", line=dict(color="#0072B2", width=3)))
    if not last.empty:
        fig.add_trace(go.Scatter(x=[names[m - 1] for m in last["month"]], y=last["cumulative"], mode="lines",
                                 name=f"{year - 1} {t('legend_cumulative', lang)}",
                                 line=dict(color=LAST_YEAR_COLOUR, width=2, dash="dot")))
    if target is not None and not is_missing(target):
        if ind.is_rate:
            pace = [target] * 12
        else:
            pace = [target * m / 12 for m in months]
        fig.add_trace(go.Scatter(x=names, y=pace, mode="lines", name=t("legend_pace_line", lang),
                                 line=dict(color=PACE_COLOUR, width=2, dash="dash")))
    if allocation_target is not None and not is_missing(allocation_target) and not ind.is_rate:
        # a parent's allocations and its own target differ (41000 vs 31000): both pace lines
        fig.add_trace(go.Scatter(x=names, y=[allocation_target * m / 12 for m in months], mode="lines",
                                 name=t("legend_pace_line_alloc", lang),
                                 line=dict(color="#E69F00", width=2, dash="dashdot")))
    fig.update_xaxes(categoryorder="array", categoryarray=names)
    fig.update_yaxes(showgrid=True, gridcolor="#eeeeee", ticksuffix="%" if ind.is_rate else "",
                     title=ind.unit[lang] if not ind.is_rate else None)
    return _layout(fig, height=340, title=title)
