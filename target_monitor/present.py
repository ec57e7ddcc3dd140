"""Presentation helpers shared by pages, CLI and exports: number formats and official sentences.

No Streamlit here: these are plain functions over the progress table's rows, so the sentence
on the projected screen and the one in an exported briefing are the same string.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from target_monitor.i18n import MONTH_ABBR, status_label, t
from target_monitor.pace import round1
from target_monitor.registry import Indicator


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT


def fmt_number(ind: Indicator, x, *, sep: bool = True, trim: bool = False) -> str:
    """A value in the indicator's display format: 20958 / 1234.56 / 92.3.

    trim drops a zero fraction (targets read '1800万元' and '≥95%', not '1800.00万元').
    """
    if is_missing(x):
        return "—"
    if trim and abs(x - round(x)) < 1e-9:
        return f"{int(round(x)):,}" if sep else str(int(round(x)))
    if ind.is_rate or ind.format in ("pct1", "float1"):
        return f"{round1(x):.1f}"
    if ind.format == "int":
        return f"{int(math.floor(x + 0.5)):,}" if sep else str(int(math.floor(x + 0.5)))
    return f"{x:,.2f}" if sep else f"{x:.2f}"


def fmt_value(ind: Indicator, x, lang: str, *, sep: bool = True, trim: bool = False) -> str:
    """Value with its unit: '20,958人', '1,234.56万元', '92.3%'."""
    if is_missing(x):
        return "—"
    num = fmt_number(ind, x, sep=sep, trim=trim)
    unit = ind.unit[lang]
    if unit == "%":
        return num + "%"
    return f"{num}{unit}" if lang == "zh" else f"{num} {unit}"


def fmt_pct(x) -> str:
    return "—" if is_missing(x) else f"{round1(x):.1f}%"


def fmt_pp(x) -> str:
    return "—" if is_missing(x) else f"{round1(x):+.1f}"


def fmt_target(ind: Indicator, target, comparator, lang: str) -> str:
    if is_missing(target):
        return "—"
    if ind.is_rate:
        op = "≥" if comparator in (">=", None) else "≤"
        return f"{op}{fmt_number(ind, target, trim=True)}%"
    return fmt_value(ind, target, lang, trim=True)


def fmt_date(d: date, lang: str) -> str:
    return t("date_md", lang, m=d.month, d=d.day, mon=MONTH_ABBR[d.month - 1])


def fmt_months(months: float) -> str:
    return str(int(months)) if abs(months - round(months)) < 1e-9 else f"{months:.1f}"


def fmt_yoy(ind: Indicator, change, lang: str) -> str:
    if is_missing(change):
        return "—"
    sign = "+" if change >= 0 else "−"
    key = "yoy_pp" if ind.is_rate else "yoy_pct"
    return t(key, lang, sign=sign, value=f"{abs(change):.1f}")


def status_text(status: str, lang: str) -> str:
    return status_label(status, lang)


def _label_in_sentence(ind: Indicator, lang: str) -> str:
    # "其中：企业在职职工岗位技能培训" reads as a table line; in a sentence the prefix goes
    label = ind.label[lang]
    for prefix in ("其中：", "其中:", "of which: "):
        label = label.removeprefix(prefix)
    return label


def scope_of(unit, lang: str) -> str:
    """How a sentence names the whole: 全区 / 全市 / 全省, else the unit's own name."""
    from target_monitor.i18n import unit_label

    key = {"district": "scope_district", "city": "scope_city", "province": "scope_province"}.get(unit.unit_type)
    return t(key, lang) if key else t("scope_unit", lang, unit=unit_label(unit, lang))


def pace_phrase(row, lang: str) -> str:
    if row["status"] == "done" and not is_missing(row["completion_pct"]) and row["completion_pct"] > 100:
        return t("pace_done", lang)
    gap = row["gap_pp"]
    if is_missing(gap):
        return ""
    if gap > 0:
        return t("pace_ahead", lang, gap=f"{gap:.1f}")
    if gap < 0:
        return t("pace_behind", lang, gap=f"{abs(gap):.1f}")
    return t("pace_even", lang)


def historical_phrase(row, lang: str) -> str:
    """"按历史同期进度（46.2%）快21.8个百分点": completion against 历史同期进度 (the share of the
    year reached by this date in earlier years), beside the linear 序时进度; "" without one."""
    hist = row.get("historical_progress_pct") if hasattr(row, "get") else None
    if is_missing(hist) or is_missing(row["completion_pct"]) or row["status"] in ("done", "not_done"):
        return ""
    from target_monitor.pace import round1

    gap = round1(round1(row["completion_pct"]) - round1(hist))
    if gap == 0:
        return t("historical_vs_level", lang, hist=f"{hist:.1f}")
    direction = "historical_ahead" if gap > 0 else "historical_behind"
    return t("historical_vs", lang, hist=f"{hist:.1f}", dir=t(direction, lang), pp=f"{abs(gap):.1f}")


def ceiling_phrase(row, lang: str) -> str:
    """A ceiling rate against its control target (控制目标): "低于控制目标0.5个百分点（控制目标≤4.5%）",
    or "高于控制目标…" when above it (bad). `gap_pp` is the margin under the ceiling (positive: below)."""
    gap = row["gap_pp"]
    op = "≤" if row["comparator"] in ("<=", None) else "≥"
    target_text = f"{float(row['target']):g}"
    year_end = row["status"] == "year_end_check"
    if gap > 0:
        key = "ceiling_year_end_below" if year_end else "ceiling_below"
    elif gap < 0:
        key = "ceiling_year_end_above" if year_end else "ceiling_above"
    else:
        key = "ceiling_equal"
    return t(key, lang, op=op, target=target_text, gap=f"{abs(gap):.1f}")


def headline(ind: Indicator, row, as_of: date, lang: str, *, scope: str | None = None,
             allocation_row=None) -> str:
    """The official sentence for one indicator, e.g.
    截至6月30日，全区城镇新增就业20958人，完成全年目标任务的67.6%，快于序时进度17.6个百分点
    """
    scope = scope if scope is not None else t("scope_district", lang)
    date_text = fmt_date(as_of, lang)
    label = _label_in_sentence(ind, lang)
    if lang == "en":
        label = label[0].lower() + label[1:]
    if ind.is_rate:
        if is_missing(row["actual"]):
            return t("headline_no_target", lang, date=date_text, scope=scope, label=label, actual="—", unit="")
        if is_missing(row["target"]):
            return t("headline_no_target", lang, date=date_text, scope=scope, label=label,
                     actual=fmt_number(ind, row["actual"]), unit="%") + ("。" if lang == "zh" else ".")
        op = "≥" if row["comparator"] in (">=", None) else "≤"
        gap = row["gap_pp"]
        target_text = fmt_number(ind, row["target"], trim=True)
        if row["kind"] == "ceiling_rate":
            cmp = ceiling_phrase(row, lang)
        elif row["status"] == "year_end_check":
            # judged at the year end: the margin is what is still needed, never 达标/未达标 mid-year
            key = "rate_year_end_above" if gap > 0 else ("rate_year_end_short" if gap < 0 else "rate_year_end_equal")
            cmp = t(key, lang, op=op, target=target_text, gap=f"{abs(gap):.1f}")
        elif gap > 0:
            cmp = t("rate_above" if row["kind"] == "floor_rate" else "rate_below", lang, op=op, target=target_text, gap=f"{gap:.1f}")
        elif gap < 0:
            cmp = t("rate_below" if row["kind"] == "floor_rate" else "rate_above", lang, op=op, target=target_text, gap=f"{abs(gap):.1f}")
        else:
            cmp = t("rate_equal", lang, op=op, target=target_text)
        return t("headline_rate", lang, date=date_text, scope=scope, label=label,
                 actual=fmt_number(ind, row["actual"]), cmp=cmp) + ("。" if lang == "zh" else ".")
    unit = ind.unit[lang]
    actual = fmt_number(ind, row["actual"], sep=(lang == "en"))
    if is_missing(row["target"]):
        text = t("headline_no_target", lang, date=date_text, scope=scope, label=label, actual=actual, unit=unit)
        if not is_missing(row["yoy_change"]):
            text += ("，" if lang == "zh" else ", ") + fmt_yoy(ind, row["yoy_change"], lang)
        return text + ("。" if lang == "zh" else ".")
    text = t("headline_cumulative", lang, date=date_text, scope=scope, label=label, actual=actual, unit=unit,
             completion=f"{row['completion_pct']:.1f}", pace=pace_phrase(row, lang))
    hist = historical_phrase(row, lang)
    if hist:
        text += ("；" if lang == "zh" else "; ") + hist
    if allocation_row is not None and not is_missing(allocation_row["target"]):
        sep = "；" if lang == "zh" else "; "
        text += sep + t("headline_allocation", lang, target=fmt_number(ind, allocation_row["target"], sep=(lang == "en"), trim=True),
                        unit=unit, completion=f"{allocation_row['completion_pct']:.1f}")
    return text + ("。" if lang == "zh" else ".")


def required_pace_text(ind: Indicator, row, lang: str) -> str:
    """"剩余6个月，月均需完成1687人" (or 已完成全年目标任务)."""
    if ind.is_rate or is_missing(row["required_monthly"]):
        return "—"
    if row["required_monthly"] == 0:
        return t("already_done", lang)
    return t("remaining_pace", lang, months=fmt_months(row["months_remaining"]),
             value=fmt_number(ind, row["required_monthly"], sep=(lang == "en")), unit=ind.unit[lang])


def not_reported_text(code: str, missing: dict[str, list[int]] | None, lang: str) -> str:
    """"5月未报" for a unit that sent no records for a month up to the as-of date, else "".

    Shown beside the unit's figure (comparison table, meeting, 通报) so a low figure is never a
    silent lag: the reader sees that the month is missing, not that the unit did nothing."""
    months = (missing or {}).get(code)
    if not months:
        return ""
    return t("brief_not_reported_mark", lang, months=("、" if lang == "zh" else ", ").join(
        t("month_n", lang, m=m) for m in months))


def names_with_not_reported(names: dict[str, str], missing: dict[str, list[int]] | None, lang: str) -> dict[str, str]:
    """Unit names with "（5月未报）" appended where a month is missing (for display only)."""
    out = dict(names)
    for code in (missing or {}):
        mark = not_reported_text(code, missing, lang)
        if code in out and mark:
            out[code] = f"{out[code]}（{mark}）" if lang == "zh" else f"{out[code]} ({mark})"
    return out
