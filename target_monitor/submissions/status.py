"""报送情况: for a year, each responsible unit × month is 未报 / 待审核 / 已退回 / 已通过 / 逾期.

    month_status(data_dir, year, as_of, ctx=None) -> DataFrame   unit_code, month, status, deadline, submission
    overdue_units(year, as_of, data_dir=None, ctx=None) -> list   [{"unit": code, "months": [5, 6]}]

A unit-month counts as reported (已通过) when its data is in the store — from an approved
submission or from a 管理员's direct import (system extracts covering every unit) — or when its
latest submission is approved. A waiting submission is 待审核 (the unit reported; the review is
the district's). Otherwise, once the deadline of `submissions.yaml` has passed (每月5日前报送上月数据:
day 5 of the next month, inclusive), the month is 逾期 — a returned submission not sent again too;
before it, 已退回 or 未报. Months that have not begun by the as-of date are not due ("").

The units are those with targets in the year (the district itself reports nothing), else the
district's direct children, in units.csv order.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

STATUSES = ("unreported", "pending", "returned", "approved", "overdue")
NOT_DUE = ""


def _units(ctx, year: int) -> list[str]:
    units = ctx.ref.units
    root = units.root().code
    targets = ctx.ref.targets
    with_targets = set(targets.loc[targets["year"] == year, "unit_code"]) - {root}
    codes = [u.code for u in units.children(root)]
    return [c for c in codes if c in with_targets] or codes


def _with_data(ctx, year: int, as_of: date) -> set[tuple[str, int]]:
    from target_monitor.access.scope import EVERYTHING, using

    if not ctx.store.has_data:
        return set()
    with using(EVERYTHING):  # which unit-months hold data (no figure): the same answer for everyone
        rows = ctx.store.query("unit_months_reported", year=year, as_of=min(as_of, date(year, 12, 31)))
    return {(str(r.unit_code), int(r.month)) for r in rows.itertuples(index=False)}


def month_status(data_dir: Path, year: int, as_of: date, ctx=None) -> pd.DataFrame:
    """One row per responsible unit and month of `year`: status (STATUSES, or "" not yet due),
    the deadline, and the submission the status comes from (its id, or "")."""
    from target_monitor.context import Context
    from target_monitor.submissions import list_submissions
    from target_monitor.submissions.config import load_config

    data_dir = Path(data_dir)
    ctx = ctx or Context(data_dir, require_data=False)
    config = load_config(data_dir)
    have = _with_data(ctx, year, as_of)
    latest: dict[tuple[str, int], dict] = {}
    for sub in list_submissions(data_dir):  # newest first: the first one seen per unit-month is the latest
        if sub.get("status") == "draft" or not str(sub.get("period", "")).startswith(f"{year:04d}-"):
            continue
        latest.setdefault((sub["unit"], int(sub["period"][5:7])), sub)
    rows = []
    for code in _units(ctx, year):
        for month in range(1, 13):
            due = config.deadline(year, month)
            sub = latest.get((code, month))
            state = sub["status"] if sub else ""
            if date(year, month, 1) > as_of:
                status = NOT_DUE
            elif (code, month) in have or state == "approved":
                status = "approved"
            elif state == "submitted":
                status = "pending"
            elif as_of > due:
                status = "overdue"
            elif state == "returned":
                status = "returned"
            else:
                status = "unreported"
            rows.append({"unit_code": code, "month": month, "status": status, "deadline": due,
                         "submission": sub["id"] if sub else ""})
    return pd.DataFrame(rows, columns=["unit_code", "month", "status", "deadline", "submission"])


def overdue_units(year: int, as_of: date, data_dir: Path | None = None, ctx=None) -> list[dict]:
    """The units with a month of `year` overdue at `as_of`, in units.csv order:
    [{"unit": code, "months": [5]}]. `ctx` (a Context) saves opening the store again."""
    from target_monitor.paths import resolve_data_dir

    data_dir = Path(ctx.data_dir) if ctx is not None else resolve_data_dir(data_dir)
    df = month_status(data_dir, year, as_of, ctx=ctx)
    out = []
    for code, part in df[df["status"] == "overdue"].groupby("unit_code", sort=False):
        out.append({"unit": str(code), "months": [int(m) for m in part["month"]]})
    return out


__all__ = ["NOT_DUE", "STATUSES", "month_status", "overdue_sentence", "overdue_units"]


def overdue_sentence(overdue: list[dict], units, lang: str, data_dir: Path | None = None) -> str:
    """"逾期未报送（每月5日前报送上月数据）：陶家镇（5月）。", or "" when no unit is overdue."""
    from target_monitor.i18n import t, unit_label
    from target_monitor.paths import resolve_data_dir
    from target_monitor.submissions.config import load_config

    if not overdue:
        return ""
    rule = t("rep_rule", lang, day=load_config(resolve_data_dir(data_dir)).deadline_day)
    sep = "、" if lang == "zh" else ", "
    names = sep.join(t("rep_overdue_item", lang, name=unit_label(units[o["unit"]], lang),
                       months=sep.join(t("rep_month_list", lang, m=m) for m in o["months"])) for o in overdue)
    return t("rep_overdue", lang, rule=rule, names=names)
