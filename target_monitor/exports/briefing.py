"""The text that goes into a snapshot's report: headline sentences and a short briefing.

`briefing_lines` is the drafted briefing of meeting mode (通报, target_monitor/briefing.py), so the
通报 sheet, the PDF's last section and the 通报 page read the same sentences.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from target_monitor.present import headline
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


def briefing_lines(progress: pd.DataFrame, registry: Registry, units: Units, as_of: date, lang: str, *,
                   missing: dict | None = None, year: int | None = None, is_demo: bool = False,
                   notes=None) -> list[str]:
    """The drafted 通报 (`target_monitor.briefing.build_briefing`), as lines: each section's heading, then its
    sentences. The same text as the 通报 page, from the same progress table."""
    from target_monitor.briefing import build_briefing

    brief = build_briefing(registry, units, progress, missing or {}, year or as_of.year, as_of, lang,
                           is_demo=is_demo, notes=notes)
    lines = [brief.subtitle]
    for heading, sentences in brief.sections:
        lines.append(heading)
        lines.extend(sentences)
    return lines
