"""Pace logic: pure functions, no Streamlit, no SQL.

Conventions used throughout the product:
- Percentages are numbers on a 0–100 scale (59.2 means 59.2%).
- Figures shown to people are rounded half-up to one decimal *before* they are compared or
  subtracted, so the numbers on the screen always add up ("完成59.2%，序时进度50.0%，快于9.2个百分点")
  and the status agrees with the gap shown.
- `gap_pp` is positive when the unit is better off than required: ahead of 序时进度 for
  cumulative indicators, above the floor for floor rates, below the ceiling for ceiling rates.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

import numpy as np

DONE = "done"
AHEAD = "ahead"
SLIGHTLY_BEHIND = "slightly_behind"
FAR_BEHIND = "far_behind"
MET = "met"
NOT_MET = "not_met"
NO_TARGET = "no_target"
NO_DATA = "no_data"
# a year-end target (registry `judge_from_month`) before it is judged: neutral, never 达标/未达标
YEAR_END_CHECK = "year_end_check"
# a count or amount short of its target once the year is over (31 December): 未完成, not "behind pace"
NOT_DONE = "not_done"
STATUSES = (DONE, AHEAD, SLIGHTLY_BEHIND, FAR_BEHIND, MET, NOT_MET, NO_TARGET, NO_DATA, YEAR_END_CHECK, NOT_DONE)

PROFILE_UNIT = "unit_profile"
PROFILE_PARENT = "parent_profile"
PROFILE_LINEAR = "linear"
# a unit's own profile blended with its parent's; and the parent's alone because the unit's
# year was lumpy (one month held more than `lumpy_month_share` of it)
PROFILE_BLENDED = "blended"
PROFILE_PARENT_LUMPY = "parent_profile_lumpy"


@dataclass(frozen=True)
class Rules:
    """Configurable thresholds (data/reference/rules.yaml)."""

    time_progress: str = "month"  # "month": end of June = 50.0%; "day": day of year / days in year
    slightly_behind_pp: float = 10.0  # behind by at most this many pp = 略慢于序时; more = 明显滞后
    # unit types ranked among their siblings (ranking, flags, charts titled 街镇); a department
    # such as 区就业局 keeps its row in the table but is not compared with the 街镇
    unranked_unit_types: tuple[str, ...] = ("department",)
    # the share of reporting units that must have sent a month before it is the default as-of month
    reported_share: float = 1.0
    # projections: a unit's expected share of the year by the as-of date is blended with its
    # parent's (weight of the unit's own profile); when one month of the unit's year held more
    # than `lumpy_month_share` of it, the parent's profile alone is used
    unit_profile_weight: float = 0.5
    lumpy_month_share: float = 0.4
    # the traffic-light scheme (status_rules.Scheme from rules.yaml `status_rules`); None: the
    # default four statuses built from slightly_behind_pp
    status_scheme: object = None

    def is_ranked(self, unit_type: str) -> bool:
        return unit_type not in self.unranked_unit_types


def round1(x: float | None) -> float | None:
    """Half-up rounding to one decimal, as people do it by hand (2.25 -> 2.3)."""
    if x is None:
        return None
    return float(Decimal(repr(float(x))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _days_in_month(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def elapsed_months(as_of: date) -> float:
    """Months of the year elapsed at the end of `as_of` (30 June -> 6.0, 15 June -> 5.5)."""
    return (as_of.month - 1) + as_of.day / _days_in_month(as_of)


def time_progress_pct(as_of: date, method: str = "month") -> float:
    """序时进度: the elapsed share of the year at the end of `as_of`, in percent (unrounded)."""
    if method == "month":
        return elapsed_months(as_of) / 12 * 100
    if method == "day":
        days = 366 if calendar.isleap(as_of.year) else 365
        return as_of.timetuple().tm_yday / days * 100
    raise ValueError(f"unknown time-progress method {method!r} (month or day)")


def months_remaining(as_of: date) -> float:
    """Months left in the year after `as_of` (30 June -> 6, 15 June -> 6.5)."""
    return 12 - elapsed_months(as_of)


def completion_pct(actual: float | None, target: float | None) -> float | None:
    if actual is None or not target:
        return None
    return actual / target * 100


def gap_pp(completion: float | None, time_progress: float) -> float | None:
    """Completion minus 序时进度 in 百分点, from the one-decimal figures people see."""
    if completion is None:
        return None
    return round1(round1(completion) - round1(time_progress))


def status_cumulative(
    actual: float | None, target: float | None, gap: float | None, rules: Rules = Rules()
) -> str:
    """已完成 / 快于序时 / 略慢于序时 / 明显滞后 for a count or amount with an annual target."""
    if not target:
        return NO_TARGET
    if actual is None:
        return NO_DATA
    if actual >= target:
        return DONE
    if gap is None:
        return NO_DATA
    if gap >= 0:
        return AHEAD
    if gap >= -rules.slightly_behind_pp:
        return SLIGHTLY_BEHIND
    return FAR_BEHIND


def rate_gap_pp(kind: str, rate: float | None, target: float | None) -> float | None:
    """Margin of a rate over its floor (or under its ceiling), in pp; positive is good."""
    if rate is None or target is None:
        return None
    if kind == "floor_rate":
        return round1(round1(rate) - round1(target))
    if kind == "ceiling_rate":
        return round1(round1(target) - round1(rate))
    raise ValueError(f"{kind!r} is not a rate kind")


def status_rate(kind: str, rate: float | None, target: float | None) -> str:
    """达标 / 未达标: rates are compared with their floor or ceiling as they stand, never pro-rated."""
    if target is None:
        return NO_TARGET
    if rate is None:
        return NO_DATA
    gap = rate_gap_pp(kind, rate, target)
    return MET if gap is not None and gap >= 0 else NOT_MET


def expected_share(as_of: date, profile: Sequence[float] | None) -> float | None:
    """Share of a year's volume normally reached by `as_of`, from 12 monthly values.

    The month in progress counts pro rata by day. None when the profile is missing or empty.
    """
    if profile is None or len(profile) != 12:
        return None
    total = float(sum(profile))
    if total <= 0:
        return None
    done = sum(profile[: as_of.month - 1]) + profile[as_of.month - 1] * as_of.day / _days_in_month(as_of)
    share = done / total
    return share if share > 0 else None


def project_year_end(
    actual: float | None,
    as_of: date,
    unit_profile: Sequence[float] | None,
    parent_profile: Sequence[float] | None,
    method: str = "month",
) -> tuple[float | None, str | None]:
    """Projected year-end value and the method used.

    actual ÷ the share of the year's volume expected by `as_of`, taken from last year's monthly
    profile of the unit itself, else of its parent (the district), else the calendar (linear).
    """
    if actual is None:
        return None, None
    for profile, name in ((unit_profile, PROFILE_UNIT), (parent_profile, PROFILE_PARENT)):
        share = expected_share(as_of, profile)
        if share:
            return actual / share, name
    share = time_progress_pct(as_of, method) / 100
    return (actual / share if share > 0 else None), PROFILE_LINEAR


def required_monthly(target: float | None, actual: float | None, as_of: date) -> float | None:
    """(target − actual) ÷ months remaining: the monthly pace still needed. 0 once reached."""
    if not target or actual is None:
        return None
    if actual >= target:
        return 0.0
    left = months_remaining(as_of)
    if left <= 0:
        return None
    return (target - actual) / left


def rank_units(items: Iterable[tuple[str, float | None, float | None]], *, descending: bool = True) -> dict[str, int]:
    """Competition ranking ("1224") of (key, score, actual) by score, ties broken by actual.

    Items whose score is None are not ranked. For a ceiling rate pass descending=False.
    """
    scored = [(k, round1(s), a or 0.0) for k, s, a in items if s is not None]
    sign = -1 if descending else 1
    # the tie-break on actual is always "more is better"
    ordered = sorted(scored, key=lambda t: (sign * t[1], -t[2]))
    ranks: dict[str, int] = {}
    prev = None
    for pos, (key, score, actual) in enumerate(ordered, start=1):
        if prev is not None and (score, actual) == prev[1:]:
            ranks[key] = prev[0]
        else:
            ranks[key] = pos
        prev = (ranks[key], score, actual)
    return ranks


# --- the same rules over arrays (one value per unit), for the progress table ------------------
#
# `progress.progress_table` computes every shown unit of an indicator at once with these.
# They follow the scalar functions above operation for operation (same float arithmetic in the
# same order), so the numbers are identical; tests/test_pace.py checks each against its scalar
# twin. Missing values (None above) are NaN here, with an explicit mask where a present NaN
# and a missing value behave differently (a target cell left empty is NaN but present).


def round1_array(x) -> np.ndarray:
    """`round1` over an array (NaN stays NaN), exactly.

    floor(|10x| + 0.5) agrees with the decimal rounding of repr(x) except within a few ulps of
    a tie (x.x5); those values, and infinities, go through `round1` itself.
    """
    x = np.asarray(x, dtype=float)
    y = x * 10
    a = np.abs(y)
    out = np.copysign(np.floor(a + 0.5), y) / 10
    with np.errstate(invalid="ignore"):
        near = ~np.isfinite(y) | (np.abs(a - np.floor(a) - 0.5) < 1e-9 * np.maximum(1.0, a))
    near &= ~np.isnan(x)
    if near.any():
        out[near] = [round1(v) for v in x[near].tolist()]
    return out


def completion_pct_array(actual: np.ndarray, target: np.ndarray, has_target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`completion_pct` per unit: (values, is_none). None without a target, with a target of 0, or without an actual."""
    none = ~has_target | (target == 0) | np.isnan(actual)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = actual / target * 100
    return np.where(none, np.nan, values), none


def gap_pp_array(completion: np.ndarray, completion_none: np.ndarray, time_progress: float) -> np.ndarray:
    """`gap_pp` per unit (NaN where the completion is None)."""
    gap = round1_array(round1_array(completion) - round1(time_progress))
    return np.where(completion_none, np.nan, gap)


def status_cumulative_array(actual: np.ndarray, target: np.ndarray, has_target: np.ndarray, gap: np.ndarray,
                            gap_none: np.ndarray, rules: Rules = Rules()) -> np.ndarray:
    """`status_cumulative` per unit (object array of status names)."""
    with np.errstate(invalid="ignore"):
        conditions = [
            ~has_target | (target == 0),
            np.isnan(actual),
            actual >= target,
            gap_none,
            gap >= 0,
            gap >= -rules.slightly_behind_pp,
        ]
    return np.select(conditions, [NO_TARGET, NO_DATA, DONE, NO_DATA, AHEAD, SLIGHTLY_BEHIND],
                     default=FAR_BEHIND).astype(object)


def year_end_statuses(status: np.ndarray, as_of: date, *, is_rate: bool, judged: bool) -> np.ndarray:
    """The statuses as a reader should see them at `as_of`.

    - A year-end rate not yet judged (before its `judge_from_month`): 达标/未达标 become the neutral
      年底考核 (the value and the margin still needed stay in the row).
    - On 31 December a count or amount short of its target is 未完成: the year is over, so
      "behind pace" (略慢于序时 / 明显滞后 / 快于序时) no longer means anything.
    """
    status = status.copy()
    if is_rate and not judged:
        status[np.isin(status, (MET, NOT_MET))] = YEAR_END_CHECK
    if not is_rate and (as_of.month, as_of.day) == (12, 31):
        status[np.isin(status, (AHEAD, SLIGHTLY_BEHIND, FAR_BEHIND))] = NOT_DONE
    return status


def rate_gap_pp_array(kind: str, rate: np.ndarray, target: np.ndarray, has_target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`rate_gap_pp` per unit: (values, is_none). None without a rate or without a target."""
    if kind == "floor_rate":
        gap = round1_array(round1_array(rate) - round1_array(target))
    elif kind == "ceiling_rate":
        gap = round1_array(round1_array(target) - round1_array(rate))
    else:
        raise ValueError(f"{kind!r} is not a rate kind")
    none = np.isnan(rate) | ~has_target
    return np.where(none, np.nan, gap), none


def status_rate_array(kind: str, rate: np.ndarray, target: np.ndarray, has_target: np.ndarray) -> np.ndarray:
    """`status_rate` per unit (object array of status names)."""
    gap, gap_none = rate_gap_pp_array(kind, rate, target, has_target)
    with np.errstate(invalid="ignore"):
        met = ~gap_none & (gap >= 0)
    return np.select([~has_target, np.isnan(rate), met], [NO_TARGET, NO_DATA, MET], default=NOT_MET).astype(object)


def _sequential_sum(columns: np.ndarray) -> np.ndarray:
    """Row sums added left to right, as Python's `sum` over a list does (numpy's sum is pairwise)."""
    total = np.zeros(columns.shape[0])
    for j in range(columns.shape[1]):
        total = total + columns[:, j]
    return total


def expected_share_array(as_of: date, profiles: np.ndarray, has_profile: np.ndarray) -> np.ndarray:
    """`expected_share` per unit from an (n × 12) array of monthly values; NaN where it is None."""
    profiles = np.asarray(profiles, dtype=float).reshape(-1, 12)
    total = _sequential_sum(profiles)
    m = as_of.month - 1
    done = _sequential_sum(profiles[:, :m]) + profiles[:, m] * as_of.day / _days_in_month(as_of)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = done / total
        ok = has_profile & (total > 0) & (share > 0)
    return np.where(ok, share, np.nan)


def project_year_end_array(actual: np.ndarray, as_of: date, unit_share: np.ndarray, parent_share: np.ndarray,
                           method: str = "month") -> tuple[np.ndarray, np.ndarray]:
    """`project_year_end` per unit, given each unit's expected share from its own profile and its
    parent's (`expected_share_array`; NaN where there is none): (values, method names or None)."""
    linear = time_progress_pct(as_of, method) / 100
    use_unit = ~np.isnan(unit_share)
    use_parent = ~use_unit & ~np.isnan(parent_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(use_unit, actual / unit_share,
                          np.where(use_parent, actual / parent_share, actual / linear if linear > 0 else np.nan))
    names = np.select([use_unit, use_parent], [PROFILE_UNIT, PROFILE_PARENT], default=PROFILE_LINEAR).astype(object)
    missing = np.isnan(actual)
    names[missing] = None
    return np.where(missing, np.nan, values), names


def blend_shares(unit_share: np.ndarray, parent_share: np.ndarray, profiles: np.ndarray, has_profile: np.ndarray,
                 rules: Rules) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The expected share of the year a child unit should have reached, from its own last-year
    profile blended with its parent's.

    One lumpy year (杨家坪 loans: a single 122.6万 January loan in 2019) would otherwise project a
    unit that is ahead of pace to 93.6 of 165. Rule: when the parent's share exists, use
    w × unit + (1 − w) × parent (w = `unit_profile_weight`); when the unit's largest month held
    more than `lumpy_month_share` of its year, use the parent's share alone.

    Returns (share for the unit-profile branch, share for the parent branch, method names): feed
    the first two to `project_year_end_array` and replace its method names with the third where set.
    """
    profiles = np.asarray(profiles, dtype=float).reshape(-1, 12)
    total = _sequential_sum(profiles)
    with np.errstate(divide="ignore", invalid="ignore"):
        peak = np.where(total > 0, profiles.max(axis=1) / total, 0.0)
    lumpy = has_profile & (peak > rules.lumpy_month_share)
    both = ~np.isnan(unit_share) & ~np.isnan(parent_share)
    w = rules.unit_profile_weight
    blended = np.where(both & ~lumpy, w * unit_share + (1 - w) * parent_share, unit_share)
    unit_branch = np.where(both & lumpy, np.nan, blended)
    names = np.select([both & lumpy, both & ~lumpy], [PROFILE_PARENT_LUMPY, PROFILE_BLENDED], default="").astype(object)
    return unit_branch, parent_share, names


def required_monthly_array(target: np.ndarray, has_target: np.ndarray, actual: np.ndarray,
                           as_of: date) -> tuple[np.ndarray, np.ndarray]:
    """`required_monthly` per unit: (values, is_none)."""
    left = months_remaining(as_of)
    none = ~has_target | (target == 0) | np.isnan(actual)
    with np.errstate(invalid="ignore"):
        reached = actual >= target
    if left <= 0:
        none = none | ~reached
    values = np.where(reached, 0.0, (target - actual) / left if left > 0 else np.nan)
    return np.where(none, np.nan, values), none
