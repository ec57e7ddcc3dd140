"""Overlapping person categories: one person can be 就业困难人员, 4050人员 and from a 零就业家庭
at once. Each category is a 是/否 flag of the new-employment extract; indicators count a flag
(declared in the registry), and the explorer slices by each."""

from __future__ import annotations

from datetime import date

import pyarrow.dataset as pads
import pytest

from target_monitor.explore import PivotSpec, pivot_long
from target_monitor.ingest.pipeline import parse_upload

AS_OF = date(2020, 6, 30)
FLAGS = ["is_unemployed", "is_hard_to_employ", "is_4050", "is_zero_employment_family"]


@pytest.fixture(scope="module")
def ne2020(demo_dir):
    df = pads.dataset(demo_dir / "extracts" / "new_employment", partitioning="hive").to_table().to_pandas()
    return df[df["employed_on"].map(lambda d: d.year) == 2020]


def test_demo_persons_are_in_several_categories_at_once(ne2020):
    yes = ne2020[FLAGS] == "是"
    assert set(ne2020[FLAGS].stack()) == {"是", "否"}
    both = yes["is_hard_to_employ"] & yes["is_4050"]
    three = both & yes["is_zero_employment_family"]
    assert both.sum() > 100 and three.sum() > 10
    # the flags agree with the main group where they must, and go beyond it
    assert yes.loc[ne2020["group"] == "就业困难人员", "is_hard_to_employ"].all()
    assert yes.loc[ne2020["group"] == "失业人员再就业", "is_unemployed"].all()
    assert yes.loc[ne2020["group"] != "就业困难人员", "is_hard_to_employ"].any()
    assert not yes.loc[ne2020["group"] == "高校毕业生"].any().any()


def test_indicators_count_a_flag_and_a_person_counts_in_both(demo_ctx, ne2020):
    p = demo_ctx.progress(2020, AS_OF)
    district = p[(p["unit_code"] == "500107") & (p["target_basis"] == "own")].set_index("indicator")["actual"]
    hard = ne2020["is_hard_to_employ"] == "是"
    unemployed = ne2020["is_unemployed"] == "是"
    assert district["hard_to_employ_employed"] == hard.sum()
    assert district["reemployment_of_unemployed"] == unemployed.sum()
    # the same records counted in both indicators: the two add up to more than the people in either
    assert (hard & unemployed).sum() > 0
    assert district["hard_to_employ_employed"] + district["reemployment_of_unemployed"] > (hard | unemployed).sum()
    # per unit too
    unit = p[(p["unit_code"] == "500107-01") & (p["indicator"] == "hard_to_employ_employed")]["actual"].iloc[0]
    assert unit == (hard & (ne2020["unit_code"] == "500107-01")).sum()


@pytest.mark.parametrize("flag", FLAGS)
def test_the_explorer_slices_new_employment_by_each_flag(demo_ctx, ne2020, flag):
    spec = PivotSpec("urban_new_employment", 2020, AS_OF, flag, filters=((flag, ("是",)),))
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    cells = long[~long["total_r"]].set_index("r")["value"].to_dict()
    assert cells == {"是": float((ne2020[flag] == "是").sum())}


def test_the_explorer_crosses_two_flags_of_one_indicator(demo_ctx, ne2020):
    spec = PivotSpec("hard_to_employ_employed", 2020, AS_OF, "is_4050", "is_zero_employment_family")
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    cells = long[~long["total_r"] & ~long["total_c"]].set_index(["r", "c"])["value"].to_dict()
    hard = ne2020[ne2020["is_hard_to_employ"] == "是"]
    expect = hard.groupby(["is_4050", "is_zero_employment_family"]).size().astype(float).to_dict()
    assert cells == expect
    total = long[long["total_r"] & long["total_c"]]["value"].iloc[0]
    assert total == len(hard)  # the total counts each person once


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_explorer_page_slices_by_a_flag(demo_env, ne2020, lang):
    from tests.apptest_util import open_page

    at = open_page("explore.py", lang)
    at.selectbox(key="explore_ind").set_value("hard_to_employ_employed").run()
    at.selectbox(key="explore_rows_hard_to_employ_employed").set_value("is_4050").run()
    at.selectbox(key="explore_cols_hard_to_employ_employed").set_value(None).run()
    at.multiselect(key="explore_f_hard_to_employ_employed_is_zero_employment_family").set_value(["是"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    hard = ne2020[(ne2020["is_hard_to_employ"] == "是") & (ne2020["is_zero_employment_family"] == "是")]
    yes, no = ("是", "否") if lang == "zh" else ("Yes", "No")
    counts = dict(zip(table.iloc[:-1, 0], table.iloc[:-1, -1]))
    assert counts == {yes: (hard["is_4050"] == "是").sum(), no: (hard["is_4050"] == "否").sum()}
    assert table.iloc[-1, -1] == len(hard)
    # an indicator only units report has no records to slice: not offered
    assert "registered_unemployment_rate" not in at.selectbox(key="explore_ind").options


def test_an_upload_carries_the_flags_and_one_without_them_is_taken(tmp_path):
    head = "记录编号,所属街镇,身份证号,就业日期,人员类别,就业形式"
    with_flags = (head + ",就业困难人员,4050人员,零就业家庭\n"
                  "r1,杨家坪街道,p0001,2020-05-06,就业困难人员,灵活就业,是,是,是\n").encode("utf-8")
    parsed = parse_upload(with_flags, "ne.csv", "new_employment", "2020-05", None, tmp_path, today=date(2020, 7, 1))
    assert parsed.report.status != "rejected", parsed.report.problems
    row = parsed.accepted.iloc[0]
    assert (row["is_hard_to_employ"], row["is_4050"], row["is_zero_employment_family"]) == ("是", "是", "是")
    assert parsed.accepted["is_unemployed"].isna().all()  # not stated: NULL, not 否
    without = (head + "\nr2,杨家坪街道,p0002,2020-05-07,其他,单位就业\n").encode("utf-8")
    parsed = parse_upload(without, "ne.csv", "new_employment", "2020-05", None, tmp_path, today=date(2020, 7, 1))
    assert parsed.report.status != "rejected" and parsed.accepted["is_4050"].isna().all()
    bad = (head + ",4050人员\nr3,杨家坪街道,p0003,2020-05-08,其他,单位就业,也许\n").encode("utf-8")
    parsed = parse_upload(bad, "ne.csv", "new_employment", "2020-05", None, tmp_path, today=date(2020, 7, 1))
    assert parsed.accepted.empty and len(parsed.quarantine) == 1  # 是/否 only
