"""Pace rules on tiny inputs: every boundary named in the foundation issue."""

from datetime import date

import pytest

from target_monitor import pace


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (date(2020, 6, 30), 50.0),  # end of June = 50.0% by month
        (date(2020, 12, 31), 100.0),
        (date(2020, 1, 31), 100 / 12),
        (date(2020, 6, 15), (5 + 15 / 30) / 12 * 100),  # mid-month interpolated by day
        (date(2020, 2, 29), 2 / 12 * 100),  # leap February ends the month
        (date(2019, 2, 28), 2 / 12 * 100),
    ],
)
def test_time_progress_by_month(as_of, expected):
    assert pace.time_progress_pct(as_of, "month") == pytest.approx(expected)


def test_time_progress_by_day():
    assert pace.time_progress_pct(date(2020, 6, 30), "day") == pytest.approx(182 / 366 * 100)
    assert pace.time_progress_pct(date(2019, 12, 31), "day") == pytest.approx(100.0)
    with pytest.raises(ValueError):
        pace.time_progress_pct(date(2020, 1, 1), "week")


def test_round_half_up_and_gap_from_shown_figures():
    assert pace.round1(2.25) == 2.3  # Python's round() would give 2.2
    assert pace.round1(-2.25) == -2.3
    # 59.24% vs 50.0% -> gap computed from the figures shown: 59.2 - 50.0
    assert pace.gap_pp(59.24, 50.0) == 9.2
    assert pace.gap_pp(None, 50.0) is None


def test_completion():
    assert pace.completion_pct(2072, 3500) == pytest.approx(59.2, abs=0.01)
    assert pace.completion_pct(10, 0) is None
    assert pace.completion_pct(None, 100) is None


@pytest.mark.parametrize(
    "actual, target, gap, status",
    [
        (100, 100, 50.0, pace.DONE),  # exactly the target
        (99.9, 100, 49.9, pace.AHEAD),
        (50, 100, 0.0, pace.AHEAD),  # level with pace counts as keeping pace
        (49.9, 100, -0.1, pace.SLIGHTLY_BEHIND),
        (40, 100, -10.0, pace.SLIGHTLY_BEHIND),  # within 10 pp
        (39.9, 100, -10.1, pace.FAR_BEHIND),
        (10, None, None, pace.NO_TARGET),
        (None, 100, None, pace.NO_DATA),
    ],
)
def test_status_cumulative_boundaries(actual, target, gap, status):
    assert pace.status_cumulative(actual, target, gap) == status


def test_status_threshold_is_configurable():
    rules = pace.Rules(slightly_behind_pp=5)
    assert pace.status_cumulative(44, 100, -6.0, rules) == pace.FAR_BEHIND
    assert pace.status_cumulative(44, 100, -6.0) == pace.SLIGHTLY_BEHIND


def test_floor_rate():
    assert pace.status_rate("floor_rate", 95.0, 95) == pace.MET
    assert pace.status_rate("floor_rate", 94.96, 95) == pace.MET  # shown as 95.0%
    assert pace.status_rate("floor_rate", 94.9, 95) == pace.NOT_MET
    assert pace.rate_gap_pp("floor_rate", 92.3, 95) == -2.7
    assert pace.status_rate("floor_rate", None, 95) == pace.NO_DATA
    assert pace.status_rate("floor_rate", 90, None) == pace.NO_TARGET


def test_ceiling_rate():
    assert pace.status_rate("ceiling_rate", 3.8, 4) == pace.MET
    assert pace.status_rate("ceiling_rate", 4.0, 4) == pace.MET
    assert pace.status_rate("ceiling_rate", 4.2, 4) == pace.NOT_MET
    assert pace.rate_gap_pp("ceiling_rate", 3.5, 4) == 0.5  # positive = margin below the ceiling
    with pytest.raises(ValueError):
        pace.rate_gap_pp("cumulative", 1, 2)


def test_projection_uses_unit_profile_first():
    profile = [1] * 6 + [3] * 6  # half the year's volume is in... a quarter by end of June
    value, method = pace.project_year_end(250, date(2020, 6, 30), profile, [1] * 12)
    assert method == pace.PROFILE_UNIT
    assert value == pytest.approx(250 / (6 / 24))


def test_projection_falls_back_to_parent_then_linear():
    value, method = pace.project_year_end(300, date(2020, 6, 30), None, [2] * 12)
    assert (value, method) == (pytest.approx(600), pace.PROFILE_PARENT)
    value, method = pace.project_year_end(300, date(2020, 6, 30), [0] * 12, None)
    assert (value, method) == (pytest.approx(600), pace.PROFILE_LINEAR)
    assert pace.project_year_end(None, date(2020, 6, 30), None, None) == (None, None)


def test_expected_share_interpolates_the_current_month():
    assert pace.expected_share(date(2020, 6, 15), [1] * 12) == pytest.approx((5 + 0.5) / 12)
    assert pace.expected_share(date(2020, 6, 30), [1] * 11) is None


def test_required_monthly():
    assert pace.required_monthly(3500, 2072, date(2020, 6, 30)) == pytest.approx((3500 - 2072) / 6)
    assert pace.required_monthly(3500, 2072, date(2020, 6, 15)) == pytest.approx((3500 - 2072) / 6.5)
    assert pace.required_monthly(3500, 3600, date(2020, 6, 30)) == 0.0
    assert pace.required_monthly(3500, 3000, date(2020, 12, 31)) is None
    assert pace.required_monthly(None, 3000, date(2020, 6, 30)) is None


def test_ranking_ties_broken_by_actual_then_shared():
    ranks = pace.rank_units([("a", 50.0, 100), ("b", 60.0, 10), ("c", 50.0, 200), ("d", 50.0, 100), ("e", None, 5)])
    assert ranks == {"b": 1, "c": 2, "a": 3, "d": 3}  # a and d tie on both: same rank, "1 2 3 3"
    assert pace.rank_units([("x", 3.0, 0), ("y", 5.0, 0)], descending=False) == {"x": 1, "y": 2}


def test_ranking_compares_shown_figures():
    # 59.24 and 59.21 both show as 59.2%: the tie goes to the larger actual
    assert pace.rank_units([("a", 59.24, 10), ("b", 59.21, 20)]) == {"b": 1, "a": 2}
