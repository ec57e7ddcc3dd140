"""The progress table on tiny inline rows: parent vs allocation, pooled rates, projection."""

from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from target_monitor.progress import progress_table
from target_monitor.reference import load_reference
from target_monitor.store import Store

UNITS = """unit_code,name,name_en,short_name,unit_type,parent_code,sort_order,aliases
D,区,District,区,district,,0,
A,甲街道,A Street,甲,street,D,1,甲
B,乙镇,B Town,乙,town,D,2,乙
"""
TARGETS = """year,unit_code,indicator,comparator,value,unit,note,published_label,source,effective_from
2020,D,urban_new_employment,>=,150,人,,,,2020-01-01
2020,A,urban_new_employment,>=,100,人,,,,2020-01-01
2020,B,urban_new_employment,>=,100,人,,,,2020-01-01
2020,A,graduate_employment_rate,>=,95,%,,,,2020-01-01
2020,B,graduate_employment_rate,>=,95,%,,,,2020-01-01
2020,D,graduate_employment_rate,>=,90,%,,,,2020-01-01
"""


def _write(data_dir, extract, year, month, table: dict):
    folder = data_dir / "extracts" / extract / f"year={year}" / f"month={month:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(table), folder / "part-0.parquet")


@pytest.fixture
def tiny(tmp_path):
    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "units.csv").write_text(UNITS, encoding="utf-8")
    (ref / "targets.csv").write_text(TARGETS, encoding="utf-8")
    # new employment: A has 60 in 2020 H1 (30 in Jan, 30 in Jun), B has 40 in June; 2019 A all in December
    def ne(unit, day, n, prefix):
        return {"record_id": [f"{prefix}{i}" for i in range(n)], "unit_code": [unit] * n,
                "person_key": ["p"] * n, "employed_on": [day] * n, "group": ["其他"] * n, "form": ["单位就业"] * n}
    _write(tmp_path, "new_employment", 2020, 1, ne("A", date(2020, 1, 10), 30, "a1-"))
    t = ne("A", date(2020, 6, 10), 30, "a6-")
    b = ne("B", date(2020, 6, 20), 40, "b6-")
    _write(tmp_path, "new_employment", 2020, 6, {k: t[k] + b[k] for k in t})
    _write(tmp_path, "new_employment", 2019, 12, ne("A", date(2019, 12, 5), 80, "a19-"))
    _write(tmp_path, "new_employment", 2019, 3, ne("B", date(2019, 3, 5), 50, "b19-"))
    # graduates: A 10 registered, 9 employed; B 30 registered, 26 employed by June and one more in August
    grads = {"graduate_key": [], "unit_code": [], "cohort_year": [], "registered_on": [], "employed_on": []}
    for unit, n, ok in (("A", 10, 9), ("B", 30, 26)):
        for i in range(n):
            grads["graduate_key"].append(f"{unit}{i}")
            grads["unit_code"].append(unit)
            grads["cohort_year"].append(2020)
            grads["registered_on"].append(date(2020, 3, 1))
            grads["employed_on"].append(date(2020, 4, 1) if i < ok else None)
    grads["employed_on"][-1] = date(2020, 8, 1)  # B's last: employed after the as-of date
    _write(tmp_path, "graduates", 2020, 3, {**grads, "cohort_year": pa.array(grads["cohort_year"], pa.int32())})
    store = Store(tmp_path)
    return store, load_reference(ref)


def _row(df, unit, indicator, basis="own"):
    sel = df[(df["unit_code"] == unit) & (df["indicator"] == indicator) & (df["target_basis"] == basis)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_parent_shows_own_target_and_allocation_sum(tiny):
    df = progress_table(*tiny, 2020, date(2020, 6, 30))
    own = _row(df, "D", "urban_new_employment")
    alloc = _row(df, "D", "urban_new_employment", "allocation_sum")
    assert own["actual"] == alloc["actual"] == 100  # the sum of its units
    assert own["target"] == 150 and alloc["target"] == 200
    assert own["completion_pct"] == 66.7 and alloc["completion_pct"] == 50.0
    assert own["gap_pp"] == 16.7 and own["status"] == "ahead"
    assert pd.isna(own["rank"])


def test_units_ranked_with_projection_and_required_pace(tiny):
    df = progress_table(*tiny, 2020, date(2020, 6, 30))
    a, b = _row(df, "A", "urban_new_employment"), _row(df, "B", "urban_new_employment")
    assert (a["actual"], a["completion_pct"], a["status"], a["rank"]) == (60, 60.0, "ahead", 1)
    assert (b["actual"], b["completion_pct"], b["status"], b["rank"]) == (40, 40.0, "slightly_behind", 2)
    assert a["required_monthly"] == 7  # (100 - 60) / 6 = 6.67, rounded up
    # A's 2019 volume all came in December: by 30 June its profile says 0% -> falls back to the district's
    # profile (2019: 50 in March, 80 in December -> 50/130 by end of June)
    assert a["projection_method"] == "parent_profile"
    assert a["projected_year_end"] == round(60 / (50 / 130))
    # B's 2019 was one March month (100% of its year > 40%: lumpy): the district's profile alone,
    # not "all its volume by March, so 40 is the year" from its own
    assert b["projection_method"] == "parent_profile_lumpy" and b["projected_year_end"] == round(40 / (50 / 130))


def test_rates_are_pooled_and_not_prorated(tiny):
    df = progress_table(*tiny, 2020, date(2020, 6, 30))
    a = _row(df, "A", "graduate_employment_rate")
    b = _row(df, "B", "graduate_employment_rate")
    d = _row(df, "D", "graduate_employment_rate")
    # a year-end rate mid-year: the margin is there, the verdict waits for December
    assert a["actual"] == 90.0 and a["status"] == "year_end_check" and a["gap_pp"] == -5.0
    assert b["actual"] == 86.7  # 26 of 30: the August success is not yet counted on 30 June
    assert d["actual"] == 87.5  # (9 + 26) / 40, not the mean of 90.0 and 86.7
    assert d["status"] == "year_end_check" and d["gap_pp"] == -2.5
    december = progress_table(*tiny, 2020, date(2020, 12, 1))
    assert _row(december, "A", "graduate_employment_rate")["status"] == "not_met"
    assert _row(december, "D", "graduate_employment_rate")["status"] == "met"  # (9 + 27) / 40 = 90.0
    assert pd.isna(d["projected_year_end"]) and pd.isna(d["required_monthly"])
    late = progress_table(*tiny, 2020, date(2020, 8, 31))
    assert _row(late, "B", "graduate_employment_rate")["actual"] == 90.0
    # no allocation row for a rate: allocations of a floor do not add up
    assert df[(df["unit_code"] == "D") & (df["indicator"] == "graduate_employment_rate")].shape[0] == 1


def test_as_of_outside_year_is_refused(tiny):
    with pytest.raises(ValueError, match="outside 2020"):
        progress_table(*tiny, 2020, date(2021, 1, 1))


def test_yoy_change(tiny):
    df = progress_table(*tiny, 2020, date(2020, 6, 30))
    # district: 100 by 30 June 2020 vs 50 by 30 June 2019
    assert _row(df, "D", "urban_new_employment")["yoy_change"] == 100.0


def test_projection_blends_the_unit_with_the_district_unless_lumpy():
    import numpy as np

    from target_monitor import pace

    rules = pace.Rules()
    steady = np.full(12, 10.0)  # a unit with an even year: 50% by June
    lumpy = np.array([122.6] + [4.0] * 11)  # one January loan held 74% of the year
    unit = pace.expected_share_array(date(2020, 6, 30), np.vstack([steady, lumpy]), np.array([True, True]))
    parent = np.array([0.6, 0.6])
    share, parent_share, names = pace.blend_shares(unit, parent, np.vstack([steady, lumpy]), np.array([True, True]),
                                                   rules)
    assert share[0] == pytest.approx(0.5 * 0.5 + 0.5 * 0.6) and names[0] == "blended"
    assert np.isnan(share[1]) and names[1] == "parent_profile_lumpy"
    values, methods = pace.project_year_end_array(np.array([55.0, 86.8]), date(2020, 6, 30), share, parent_share)
    assert values[0] == pytest.approx(55 / 0.55)
    assert values[1] == pytest.approx(86.8 / 0.6)  # ahead of pace stays ahead: 144.7, not 93.6
