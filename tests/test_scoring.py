"""Assessment scoring: hand-worked examples of the seed's rules (seed 002, 篇1, 三、计分方法)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest

from target_monitor import scoring
from target_monitor.scoring import ScoringConfigError, parse_scoring

CONFIG = {
    "basis": "annual",
    "groups": {
        "annual": {"label": {"zh": "年度任务", "en": "Annual"}, "points": 50,
                   "items": [{"indicator": "jobs", "weight": 30, "cap": 1.2}, {"indicator": "loans", "weight": 20}]},
        "special": {"label": {"zh": "专项任务", "en": "Special"}, "points": 30,
                    "items": [{"indicator": "training", "weight": 20, "cap": 1.1},
                              {"indicator": "rate", "weight": 10}]},
    },
    "work_items": {"label": {"zh": "其它工作任务", "en": "Work"}, "points": 20, "items": [
        {"name": "plan", "kind": "yes_no", "points": 2, "label": {"zh": "方案按时上报", "en": "Plan"}},
        {"name": "ledger", "kind": "yes_no", "points": 3, "label": {"zh": "台账建立", "en": "Ledger"}},
        {"name": "summaries", "kind": "deduct", "points": 2, "parts": 5, "per_missing": 0.5,
         "label": {"zh": "计划与总结", "en": "Summaries"}},
        {"name": "other", "kind": "yes_no", "points": 13, "label": {"zh": "其他", "en": "Other"}},
    ]},
    "advanced": {"min_total": 90, "top_n": 2},
}
KINDS = {"jobs": "cumulative", "loans": "cumulative", "training": "cumulative", "rate": "floor_rate"}


def _progress(units: dict[str, dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """units: {unit: {indicator: (target, actual)}} -> progress rows with the shown completion %."""
    from target_monitor.pace import round1

    rows = []
    for unit, inds in units.items():
        for ind, (target, actual) in inds.items():
            rate = KINDS[ind] != "cumulative"
            rows.append({"unit_code": unit, "indicator": ind, "kind": KINDS[ind], "target": target, "actual": actual,
                         "completion_pct": None if rate else round1(actual / target * 100),
                         "time_progress_pct": 50.0, "level": "child", "target_basis": "own"})
    return pd.DataFrame(rows)


ALL_DONE = {("A", "plan"): 1, ("A", "ledger"): 1, ("A", "summaries"): 0, ("A", "other"): 1,
            ("B", "plan"): 1, ("B", "ledger"): 0, ("B", "summaries"): 1, ("B", "other"): 1,
            ("C", "plan"): 1, ("C", "ledger"): 1, ("C", "summaries"): 0, ("C", "other"): 1}


def _scores(progress, work=ALL_DONE, **changes):
    cfg = parse_scoring(CONFIG)
    if changes:
        cfg = dataclasses.replace(cfg, **changes)
    return {s.unit_code: s for s in scoring.score_units(progress, cfg, work)}, cfg


def test_unit_above_100_percent_scores_pro_rata_up_to_the_cap():
    # A: jobs 4200/3500 = 120.0% -> 30 × 1.2 = 36 (cap 1.2 not exceeded)
    #    loans 210/200 = 105.0% -> 20 × 1.05 = 21 (no cap)
    #    training 1300/1000 = 130.0% -> capped at 1.1 -> 20 × 1.1 = 22
    #    rate 97.0 vs ≥95 -> met: full 10 (never more)
    #    work: 2 + 3 + 2 + 13 = 20  -> total 36 + 21 + 22 + 10 + 20 = 109
    s, _ = _scores(_progress({"A": {"jobs": (3500, 4200), "loans": (200, 210), "training": (1000, 1300),
                                    "rate": (95, 97.0)}}))
    a = s["A"]
    assert a.task_scores == {"jobs": 36.0, "loans": 21.0, "training": 22.0, "rate": 10.0}
    assert a.group_totals == {"annual": 57.0, "special": 32.0, "work": 20.0}
    assert a.total == 109.0
    assert a.all_tasks_done and a.advanced_rank == 1


def test_unit_below_target_and_a_missed_yes_no_item():
    # B: jobs 2800/3500 = 80.0% -> 30 × 0.8 = 24
    #    loans 150/200 = 75.0% -> 20 × 0.75 = 15
    #    training 950/1000 = 95.0% -> 20 × 0.95 = 19
    #    rate 90.0 vs ≥95 -> pro rata 10 × 90/95 = 9.473… -> 9.47
    #    work: plan 2, ledger missed 0, summaries one missing 2 − 0.5 = 1.5, other 13 -> 16.5
    #    total 24 + 15 + 19 + 9.47 + 16.5 = 83.97
    s, _ = _scores(_progress({"B": {"jobs": (3500, 2800), "loans": (200, 150), "training": (1000, 950),
                                    "rate": (95, 90.0)}}))
    b = s["B"]
    assert b.task_scores == {"jobs": 24.0, "loans": 15.0, "training": 19.0, "rate": 9.47}
    assert b.work_scores == {"plan": 2.0, "ledger": 0.0, "summaries": 1.5, "other": 13.0}
    assert b.total == 83.97
    assert not b.all_tasks_done and b.advanced_rank is None


def test_advanced_needs_90_and_every_task_done_ties_broken_by_special_ratio():
    units = {
        # A and C both total 100: A's special ratio (1.0 + 1.0)/… ; C's training 110% -> higher special ratio
        "A": {"jobs": (3500, 3500), "loans": (200, 200), "training": (1000, 1000), "rate": (95, 95.0)},
        "C": {"jobs": (3500, 3500), "loans": (200, 200), "training": (1000, 1000), "rate": (95, 96.0)},
        # B: 100% everywhere except training 99.0%: total ≥ 90 but a task not completed -> not 先进
        "B": {"jobs": (3500, 3800), "loans": (200, 220), "training": (1000, 990), "rate": (95, 99.0)},
    }
    work = {**ALL_DONE, ("B", "ledger"): 1, ("B", "summaries"): 0}
    s, _ = _scores(_progress(units), work)
    assert s["A"].total == s["C"].total == 100.0
    assert s["B"].total >= 90 and not s["B"].all_tasks_done and s["B"].advanced_rank is None
    # tie on total: the special-task completion ratio decides; here equal (rate is capped at full),
    # so make C's training exceed: 1010/1000 -> 101.0% -> special ratio (20×1.01 + 10×1)/30 > A's
    units["C"]["training"] = (1000, 1010)
    s, cfg = _scores(_progress(units), work)
    assert s["C"].total == 100.2 and s["C"].advanced_rank == 1 and s["A"].advanced_rank == 2
    # equal totals, different special ratio: A jobs 101% (+0.3), C training 101.5% (+0.3) — C first
    units["A"]["jobs"] = (3500, 3535)  # 101.0% -> 30.3
    units["C"]["training"] = (1000, 1015)  # 101.5% -> 20.3
    s, _ = _scores(_progress(units), work)
    assert s["A"].total == s["C"].total == 100.3
    assert s["C"].special_ratio > s["A"].special_ratio
    assert [s["C"].advanced_rank, s["A"].advanced_rank] == [1, 2]


def test_top_n_limits_the_list():
    units = {u: {"jobs": (3500, 3500), "loans": (200, 200), "training": (1000, 1000), "rate": (95, 95.0)}
             for u in "ACD"}
    work = {**ALL_DONE, **{("D", k): v for (u, k), v in ALL_DONE.items() if u == "A"}}
    s, _ = _scores(_progress(units), work)
    assert sorted(x.advanced_rank for x in s.values() if x.advanced_rank) == [1, 2]


def test_time_progress_basis_scores_against_pace():
    # 1900/3500 = 0.542857… against 序时进度 50.0% -> ratio 1.085714… -> 30 × 1.0857 = 32.57
    # (from the raw figures: the shown 54.3% would give 32.58)
    s, _ = _scores(_progress({"A": {"jobs": (3500, 1900), "loans": (200, 100), "training": (1000, 500),
                                    "rate": (95, 95.0)}}), basis="time_progress")
    assert s["A"].task_scores["jobs"] == 32.57
    assert s["A"].task_scores["loans"] == 20.0


def test_unit_without_a_target_is_not_assessed():
    s, _ = _scores(_progress({"A": {"training": (1000, 500)}}))
    assert not s["A"].assessed and s["A"].total is None


def test_work_item_not_entered_scores_zero_and_is_reported():
    s, cfg = _scores(_progress({"A": {"jobs": (3500, 3500), "loans": (200, 200), "training": (1000, 1000),
                                      "rate": (95, 95.0)}}), work={})
    assert s["A"].total == 80.0
    frame = scoring.scores_frame(list(s.values()), cfg)
    assert frame.loc[0, "work_missing"] == ["plan", "ledger", "summaries", "other"]


@pytest.mark.parametrize("change, words", [
    (lambda c: c["groups"]["annual"]["items"][0].update(weight=25), "weight 之和为 45"),
    (lambda c: c["groups"]["special"]["items"][0].update(cap=0.9), "cap 为 0.9"),
    (lambda c: c["work_items"]["items"][0].update(kind="maybe"), "kind 为 'maybe'"),
    (lambda c: c.update(basis="monthly"), "basis 为 'monthly'"),
])
def test_bad_scoring_config_says_what_to_fix(change, words):
    import copy

    doc = copy.deepcopy(CONFIG)
    change(doc)
    with pytest.raises(ScoringConfigError) as exc:
        parse_scoring(doc, "scoring.yaml")
    assert "scoring.yaml" in str(exc.value) and words in str(exc.value)


def test_work_items_round_trip_and_bad_value(tmp_path):
    cfg = parse_scoring(CONFIG)
    path = tmp_path / "inputs" / "work_items.csv"
    scoring.save_work_items(path, 2020, {("A", "plan"): 1.0, ("A", "summaries"): 2.0, ("B", "plan"): None})
    scoring.save_work_items(path, 2019, {("A", "plan"): 0.0})
    assert scoring.load_work_items(path, cfg, 2020) == {("A", "plan"): 1.0, ("A", "summaries"): 2.0}
    assert scoring.load_work_items(path, cfg, 2019) == {("A", "plan"): 0.0}
    path.write_text("year,unit_code,item,value,note\n2020,A,plan,也许,\n", encoding="utf-8")
    with pytest.raises(ScoringConfigError) as exc:
        scoring.load_work_items(path, cfg, 2020)
    assert "第2行" in str(exc.value) and "是/否" in str(exc.value)


def test_shipped_config_loads_and_demo_scores(demo_ctx):
    from target_monitor.paths import reference_dir

    cfg = scoring.load_scoring(reference_dir(demo_ctx.data_dir), demo_ctx.registry)
    assert cfg.total_points == 100
    work = scoring.load_work_items(scoring.work_items_path(demo_ctx.data_dir), cfg, 2020)
    scores = {s.unit_code: s for s in scoring.score_units(demo_ctx.progress(2020, date(2020, 6, 30)), cfg, work)}
    # 杨家坪街道 at 30 June, from the raw figures: jobs 2022/3500 × 30 = 17.33 (the shown 57.8% would
    # give 17.34), loans 86.8/165 × 20 = 10.52, training 441/900 × 20 = 9.80, graduates 97.4% ≥ 95% -> 10,
    # every work item done -> 20: total 67.65
    s = scores["500107-01"]
    assert (s.task_scores["urban_new_employment"], s.task_scores["guarantee_loans"]) == (17.33, 10.52)
    assert s.total == 67.65
    # 陶家镇 has no labour-resource ledger in the demo inputs: 3 points short
    assert scores["500107-13"].work_scores["labour_ledger"] == 0.0
    assert not scores["500107-90"].assessed


def test_work_items_saved_by_chinese_excel_are_read(tmp_path):
    cfg = parse_scoring(CONFIG)
    path = tmp_path / "work_items.csv"
    path.write_bytes("year,unit_code,item,value,note\n2020,A,plan,是,按时上报\n2020,A,ledger,否,\n".encode("gb18030"))
    assert scoring.load_work_items(path, cfg, 2020) == {("A", "plan"): 1.0, ("A", "ledger"): 0.0}


def test_completion_is_judged_on_the_raw_figures():
    """3499 of 3500 shows as 100.0% but is not complete; 94.95% shows as 95.0% but is not ≥95%."""
    units = {"A": {"jobs": (3500, 3499), "loans": (200, 200), "training": (1000, 1000), "rate": (95, 95.0)},
             "C": {"jobs": (3500, 3500), "loans": (200, 200), "training": (1000, 1000), "rate": (95, 94.95)}}
    progress = _progress(units)
    # the rate's raw value comes from numerator ÷ denominator, as in the progress table
    progress["numerator"] = progress["actual"]
    progress["denominator"] = None
    rate = progress["indicator"] == "rate"
    progress.loc[rate, "numerator"] = [9500.0, 9495.0]
    progress.loc[rate, "denominator"] = [10000.0, 10000.0]
    progress.loc[rate & (progress["unit_code"] == "C"), "actual"] = 95.0  # as shown, rounded
    s, _ = _scores(progress)
    assert progress.loc[progress["unit_code"] == "A", "completion_pct"].iloc[0] == 100.0  # what the table shows
    assert s["A"].task_ratios["jobs"] < 1 and not s["A"].all_tasks_done and s["A"].advanced_rank is None
    assert s["C"].task_ratios["rate"] == pytest.approx(94.95 / 95) and not s["C"].all_tasks_done


def test_scoring_settings_are_labelled_local():
    """The weights, the split of the seed's 50/30 points and the 1.2 cap are local settings."""
    from target_monitor.paths import SHIPPED_REFERENCE_DIR

    text = (SHIPPED_REFERENCE_DIR / "scoring.yaml").read_text(encoding="utf-8")
    assert "本地设定，待领导小组确认" in text
    assert scoring.load_scoring(SHIPPED_REFERENCE_DIR).local_note["zh"] == "本地设定，待领导小组确认"
