"""Meeting-mode library (URL state, the views' markup) and AppTest runs of the
meeting, ranking, scores and 通报 pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apptest_util import open_page as _run
from apptest_util import page_text as _text

from target_monitor import meeting

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
AS_OF = date(2020, 6, 30)


def test_parse_views_keeps_order_drops_unknown_and_duplicates():
    assert meeting.parse_views("ranking,headline,bogus,ranking") == ["ranking", "headline"]
    assert meeting.parse_views("") == list(meeting.VIEWS)
    assert meeting.parse_views("bogus") == list(meeting.VIEWS)


def test_parse_interval_defaults_and_clamps():
    assert meeting.parse_interval(None) == 20
    assert meeting.parse_interval("abc") == 20
    assert meeting.parse_interval("2") == meeting.MIN_INTERVAL
    assert meeting.parse_interval("45") == 45


def test_step_wraps_and_position():
    views = ["headline", "ranking", "scores"]
    assert meeting.step(views, "scores", +1) == "headline"
    assert meeting.step(views, "headline", -1) == "scores"
    assert meeting.step(views, "trend", +1) == "headline"  # not shown: back to the first
    assert meeting.position_text(views, "ranking") == "2 / 3"


def test_parse_as_of_only_in_the_year():
    assert meeting.parse_as_of("2020-05-31", 2020) == date(2020, 5, 31)
    assert meeting.parse_as_of("2019-05-31", 2020) is None
    assert meeting.parse_as_of("31/05/2020", 2020) is None


@pytest.fixture(scope="module")
def views(demo_ctx):
    from target_monitor.i18n import unit_label
    from target_monitor.paths import reference_dir
    from target_monitor.ranking import build_ranking, load_flag_rules
    from target_monitor.scoring import load_scoring, load_work_items, score_units, work_items_path

    now = demo_ctx.progress(2020, AS_OF)
    before = demo_ctx.progress(2020, date(2020, 5, 31))
    ref = reference_dir(demo_ctx.data_dir)
    rk = build_ranking(now, before, AS_OF, load_flag_rules(ref, demo_ctx.registry))
    cfg = load_scoring(ref, demo_ctx.registry)
    scores = score_units(now, cfg, load_work_items(work_items_path(demo_ctx.data_dir), cfg, 2020))
    names = {u.code: unit_label(u, "zh") for u in demo_ctx.ref.units}
    reg = demo_ctx.registry
    return {
        "headline": meeting.headline_view(reg, now, AS_OF, "zh"),
        "ranking": meeting.ranking_view(reg, now, rk, names, "zh"),
        "behind": meeting.behind_view(reg, now, names, "zh"),
        "scores": meeting.scores_view(scores, cfg, names, "zh"),
    }


def test_headline_view_has_official_sentences_and_bullets(views):
    html = views["headline"]
    assert "截至6月30日，全区城镇新增就业21083人，完成全年目标任务的68.0%，快于序时进度18.0个百分点" in html
    assert html.count('class="mt-bullet"') == 5
    assert "序时进度 50.0%" in html and "目标 90.0%" in html


def test_ranking_view_rank_change_and_flags_are_words_not_only_colour(views):
    html = views["ranking"]
    # 杨家坪街道: overall 8th at 31 May -> 4th at 30 June (↑4); new jobs 2nd -> 3rd (↓1)
    row = html.split("杨家坪街道")[0].rsplit("<tr>", 1)[1] + html.split("杨家坪街道")[1].split("</tr>")[0]
    assert "↑4" in row and "▲ 57.8%" in row and "第3 ↓1" in row
    tgj = html.split("铜罐驿镇")[1].split("</tr>")[0]
    assert "⚑红" in tgj and "⚑黄×3" in tgj
    assert "⚑红：新增就业排名末两位" in html


def test_behind_view_gives_the_pace_needed(views):
    html = views["behind"]
    assert "铜罐驿镇" in html and "剩余6个月，月均需完成120人" in html
    assert "剩余6个月，月均需完成8.94万元" in html
    assert "西彭镇" not in html.split("新增就业")[1].split("mt-col-h")[0]


def test_scores_view(views):
    html = views["scores"]
    assert "71.62" in html and "暂无先进单位" in html and "区就业局" not in html






@pytest.mark.parametrize("lang", ["zh", "en"])
def test_meeting_page(demo_env, lang):
    at = _run("meeting.py", lang)
    text = _text(at)
    assert ("全区目标任务完成情况" if lang == "zh" else "District progress against targets") in text
    assert "1 / 5" in text
    assert ("演示数据" if lang == "zh" else "Demo data") in text
    at.button(key="mt_next").click().run()
    assert not at.exception
    assert "2 / 5" in _text(at)
    at.button(key="mt_prev").click().run()
    at.button(key="mt_prev").click().run()
    assert "5 / 5" in _text(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_ranking_page(demo_env, lang):
    text = _text(_run("ranking.py", lang))
    assert ("铜罐驿镇" if lang == "zh" else "Tongguanyi Town") in text
    assert ("⚑红" if lang == "zh" else "⚑red") in text
    assert "2020-05-31" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scores_page(demo_env, lang):
    text = _text(_run("scores.py", lang))
    assert "67.66" in text  # 杨家坪街道, worked by hand in test_scoring
    assert ("暂无先进单位" if lang == "zh" else "No advanced unit yet") in text


def test_scores_page_preview_basis_lists_advanced(demo_env):
    at = _run("scores.py", "zh")
    at.radio(key="score_basis").set_value("time_progress").run()
    assert not at.exception
    assert "先进单位（前5名）：西彭镇、石桥铺街道" in _text(at)


def test_scores_page_saves_work_items(tmp_path, monkeypatch):
    import pandas as pd

    from target_monitor.demo import generate_demo

    generate_demo(tmp_path)
    (tmp_path / "inputs" / "work_items.csv").unlink()
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(tmp_path))
    at = _run("scores.py", "zh")
    assert "以下单位有工作项未录入" in _text(at)
    at.button(key="work_items_save").click().run()
    assert not at.exception
    saved = pd.read_csv(tmp_path / "inputs" / "work_items.csv", dtype=str)
    # unticked yes/no items are saved as not done; empty "missing parts" stay not entered
    assert set(saved["item"]) == {"plan_on_time", "migrant_ledger", "labour_ledger", "other_assigned_work"}
    assert set(saved["value"]) == {"0"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_briefing_page(demo_env, lang):
    at = _run("briefing.py", lang)
    text = _text(at)
    if lang == "zh":
        assert "截至6月30日，全区城镇新增就业21083人，完成全年目标任务的68.0%" in text
        assert "陶家镇5月" in text
    else:
        assert "21,083 persons, 68.0% of the annual target" in text
    assert len(at.get("download_button")) == 2


def test_meeting_scores_view_basis_from_url(demo_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/meeting.py")
    at.query_params["view"] = "scores"
    at.query_params["basis"] = "time_progress"
    at.run()
    assert not at.exception
    text = _text(at)
    assert "考核评分" in text and "先进单位（前5名）：西彭镇、石桥铺街道" in text
