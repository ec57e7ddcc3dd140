"""The pages show 历史同期进度 beside 序时进度 and the traffic-light rule beside each status."""

from __future__ import annotations

import pytest

from apptest_util import open_page, page_text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_states_both_yardsticks(demo_env, lang):
    text = page_text(open_page("overview.py", lang))
    if lang == "zh":
        assert "快于序时进度18.0个百分点；按历史同期进度（45.6%）快22.4个百分点" in text
        # loans: ahead of the calendar, behind last year's pace
        assert "快于序时进度5.5个百分点；按历史同期进度（61.2%）慢5.7个百分点" in text
    else:
        assert "22.4 pp ahead of the seasonal pace (45.6%)" in text


def test_unit_detail_shows_the_seasonal_pace_and_the_rule(demo_env):
    text = page_text(open_page("unit_detail.py", "zh"))
    assert "历史同期进度" in text and "亮灯规则" in text
    assert "（规则：达到或快于序时进度）" in text or "（规则：落后不超过10个百分点）" in text \
        or "（规则：落后超过10个百分点）" in text


def test_meeting_headline_states_both_yardsticks(demo_env):
    text = page_text(open_page("meeting.py", "zh"))
    assert "按历史同期进度（45.6%）快22.4个百分点" in text
