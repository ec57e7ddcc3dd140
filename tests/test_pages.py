"""AppTest for every page in both languages, and the navigation contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apptest_util import open_page as _run
from apptest_util import page_text as _text

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
PAGES = sorted(p.name for p in (REPO / "pages").glob("*.py"))


def test_every_page_file_is_registered_exactly_once():
    app = (REPO / "app.py").read_text(encoding="utf-8")
    registered = re.findall(r'st\.Page\(\s*"pages/([^"]+\.py)"', app)
    assert sorted(registered) == PAGES
    assert len(registered) == len(set(registered))






@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview(demo_env, lang):
    at = _run("overview.py", lang)
    text = _text(at)
    assert ("演示数据" if lang == "zh" else "Demo data") in text
    if lang == "zh":
        assert "截至6月30日，全区城镇新增就业" in text
        assert "完成全年目标任务的" in text and "序时进度" in text
        assert "41000人" in text  # the allocation sum stands beside the own target
    else:
        assert "As of 30 Jun" in text and "of the annual target" in text
    # one bullet per indicator with a target: both graduate rates, the work plan's four district-only
    # counts and the unemployment ceiling; the two counts by category flag have none
    assert len(at.get("plotly_chart")) == 11
    if lang == "zh":
        assert "全区城镇登记失业率为4.0%，低于控制目标0.5个百分点（控制目标≤4.5%）" in text
        assert "全区新增就业见习基地24家" in text and "全区就业困难人员实现就业3314人" in text
    else:
        assert "0.5 pp below the ceiling (≤4.5%)" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compare(demo_env, lang):
    at = _run("compare.py", lang)
    text = _text(at)
    assert ("杨家坪街道" if lang == "zh" else "Yangjiaping Subdistrict") in text
    assert ("合计" if lang == "zh" else "Total") in text
    if lang == "zh":
        assert "职业培训：创业培训" in text  # 区就业局's 3000(创业培训) keeps its annotation
        assert "高校毕业生年底就业率" in text  # the work plan's own wording for the district's rate
    assert len(at.get("plotly_chart")) == 1
    # the detail tab: every figure for every unit x indicator
    detail = at.dataframe[1].value
    assert len(detail) == 14 * 13 + 13 + 3  # 14 units × 13 indicators, the district's 13 own rows and 3 allocation sums
    needle = "剩余6个月，月均需完成247人" if lang == "zh" else "6 months left: 247 persons needed per month"
    assert needle in set(detail.iloc[:, -2])  # 杨家坪街道's required pace on new employment
    assert ("第1名（共13个）" if lang == "zh" else "No. 1 of 13") in set(detail["排名" if lang == "zh" else "Rank"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trend(demo_env, lang):
    at = _run("trend.py", lang)
    assert len(at.get("plotly_chart")) >= 1
    assert ("演示数据" if lang == "zh" else "Demo data") in _text(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unit_detail(demo_env, lang):
    at = _run("unit_detail.py", lang)
    text = _text(at)
    assert ("杨家坪街道目标任务完成情况" if lang == "zh" else "Yangjiaping Subdistrict") in text
    assert ("第" if lang == "zh" else "No. ") in text  # rank among siblings


def test_unit_detail_shows_missing_month(demo_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["detail_unit"] = "500107-13"
    at.run()
    at.switch_page("pages/unit_detail.py")
    at.run()
    assert not at.exception
    assert any("5月" in w.value for w in at.warning)


def test_language_switch_changes_labels(demo_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert "统计截至日期" in [d.label for d in at.date_input]
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert "As-of date" in [d.label for d in at.date_input]
    assert "Completion" in _text(at) or "annual target" in _text(at)


def test_year_without_targets_and_a_mid_month_date(demo_env):
    # AppTest gives app.py's widgets a new id on each run under st.navigation, so choices are
    # made through session state (in a browser the selectbox works: see test_browser.py)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["year"] = 2019
    at.run()
    assert not at.exception
    assert any("2019年没有任务分解表" in i.value for i in at.info)
    assert at.date_input(key="as_of_2019").value.isoformat() == "2019-12-31"
    assert "截至12月31日，全区城镇新增就业" in _text(at)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["year"] = 2020
    at.session_state["as_of_2020"] = __import__("datetime").date(2020, 3, 15)
    at.run()
    assert not at.exception
    assert "截至3月15日" in _text(at)
    assert "序时进度 20.7%" in _text(at)  # (2 + 15/31) / 12 = 20.70%
