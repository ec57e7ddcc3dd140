"""Comparing two snapshots (or a snapshot and today's data).

Two questions, two tables:
- revisions: the same period reported twice with different numbers. One row per unit ×
  indicator × month (covered by both sides, up to the earlier as-of date) whose monthly value
  changed, old and new. This is how a revised June extract shows up after June's snapshot.
- movement: how each unit's progress moved between the two reports (usually consecutive
  months): actual, completion, status and rank, old and new.

Only layout and joins here: the numbers come from the frozen progress and monthly tables.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

KEYS = ["unit_code", "indicator", "year", "month"]
REVISION_COLUMNS = [*KEYS, "old_value", "new_value", "change"]
MOVE_KEYS = ["unit_code", "indicator", "target_basis"]
MOVEMENT_COLUMNS = [
    "unit_code", "unit_name", "indicator", "target_basis", "level",
    "old_actual", "new_actual", "actual_change", "old_completion_pct", "new_completion_pct",
    "completion_change_pp", "old_status", "new_status", "old_rank", "new_rank",
]
# values are compared at this many decimals: float noise is not a revision, a yuan is
DECIMALS = 6


def revisions(old_monthly: pd.DataFrame | None, new_monthly: pd.DataFrame, through: date) -> pd.DataFrame:
    """Monthly values that differ between two reports, for months both cover up to `through`."""
    if old_monthly is None or old_monthly.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if "value" in c or c == "change" else "object")
                             for c in REVISION_COLUMNS}).astype({"year": "int64", "month": "int64"})
    last = through.year * 12 + through.month

    def cut(df: pd.DataFrame) -> pd.DataFrame:
        df = df[(df["year"] * 12 + df["month"]) <= last]
        return df[[*KEYS, "value"]]

    both = cut(old_monthly).merge(cut(new_monthly), on=KEYS, how="outer", suffixes=("_old", "_new"))
    old, new = both["value_old"].round(DECIMALS), both["value_new"].round(DECIMALS)
    differs = (old != new) & ~(old.isna() & new.isna())
    out = both[differs].rename(columns={"value_old": "old_value", "value_new": "new_value"})
    out["change"] = out["new_value"].fillna(0) - out["old_value"].fillna(0)
    out = out.sort_values(KEYS).reset_index(drop=True)
    out["year"] = out["year"].astype("int64")
    out["month"] = out["month"].astype("int64")
    return out[REVISION_COLUMNS]


def movement(old_progress: pd.DataFrame, new_progress: pd.DataFrame) -> pd.DataFrame:
    """Each unit × indicator's progress in the two reports, side by side."""
    cols = [*MOVE_KEYS, "unit_name", "level", "actual", "completion_pct", "status", "rank", "sort_order",
            "indicator_order"]
    both = old_progress[cols].merge(new_progress[cols], on=MOVE_KEYS, how="outer", suffixes=("_old", "_new"))
    out = pd.DataFrame({
        "unit_code": both["unit_code"],
        "unit_name": both["unit_name_new"].fillna(both["unit_name_old"]),
        "indicator": both["indicator"],
        "target_basis": both["target_basis"],
        "level": both["level_new"].fillna(both["level_old"]),
        "old_actual": both["actual_old"],
        "new_actual": both["actual_new"],
        "actual_change": both["actual_new"] - both["actual_old"],
        "old_completion_pct": both["completion_pct_old"],
        "new_completion_pct": both["completion_pct_new"],
        "completion_change_pp": (both["completion_pct_new"] - both["completion_pct_old"]).round(1),
        "old_status": both["status_old"],
        "new_status": both["status_new"],
        "old_rank": both["rank_old"],
        "new_rank": both["rank_new"],
        "_ind": both["indicator_order_new"].fillna(both["indicator_order_old"]),
        "_lvl": (both["level_new"].fillna(both["level_old"]) != "parent").astype(int),
        "_ord": both["sort_order_new"].fillna(both["sort_order_old"]),
    })
    out = out.sort_values(["_ind", "_lvl", "_ord", "target_basis"]).drop(columns=["_ind", "_lvl", "_ord"])
    return out.reset_index(drop=True)[MOVEMENT_COLUMNS]
