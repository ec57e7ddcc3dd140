"""Deterministic demo extracts for the employment-target monitor.

The real record-level extracts (new employment, training, guarantee loans, unemployed
graduates) contain personal data and never leave the bureau, so every screen of the app is
developed, tested and shown against this synthetic stand-in instead. ``generate_demo`` writes
the four extracts for 2019 (full year) and the first half of 2020, "as extracted on
2020-06-30", in exactly the layout and schema of the real ones:

    <data_dir>/extracts/<extract>/               a Delta table (year=YYYY/month=MM partitions)
    <data_dir>/extracts/_demo.json          (marks the data as demo data)

The schema (column order and types) comes from ``queries/indicators.yaml``; volumes come
from the 2020 targets in ``data/reference/targets.csv``. The data is calibrated so the demo
tells a plausible story: a 2019 year-end push, the February 2020 COVID dip, a spread of
mid-year completion rates between units (铜罐驿镇 far behind, 西彭镇 ahead) and one town
(陶家镇) that did not report in May 2020. Everything is drawn from
``numpy.random.default_rng(seed)``, so the same seed always gives the same rows.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REGISTRY_PATH = PROJECT_ROOT / "queries" / "indicators.yaml"

THROUGH = np.datetime64("2020-06-30")  # the demo's extraction date: nothing is dated later
DISTRICT = "500107"
BUREAU = "500107-90"  # 区就业局: only has a (创业培训) training target
TAOJIA = "500107-13"  # 陶家镇: did not report in May 2020
MISSING_MONTH = (2020, 5)

DUCKDB_TO_ARROW = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
}

# Relative monthly volumes (Jan..Dec). 2019 builds up to the December year-end push; 2020
# collapses in February (COVID) and catches up from April. Only H1 2020 is ever used.
MONTH_WEIGHTS = {
    2019: [7, 5, 8.5, 8.5, 8.5, 9, 8.5, 8, 8.5, 8, 9, 12.5],
    2020: [6, 1.5, 5.5, 9.5, 10.5, 11, 8.5, 8, 8.5, 8, 9, 12.5],
}
# Graduates register mostly after leaving school in the summer.
GRADUATE_MONTH_WEIGHTS = {
    2019: [4, 3, 4, 4, 5, 8, 18, 17, 13, 9, 8, 7],
    2020: [4, 1, 3, 4, 5, 8, 18, 17, 13, 9, 8, 7],
}

# Official public holidays (inclusive ranges): hardly anything is registered on them.
HOLIDAYS = [
    ("2019-01-01", "2019-01-01"), ("2019-02-04", "2019-02-10"), ("2019-04-05", "2019-04-07"),
    ("2019-05-01", "2019-05-04"), ("2019-06-07", "2019-06-09"), ("2019-09-13", "2019-09-15"),
    ("2019-10-01", "2019-10-07"), ("2020-01-01", "2020-01-01"), ("2020-01-24", "2020-02-02"),
    ("2020-04-04", "2020-04-06"), ("2020-05-01", "2020-05-05"), ("2020-06-25", "2020-06-27"),
]

# Completion (% of the 2020 target) each unit has reached at 2020-06-30. New employment is
# the agreed demo story; training and loans reuse the same values shuffled between units and
# moved by up to ±5 pp, so units do not rank identically on every indicator. 铜罐驿镇 stays
# last everywhere. The graduate column is the employment rate of the 2020 cohort (target
# ≥95%): most units meet it, four do not.
#                unit          new_emp  training  loans  graduate_rate
H1_2020_COMPLETION = {
    "500107-01": (58.0, 49.0, 52.0, 97.5),  # 杨家坪街道
    "500107-02": (55.0, 60.0, 47.0, 96.0),  # 谢家湾街道
    "500107-03": (52.0, 43.0, 63.0, 95.5),  # 石坪桥街道
    "500107-04": (47.0, 56.0, 44.0, 93.0),  # 黄桷坪街道
    "500107-05": (61.0, 51.5, 56.0, 98.0),  # 石桥铺街道
    "500107-06": (44.0, 57.0, 49.0, 95.5),  # 二郎街道
    "500107-07": (50.5, 46.0, 41.0, 96.5),  # 渝州路街道
    "500107-08": (45.0, 62.0, 54.0, 91.0),  # 中梁山街道
    "500107-09": (53.0, 48.0, 60.0, 97.0),  # 九龙镇
    "500107-10": (42.0, 54.0, 46.0, 95.5),  # 华岩镇
    "500107-11": (65.0, 52.0, 58.0, 98.0),  # 西彭镇
    "500107-12": (28.0, 31.0, 24.0, 86.0),  # 铜罐驿镇 (far behind)
    "500107-13": (40.0, 38.0, 37.0, 89.0),  # 陶家镇 (also missed May)
}
BUREAU_TRAINING_H1_2020 = 51.0  # 区就业局's 创业培训: about on pace
GRADUATE_RATE_TARGET = 95.0

GROUPS = (["高校毕业生", "就业困难人员", "失业人员再就业", "农村劳动力", "退役军人", "其他"],
          [0.22, 0.10, 0.28, 0.30, 0.03, 0.07])
# Plausible ages per group (graduates and veterans are young).
GROUP_AGES = {"高校毕业生": (21, 27), "退役军人": (20, 40)}
FORMS = (["单位就业", "灵活就业", "自主创业"], [0.62, 0.30, 0.08])
TRAINING_TYPES = ["就业技能培训", "岗位技能提升培训", "创业培训"]
# 2020 leans more on in-service training (the 以工代训 subsidies of the COVID year), which
# also puts the district's in-service target (3000 a year) roughly on pace at mid-year.
TRAINING_SHARES = {2019: [0.70, 0.22, 0.08], 2020: [0.67, 0.25, 0.08]}
SUBSIDY_RANGE = {"就业技能培训": (1200, 1800), "岗位技能提升培训": (800, 1500), "创业培训": (1000, 2000)}
BANKS = (["重庆农村商业银行", "中国邮政储蓄银行", "重庆银行", "中国建设银行", "中国工商银行", "重庆三峡银行"],
         [0.34, 0.22, 0.15, 0.12, 0.10, 0.07])
PERSONAL_LOAN_CAP = 200_000  # policy cap 20万 per person
SME_LOAN_RANGE = (500_000, 3_000_000)  # the policy cap is 500万; the district lends far less
GRADUATE_LAG_MEAN_DAYS = 40.0

# Home regions of ID numbers: mostly 九龙坡 itself, then other Chongqing districts.
REGION_CODES = (["500107", "500106", "500104", "500103", "500108", "500105", "500112",
                 "500113", "500116", "500120", "500110", "500117", "500118", "500151", "500153"],
                [0.55, 0.07, 0.05, 0.04, 0.04, 0.03, 0.03,
                 0.03, 0.03, 0.03, 0.02, 0.02, 0.02, 0.02, 0.02])
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)


# --------------------------------------------------------------------------- public API


def generate_demo(data_dir: Path, seed: int = 42, reference_dir: Path | None = None) -> dict:
    """Write the demo extracts under ``data_dir/extracts`` (replacing earlier demo output).

    Returns ``{"rows": {extract: row count}, "through": "2020-06-30", "seed": seed}``.
    """
    data_dir = Path(data_dir)
    reference_dir = Path(reference_dir) if reference_dir else PROJECT_ROOT / "data" / "reference"
    extracts = _load_extracts(REGISTRY_PATH)
    units, targets = _load_reference(reference_dir)
    rng = np.random.default_rng(seed)

    # Fixed order of generation: every extract draws from the one generator in turn.
    tables = {
        "new_employment": _new_employment(rng, units, targets),
        "training": _training(rng, units, targets),
        "loans": _loans(rng, units, targets),
        "graduates": _graduates(rng, units, targets),
    }
    # What came later (the overlapping person flags, the work plan's other district targets)
    # draws from generators of its own, so the rows above stay exactly what they were.
    _add_person_flags(np.random.default_rng([seed, 1]), tables["new_employment"])
    tables["internship_bases"] = _internship_bases(np.random.default_rng([seed, 2]), units)
    tables["internships"] = _internships(np.random.default_rng([seed, 3]), tables["internship_bases"])
    tables["reported_monthly"] = _reported_monthly(np.random.default_rng([seed, 4]))

    root = data_dir / "extracts"
    rows = {}
    for name, columns in tables.items():
        spec = extracts[name]
        rows[name] = _write_extract(root / name, columns, spec["schema"], spec["partition_date"])
    # the manual work-item inputs of the assessment scores, for the demo year
    from target_monitor.scoring import demo_work_items, save_work_items, work_items_path

    save_work_items(work_items_path(data_dir), 2020, demo_work_items(_street_town_codes(units), 2020))
    _write_json_atomic(root / "_demo.json", {
        "demo": True, "seed": seed, "through": str(THROUGH), "generator": "target_monitor.demo",
    })
    # the monthly aggregates the pages read (the demo is complete, so build them all)
    from target_monitor.aggregates import refresh

    refresh(data_dir, full=True)
    return {"rows": rows, "through": str(THROUGH), "seed": seed}


# --------------------------------------------------------------------------- inputs


def _load_extracts(registry_path: Path) -> dict:
    """Arrow schema and partition column of each extract, from the registry YAML."""
    registry = yaml.safe_load(registry_path.read_text(encoding="utf-8"))
    extracts = {}
    for name, spec in registry["extracts"].items():
        fields = [pa.field(col, DUCKDB_TO_ARROW[c["type"]]) for col, c in spec["columns"].items()]
        extracts[name] = {"schema": pa.schema(fields), "partition_date": spec["partition_date"]}
    return extracts


def _load_reference(reference_dir: Path) -> tuple[pd.DataFrame, dict]:
    """The district's child units (in official order) and their 2020 targets."""
    units = pd.read_csv(reference_dir / "units.csv",
                        dtype={"unit_code": str, "parent_code": str})
    units = units[units["parent_code"] == DISTRICT].sort_values("sort_order")
    t = pd.read_csv(reference_dir / "targets.csv", dtype={"unit_code": str, "year": str})
    t = t[t["year"] == "2020"]
    targets = {(r.unit_code, r.indicator): float(r.value) for r in t.itertuples()}
    return units.reset_index(drop=True), targets


def _street_town_codes(units: pd.DataFrame) -> list[str]:
    return units.loc[units["unit_type"].isin(["street", "town"]), "unit_code"].tolist()


# --------------------------------------------------------------------------- dates


def _period_days(year: int) -> np.ndarray:
    """Every day of ``year`` up to the extraction date."""
    end = min(np.datetime64(f"{year + 1}-01-01"), THROUGH + 1)
    return np.arange(np.datetime64(f"{year}-01-01"), end)


def _months(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype(int) % 12 + 1


def _day_weights(days: np.ndarray) -> np.ndarray:
    """Offices work on weekdays: weekends and public holidays get little activity."""
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    w = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.3, 0.15))
    for start, end in HOLIDAYS:
        w[(days >= np.datetime64(start)) & (days <= np.datetime64(end))] = 0.1
    return w


def _sample_dates(rng, n: int, year: int, month_weights, skip_month: int | None = None,
                  noise: float = 0.08) -> np.ndarray:
    """``n`` dates in ``year`` following the monthly profile, with per-call monthly noise."""
    days = _period_days(year)
    month = _months(days)
    mw = np.asarray(month_weights, float) * rng.lognormal(0.0, noise, 12)
    if skip_month:
        mw[skip_month - 1] = 0.0
    dw = _day_weights(days)
    # Normalise day weights within each month so month totals follow the profile.
    month_total = np.bincount(month, weights=dw, minlength=13)
    p = mw[month - 1] * dw / month_total[month]
    return rng.choice(days, size=n, p=p / p.sum())


def _ensure_month(rng, dates: np.ndarray, year: int, month: int) -> np.ndarray:
    """Move one record into (year, month) if sampling left that month empty.

    Small series (a unit's handful of loans) could otherwise miss May 2020 by chance, which
    would blur the one deliberate gap (陶家镇 not reporting).
    """
    days = _period_days(year)
    in_month = days[_months(days) == month]
    if len(dates) == 0 or np.isin(dates, in_month).any():
        return dates
    workdays = in_month[_day_weights(in_month) == 1.0]
    dates = dates.copy()
    dates[rng.integers(len(dates))] = rng.choice(workdays)
    return dates


def _unit_dates(rng, unit: str, n: int, year: int, weights=MONTH_WEIGHTS) -> np.ndarray:
    """Dates for one unit's records in one year, honouring the May 2020 gap."""
    missing = MISSING_MONTH[1] if unit == TAOJIA and year == MISSING_MONTH[0] else None
    dates = _sample_dates(rng, n, year, weights[year], skip_month=missing)
    if year == MISSING_MONTH[0] and missing is None:
        dates = _ensure_month(rng, dates, *MISSING_MONTH)
    return dates


# --------------------------------------------------------------------------- volumes


def _yearly_count(rng, target: float, year: int, completion_pct: float) -> int:
    """2019: 90-105% of the 2020 target. H1 2020: the calibrated completion (±0.6 pp)."""
    if year == 2019:
        return int(round(target * rng.uniform(0.90, 1.05)))
    return int(round(target * (completion_pct + rng.uniform(-0.6, 0.6)) / 100))


# --------------------------------------------------------------------------- identifiers


def _id_numbers(rng, on: np.ndarray, min_age, max_age) -> np.ndarray:
    """18-character resident ID numbers (GB 11643) for people aged min..max on ``on``."""
    n = len(on)
    region = rng.choice(REGION_CODES[0], size=n, p=REGION_CODES[1])
    lo = np.ceil(np.asarray(min_age) * 365.25).astype(int)
    hi = np.floor((np.asarray(max_age) + 1) * 365.25).astype(int) - 1
    birth = on - rng.integers(lo, hi, size=n).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "")
    sequence = np.char.zfill(rng.integers(0, 1000, size=n).astype(str), 3)
    body = np.char.add(np.char.add(region, ymd), sequence)  # 17 digits
    digits = body.astype("S17").view(np.uint8).reshape(n, 17) - ord("0")
    check = ID_CHECK_CHARS[(digits.astype(int) @ ID_WEIGHTS) % 11]
    return np.char.add(body, check.view("S1").astype(str))


def _order_and_number(columns: dict, date_col: str, id_col: str, prefix: str, width: int,
                      rng) -> dict:
    """Sort records by date (ties in random order) and number them per year: NE2019-000001."""
    dates = columns[date_col]
    order = rng.permutation(len(dates))
    order = order[np.argsort(dates[order], kind="stable")]
    out = {k: v[order] for k, v in columns.items()}
    years = out[date_col].astype("datetime64[Y]").astype(int) + 1970
    seq = np.zeros(len(years), int)
    for y in np.unique(years):
        mask = years == y
        seq[mask] = np.arange(1, mask.sum() + 1)
    out[id_col] = np.array([f"{prefix}{y}-{s:0{width}d}" for y, s in zip(years, seq)])
    return out


def _concat(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# --------------------------------------------------------------------------- extracts


def _new_employment(rng, units: pd.DataFrame, targets: dict) -> dict:
    parts = []
    for unit in _street_town_codes(units):  # 区就业局 has no new-employment target
        target = targets[(unit, "urban_new_employment")]
        for year in (2019, 2020):
            n = _yearly_count(rng, target, year, H1_2020_COMPLETION[unit][0])
            parts.append({"unit_code": np.full(n, unit), "employed_on": _unit_dates(rng, unit, n, year)})
    cols = _concat(parts)
    n = len(cols["unit_code"])
    cols["group"] = rng.choice(GROUPS[0], size=n, p=GROUPS[1])
    cols["form"] = rng.choice(FORMS[0], size=n, p=FORMS[1])
    min_age, max_age = np.full(n, 18), np.full(n, 60)
    for group, (lo, hi) in GROUP_AGES.items():
        mask = cols["group"] == group
        min_age[mask], max_age[mask] = lo, hi
    cols["person_key"] = _id_numbers(rng, cols["employed_on"], min_age, max_age)
    return _order_and_number(cols, "employed_on", "record_id", "NE", 6, rng)


def _training(rng, units: pd.DataFrame, targets: dict) -> dict:
    parts = []
    for unit in units["unit_code"]:
        target = targets.get((unit, "vocational_training"))
        if not target:
            continue
        for year in (2019, 2020):
            pct = BUREAU_TRAINING_H1_2020 if unit == BUREAU else H1_2020_COMPLETION[unit][1]
            n = _yearly_count(rng, target, year, pct)
            if unit == BUREAU:  # the bureau runs the district's entrepreneurship courses only
                types = np.full(n, "创业培训")
            else:
                types = rng.choice(TRAINING_TYPES, size=n, p=TRAINING_SHARES[year])
            parts.append({"unit_code": np.full(n, unit), "training_type": types,
                          "completed_on": _unit_dates(rng, unit, n, year)})
    cols = _concat(parts)
    n = len(cols["unit_code"])
    subsidy = np.zeros(n)
    for kind, (lo, hi) in SUBSIDY_RANGE.items():
        mask = cols["training_type"] == kind
        subsidy[mask] = rng.integers(lo, hi + 1, size=mask.sum())
    cols["subsidy_yuan"] = subsidy
    cols["person_key"] = _id_numbers(rng, cols["completed_on"], 18, 60)
    return _order_and_number(cols, "completed_on", "record_id", "TR", 6, rng)


def _personal_loan(rng) -> int:
    """Most personal loans sit at or near the 20万 cap; some are smaller."""
    r = rng.random()
    if r < 0.30:
        return PERSONAL_LOAN_CAP
    if r < 0.45:
        return 100_000
    if r < 0.85:
        return int(rng.integers(100, 201)) * 1000
    return int(rng.integers(50, 100)) * 1000


def _split_loans(rng, total: int) -> tuple[list[str], list[int]]:
    """Loans (borrower type, amount) that add up exactly to ``total`` yuan.

    The unit targets are amounts (万元), so it is the amount, not the count, that is
    calibrated; a unit with a large enough total sometimes lends to one small business.
    """
    types, amounts = [], []
    remaining = total
    sme_cap = min(SME_LOAN_RANGE[1], remaining - 150_000)  # leave room for personal loans
    if sme_cap >= SME_LOAN_RANGE[0] and rng.random() < 0.6:
        amount = SME_LOAN_RANGE[0] + rng.exponential(200_000)
        amount = int(min(amount, sme_cap) // 10_000 * 10_000)
        types.append("小微企业")
        amounts.append(amount)
        remaining -= amount
    while remaining > PERSONAL_LOAN_CAP:
        amount = _personal_loan(rng)
        if remaining - amount < 50_000:  # never leave a remainder too small to be a loan
            amount = remaining - 50_000
        types.append("个人")
        amounts.append(amount)
        remaining -= amount
    if remaining > 0:
        types.append("个人")
        amounts.append(max(remaining, 50_000))
    return types, amounts


def _loans(rng, units: pd.DataFrame, targets: dict) -> dict:
    parts = []
    for unit in _street_town_codes(units):  # no loans are booked to 区就业局
        target_yuan = targets[(unit, "guarantee_loans")] * 10_000
        for year in (2019, 2020):
            if year == 2019:
                total = target_yuan * rng.uniform(0.90, 1.05)
            else:
                pct = H1_2020_COMPLETION[unit][2] + rng.uniform(-0.6, 0.6)
                total = target_yuan * pct / 100
            types, amounts = _split_loans(rng, int(round(total, -3)))
            n = len(amounts)
            parts.append({"unit_code": np.full(n, unit), "borrower_type": np.array(types),
                          "amount_yuan": np.array(amounts, float),
                          "disbursed_on": _unit_dates(rng, unit, n, year)})
    cols = _concat(parts)
    cols["bank"] = rng.choice(BANKS[0], size=len(cols["unit_code"]), p=BANKS[1])
    return _order_and_number(cols, "disbursed_on", "loan_id", "LN", 4, rng)


def _employed_count(n: int, rate_pct: float) -> int:
    """How many of ``n`` graduates are employed, keeping the unit on its side of 95%."""
    k = int(round(n * rate_pct / 100))
    meets = int(np.ceil(n * GRADUATE_RATE_TARGET / 100))
    return max(k, meets) if rate_pct >= GRADUATE_RATE_TARGET else min(k, meets - 1)


def _employ_by(rng, registered: np.ndarray, cutoff: np.datetime64, k: int) -> np.ndarray:
    """Employment dates for exactly ``k`` graduates, all on or before ``cutoff``.

    Who is employed is a weighted draw without replacement (weights = chance of an
    exponential job-search lag fitting before the cutoff), so late registrants are the ones
    still looking; the lag is then drawn from the exponential truncated at the cutoff.
    """
    employed = np.full(len(registered), np.datetime64("NaT"), dtype="datetime64[D]")
    available = (cutoff - registered).astype(int)
    fits = 1 - np.exp(-available / GRADUATE_LAG_MEAN_DAYS)
    keys = rng.random(len(registered)) ** (1 / (fits + 1e-9))  # Efraimidis-Spirakis
    chosen = np.argsort(-keys, kind="stable")[:k]
    u = rng.random(k)
    lag = -GRADUATE_LAG_MEAN_DAYS * np.log1p(-u * fits[chosen])
    lag = np.minimum(np.ceil(lag), available[chosen]).astype(int)
    employed[chosen] = registered[chosen] + lag.astype("timedelta64[D]")
    return employed


def _graduates(rng, units: pd.DataFrame, targets: dict) -> dict:
    parts = []
    year_end = np.datetime64("2019-12-31")
    for unit in _street_town_codes(units):  # the register is kept by streets and towns
        # Bigger units (by new-employment target) register more graduates: 80-300 a year.
        size = 80 + 220 * (targets[(unit, "urban_new_employment")] - 1000) / 3000
        size = np.clip(size * rng.uniform(0.85, 1.10), 80, 300)

        # 2019 cohort: 93-99% employed by the year end; some of the rest find work in 2020.
        n = int(round(size))
        reg = _unit_dates(rng, unit, n, 2019, GRADUATE_MONTH_WEIGHTS)
        emp = _employ_by(rng, reg, year_end, int(round(n * rng.uniform(0.93, 0.99))))
        late = np.isnat(emp) & (rng.random(n) < 0.6)
        lag = np.ceil(rng.exponential(GRADUATE_LAG_MEAN_DAYS, late.sum())).astype(int)
        emp[late] = year_end + lag.astype("timedelta64[D]")
        emp[emp > THROUGH] = np.datetime64("NaT")  # not yet known at extraction time
        parts.append({"unit_code": np.full(n, unit), "cohort_year": np.full(n, 2019),
                      "registered_on": reg, "employed_on": emp})

        # 2020 cohort: only the registrations up to 30 June exist so far.
        w = np.asarray(GRADUATE_MONTH_WEIGHTS[2020], float)
        h1 = w[:6].sum() - (w[4] if unit == TAOJIA else 0)
        n = int(round(size * rng.uniform(0.9, 1.1) * h1 / w.sum()))
        reg = _unit_dates(rng, unit, n, 2020, GRADUATE_MONTH_WEIGHTS)
        emp = _employ_by(rng, reg, THROUGH, _employed_count(n, H1_2020_COMPLETION[unit][3]))
        parts.append({"unit_code": np.full(n, unit), "cohort_year": np.full(n, 2020),
                      "registered_on": reg, "employed_on": emp})
    cols = _concat(parts)
    # 陶家镇 reported nothing in May 2020: job starts from May were only filed in June.
    may = (cols["unit_code"] == TAOJIA) & (cols["employed_on"].astype("datetime64[M]")
                                          == np.datetime64("2020-05"))
    cols["employed_on"][may] = np.datetime64("2020-06-01") + rng.integers(0, 30, may.sum())
    return _order_and_number(cols, "registered_on", "graduate_key", "GR", 5, rng)


# ------------------------------------------------------- overlapping flags, district targets

# Of each main group, the share that is also a registered unemployed person / hard to employ /
# from a zero-employment family. Hard-to-employ people are mostly registered unemployed, and the
# zero-employment families are among them: so one person is often in two or three categories.
FLAG_SHARES = {
    #                 unemployed  hard_to_employ  zero_family (of the hard to employ)
    "就业困难人员":     (0.80, 1.00, 0.18),
    "失业人员再就业":   (1.00, 0.15, 0.18),
    "农村劳动力":       (0.10, 0.05, 0.18),
}
# 4050人员: women aged 40 and over, men aged 50 and over (by the ID number), among the
# registered unemployed and the hard to employ (the policy's meaning of the term)
AGE_4050 = {"female": 40, "male": 50}


def _age_and_sex(person_keys: np.ndarray, on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Age in whole years on ``on`` and whether male (odd 17th digit), from GB 11643 ID numbers."""
    birth = np.array([f"{k[6:10]}-{k[10:12]}-{k[12:14]}" for k in person_keys], dtype="datetime64[D]")
    years = (on.astype("datetime64[D]") - birth).astype(int) / 365.25
    male = np.array([int(k[16]) % 2 == 1 for k in person_keys])
    return np.floor(years).astype(int), male


def _add_person_flags(rng, cols: dict) -> None:
    """是/否 flags for the categories a person can be in at once (registered unemployed, hard to
    employ, 4050, zero-employment family), consistent with the record's main group and age."""
    n = len(cols["group"])
    unemployed, hard, zero = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    for group, (p_unemp, p_hard, p_zero) in FLAG_SHARES.items():
        mask = cols["group"] == group
        unemployed[mask] = rng.random(mask.sum()) < p_unemp
        hard[mask] = rng.random(mask.sum()) < p_hard
    zero_share = np.array([FLAG_SHARES.get(g, (0, 0, 0))[2] for g in cols["group"]])
    zero = hard & (rng.random(n) < zero_share)
    age, male = _age_and_sex(cols["person_key"], cols["employed_on"])
    is_4050 = (unemployed | hard) & (age >= np.where(male, AGE_4050["male"], AGE_4050["female"]))
    for name, flag in (("is_unemployed", unemployed), ("is_hard_to_employ", hard), ("is_4050", is_4050),
                       ("is_zero_employment_family", zero)):
        cols[name] = np.where(flag, "是", "否")


# The district work plan's targets without a unit breakdown: 42 internship bases, 780 interns.
# Bases recognised per year (2020: by 30 June, a little ahead of the calendar) and interns
# started (2020: a little behind it, the spring intake was cut short).
INTERNSHIP_BASES = {2019: 40, 2020: 24}
INTERNS = {2019: 760, 2020: 372}
SECTORS = (["制造业", "信息技术", "商贸服务", "社会服务", "其他"], [0.34, 0.18, 0.24, 0.16, 0.08])
BASE_NAMES = ["重庆{}机械有限公司", "重庆{}电子科技有限公司", "重庆{}商贸有限公司", "重庆{}物业服务有限公司",
              "重庆{}医药连锁有限公司", "重庆{}软件有限公司", "重庆{}餐饮管理有限公司", "重庆{}建筑设计院有限公司"]
NAME_WORDS = ["渝龙", "九坡", "华岩", "西彭", "铜元", "谢家", "石桥", "黄桷", "杨坪", "二郎", "中梁", "陶然", "渝州",
              "嘉陵", "长江", "巴渝", "山城", "新城", "宏远", "鑫达"]
# 对口帮扶城口县 (reported monthly by 区就业局, 当月): young workers placed, training given.
# 2020's first half is slow (the county's workers could not travel in February and March).
CHENGKOU = {
    "chengkou_labour_transfer": {2019: [6, 4, 12, 10, 9, 8, 9, 8, 10, 9, 10, 9], 2020: [5, 0, 2, 11, 10, 10]},
    "chengkou_training": {2019: [20, 10, 30, 28, 30, 26, 24, 22, 28, 26, 30, 26], 2020: [22, 0, 18, 40, 46, 38]},
}
# 城镇登记失业率 (reported monthly by the district, the month-end figure, %): up in the COVID spring,
# back under the 4.5% ceiling by June
UNEMPLOYMENT_RATE = {2019: [3.7, 3.8, 3.7, 3.6, 3.6, 3.5, 3.6, 3.6, 3.5, 3.5, 3.4, 3.4],
                     2020: [3.6, 4.2, 4.6, 4.4, 4.2, 4.0]}


def _internship_bases(rng, units: pd.DataFrame) -> dict:
    codes = _street_town_codes(units)
    parts = []
    for year, n in INTERNSHIP_BASES.items():
        parts.append({"unit_code": rng.choice(codes, size=n),
                      "recognised_on": _sample_dates(rng, n, year, MONTH_WEIGHTS[year])})
    cols = _concat(parts)
    n = len(cols["unit_code"])
    cols["sector"] = rng.choice(SECTORS[0], size=n, p=SECTORS[1])
    names = [BASE_NAMES[i].format(w) for i, w in zip(rng.integers(0, len(BASE_NAMES), n),
                                                      rng.permutation(np.resize(NAME_WORDS, n)))]
    cols["base_name"] = np.array(names)
    _skip_missing_month(rng, cols, "recognised_on")
    return _order_and_number(cols, "recognised_on", "base_id", "JB", 3, rng)


def _skip_missing_month(rng, cols: dict, date_col: str) -> None:
    """陶家镇 reported nothing in May 2020: its records of May are filed in June (in place)."""
    may = (cols["unit_code"] == TAOJIA) & (cols[date_col].astype("datetime64[M]") == np.datetime64("2020-05"))
    cols[date_col][may] = np.datetime64("2020-06-01") + rng.integers(0, 29, may.sum())


def _internships(rng, bases: dict) -> dict:
    """Interns start at a base already recognised (of any earlier year), in the base's unit."""
    parts = []
    for year, n in INTERNS.items():
        started = _sample_dates(rng, n, year, MONTH_WEIGHTS[year])
        # a start needs a base recognised on or before it: pick among those
        idx = np.empty(n, int)
        order = np.argsort(bases["recognised_on"])
        recognised = bases["recognised_on"][order]
        for i, day in enumerate(started):
            k = int(np.searchsorted(recognised, day, side="right"))
            if k == 0:  # nothing recognised yet that year: the first base takes the intern later
                started[i], k = recognised[0], 1
            idx[i] = order[rng.integers(0, k)]
        parts.append({"base_id": bases["base_id"][idx], "unit_code": bases["unit_code"][idx], "started_on": started})
    cols = _concat(parts)
    _skip_missing_month(rng, cols, "started_on")
    cols["person_key"] = _id_numbers(rng, cols["started_on"], 18, 24)  # graduates within two years, youth
    return _order_and_number(cols, "started_on", "record_id", "JX", 5, rng)


def _reported_monthly(rng) -> dict:
    """The figures units report rather than records: 区就业局's 城口 figures (当月) and the
    district's registered unemployment rate (the month-end figure)."""
    rows = []
    for indicator, years in CHENGKOU.items():
        for year, values in years.items():
            rows += [(BUREAU, indicator, year, m, "当月", float(v)) for m, v in enumerate(values, 1)]
    for year, values in UNEMPLOYMENT_RATE.items():
        rows += [(DISTRICT, "registered_unemployment_rate", year, m, "累计", v) for m, v in enumerate(values, 1)]
    unit, indicator, year, month, basis, value = (np.array(c) for c in zip(*rows))
    report_month = np.array([f"{y}-{m:02d}-01" for y, m in zip(year, month)], dtype="datetime64[D]")
    return {"report_id": np.array([f"{u}|{i}|{y}-{m:02d}" for u, i, y, m in zip(unit, indicator, year, month)]),
            "unit_code": unit, "indicator": indicator, "report_month": report_month, "basis": basis,
            "value": value.astype(float)}


# --------------------------------------------------------------------------- output


def _write_extract(folder: Path, columns: dict, schema: pa.Schema, partition_col: str) -> int:
    """Replace ``folder`` with a Delta table of the rows, partitioned by year=YYYY/month=MM."""
    from deltalake import CommitProperties, write_deltalake

    from target_monitor.tables_delta import COMMIT_KEY, PARTITIONS, with_partitions

    if folder.exists():
        shutil.rmtree(folder)  # the demo replaces itself; stale files must not linger
    table = pa.table({f.name: pa.array(columns[f.name], type=f.type, from_pandas=True)
                      for f in schema}, schema=schema)
    folder.mkdir(parents=True, exist_ok=True)
    write_deltalake(str(folder), with_partitions(table, partition_col), partition_by=PARTITIONS, mode="error",
                    commit_properties=CommitProperties(custom_metadata={COMMIT_KEY: json.dumps({"kind": "demo"})}))
    return table.num_rows


def _write_json_atomic(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
