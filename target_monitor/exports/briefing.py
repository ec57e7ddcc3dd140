"""The text that goes into a snapshot's report: headline sentences and a short briefing.

HOOK: this is the foundation's wording only (present.headline per indicator, plus the units
behind pace and the required monthly pace). When the meeting issue's richer briefing text
(通报) and scores land, `briefing_lines` should call it instead; every export (the 通报 sheet,
the PDF's last section) goes through this one function, so that is the only change needed.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from target_monitor.i18n import t, unit_label
from target_monitor.present import headline, required_pace_text
from target_monitor.progress import parent_rows
from target_monitor.reference import Units
from target_monitor.registry import Registry


def headline_sentences(progress: pd.DataFrame, registry: Registry, as_of: date, lang: str) -> list[str]:
    """One official sentence per indicator, for the district (same text as the 总览 page)."""
    out = []
    for ind in registry.indicators:
        own, alloc = parent_rows(progress, ind.name)
        out.append(headline(ind, own, as_of, lang, allocation_row=alloc))
    return out


def briefing_lines(progress: pd.DataFrame, registry: Registry, units: Units, as_of: date, lang: str) -> list[str]:
    """Paragraphs of the briefing: headlines, then per indicator the units behind and the pace needed."""
    from target_monitor.exports.report import _MONTHS

    day = t("date_long", lang, y=as_of.year, m=as_of.month, d=as_of.day, mon=_MONTHS[as_of.month - 1])
    lines = [t("brief_intro", lang, date=day,
               pct=f"{float(progress['time_progress_pct'].iloc[0]):.1f}")]
    lines += headline_sentences(progress, registry, as_of, lang)
    sep = "、" if lang == "zh" else ", "
    for ind in registry.indicators:
        rows = progress[(progress["level"] == "child") & (progress["indicator"] == ind.name)]
        behind = rows[rows["status"].isin(["far_behind", "not_met"])].sort_values("sort_order")
        slightly = rows[rows["status"] == "slightly_behind"].sort_values("sort_order")
        label = ind.label[lang].removeprefix("其中：").removeprefix("of which: ")
        if len(behind):
            names = sep.join(unit_label(units[c], lang) for c in behind["unit_code"])
            lines.append(t("brief_behind", lang, label=label, n=len(behind), names=names))
        if len(slightly):
            names = sep.join(unit_label(units[c], lang) for c in slightly["unit_code"])
            lines.append(t("brief_slightly", lang, label=label, n=len(slightly), names=names))
        own, _ = parent_rows(progress, ind.name)
        pace_text = required_pace_text(ind, own, lang)
        if pace_text != "—":
            lines.append(t("brief_pace", lang, label=label, text=pace_text))
    return lines
