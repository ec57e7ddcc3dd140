"""Ranking per indicator and overall, rank change since the previous month end, flags."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from target_monitor import ranking
from target_monitor.ranking import FlagConfigError, parse_flag_rules


def _rows(spec):
    """spec: (unit, indicator, kind, rank, rank_of, gap_pp, status)."""
    return pd.DataFrame([
        {"unit_code": u, "indicator": i, "kind": k, "rank": r, "rank_of": n, "gap_pp": g, "status": s,
         "level": "child", "target_basis": "own"}
        for u, i, k, r, n, g, s in spec
    ]).astype({"rank": "Int64", "rank_of": "Int64"})


NOW = _rows([
    ("a", "jobs", "cumulative", 1, 3, 5.0, "ahead"),
    ("b", "jobs", "cumulative", 2, 3, -4.0, "slightly_behind"),
    ("c", "jobs", "cumulative", 3, 3, -12.5, "far_behind"),
    ("a", "rate", "floor_rate", 2, 3, 1.0, "met"),
    ("b", "rate", "floor_rate", 1, 3, 2.0, "met"),
    ("c", "rate", "floor_rate", 3, 3, -3.0, "not_met"),
    ("dept", "jobs", "cumulative", None, None, None, "no_target"),
])
BEFORE = _rows([
    ("a", "jobs", "cumulative", 3, 3, -1.0, "slightly_behind"),
    ("b", "jobs", "cumulative", 1, 3, 2.0, "ahead"),
    ("c", "jobs", "cumulative", 2, 3, 0.0, "ahead"),
    ("a", "rate", "floor_rate", 1, 3, 1.0, "met"),
    ("b", "rate", "floor_rate", 2, 3, 1.0, "met"),
    ("c", "rate", "floor_rate", 3, 3, -3.0, "not_met"),
])


def test_previous_month_end():
    assert ranking.previous_month_end(date(2020, 6, 30)) == date(2020, 5, 31)
    assert ranking.previous_month_end(date(2020, 3, 15)) == date(2020, 2, 29)
    assert ranking.previous_month_end(date(2020, 1, 31)) is None


def test_rank_change_is_previous_minus_current():
    r = ranking.indicator_ranks(NOW, BEFORE).set_index(["unit_code", "indicator"])
    assert r.loc[("a", "jobs"), "rank_change"] == 2  # 3rd -> 1st: up two
    assert r.loc[("b", "jobs"), "rank_change"] == -1
    assert r.loc[("c", "rate"), "rank_change"] == 0
    assert ("dept", "jobs") not in r.index  # no target: not ranked


def test_rank_change_without_previous_is_missing():
    r = ranking.indicator_ranks(NOW, None)
    assert r["rank_change"].isna().all()


def test_overall_rank_is_mean_of_ranks_and_leaves_out_partly_ranked_units():
    o = ranking.overall_ranks(NOW, BEFORE).set_index("unit_code")
    # a: (1+2)/2 = 1.5, b: (2+1)/2 = 1.5 -> both first; c: 3 -> third
    assert o.loc["a", "overall_rank"] == 1 and o.loc["b", "overall_rank"] == 1
    assert o.loc["c", "overall_rank"] == 3
    assert "dept" not in o.index
    # before: a (3+1)/2=2, b 1.5, c 2.5 -> b 1, a 2, c 3
    assert o.loc["a", "overall_change"] == 1 and o.loc["b", "overall_change"] == 0


def test_flags_bottom_n_and_behind_pp():
    rules = parse_flag_rules({"flags": [
        {"name": "bottom", "rule": "bottom_n", "indicator": "jobs", "n": 2, "colour": "red",
         "label": {"zh": "末两位", "en": "bottom two"}},
        {"name": "behind", "rule": "behind_pp", "pp": 10, "colour": "yellow",
         "label": {"zh": "落后超10个百分点", "en": "10 pp behind"}},
        {"name": "rate", "rule": "not_met", "colour": "yellow", "label": {"zh": "未达标", "en": "not met"}},
    ]})
    f = ranking.flags(NOW, rules)
    got = sorted(zip(f["unit_code"], f["indicator"], f["flag"]))
    assert got == [("b", "jobs", "bottom"), ("c", "jobs", "behind"), ("c", "jobs", "bottom"), ("c", "rate", "rate")]


@pytest.mark.parametrize("bad, words", [
    ({"name": "x", "rule": "worst", "colour": "red", "label": {"zh": "a", "en": "a"}}, "rule"),
    ({"name": "x", "rule": "bottom_n", "colour": "blue", "indicator": "jobs", "n": 2,
      "label": {"zh": "a", "en": "a"}}, "colour"),
    ({"name": "x", "rule": "bottom_n", "colour": "red", "label": {"zh": "a", "en": "a"}}, "indicator"),
    ({"name": "x", "rule": "behind_pp", "colour": "red", "label": {"zh": "a"}}, "label"),
])
def test_bad_flag_config_names_the_entry(bad, words):
    with pytest.raises(FlagConfigError) as exc:
        parse_flag_rules({"flags": [bad]}, "flags.yaml")
    assert "flags.yaml 第1条（x）" in str(exc.value) and words in str(exc.value)


def test_demo_ranking_at_june_end(demo_ctx):
    """On the demo, 铜罐驿镇 and 陶家镇 are the bottom two on new jobs (red) and > 10 pp behind (yellow)."""
    from target_monitor.paths import reference_dir

    now = demo_ctx.progress(2020, date(2020, 6, 30))
    before = demo_ctx.progress(2020, date(2020, 5, 31))
    rules = ranking.load_flag_rules(reference_dir(demo_ctx.data_dir), demo_ctx.registry)
    rk = ranking.build_ranking(now, before, date(2020, 6, 30), rules)
    assert rk.previous == date(2020, 5, 31)
    red = set(rk.flags.loc[rk.flags["colour"] == "red", "unit_code"])
    assert red == {"500107-12", "500107-13"}
    # every rank change equals the two progress tables' ranks subtracted
    for r in rk.by_indicator.itertuples():
        b = before[(before["unit_code"] == r.unit_code) & (before["indicator"] == r.indicator)
                   & (before["target_basis"] == "own")]["rank"].iloc[0]
        assert r.rank_change == b - r.rank
