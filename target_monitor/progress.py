"""The progress table: every unit × every indicator against its target and the calendar.

This is the one place where actuals, targets and the pace rules meet. Pages, the CLI
(`target-monitor progress`) and exports all call `progress_table`, so they cannot disagree.

Invariants:
- A parent's actual is the sum over its whole subtree (its children and records booked on the
  parent itself); a rate's actual is pooled (Σ successes ÷ Σ registrations), never an average
  of the children's rates.
- A parent has two targets and both are shown: its own (the work plan's 31000) and the sum of
  what it allocated to its children (the breakdown table's 41000). They are two rows with
  `target_basis` = "own" and "allocation_sum".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from target_monitor import pace
from target_monitor.reference import Reference, targets_in_force
from target_monitor.registry import Indicator, Registry
from target_monitor.store import Store

# The CLI contract: these columns, in this order, always come first.
CONTRACT_COLUMNS = [
    "unit_code", "unit_name", "indicator", "target", "actual", "completion_pct", "time_progress_pct",
    "gap_pp", "status", "rank", "projected_year_end", "required_monthly",
]
EXTRA_COLUMNS = [
    "target_basis", "level", "unit_type", "sort_order", "indicator_order", "kind", "comparator",
    "target_note", "published_label", "numerator", "denominator", "rank_of", "projection_method",
    "months_remaining", "last_year_actual", "yoy_change", "last_event_on",
]
COLUMNS = CONTRACT_COLUMNS + EXTRA_COLUMNS

BASIS_OWN = "own"
BASIS_ALLOCATION = "allocation_sum"


def same_day_last_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


@dataclass
class _Agg:
    num: float = 0.0
    den: float = 0.0
    last_on: date | None = None


def _aggregate(actuals: pd.DataFrame, owner: dict[str, str]) -> dict[tuple[str, str], _Agg]:
    """Sum the query's per-unit rows onto the unit shown (a child, or the parent for itself)."""
    out: dict[tuple[str, str], _Agg] = {}
    for row in actuals.itertuples(index=False):
        shown = owner.get(row.unit_code)
        if shown is None:
            continue  # records of units outside the subtree viewed
        agg = out.setdefault((shown, row.indicator), _Agg())
        agg.num += float(row.numerator)
        agg.den += float(row.denominator)
        last = row.last_event_on.date() if hasattr(row.last_event_on, "date") else row.last_event_on
        agg.last_on = max(agg.last_on, last) if agg.last_on else last
    return out


def _profiles(monthly: pd.DataFrame, owner: dict[str, str]) -> dict[tuple[str, str], list[float]]:
    out: dict[tuple[str, str], list[float]] = {}
    for row in monthly.itertuples(index=False):
        shown = owner.get(row.unit_code)
        if shown is None:
            continue
        prof = out.setdefault((shown, row.indicator), [0.0] * 12)
        prof[int(row.month) - 1] += float(row.numerator)
    return out


def _value(ind: Indicator, agg: _Agg | None) -> float | None:
    if ind.is_rate:
        if agg is None or agg.den <= 0:
            return None
        return agg.num / agg.den * 100
    return agg.num if agg else 0.0


def _round_value(ind: Indicator, x: float | None) -> float | None:
    """Round a value as it is shown: whole people, 万元 to two decimals, rates to one decimal."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if ind.is_rate or ind.format in ("pct1", "float1"):
        return pace.round1(x)
    if ind.format == "int":
        return float(math.floor(x + 0.5))
    return round(x, 2)


def _round_up(ind: Indicator, x: float | None) -> float | None:
    """Required pace is rounded up: 245.3 people a month means 246 are needed."""
    if x is None:
        return None
    if ind.format == "int":
        return float(math.ceil(x - 1e-9))
    return math.ceil(x * 100 - 1e-9) / 100


def progress_table(
    store: Store,
    ref: Reference,
    year: int,
    as_of: date,
    parent_code: str | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """One row per child unit × indicator, plus the parent's rows (own target, allocation sum)."""
    if as_of.year != year:
        raise ValueError(f"as-of date {as_of} is outside {year}")
    registry = registry or store.registry
    units, rules = ref.units, ref.rules
    parent = units[parent_code] if parent_code else units.root()
    children = units.children(parent.code)

    owner: dict[str, str] = {parent.code: parent.code}
    for child in children:
        for code in units.subtree(child.code):
            owner[code] = child.code

    rollup = {"unit_codes": list(owner), "shown_codes": list(owner.values())}
    now = _aggregate(store.query("actuals_as_of", year=year, as_of=as_of, **rollup), owner)
    ly_as_of = same_day_last_year(as_of)
    before = _aggregate(store.query("actuals_as_of", year=year - 1, as_of=ly_as_of, **rollup), owner)
    monthly_ly = store.query("monthly_by_unit", first_year=year - 1, last_year=year - 1, as_of=date(year - 1, 12, 31),
                             **rollup)
    profiles = _profiles(monthly_ly, owner)
    parent_profiles: dict[str, list[float]] = {}
    for (_, ind_name), prof in profiles.items():
        total = parent_profiles.setdefault(ind_name, [0.0] * 12)
        for m in range(12):
            total[m] += prof[m]

    shown = {parent.code, *(u.code for u in children)}
    in_view = ref.targets[ref.targets["unit_code"].isin(shown)]  # a national table has targets at every node
    targets = targets_in_force(in_view, year, as_of)
    target_of = {(r.unit_code, r.indicator): r for r in targets.itertuples(index=False)}

    tp = pace.time_progress_pct(as_of, rules.time_progress)
    tp_shown = pace.round1(tp)
    left = pace.months_remaining(as_of)
    rows: list[dict] = []

    for ind in registry.indicators:
        ind_rows: list[dict] = []
        for unit in children:
            ind_rows.append(
                _row(ind, unit.code, unit.name, unit.unit_type, unit.sort_order, "child", BASIS_OWN,
                     target_of.get((unit.code, ind.name)), now, before, as_of, tp, left, rules,
                     profiles.get((unit.code, ind.name)), parent_profiles.get(ind.name))
            )
        ranks = pace.rank_units(
            ((r["unit_code"], r["_score"], r["actual"]) for r in ind_rows if r["target"] is not None),
            descending=ind.kind != "ceiling_rate",
        )
        ranked = len(ranks)
        for r in ind_rows:
            r["rank"] = ranks.get(r["unit_code"])
            r["rank_of"] = ranked if r["unit_code"] in ranks else None
        # the parent: actual over the whole subtree, own target
        total_key = "__subtree__"
        subtree = {k: v for k, v in now.items() if k[1] == ind.name}
        agg_total = _Agg()
        for agg in subtree.values():
            agg_total.num += agg.num
            agg_total.den += agg.den
            agg_total.last_on = max(filter(None, [agg_total.last_on, agg.last_on]), default=None)
        before_total = _Agg()
        for (code, name), agg in before.items():
            if name == ind.name:
                before_total.num += agg.num
                before_total.den += agg.den
        parent_now = {(total_key, ind.name): agg_total}
        parent_before = {(total_key, ind.name): before_total} if any(k[1] == ind.name for k in before) else {}
        own = target_of.get((parent.code, ind.name))
        parent_rows = [
            _row(ind, parent.code, parent.name, parent.unit_type, parent.sort_order, "parent", BASIS_OWN,
                 own, parent_now, parent_before, as_of, tp, left, rules,
                 parent_profiles.get(ind.name), None, key=total_key)
        ]
        allocated = [target_of[(u.code, ind.name)] for u in children if (u.code, ind.name) in target_of]
        if allocated and not ind.is_rate:
            alloc = _AllocTarget(
                value=sum(t.value for t in allocated),
                comparator=">=",
                note="",
                published_label="",
            )
            parent_rows.append(
                _row(ind, parent.code, parent.name, parent.unit_type, parent.sort_order, "parent",
                     BASIS_ALLOCATION, alloc, parent_now, parent_before, as_of, tp, left, rules,
                     parent_profiles.get(ind.name), None, key=total_key)
            )
        for r in parent_rows:
            r["rank"] = None
            r["rank_of"] = None
        rows.extend(parent_rows)
        rows.extend(ind_rows)

    df = pd.DataFrame(rows)
    df["time_progress_pct"] = tp_shown
    df = df.drop(columns=["_score"])
    df["rank"] = df["rank"].astype("Int64")
    df["rank_of"] = df["rank_of"].astype("Int64")
    return df[COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class _AllocTarget:
    value: float
    comparator: str
    note: str
    published_label: str


def _row(ind, code, name, unit_type, sort_order, level, basis, target_row, now, before, as_of, tp, left,
         rules, profile, parent_profile, key=None) -> dict:
    key = key or code
    agg = now.get((key, ind.name))
    actual = _value(ind, agg)
    target = float(target_row.value) if target_row is not None else None
    ly = before.get((key, ind.name))
    last_year = _value(ind, ly) if ly is not None else None

    if ind.is_rate:
        completion = None
        gap = pace.rate_gap_pp(ind.kind, actual, target)
        status = pace.status_rate(ind.kind, actual, target)
        projected, method, required = None, None, None
        score = actual
        yoy = pace.round1(actual - last_year) if actual is not None and last_year is not None else None
    else:
        completion = pace.completion_pct(actual, target)
        gap = pace.gap_pp(completion, tp)
        status = pace.status_cumulative(actual, target, gap, rules)
        projected, method = pace.project_year_end(actual, as_of, profile, parent_profile, rules.time_progress)
        required = pace.required_monthly(target, actual, as_of)
        score = completion
        yoy = pace.round1((actual / last_year - 1) * 100) if last_year else None

    return {
        "unit_code": code,
        "unit_name": name,
        "indicator": ind.name,
        "target": target,
        "actual": _round_value(ind, actual),
        "completion_pct": pace.round1(completion),
        "gap_pp": gap,
        "status": status,
        "projected_year_end": _round_value(ind, projected),
        "required_monthly": _round_up(ind, required),
        "target_basis": basis,
        "level": level,
        "unit_type": unit_type,
        "sort_order": sort_order,
        "indicator_order": ind.order,
        "kind": ind.kind,
        "comparator": target_row.comparator if target_row is not None else None,
        "target_note": (target_row.note or None) if target_row is not None else None,
        "published_label": (target_row.published_label or None) if target_row is not None else None,
        "numerator": agg.num if agg else 0.0,
        "denominator": agg.den if agg else 0.0,
        "projection_method": method,
        "months_remaining": round(left, 2),
        "last_year_actual": _round_value(ind, last_year),
        "yoy_change": yoy,
        "last_event_on": agg.last_on if agg else None,
        "_score": score,
    }


def monthly_series(store: Store, ref: Reference, year: int, as_of: date, unit_codes: list[str] | None = None,
                   parent_code: str | None = None) -> pd.DataFrame:
    """Monthly and cumulative values per shown unit × indicator for `year` and the year before.

    Columns: unit_code, indicator, year, month, value (the month's own value; for rates the
    cumulative rate at month end), cumulative. Parent totals use the parent's code.
    """
    units = ref.units
    parent = units[parent_code] if parent_code else units.root()
    owner = {parent.code: parent.code}
    for child in units.children(parent.code):
        for code in units.subtree(child.code):
            owner[code] = child.code
    # rolled up in SQL to the children (and the parent's own records under the parent's code)
    per_child = store.query("monthly_by_unit", first_year=year - 1, last_year=year, as_of=as_of,
                            unit_codes=list(owner), shown_codes=list(owner.values()))
    total = per_child.groupby(["indicator", "year", "month"], as_index=False)[["numerator", "denominator"]].sum()
    total["unit_code"] = parent.code
    both = pd.concat([per_child[per_child["unit_code"] != parent.code], total], ignore_index=True)
    if unit_codes is not None:
        both = both[both["unit_code"].isin(unit_codes)]
    # complete the month grid so cumulative lines do not skip a month without records
    grid = []
    for (code, ind_name, yr), _ in both.groupby(["unit_code", "indicator", "year"]):
        last_month = 12 if yr < year else as_of.month
        for m in range(1, last_month + 1):
            grid.append((code, ind_name, yr, m))
    full = pd.DataFrame(grid, columns=["unit_code", "indicator", "year", "month"])
    out = full.merge(both, on=["unit_code", "indicator", "year", "month"], how="left").fillna(
        {"numerator": 0.0, "denominator": 0.0}
    )
    out = out.sort_values(["unit_code", "indicator", "year", "month"]).reset_index(drop=True)
    out["cum_num"] = out.groupby(["unit_code", "indicator", "year"])["numerator"].cumsum()
    out["cum_den"] = out.groupby(["unit_code", "indicator", "year"])["denominator"].cumsum()
    kinds = {i.name: i.kind for i in store.registry.indicators}
    is_rate = out["indicator"].map(lambda n: kinds.get(n) in ("floor_rate", "ceiling_rate"))
    rate = (out["cum_num"] / out["cum_den"].where(out["cum_den"] > 0)) * 100
    out["value"] = out["numerator"].where(~is_rate, rate)
    out["cumulative"] = out["cum_num"].where(~is_rate, rate)
    return out[["unit_code", "indicator", "year", "month", "value", "cumulative"]]


def parent_rows(progress: pd.DataFrame, indicator: str) -> tuple[pd.Series, pd.Series | None]:
    """The parent's two rows for an indicator: (own target, allocation sum or None)."""
    rows = progress[(progress["level"] == "parent") & (progress["indicator"] == indicator)]
    own = rows[rows["target_basis"] == BASIS_OWN].iloc[0]
    alloc = rows[rows["target_basis"] == BASIS_ALLOCATION]
    return own, (alloc.iloc[0] if len(alloc) else None)
