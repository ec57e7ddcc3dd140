"""Traffic-light rules: the three published schemes on hand-made rows, the default scheme on the
demo, `progress --rules` and `--all-columns` (status_rule, historical_progress_pct)."""

import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import warm

from target_monitor import status_rules as sr
from target_monitor.progress import CONTRACT_COLUMNS, progress_table
from target_monitor.reference import ReferenceError, load_rules

EXAMPLES = Path(__file__).parents[1] / "data" / "reference" / "rules-examples"


def rows(*specs, tp=50.0):
    """Hand-made child rows of one indicator: (unit, target, actual, yoy_change[, historical])."""
    out = []
    for spec in specs:
        unit, target, actual, yoy = spec[:4]
        hist = spec[4] if len(spec) > 4 else None
        completion = round(actual / target * 100, 1)
        out.append(dict(unit_code=unit, unit_name=unit, indicator="urban_new_employment", kind="cumulative",
                        level="child", target_basis="own", is_ranked=True, target=target, actual=actual,
                        completion_pct=completion, time_progress_pct=tp, gap_pp=round(completion - tp, 1),
                        yoy_change=yoy, historical_progress_pct=hist,
                        status="done" if actual >= target else "ahead"))  # any pace status: the scheme decides
    return pd.DataFrame(out)


def judge(scheme, df, history=None):
    statuses, texts = sr.apply(df, scheme, history)
    return dict(zip(df["unit_code"], statuses)), dict(zip(df["unit_code"], texts))


def test_yinchuan_2025_on_hand_made_rows():
    scheme = sr.load_scheme_file(EXAMPLES / "yinchuan-2025.yaml")
    # 序时进度 50%: 50.0 reaches it; 40.0 is 10 behind; 20.0 is 30 behind (inclusive); 19.9 is 30.1 behind
    df = rows(("A", 1000, 500, 5), ("B", 1000, 400, 5), ("C", 1000, 200, 5), ("D", 1000, 199, 5),
              ("E", 1000, 0, 5), ("F", 1000, 450, 5))
    status, text = judge(scheme, df)
    assert status == {"A": "green", "B": "yellow", "C": "yellow", "D": "red", "E": "yellow", "F": "unrated"}
    assert text["C"] == "黄：落后序时进度30.0个百分点（规则：10–30个百分点）"
    assert text["E"] == "黄：落后序时进度50.0个百分点（规则：未按时启动）"
    # not started at this month end and at the two before: red
    history = {("E", "urban_new_employment", "own"): [{"status": "yellow", "rule": "not_started"}] * 2}
    status, text = judge(scheme, df, history)
    assert status["E"] == "red" and "连续三个月未按时启动" in text["E"]
    # two earlier months only one of which was not started: still yellow
    history = {("E", "urban_new_employment", "own"): [{"status": "yellow", "rule": "not_started"},
                                                       {"status": "green", "rule": "green"}]}
    assert judge(scheme, df, history)[0]["E"] == "yellow"


def test_yinchuan_rule_text_in_the_published_form():
    scheme = sr.load_scheme_file(EXAMPLES / "yinchuan-2025.yaml")
    df = rows(("A", 1000, 377, 0))  # 37.7% of the year at 50.0%: 12.3 百分点 behind
    assert judge(scheme, df)[1]["A"] == "黄：落后序时进度12.3个百分点（规则：10–30个百分点）"
    assert sr.apply(df, scheme, lang="en")[1][0] == "Yellow: 12.3 pp behind time progress (rule: 10–30 pp behind)"


def test_sanya_2022_on_hand_made_rows():
    scheme = sr.load_scheme_file(EXAMPLES / "sanya-2022.yaml")
    # half of 序时进度 (25.0 of 50.0) is still yellow; 24.9 is red
    df = rows(("A", 1000, 520, 0), ("B", 1000, 250, 0), ("C", 1000, 249, 0), ("D", 1000, 400, 0))
    status, _ = judge(scheme, df)
    assert status == {"A": "green", "B": "yellow", "C": "red", "D": "yellow"}
    # D missed last month's task too: two consecutive missed months are red
    history = {("D", "urban_new_employment", "own"): [{"status": "yellow", "rule": "yellow"}]}
    status, text = judge(scheme, df, history)
    assert status["D"] == "red" and text["D"].endswith("（规则：连续两个月未完成月度任务）")
    assert status["A"] == "green"  # a unit at pace is never red for its past


def test_tianjin_2022_on_hand_made_rows():
    scheme = sr.load_scheme_file(EXAMPLES / "tianjin-2022.yaml")
    # completions 70, 55, 45, 40: average 52.5. A and B meet plan and average; C grows but is behind;
    # D is behind and declining; E (60, at plan, above average) declines on last year: red
    df = rows(("A", 1000, 700, 12.0), ("B", 1000, 550, 0.0), ("C", 1000, 450, 3.0), ("D", 1000, 400, -1.0))
    status, _ = judge(scheme, df)
    assert status == {"A": "green", "B": "green", "C": "yellow", "D": "red"}
    df2 = rows(("A", 1000, 900, 12.0), ("B", 1000, 900, 12.0), ("C", 1000, 510, 1.0), ("E", 1000, 600, -0.1))
    status, text = judge(scheme, df2)
    # C is at plan (51.0 ≥ 50.0) but below the average (75.3): yellow
    assert status == {"A": "green", "B": "green", "C": "yellow", "E": "red"}
    assert text["C"] == "黄：快于序时进度1.0个百分点（规则：正增长但低于计划或低于平均水平）"


def test_historical_benchmark_is_a_setting():
    raw = {"benchmark": "historical", "rules": [
        {"status": "ahead", "when": {"gap_pp": {"min": 0}}, "describe": {"zh": "不慢于历史同期", "en": "x"}},
        {"status": "far_behind", "describe": {"zh": "慢于历史同期", "en": "y"}}]}
    df = rows(("A", 1000, 550, 0, 60.0), ("B", 1000, 450, 0, 40.0))
    status, text = judge(sr.parse_scheme(raw), df)
    assert status == {"A": "far_behind", "B": "ahead"}  # linear would say the opposite
    assert text["A"] == "明显滞后：落后历史同期进度5.0个百分点（规则：慢于历史同期）"


def test_five_colours_with_names_and_symbols():
    raw = {"colours": [{"key": k, "zh": z, "en": k, "symbol": s} for k, z, s in
                       (("blue", "蓝", "🔵"), ("green", "绿", "🟢"), ("yellow", "黄", "🟡"), ("orange", "橙", "🟠"),
                        ("red", "红", "🔴"))],
           "rules": [{"status": "blue", "when": {"completed": True}, "describe": {"zh": "已完成", "en": "done"}},
                     {"status": "green", "when": {"gap_pp": {"min": 0}}, "describe": {"zh": "a", "en": "a"}},
                     {"status": "yellow", "when": {"behind_pp": {"max": 5}}, "describe": {"zh": "b", "en": "b"}},
                     {"status": "orange", "when": {"behind_pp": {"max": 15}}, "describe": {"zh": "c", "en": "c"}},
                     {"status": "red", "describe": {"zh": "d", "en": "d"}}]}
    scheme = sr.parse_scheme(raw)
    df = rows(("A", 100, 100, 0), ("B", 100, 60, 0), ("C", 100, 46, 0), ("D", 100, 40, 0), ("E", 100, 10, 0))
    assert judge(scheme, df)[0] == {"A": "blue", "B": "green", "C": "yellow", "D": "orange", "E": "red"}
    assert scheme.label("blue", "zh") == "🔵 蓝"


@pytest.mark.parametrize("raw, words", [
    ({"rules": [{"status": "purple", "describe": {"zh": "x", "en": "x"}}]}, "purple"),
    ({"rules": [{"status": "done", "when": {"gap": 1}, "describe": {"zh": "x", "en": "x"}}]}, "unknown condition"),
    ({"rules": [{"status": "done", "when": {"gap_pp": {"least": 1}}, "describe": {"zh": "x", "en": "x"}}]}, "bounds"),
    ({"rules": [{"status": "done"}]}, "describe"),
    ({"benchmark": "lunar", "rules": [{"status": "done", "describe": {"zh": "x", "en": "x"}}]}, "benchmark"),
    ({"rules": [{"status": "done", "when": {"consecutive": {"rule": "nope", "months": 2}},
                 "describe": {"zh": "x", "en": "x"}}]}, "nope"),
])
def test_a_bad_scheme_is_refused_with_what_to_fix(raw, words):
    with pytest.raises(sr.RulesFileError, match=words):
        sr.parse_scheme(raw, "rules.yaml")


def test_a_bad_status_rules_section_fails_loading_the_reference(tmp_path):
    (tmp_path / "rules.yaml").write_text("status_rules:\n  rules:\n    - {status: nope}\n", encoding="utf-8")
    with pytest.raises(ReferenceError, match="rule 1"):
        load_rules(tmp_path)


def test_default_scheme_gives_todays_statuses_with_the_rule_beside(demo_ctx):
    as_of = date(2020, 6, 30)
    df = demo_ctx.progress(2020, as_of)
    builtin = progress_table(demo_ctx.store, demo_ctx.ref, 2020, as_of,
                             scheme=sr.default_scheme(demo_ctx.ref.rules.slightly_behind_pp))
    assert df["status"].tolist() == builtin["status"].tolist()
    ruled = df[df["status"].isin(sr.RULED_STATUSES)]
    assert len(ruled) > 20 and ruled["status_rule"].notna().all()
    row = ruled[ruled["status"] == "slightly_behind"].iloc[0]
    assert row["status_rule"].startswith("略慢于序时：落后序时进度") and "（规则：落后不超过10个百分点）" in row["status_rule"]
    # rates keep 达标/年底考核 and say no rule
    assert df.loc[df["kind"] != "cumulative", "status_rule"].isna().all()
    # 历史同期进度 from 2019's monthly profile, for counts only
    district = df[(df["unit_code"] == "500107") & (df["indicator"] == "urban_new_employment")].iloc[0]
    assert 30 < district["historical_progress_pct"] < 70
    assert df.loc[df["kind"] != "cumulative", "historical_progress_pct"].isna().all()


def _cli(demo_dir, *extra):
    # a process of its own, forked from a warm one that has done the imports (tests/warm.py)
    return warm.run_module("target_monitor.cli", "progress", "--year", "2020", "--as-of", "2020-06-30", "--format",
                           "csv", "--data-dir", str(demo_dir), *extra, cwd=Path.cwd(), timeout=300)


def test_cli_rules_files_give_the_demo_other_statuses(demo_dir):
    default = list(csv.DictReader(io.StringIO(_cli(demo_dir).stdout)))
    assert list(default[0]) == CONTRACT_COLUMNS + ["target_basis"]  # the default columns stay as documented
    seen = []
    for name in ("yinchuan-2025", "sanya-2022", "tianjin-2022"):
        proc = _cli(demo_dir, "--rules", str(EXAMPLES / f"{name}.yaml"), "--all-columns")
        assert proc.returncode == 0, proc.stderr
        got = list(csv.DictReader(io.StringIO(proc.stdout)))
        assert list(got[0])[:len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
        assert "historical_progress_pct" in got[0] and "status_rule" in got[0]
        statuses = [r["status"] for r in got]
        assert statuses != [r["status"] for r in default]
        assert {"green", "red"} <= set(statuses) or {"green", "yellow"} <= set(statuses)
        seen.append(statuses)
    assert seen[0] != seen[1] != seen[2]


def test_cli_refuses_a_bad_rules_file(demo_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("status_rules:\n  rules: []\n", encoding="utf-8")
    proc = _cli(demo_dir, "--rules", str(bad))
    assert proc.returncode == 2
    assert "亮灯规则文件不能使用" in proc.stderr and "bad.yaml" in proc.stderr
    proc = _cli(demo_dir, "--rules", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "missing.yaml" in proc.stderr
