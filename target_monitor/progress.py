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

import calendar
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from target_monitor import pace, status_rules
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
    # added columns: only under `progress --all-columns`, after every earlier one
    "target_source", "is_ranked", "judged",
    # 历史同期进度 (the share of the year the same unit had reached by the same date in earlier
    # years, mean of the years) and the traffic-light rule that gave the status, in words
    "historical_progress_pct", "status_rule",
]
COLUMNS = CONTRACT_COLUMNS + EXTRA_COLUMNS

BASIS_OWN = "own"
BASIS_ALLOCATION = "allocation_sum"


def same_day_last_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def _round_value(ind: Indicator, x: np.ndarray) -> np.ndarray:
    """Round values as they are shown (NaN where there is none): whole people, 万元 to two
    decimals, rates to one decimal."""
    if ind.is_rate or ind.format in ("pct1", "float1"):
        return pace.round1_array(x)
    if ind.format == "int":
        return np.floor(x + 0.5) + 0.0  # + 0.0: never a negative zero
    return np.array([round(v, 2) for v in x.tolist()])  # Python's round: exact on the decimal value


def _round_up(ind: Indicator, x: np.ndarray) -> np.ndarray:
    """Required pace is rounded up: 245.3 people a month means 246 are needed."""
    if ind.format == "int":
        return np.ceil(x - 1e-9) + 0.0
    return np.ceil(x * 100 - 1e-9) / 100 + 0.0


def _listed(values: np.ndarray, none: np.ndarray | None = None) -> list:
    """A column as a list, None where the value is missing (NaN, or flagged in `none`)."""
    none = np.isnan(values) if none is None else none
    return [None if n else v for v, n in zip(values.tolist(), none.tolist())]


def _dates(values) -> list:
    return [None if pd.isna(v) else (v.date() if hasattr(v, "date") else v) for v in values]


class _Sums:
    """A query's rows (one per shown unit and indicator) as plain arrays, found by (unit, indicator)."""

    def __init__(self, df: pd.DataFrame):
        codes, indicators = df["unit_code"].tolist(), df["indicator"].tolist()
        self.row = {key: i for i, key in enumerate(zip(codes, indicators))}
        self.rows_of: dict[str, list[int]] = {}
        for i, name in enumerate(indicators):
            self.rows_of.setdefault(name, []).append(i)
        self.num = df["numerator"].to_numpy(dtype=float)
        self.den = df["denominator"].to_numpy(dtype=float)
        self.last = _dates(df["last_event_on"]) if "last_event_on" in df else None

    def units(self, codes: list[str], indicator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
        """For each unit: (has a row, numerator, denominator, last day); 0.0 and None without a row."""
        rows = [self.row.get((code, indicator)) for code in codes]
        has = np.array([r is not None for r in rows], dtype=bool)
        take = np.array([0 if r is None else r for r in rows], dtype=int)
        if not len(self.num):
            return has, np.zeros(len(codes)), np.zeros(len(codes)), [None] * len(codes)
        last = [self.last[r] if r is not None else None for r in rows] if self.last is not None else None
        return has, np.where(has, 0.0 + self.num[take], 0.0), np.where(has, 0.0 + self.den[take], 0.0), last

    def total(self, indicator: str) -> tuple[bool, float, float, object]:
        """Over every row of the indicator (the whole subtree), added in the query's row order as
        the parent's total always was: (any row, numerator, denominator, latest day)."""
        rows = self.rows_of.get(indicator, [])
        if not rows:
            return False, 0.0, 0.0, None
        last = max(filter(None, (self.last[r] for r in rows)), default=None) if self.last is not None else None
        return True, float(np.cumsum(self.num[rows])[-1]), float(np.cumsum(self.den[rows])[-1]), last


class _Profiles:
    """Last year's monthly values per shown unit and indicator (12 per unit), from `monthly_by_unit`."""

    def __init__(self, df: pd.DataFrame):
        codes, indicators = df["unit_code"].tolist(), df["indicator"].tolist()
        self.index: dict[str, dict[str, int]] = {}  # indicator -> unit -> row, in the query's order
        rows = [self.index.setdefault(name, {}).setdefault(code, len(self.index[name]))
                for code, name in zip(codes, indicators)]
        self.of = {name: np.zeros((len(units), 12)) for name, units in self.index.items()}
        months = df["month"].to_numpy(dtype=int) - 1
        values = df["numerator"].to_numpy(dtype=float)
        for i, name in enumerate(indicators):
            self.of[name][rows[i], months[i]] = 0.0 + values[i]

    def parent(self, indicator: str) -> np.ndarray | None:
        """The parent's profile: every shown unit's added up, in the query's order (None without rows)."""
        matrix = self.of.get(indicator)
        return None if matrix is None else np.cumsum(matrix, axis=0)[-1]

    def units(self, codes: list[str], indicator: str) -> tuple[np.ndarray, np.ndarray]:
        """(has a profile, n × 12 profiles) for each unit."""
        index, matrix = self.index.get(indicator, {}), self.of.get(indicator)
        rows = [index.get(code) for code in codes]
        has = np.array([r is not None for r in rows], dtype=bool)
        if matrix is None:
            return has, np.zeros((len(codes), 12))
        return has, matrix[[0 if r is None else r for r in rows]].reshape(len(codes), 12)


def progress_table(
    store: Store,
    ref: Reference,
    year: int,
    as_of: date,
    parent_code: str | None = None,
    registry: Registry | None = None,
    scheme: status_rules.Scheme | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """One row per child unit × indicator, plus the parent's rows (own target, allocation sum).

    Computed per indicator over all shown units at once (numpy, `pace.*_array`), never row by row.
    The statuses of counts and amounts come from the traffic-light scheme (`scheme`, else
    rules.yaml `status_rules`, else the product's default four statuses).
    """
    df = _progress_rows(store, ref, year, as_of, parent_code, registry)
    df["historical_progress_pct"] = _historical_progress(store, ref, df, year, as_of, parent_code)
    scheme = scheme or ref.rules.status_scheme or status_rules.default_scheme(ref.rules.slightly_behind_pp)
    history = {}
    if scheme.needs_history:
        base = scheme.without_events()
        earlier = []
        for back in range(1, scheme.needs_history):
            month = as_of.month - back
            if month < 1:
                break
            end = date(year, month, calendar.monthrange(year, month)[1])
            prev = _progress_rows(store, ref, year, end, parent_code, registry)
            prev["historical_progress_pct"] = _historical_progress(store, ref, prev, year, end, parent_code)
            earlier.append(status_rules.base_results(prev, base))
        for key in status_rules.base_results(df, base):
            history[key] = [e[key] for e in earlier if key in e]
    other = "en" if lang == "zh" else "zh"
    statuses, texts = status_rules.apply_langs(df, scheme, history, (lang, other))
    df["status"] = statuses
    df["status_rule"] = texts[lang]
    out = df[COLUMNS].reset_index(drop=True)
    # the rule in the other language too, for pages that switch language (not a CLI column)
    out["status_rule_" + other] = texts[other]
    return out


HISTORY_YEARS = 5  # 历史同期进度: the mean over at most this many earlier years with records


def _historical_progress(store: Store, ref: Reference, df: pd.DataFrame, year: int, as_of: date,
                         parent_code: str | None) -> list:
    """历史同期进度 per row of a count or amount: the share of its year's total the same unit had
    reached by the same day in each earlier year (up to HISTORY_YEARS, years with a total only),
    averaged, in percent to one decimal; None for rates and for units without an earlier year."""
    units = ref.units
    parent = units[parent_code] if parent_code else units.root()
    unit_codes, shown_codes = units.rollup(parent.code)
    monthly = store.query("monthly_by_unit", first_year=year - HISTORY_YEARS, last_year=year - 1,
                          as_of=date(year - 1, 12, 31), unit_codes=unit_codes, shown_codes=shown_codes)
    profiles: dict[tuple[str, str, int], np.ndarray] = {}
    for code, name, yr, month, value in zip(monthly["unit_code"].tolist(), monthly["indicator"].tolist(),
                                            monthly["year"].tolist(), monthly["month"].tolist(),
                                            monthly["numerator"].tolist()):
        for key in ((code, name, int(yr)), (parent.code, name, int(yr))):  # the parent: every shown unit added up
            profiles.setdefault(key, np.zeros(12))[int(month) - 1] += float(value)
    shares: dict[tuple[str, str], list[float]] = {}
    for (code, name, yr), profile in sorted(profiles.items()):
        share = pace.expected_share(as_of, profile.tolist())
        if share is not None:
            shares.setdefault((code, name), []).append(share)
    out = []
    for code, name, kind in zip(df["unit_code"].tolist(), df["indicator"].tolist(), df["kind"].tolist()):
        got = shares.get((code, name)) if kind == "cumulative" else None
        out.append(pace.round1(sum(got) / len(got) * 100) if got else None)
    return out


def _progress_rows(store: Store, ref: Reference, year: int, as_of: date, parent_code: str | None,
                   registry: Registry | None) -> pd.DataFrame:
    """The progress table with the pace statuses, before the traffic-light scheme."""
    if as_of.year != year:
        raise ValueError(f"as-of date {as_of} is outside {year}")
    registry = registry or store.registry
    units, rules = ref.units, ref.rules
    parent = units[parent_code] if parent_code else units.root()
    children = units.children(parent.code)

    unit_codes, shown_codes = units.rollup(parent.code)  # rolled up in SQL to the children
    rollup = {"unit_codes": unit_codes, "shown_codes": shown_codes}
    now, before, monthly_ly = store.query_many([
        ("actuals_as_of", dict(year=year, as_of=as_of, **rollup)),
        ("actuals_as_of", dict(year=year - 1, as_of=same_day_last_year(as_of), **rollup)),
        ("monthly_by_unit", dict(first_year=year - 1, last_year=year - 1, as_of=date(year - 1, 12, 31), **rollup)),
    ])
    now, before, profiles = _Sums(now), _Sums(before), _Profiles(monthly_ly)

    shown = {parent.code, *(u.code for u in children)}
    in_view = ref.targets[ref.targets["unit_code"].isin(shown)]  # a national table has targets at every node
    in_force = targets_in_force(in_view, year, as_of)
    targets = {
        (code, name): (float(value), comparator, note or None, label or None)
        for code, name, value, comparator, note, label in zip(
            in_force["unit_code"].tolist(), in_force["indicator"].tolist(), in_force["value"].tolist(),
            in_force["comparator"].tolist(), in_force["note"].tolist(), in_force["published_label"].tolist())
    }

    calendar = _Calendar(as_of, pace.time_progress_pct(as_of, rules.time_progress), pace.months_remaining(as_of), rules)
    columns: dict[str, list] = {}
    for ind in registry.indicators:
        for name, values in _indicator_rows(ind, parent, children, calendar, now, before, profiles, targets).items():
            columns.setdefault(name, []).extend(values)

    df = pd.DataFrame(columns)
    df["time_progress_pct"] = pace.round1(calendar.time_progress)
    df["rank"] = df["rank"].astype("Int64")
    df["rank_of"] = df["rank_of"].astype("Int64")
    return df


@dataclass(frozen=True)
class _Calendar:
    as_of: date
    time_progress: float  # unrounded
    months_left: float
    rules: pace.Rules


_NO_TARGET = (np.nan, None, None, None)


def _indicator_rows(ind: Indicator, parent, children, cal: _Calendar, now: _Sums, before: _Sums,
                    profiles: _Profiles, targets: dict) -> dict[str, list]:
    """The rows of one indicator as columns: the parent's (own target; the allocation sum unless
    a rate), then each child's."""
    child_codes = [u.code for u in children]
    n_children = len(children)

    # actuals: the parent's over its whole subtree (every row of the query), each child's own row
    c_has, c_num, c_den, c_last = now.units(child_codes, ind.name)
    _, p_num, p_den, p_last = now.total(ind.name)
    ly_has, ly_num, ly_den, _ = before.units(child_codes, ind.name)
    p_ly_has, p_ly_num, p_ly_den, _ = before.total(ind.name)

    # targets: the parent's own, the sum of what it allocated, each child's
    own = targets.get((parent.code, ind.name))
    c_targets = [targets.get((code, ind.name)) for code in child_codes]
    allocated = [t[0] for t in c_targets if t is not None]
    own_source = "published" if own is not None else None
    standards = {(t[0], t[1]) for t in c_targets if t is not None}
    if ind.is_rate and own is None and len(standards) == 1:
        # a rate is not summed: the parent's row carries the one standard every unit was given
        # (离校未就业高校毕业生就业率 ≥95% for each 街镇), not another indicator's district target
        value, comparator = standards.pop()
        own, own_source = (value, comparator, None, None), "allocation_standard"
    parent_targets = [own if own is not None else _NO_TARGET]
    if allocated and not ind.is_rate:
        parent_targets.append((sum(allocated), ">=", None, None))
    n_parent = len(parent_targets)
    n = n_parent + n_children
    all_targets = parent_targets + [t if t is not None else _NO_TARGET for t in c_targets]
    has_target = np.array([own is not None] + [True] * (n_parent - 1) + [t is not None for t in c_targets], dtype=bool)
    target = np.array([t[0] for t in all_targets], dtype=float)

    has_agg = np.concatenate([np.ones(n_parent, dtype=bool), c_has])  # the parent always has its total
    num = np.concatenate([[p_num] * n_parent, c_num])
    den = np.concatenate([[p_den] * n_parent, c_den])
    ly_present = np.concatenate([[p_ly_has] * n_parent, ly_has]).astype(bool)
    ly_n = np.concatenate([[p_ly_num] * n_parent, ly_num])
    ly_d = np.concatenate([[p_ly_den] * n_parent, ly_den])

    def value(present, numerator, denominator):
        if ind.is_rate:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(present & (denominator > 0), numerator / denominator * 100, np.nan)
        return np.where(present, numerator, 0.0)

    actual = value(has_agg, num, den)
    last_year = np.where(ly_present, value(ly_present, ly_n, ly_d), np.nan)
    every = np.ones(n, dtype=bool)
    if ind.is_rate:
        completion, completion_none = np.full(n, np.nan), every
        gap, gap_none = pace.rate_gap_pp_array(ind.kind, actual, target, has_target)
        status = pace.year_end_statuses(pace.status_rate_array(ind.kind, actual, target, has_target), cal.as_of,
                                        is_rate=True, judged=ind.judged_on(cal.as_of))
        projected, method = np.full(n, np.nan), np.full(n, None, dtype=object)
        required, required_none = np.full(n, np.nan), every
        score = actual
        yoy_none = np.isnan(actual) | np.isnan(last_year)
        yoy = pace.round1_array(actual - last_year)
    else:
        completion, completion_none = pace.completion_pct_array(actual, target, has_target)
        gap, gap_none = pace.gap_pp_array(completion, completion_none, cal.time_progress), completion_none
        status = pace.year_end_statuses(
            pace.status_cumulative_array(actual, target, has_target, gap, gap_none, cal.rules), cal.as_of,
            is_rate=False, judged=True)
        # year-end projection: the parent's rows from its own profile; a child's from its own, then the parent's
        p_profile = profiles.parent(ind.name)
        c_has_profile, c_profiles = profiles.units(child_codes, ind.name)
        unit_profiles = np.vstack([np.tile(np.zeros(12) if p_profile is None else p_profile, (n_parent, 1)),
                                   c_profiles])
        has_profile = np.concatenate([[p_profile is not None] * n_parent, c_has_profile]).astype(bool)
        unit_share = pace.expected_share_array(cal.as_of, unit_profiles, has_profile)
        parent_share = pace.expected_share(cal.as_of, None if p_profile is None else p_profile.tolist())
        parent_shares = np.array([np.nan] * n_parent + [np.nan if parent_share is None else parent_share] * n_children)
        unit_share, parent_shares, blend = pace.blend_shares(unit_share, parent_shares, unit_profiles, has_profile,
                                                             cal.rules)
        projected, method = pace.project_year_end_array(actual, cal.as_of, unit_share, parent_shares,
                                                        cal.rules.time_progress)
        named = (blend != "") & (method != None)  # noqa: E711 (object array: no projection without an actual)
        method[named] = blend[named]
        required, required_none = pace.required_monthly_array(target, has_target, actual, cal.as_of)
        score = np.where(completion_none, np.nan, completion)
        yoy_none = np.isnan(last_year) | (last_year == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            yoy = pace.round1_array((actual / last_year - 1) * 100)

    actual_shown = _round_value(ind, actual)
    # a department (区就业局) keeps its row but is not ranked among the 街镇 (rules.yaml ranked_unit_types)
    ranked = np.array([cal.rules.is_ranked(u.unit_type) for u in children], dtype=bool)
    ranks, rank_of = _ranks(ind, child_codes, has_target[n_parent:] & ranked, score[n_parent:],
                            actual_shown[n_parent:])
    return {
        "unit_code": [parent.code] * n_parent + child_codes,
        "unit_name": [parent.name] * n_parent + [u.name for u in children],
        "indicator": [ind.name] * n,
        "target": _listed(target, ~has_target),
        "actual": _listed(actual_shown),
        "completion_pct": _listed(pace.round1_array(completion), completion_none),
        "gap_pp": _listed(gap, gap_none),
        "status": status.tolist(),
        "rank": [None] * n_parent + ranks,
        "projected_year_end": _listed(_round_value(ind, projected)),
        "required_monthly": _listed(_round_up(ind, required), required_none | np.isnan(required)),
        "target_basis": [BASIS_OWN, BASIS_ALLOCATION][:n_parent] + [BASIS_OWN] * n_children,
        "level": ["parent"] * n_parent + ["child"] * n_children,
        "unit_type": [parent.unit_type] * n_parent + [u.unit_type for u in children],
        "sort_order": [parent.sort_order] * n_parent + [u.sort_order for u in children],
        "indicator_order": [ind.order] * n,
        "kind": [ind.kind] * n,
        "comparator": [t[1] for t in all_targets],
        "target_note": [t[2] for t in all_targets],
        "published_label": [t[3] for t in all_targets],
        "numerator": num.tolist(),
        "denominator": den.tolist(),
        "rank_of": [None] * n_parent + rank_of,
        "projection_method": method.tolist(),
        "months_remaining": [round(cal.months_left, 2)] * n,
        "last_year_actual": _listed(_round_value(ind, last_year)),
        "yoy_change": _listed(yoy, yoy_none),
        "last_event_on": [p_last] * n_parent + c_last,
        "target_source": [own_source if own_source and has_target[0] else None]
        + (["allocation_sum"] if n_parent > 1 else [])
        + ["published" if t is not None else None for t in c_targets],
        "is_ranked": [False] * n_parent + ranked.tolist(),
        "judged": [ind.judged_on(cal.as_of)] * n,
    }


def _ranks(ind: Indicator, codes: list[str], has_target: np.ndarray, score: np.ndarray,
           actual_shown: np.ndarray) -> tuple[list, list]:
    """Each child's rank among the children with a target (`pace.rank_units`), and how many were ranked."""
    items = [(code, None if np.isnan(s) else s, None if np.isnan(a) else a)
             for code, has, s, a in zip(codes, has_target.tolist(), score.tolist(), actual_shown.tolist()) if has]
    ranks = pace.rank_units(items, descending=ind.kind != "ceiling_rate")
    ranked = len(ranks)
    return [ranks.get(c) for c in codes], [ranked if c in ranks else None for c in codes]


def monthly_series(store: Store, ref: Reference, year: int, as_of: date, unit_codes: list[str] | None = None,
                   parent_code: str | None = None) -> pd.DataFrame:
    """Monthly and cumulative values per shown unit × indicator for `year` and the year before.

    Columns: unit_code, indicator, year, month, value (the month's own value; for rates the
    cumulative rate at month end), cumulative. Parent totals use the parent's code.
    """
    units = ref.units
    parent = units[parent_code] if parent_code else units.root()
    all_codes, shown_codes = units.rollup(parent.code)
    # rolled up in SQL to the children (and the parent's own records under the parent's code)
    per_child = store.query("monthly_by_unit", first_year=year - 1, last_year=year, as_of=as_of,
                            unit_codes=all_codes, shown_codes=shown_codes)
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
    # numpy over the columns: pandas' comparisons on its string columns cost ~1 ms each, and the
    # overview asks for every indicator's rows several times per rerun
    col = lambda name: progress[name].to_numpy(dtype=object)  # noqa: E731
    mine = (col("level") == "parent") & (col("indicator") == indicator)
    basis = col("target_basis")
    own = np.flatnonzero(mine & (basis == BASIS_OWN))
    alloc = np.flatnonzero(mine & (basis == BASIS_ALLOCATION))
    return progress.iloc[own[0]], (progress.iloc[alloc[0]] if len(alloc) else None)
