"""The drafted briefing (通报): official-style text from the same numbers as the screen.

Built from the progress table (`progress.progress_table`) and the months without records
(`Context.missing_months`); no SQL, no Streamlit. Sections:
  一、总体情况   the district headline per indicator (actual, completion %, comparison with 序时进度
                in 百分点, change on the same period last year, and the allocation sum beside it);
  二、各单位完成情况  per indicator, the units ahead of and behind 序时进度 by name (rates: met / not met);
  三、数据报送情况  units that sent no records for a month up to the as-of date;
  四、下一步要求    the laggards' required pace ("剩余6个月，月均需完成120人").
Percentages to one decimal, money in 万元, exactly as `present` formats them on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from target_monitor.i18n import t, unit_label
from target_monitor.pace import months_remaining
from target_monitor.present import (
    _label_in_sentence, fmt_months, fmt_number, headline, is_missing, required_pace_text,
)
from target_monitor.progress import parent_rows
from target_monitor.reference import Units
from target_monitor.registry import Indicator, Registry

BEHIND = ("slightly_behind", "far_behind")
AHEAD = ("ahead", "done")


@dataclass
class Briefing:
    title: str
    subtitle: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    def to_text(self) -> str:
        lines = [self.title, self.subtitle, ""]
        for heading, paragraphs in self.sections:
            lines.append(heading)
            lines.extend(paragraphs)
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def to_docx(self, header=None, lang: str | None = None) -> bytes:
        """A Word document laid out as an official document (GB/T 9704-2012): the issuing body,
        document number, addressees and date around this text (target_monitor/exports/official.py).
        `header` (an OfficialHeader) defaults to data/reference/official_document.yaml, dated today."""
        from target_monitor.exports.official import load_header, official_docx

        if lang is None:
            lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in self.title) else "en"
        return official_docx(self.title, self.subtitle, self.sections, header or load_header(lang), lang)


def _end(lang: str) -> str:
    return "。" if lang == "zh" else "."


def _join(names: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(names)


def _yoy_clause(ind: Indicator, row, lang: str) -> str:
    change = row["yoy_change"]
    if is_missing(change):
        return ""
    if ind.is_rate:
        key = "brief_yoy_rate_up" if change > 0 else ("brief_yoy_rate_down" if change < 0 else "brief_yoy_flat")
    else:
        key = "brief_yoy_up" if change > 0 else ("brief_yoy_down" if change < 0 else "brief_yoy_flat")
    return t(key, lang, value=f"{abs(change):.1f}")


def district_sentence(ind: Indicator, own, alloc, as_of: date, lang: str) -> str:
    """The screen's headline with the change on the same period last year added."""
    text = headline(ind, own, as_of, lang).rstrip("。.")
    yoy = _yoy_clause(ind, own, lang)
    if yoy:
        text += ("，" if lang == "zh" else ", ") + yoy
    if alloc is not None and not is_missing(alloc["target"]) and not is_missing(alloc["completion_pct"]):
        unit = ind.unit[lang]
        text += ("；" if lang == "zh" else "; ") + t(
            "headline_allocation", lang, target=fmt_number(ind, alloc["target"], sep=(lang == "en"), trim=True),
            unit=unit, completion=f"{alloc['completion_pct']:.1f}")
    return text + _end(lang)


def _children(progress: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    rows = progress[(progress["level"] == "child") & (progress["indicator"] == ind.name)
                    & (progress["target_basis"] == "own") & progress["target"].notna()]
    return rows.sort_values(["rank", "sort_order"], na_position="last")


def units_sentence(ind: Indicator, progress: pd.DataFrame, names: dict[str, str], lang: str) -> str | None:
    """Who is ahead and who is behind on one indicator, by name (in rank order)."""
    rows = _children(progress, ind)
    if rows.empty:
        return None
    label = _label_in_sentence(ind, lang)
    parts = []
    if ind.is_rate:
        met = [names[c] for c in rows.loc[rows["status"] == "met", "unit_code"]]
        not_met = [f"{names[r.unit_code]}（{fmt_number(ind, r.actual)}%）" if lang == "zh"
                   else f"{names[r.unit_code]} ({fmt_number(ind, r.actual)}%)"
                   for r in rows[rows["status"] == "not_met"].itertuples()]
        parts.append(t("brief_units_met", lang, n=len(met), names=_join(met, lang)) if met
                     else t("brief_units_met_none", lang))
        if not_met:
            parts.append(t("brief_units_not_met", lang, n=len(not_met), names=_join(not_met, lang)))
    else:
        done = [names[c] for c in rows.loc[rows["status"] == "done", "unit_code"]]
        ahead = [names[c] for c in rows.loc[rows["status"] == "ahead", "unit_code"]]
        behind_rows = rows[rows["status"].isin(BEHIND)].sort_values(["gap_pp", "sort_order"], ascending=[False, True])
        behind = [f"{names[r.unit_code]}（{r.completion_pct:.1f}%）" if lang == "zh"
                  else f"{names[r.unit_code]} ({r.completion_pct:.1f}%)" for r in behind_rows.itertuples()]
        if done:
            parts.append(t("brief_units_done", lang, n=len(done), names=_join(done, lang)))
        if ahead:
            parts.append(t("brief_units_ahead", lang, n=len(ahead), names=_join(ahead, lang)))
        if behind:
            parts.append(t("brief_units_behind", lang, n=len(behind), names=_join(behind, lang)))
        else:
            parts.append(t("brief_units_behind_none", lang))
    sep = "；" if lang == "zh" else "; "
    return t("brief_units_lead", lang, label=label) + sep.join(parts) + _end(lang)


def reporting_sentence(missing: dict[str, list[int]], as_of: date, names: dict[str, str], lang: str) -> str:
    """Units without records for a month up to the as-of date, or that every unit has reported."""
    if not missing:
        return t("brief_all_reported", lang, m=as_of.month)
    items = []
    for code, months in missing.items():
        month_text = ("、" if lang == "zh" else ", ").join(t("month_n", lang, m=m) for m in months)
        items.append(t("brief_not_reported_item", lang, unit=names.get(code, code), months=month_text))
    this_month = [names.get(c, c) for c, months in missing.items() if as_of.month in months]
    text = t("brief_not_reported", lang, items=_join(items, lang))
    if this_month:
        text += ("，" if lang == "zh" else "; ") + t("brief_not_reported_this_month", lang, m=as_of.month,
                                                   names=_join(this_month, lang))
    return text + ("，" if lang == "zh" else ", ") + t("brief_please_report", lang) + _end(lang)


def laggard_sentences(registry: Registry, progress: pd.DataFrame, names: dict[str, str], lang: str) -> list[str]:
    """One sentence per indicator: each unit behind pace, its gap and the monthly pace it now needs."""
    out = []
    for ind in registry.indicators:
        if ind.is_rate:
            continue
        rows = _children(progress, ind)
        rows = rows[rows["status"].isin(BEHIND)].sort_values(["gap_pp", "sort_order"])
        if rows.empty:
            continue
        items = []
        for _, r in rows.iterrows():
            items.append(t("brief_laggard_item", lang, unit=names[r["unit_code"]], completion=f"{r['completion_pct']:.1f}",
                           gap=f"{abs(r['gap_pp']):.1f}", pace=required_pace_text(ind, r, lang)))
        sep = "；" if lang == "zh" else "; "
        out.append(t("brief_laggard_lead", lang, label=_label_in_sentence(ind, lang)) + sep.join(items) + _end(lang))
    return out


def build_briefing(registry: Registry, units: Units, progress: pd.DataFrame, missing: dict[str, list[int]],
                   year: int, as_of: date, lang: str, *, is_demo: bool = False) -> Briefing:
    district = units.root()
    names = {u.code: unit_label(u, lang) for u in units}
    tp = float(progress["time_progress_pct"].iloc[0])
    title = t("brief_title", lang, district=unit_label(district, lang), year=year)
    subtitle = t("brief_subtitle", lang, date=as_of.isoformat(), tp=f"{tp:.1f}",
                 months=fmt_months(months_remaining(as_of)))
    if is_demo:
        subtitle += t("brief_demo_note", lang)
    overall = []
    for ind in registry.indicators:
        own, alloc = parent_rows(progress, ind.name)
        overall.append(district_sentence(ind, own, alloc, as_of, lang))
    by_unit = [s for s in (units_sentence(ind, progress, names, lang) for ind in registry.indicators) if s]
    if progress["target"].notna().any():
        laggards = laggard_sentences(registry, progress, names, lang) or [t("brief_no_laggards", lang)]
    else:  # no task breakdown table for the year: nothing to be behind on
        laggards = []
    if not by_unit:
        by_unit = [t("no_targets_year", lang, year=year)]
    return Briefing(title=title, subtitle=subtitle, sections=[
        (t("brief_h_overall", lang), overall),
        (t("brief_h_units", lang), by_unit),
        (t("brief_h_reporting", lang), [reporting_sentence(missing, as_of, names, lang)]),
        (t("brief_h_next", lang), laggards),
    ])

