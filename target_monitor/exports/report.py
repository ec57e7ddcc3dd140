"""What every export of a report needs, gathered once (no Streamlit, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from target_monitor.i18n import t, unit_label
from target_monitor.reference import Units
from target_monitor.registry import Indicator, Registry

# print-friendly traffic-light fills (light tints of the Okabe–Ito status colours, dark text)
STATUS_FILL = {
    "done": "#B8E0C8",
    "met": "#B8E0C8",
    "ahead": "#BFD9EE",
    "slightly_behind": "#FBE3A6",
    "far_behind": "#F5B9A1",
    "not_met": "#F5B9A1",
    "year_end_check": "#D9D9EC",
    "not_done": "#F5B9A1",
    "no_target": "#E4E4E4",
    "no_data": "#F0F0F0",
}
LEGEND_STATUSES = ("done", "ahead", "slightly_behind", "far_behind", "met", "not_met")


@dataclass
class Report:
    registry: Registry
    units: Units
    year: int
    as_of: date
    progress: pd.DataFrame
    monthly: pd.DataFrame
    lang: str = "zh"
    revisions: pd.DataFrame | None = None
    compared_with: str | None = None
    snapshot_id: str | None = None
    created_at: str | None = None
    data_through: date | None = None
    is_demo: bool = False
    missing: dict = field(default_factory=dict)  # unit_code -> months without records (the 通报 says so)
    scores: pd.DataFrame | None = None  # the assessment scores table (考核评分), None when not configured
    target_sources: list[str] = field(default_factory=list)
    # the manifest's creation time: every timestamp inside report.xlsx and report.pdf is this one,
    # so building a snapshot again from the same inputs gives byte-identical files
    created_utc: datetime | None = None
    # the units' 情况说明 of the month (the latest of each unit × indicator), quoted in the 通报
    notes: list = field(default_factory=list)

    @property
    def time_progress_pct(self) -> float:
        return float(self.progress["time_progress_pct"].iloc[0])

    @property
    def district(self) -> str:
        return unit_label(self.units.root(), self.lang)

    def date_long(self) -> str:
        d = self.as_of
        return t("date_long", self.lang, y=d.year, m=d.month, d=d.day, mon=_MONTHS[d.month - 1])

    def title(self) -> str:
        return t("xl_title", self.lang, district=self.district, year=self.year, date=self.date_long())

    def children(self) -> list[str]:
        """Child unit codes in the order of the task breakdown table."""
        kids = self.progress[self.progress["level"] == "child"][["unit_code", "sort_order"]].drop_duplicates()
        return list(kids.sort_values(["sort_order", "unit_code"])["unit_code"])

    def row(self, unit_code: str, ind: Indicator, basis: str = "own") -> pd.Series | None:
        p = self.progress
        sel = p[(p["unit_code"] == unit_code) & (p["indicator"] == ind.name) & (p["target_basis"] == basis)]
        return sel.iloc[0] if len(sel) else None

    def unit_name(self, code: str) -> str:
        return unit_label(self.units[code], self.lang)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def total_row(r: Report, ind: Indicator) -> dict | None:
    """The 合计 row of one indicator as the official table prints it, or None when there is nothing.

    Amounts: the allocation-sum row of the progress table, with completion and the gap to 序时进度
    recomputed from the unrounded totals (49.98% is not "50.0%, +0.0"); its status is the table's.
    Rates: the table's allocation-sum row when it carries one; otherwise the standard every unit
    is held to (≥95%) when they share one, the pooled rate, and the gap of the one to the other.
    """
    root = r.units.root().code
    alloc = r.row(root, ind, "allocation_sum")
    if alloc is not None and not ind.is_rate:
        target, actual = alloc["target"], alloc["actual"]
        completion = gap = None
        if not _na(target) and not _na(actual) and target:
            completion = float(actual) / float(target) * 100
            gap = completion - float(alloc["time_progress_pct"])
        return {"target": target, "actual": actual, "completion": completion, "gap": gap,
                "status": alloc["status"], "comparator": alloc["comparator"], "standard": False}
    if alloc is not None:  # a rate whose 合计 row the progress table carries: its standard and status
        target, actual = alloc["target"], alloc["actual"]
        gap = None if _na(target) or _na(actual) else float(actual) - float(target)
        return {"target": None if _na(target) else target, "actual": actual, "completion": None, "gap": gap,
                "status": alloc["status"], "comparator": alloc["comparator"], "standard": True}
    own = r.row(root, ind, "own")
    if own is None:
        return None
    kids = r.progress[(r.progress["level"] == "child") & (r.progress["indicator"] == ind.name)
                      & (r.progress["target_basis"] == "own")]
    targets = set(kids["target"].dropna().round(6))
    comparators = set(kids.loc[kids["target"].notna(), "comparator"].dropna())
    if not ind.is_rate or len(targets) != 1 or len(comparators) != 1:
        return {"target": None, "actual": own["actual"], "completion": None, "gap": None, "status": None,
                "comparator": None, "standard": False}
    standard, comparator = float(targets.pop()), comparators.pop()
    actual = own["actual"]
    status = gap = None
    if not _na(actual):
        gap = float(actual) - standard
        status = "met" if (actual >= standard if comparator == ">=" else actual <= standard) else "not_met"
    return {"target": standard, "actual": actual, "completion": None, "gap": gap, "status": status,
            "comparator": comparator, "standard": True}


def target_note(row) -> str | None:
    """The words the published table prints beside a target ("3000(创业培训)"), or None."""
    note = row.get("target_note") if row is not None else None
    return note if isinstance(note, str) and note.strip() else None


def _na(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and x != x)
