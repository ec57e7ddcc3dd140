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
        "units": meeting.unit_pages(reg, now, rk, names, "zh"),
        "children": sorted(set(now.loc[(now["level"] == "child") & (now["target_basis"] == "own"), "unit_code"])),
        "names": names,
    }


def test_headline_view_has_official_sentences_and_bullets(views):
    html = views["headline"]
    assert "截至6月30日，全区城镇新增就业21083人，完成全年目标任务的68.0%，快于序时进度18.0个百分点" in html
    # every indicator with a target: both graduate rates (≥95%, ≥90%), the work plan's four
    # district-only counts and the unemployment rate's ceiling; the two counts without a target are not here
    assert html.count('class="mt-bullet"') == 11
    assert "序时进度 50.0%" in html and "目标 90.0%" in html
    assert "全区城镇登记失业率为4.0%，低于控制目标0.5个百分点（控制目标≤4.5%）" in html
    assert "控制目标≤4.5%" in html and "控制目标 4.5%" in html  # beside the rate, and the bar's mark
    assert "全区新增就业见习基地24家" in html and "失业人员再就业" not in html


def test_ranking_view_rank_change_and_flags_are_words_not_only_colour(views):
    html = views["ranking"]
    # 杨家坪街道: overall 7th at 31 May -> 4th at 30 June (↑3; 区就业局 is no longer ranked on training,
    # so the 街镇 below it moved up one there); new jobs 2nd -> 3rd (↓1)
    row = html.split("杨家坪街道")[0].rsplit("<tr>", 1)[1] + html.split("杨家坪街道")[1].split("</tr>")[0]
    assert "↑3" in row and "▲ 57.8%" in row and "第3 ↓1" in row
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
    assert "71.61" in html and "暂无先进单位" in html and "区就业局" not in html  # scored on the raw figures






@pytest.mark.parametrize("lang", ["zh", "en"])
def test_meeting_page(demo_env, lang):
    at = _run("meeting.py", lang)
    text = _text(at)
    assert ("全区目标任务完成情况" if lang == "zh" else "District progress against targets") in text
    assert "1 / 5" in text
    assert ("演示数据" if lang == "zh" else "Demo data") in text
    # eleven indicators with a target, five a page: the headline view is three pages, shown in
    # turn before the next view
    at.button(key="mt_next").click().run()
    assert not at.exception
    text = _text(at)
    assert ("第2/3页" if lang == "zh" else "Page 2/3") in text and "1 / 5" in text
    at.button(key="mt_next").click().run()
    assert ("第3/3页" if lang == "zh" else "Page 3/3") in _text(at)
    at.button(key="mt_next").click().run()
    assert "2 / 5" in _text(at)
    for _ in range(4):  # back through the three headline pages to the last view
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
    assert "67.65" in text  # 杨家坪街道, worked by hand in test_scoring
    assert ("暂无先进单位" if lang == "zh" else "No advanced unit yet") in text


def test_scores_page_preview_basis_lists_advanced(demo_env):
    at = _run("scores.py", "zh")
    at.radio(key="score_basis").set_value("time_progress").run()
    assert not at.exception
    assert "先进单位（前5名）：西彭镇、石桥铺街道" in _text(at)


def test_scores_page_saves_work_items(demo_dir, tmp_path, monkeypatch):
    import shutil

    import pandas as pd

    # the demo as generated (a copy: the page writes into it), without its work items
    shutil.copytree(demo_dir, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("snapshots", "logs"))
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


# --- at any resolution: sizes scale with the screen, long views page themselves -------------


def test_css_has_no_fixed_pixel_sizes():
    import re

    assert not re.search(r"(?<![\w.-])\d+(\.\d+)?px", meeting.CSS)
    assert "calc(28 * var(--u))" in meeting.CSS and "--u: min(calc(100vh / 1080), calc(100vw / 1920))" in meeting.CSS


def test_chunk_splits_evenly_and_keeps_everything():
    assert meeting.chunk(list(range(5)), 5) == [[0, 1, 2, 3, 4]]
    pages = meeting.chunk(list(range(13)), 8)
    assert pages == [list(range(7)), list(range(7, 13))]
    assert meeting.chunk([], 3) == [[]]


def test_step_page_walks_pages_then_views():
    views = ["headline", "ranking", "scores"]
    assert meeting.step_page(views, "ranking", 0, 2, +1) == ("ranking", 1)
    assert meeting.step_page(views, "ranking", 1, 2, +1) == ("scores", 0)
    assert meeting.step_page(views, "ranking", 1, 2, -1) == ("ranking", 0)
    assert meeting.step_page(views, "ranking", 0, 2, -1) == ("headline", -1)  # its last page
    assert meeting.parse_page("2") == 1 and meeting.parse_page("x") == 0 and meeting.parse_page(None) == 0
    assert meeting.page_text(0, 2, "zh") == "第1/2页" and meeting.page_text(1, 2, "en") == "Page 2/2"
    assert meeting.page_text(0, 1, "zh") == ""


def test_scores_default_to_time_progress_mid_year():
    assert meeting.default_basis("annual", None, date(2020, 6, 30)) == "time_progress"
    assert meeting.default_basis("annual", None, date(2020, 12, 31)) == "annual"
    assert meeting.default_basis("annual", "annual", date(2020, 6, 30)) == "annual"
    assert meeting.default_basis("annual", "bogus", date(2020, 6, 30)) == "time_progress"


def test_axis_labels_are_full_numbers():
    ind = type("I", (), {"is_rate": False})()
    assert meeting.nice_ticks(41000) == [0, 20000, 40000, 60000]
    assert meeting.axis_label(20000, ind, "zh") == "20000"
    assert meeting.axis_label(20000, ind, "en") == "20,000"
    assert meeting.axis_label(2.5, ind, "en") == "2.5"


def test_headline_key_figures_and_labelled_100_tick(views):
    html = views["headline"]
    assert '<span class="mt-fig">68.0%</span><span class="mt-act">21083</span>' in html
    # every bullet bar's full-target tick is labelled (ten indicators); the ceiling's bar ends at twice the ceiling
    assert html.count(">100%</span></div>") == 10 and html.count(">9.0%</span></div>") == 1


def test_behind_view_lists_units_below_a_rate_target(views):
    html = views["behind"]
    rate = html.split("毕业生就业率")[1]
    # mid-year the rate is judged at year end (◷): not "未达标" yet, but the units below the
    # standard are still named, with how far they are short
    assert "4个单位低于标准（年底考核）" in rate and "未达标" not in rate
    for name in ("铜罐驿镇", "陶家镇", "中梁山街道", "黄桷坪街道"):
        assert name in rate
    assert "年底考核 尚差10.0个百分点" in rate


def test_ranking_pages_itself_when_there_are_more_units_than_rows(demo_ctx):
    """A tree with many more units than fit: every unit is on some page, none twice, and a page
    never holds more rows than the stage has room for."""
    import pandas as pd

    from target_monitor.ranking import Ranking

    now = demo_ctx.progress(2020, AS_OF)
    kids = now[now["level"] == "child"]
    many = pd.concat([kids.assign(unit_code=kids["unit_code"] + f"-{k}") for k in range(3)])
    table = pd.concat([now[now["level"] != "child"], many])
    names = {c: f"单位{c}" for c in many["unit_code"]}
    rk = Ranking(as_of=AS_OF, previous=None,
                 by_indicator=pd.DataFrame(columns=["unit_code", "indicator", "rank", "rank_change"]),
                 overall=pd.DataFrame(columns=["unit_code", "overall_rank", "overall_change"]),
                 flags=pd.DataFrame(columns=["unit_code", "flag", "indicator"]), rules=[])
    pages = meeting.ranking_pages(demo_ctx.registry, table, rk, names, "zh")
    assert len(pages) >= 3
    rows = [p.count("<tr>") - 1 for p in pages]
    shown = [n for p in pages for n in names.values() if f">{n}<" in p]
    assert len(shown) == len(set(shown)) == sum(rows)
    assert set(shown) == {names[c] for c in many["unit_code"]
                          if not many[(many["unit_code"] == c)]["rank"].isna().all()}
    assert max(rows) - min(rows) <= 1


# --- each unit's card in turn, dwell per view, longer for red units --------------------------


def test_dwell_from_the_url_per_view_and_longer_for_red_units():
    assert meeting.parse_dwell("headline:30, units:12,bogus:9,ranking:x,trend:2") == {
        "headline": 30, "units": 12, "trend": meeting.MIN_INTERVAL}
    assert meeting.parse_dwell("headline:30", ["units"]) == {}  # only views being shown
    assert meeting.parse_red_dwell(None) is None and meeting.parse_red_dwell("45") == 45
    dwell = {"units": 10}
    assert meeting.page_dwell("units", 20, dwell, 40, red=True) == 40
    assert meeting.page_dwell("units", 20, dwell, 40, red=False) == 10
    assert meeting.page_dwell("headline", 20, dwell, 40, red=False) == 20
    assert meeting.page_dwell("units", 20, {"units": 50}, 40, red=True) == 50  # never shorter than the view's
    assert meeting.tick_seconds(20, {"units": 10}, 40) == 10
    assert meeting.tick_seconds(20, {"units": 15}, None) == 5
    assert meeting.tick_seconds(7, {}, 9) == meeting.MIN_INTERVAL


def test_unit_cards_one_per_unit_red_ones_marked(views):
    cards = views["units"]
    assert sorted(code for _, code, _ in cards) == views["children"]
    by_code = {code: (html, red) for html, code, red in cards}
    tgj = [c for c in by_code if views["names"][c] == "铜罐驿镇"][0]
    html, red = by_code[tgj]
    assert red and "⚑红" in html and "重点关注" in html and "综合排名 第" in html
    assert html.count('class="mt-bullet"') == html.count('class="mt-card-row"') > 0
    calm = [(h, c) for c, (h, r) in by_code.items() if not r]
    assert calm and all("重点关注" not in h for h, _ in calm)
    assert [c for _, c, _ in cards][-1] != [c for _, c, _ in cards][0]


def test_meeting_units_view_rotates_cards_with_their_dwell(demo_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/meeting.py")
    at.query_params.update({"views": "headline,units", "view": "units", "interval": "20", "dwell": "units:10",
                            "red_dwell": "30"})
    at.run()
    assert not at.exception
    text = _text(at)
    assert "各单位逐一展示" in text and "2 / 2" in text and "第1/" in text
    seen = []
    for _ in range(3):
        stage = [m.value for m in at.markdown if m.value.startswith('<div class="mt-stage"')][0]
        top = [m.value for m in at.markdown if m.value.startswith('<div class="mt-top"')][0]
        red = "重点关注" in stage
        assert ("每30秒" if red else "每10秒") in top
        seen.append(stage.split('data-unit="')[1].split('"')[0])
        at.button(key="mt_next").click().run()
    assert len(set(seen)) == 3 and at.query_params["page"] == "4"
