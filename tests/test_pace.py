"""Pace rules on tiny inputs: every boundary the pace rules name."""

import math
import random
from datetime import date

import numpy as np
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


# --- the array versions (the progress table computes all units at once) equal the scalar rules ---


def _same(a, b) -> bool:
    """Equal as the table shows them: None ~ NaN, and the sign of zero counts (-0.0 prints as -0.0)."""
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def _values(seed=42, n=4000) -> list[float]:
    rng = random.Random(seed)
    ties = [k / 100 + 0.05 for k in range(-2000, 20000, 10)] + [k / 10 + 0.05 for k in range(-500, 5000)]
    near = [math.nextafter(v, math.inf) for v in ties] + [math.nextafter(v, -math.inf) for v in ties]
    randoms = [rng.uniform(-200, 200) for _ in range(n)] + [rng.randint(0, 40000) / rng.choice([3, 7, 9, 100])
                                                            for _ in range(n)]
    return ties + near + randoms + [0.0, -0.0, -0.04, 0.04, 1e15 + 0.5, float("nan")]


def test_round1_array_equals_round1_exactly():
    values = _values()
    out = pace.round1_array(np.array(values))
    bad = [(v, pace.round1(v), o) for v, o in zip(values, out.tolist())
           if not (math.isnan(v) and math.isnan(o)) and not _same(pace.round1(v), o)]
    assert not bad, bad[:5]


def test_cumulative_rules_as_arrays_equal_the_scalar_rules():
    rng = random.Random(7)
    targets = [None, 0.0, 100.0, 3500.0, 165.0, 41000.0]
    rows = [(rng.choice([0.0, rng.uniform(0, 5000), rng.choice(targets[2:])]), rng.choice(targets))
            for _ in range(3000)]
    actual = np.array([a for a, _ in rows])
    has_target = np.array([t is not None for _, t in rows])
    target = np.array([np.nan if t is None else t for _, t in rows])
    for as_of in (date(2020, 6, 30), date(2020, 6, 15), date(2020, 12, 31), date(2020, 1, 1)):
        tp = pace.time_progress_pct(as_of)
        comp, comp_none = pace.completion_pct_array(actual, target, has_target)
        gap = pace.gap_pp_array(comp, comp_none, tp)
        status = pace.status_cumulative_array(actual, target, has_target, gap, comp_none, pace.Rules(slightly_behind_pp=7))
        required, required_none = pace.required_monthly_array(target, has_target, actual, as_of)
        for i, (a, t) in enumerate(rows):
            c = pace.completion_pct(a, t)
            g = pace.gap_pp(c, tp)
            assert (c is None) == comp_none[i] and _same(c, None if comp_none[i] else comp[i])
            assert _same(g, gap[i])
            assert pace.status_cumulative(a, t, g, pace.Rules(slightly_behind_pp=7)) == status[i]
            r = pace.required_monthly(t, a, as_of)
            assert (r is None) == required_none[i] and _same(r, None if required_none[i] else required[i])


@pytest.mark.parametrize("kind", ["floor_rate", "ceiling_rate"])
def test_rate_rules_as_arrays_equal_the_scalar_rules(kind):
    rng = random.Random(3)
    rows = [(rng.choice([None, rng.uniform(80, 100), 95.0, 94.95, 4.05]), rng.choice([None, 95.0, 4.0, 90.0]))
            for _ in range(2000)]
    rate = np.array([np.nan if r is None else r for r, _ in rows])
    has_target = np.array([t is not None for _, t in rows])
    target = np.array([np.nan if t is None else t for _, t in rows])
    gap, gap_none = pace.rate_gap_pp_array(kind, rate, target, has_target)
    status = pace.status_rate_array(kind, rate, target, has_target)
    for i, (r, t) in enumerate(rows):
        g = pace.rate_gap_pp(kind, r, t)
        assert (g is None) == gap_none[i] and _same(g, gap[i])
        assert pace.status_rate(kind, r, t) == status[i]


def test_projection_as_arrays_equals_the_scalar_rule():
    rng = random.Random(11)
    profiles = [None, [0.0] * 12, [1.0] * 6 + [3.0] * 6, [0.0] * 11 + [80.0]]
    profiles += [[rng.choice([0.0, rng.uniform(0, 900) / 7]) for _ in range(12)] for _ in range(200)]
    parent = [rng.uniform(0, 900) / 3 for _ in range(12)]
    actual = np.array([rng.uniform(0, 5000) for _ in profiles])
    matrix = np.array([p or [0.0] * 12 for p in profiles])
    has = np.array([p is not None for p in profiles])
    for as_of in (date(2020, 6, 30), date(2020, 2, 29), date(2020, 1, 1), date(2019, 9, 17)):
        for parent_profile in (parent, None, [0.0] * 12):
            share = pace.expected_share_array(as_of, matrix, has)
            p_share = pace.expected_share(as_of, parent_profile)
            values, methods = pace.project_year_end_array(
                actual, as_of, share, np.full(len(profiles), np.nan if p_share is None else p_share))
            for i, p in enumerate(profiles):
                assert _same(pace.expected_share(as_of, p), share[i])
                v, m = pace.project_year_end(float(actual[i]), as_of, p, parent_profile)
                assert m == methods[i] and _same(v, values[i])
