"""Property tests (hypothesis) for the value normalisers, plus the ambiguous cases that must raise."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from target_monitor.ingest import normalise as nz

settings.register_profile("lean", max_examples=150, deadline=None)
settings.load_profile("lean")

FULLWIDTH = str.maketrans("0123456789.,%", "０１２３４５６７８９．，％")
INVISIBLES = ["\u200b", "\ufeff", "\u00a0", "\u3000", "\u2060"]
CN = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """An independent int → Chinese numeral writer (standard reading), to round-trip the parser."""
    if n == 0:
        return "零"

    def below_10000(x: int) -> str:
        out, zero = "", False
        for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = x // value % 10
            if d:
                if zero:
                    out += "零"
                out += CN[d] + unit
                zero = False
            elif out:
                zero = True
        return out

    parts = []
    yi, rest = divmod(n, 100_000_000)
    wan, low = divmod(rest, 10_000)
    if yi:
        parts.append(below_10000(yi) + "亿")
    if wan:
        parts.append(("零" if yi and wan < 1000 else "") + below_10000(wan) + "万")
    if low:
        parts.append(("零" if (yi or wan) and low < 1000 else "") + below_10000(low))
    return "".join(parts)


@given(st.integers(min_value=0, max_value=10**9))
def test_fullwidth_digits_and_thousands_separators(n):
    assert nz.parse_number(str(n).translate(FULLWIDTH)) == n
    assert nz.parse_number(f"{n:,}") == n
    assert nz.parse_number(f"{n:,}".translate(FULLWIDTH)) == n


@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(INVISIBLES), st.integers(min_value=0, max_value=8))
def test_invisible_characters_do_not_change_a_number(n, ch, pos):
    text = str(n)
    pos = min(pos, len(text))
    assert nz.parse_number(text[:pos] + ch + text[pos:]) == n


@given(st.integers(min_value=0, max_value=99_999_999_999))
def test_chinese_numerals_round_trip(n):
    assert nz.chinese_numeral(to_chinese(n)) == n


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(nz.MONEY_UNITS)))
def test_money_units_convert_to_yuan(n, unit):
    expected = n * nz.MONEY_UNITS[unit]
    assert nz.parse_money(f"{n}{unit}") == pytest.approx(expected)
    assert nz.parse_money(f"{n:,}{unit}") == pytest.approx(expected)
    assert nz.parse_money(f"{n} {unit}".translate(FULLWIDTH)) == pytest.approx(expected)
    assert nz.parse_money(str(n), default_unit=unit) == pytest.approx(expected)


@given(st.sampled_from(["美元", "块", "k", "万美元", "元/月"]))
def test_unknown_money_unit_is_not_guessed(unit):
    with pytest.raises(nz.ValueProblem) as exc:
        nz.parse_money(f"1800{unit}")
    assert exc.value.code in ("money_unit", "not_number")


@given(st.integers(min_value=0, max_value=1000).map(lambda x: x / 10))
def test_percent_forms(p):
    assert nz.parse_percent(f"{p:g}%") == pytest.approx(p)
    assert nz.parse_percent(f"{p:g}%".translate(FULLWIDTH)) == pytest.approx(p)
    assert nz.parse_percent(f"{p:g}", "points") == pytest.approx(p)
    assert nz.parse_percent(p / 100, "fraction") == pytest.approx(p)
    if 0 < p < 100 and p != 1:
        auto = p / 100 if p < 1 else p
        assert nz.parse_percent(f"{auto:g}") == pytest.approx(p if p >= 1 else p / 100 * 100)


def test_percent_auto_rule_and_ambiguity():
    assert nz.parse_percent("0.95") == 95.0
    assert nz.parse_percent("95") == 95.0
    assert nz.parse_percent("９５％") == 95.0
    with pytest.raises(nz.ValueProblem, match="percent_ambiguous"):
        nz.parse_percent("1")
    with pytest.raises(nz.ValueProblem, match="percent_range"):
        nz.parse_percent("120%")


@given(st.integers(min_value=1, max_value=99_999))
def test_comparators(n):
    for text in (f"≥{n}", f">={n}", f"不低于{n}", f"{n}以上", f"至少{n}"):
        op, value, _, _ = nz.parse_comparator(text)
        assert (op, value) == (">=", n), text
    assert nz.parse_comparator(f"{n}人以上") == (">=", n, "人", "")
    assert nz.parse_comparator(f"≤{n}") [:2] == ("<=", n)
    assert nz.parse_comparator(f"控制在{n}以内")[:2] == ("<=", n)
    assert nz.parse_comparator(f"{n}(创业培训)") == (">=", n, "", "创业培训")


@given(st.integers(min_value=0, max_value=100))
def test_percent_comparators(p):
    for text in (f"≥{p}%", f">={p}%", f"不低于{p}%", f"≥{p}％".translate(FULLWIDTH)):
        assert nz.parse_comparator(text) == (">=", p, "%", ""), text


def test_comparator_with_wan():
    assert nz.parse_comparator("3.1万人以上") == (">=", 31000.0, "人", "")
    with pytest.raises(nz.ValueProblem):
        nz.parse_comparator("大约三千")


@given(st.dates(min_value=date(1983, 1, 1), max_value=date(2064, 12, 31)))
def test_date_forms(d):
    forms = [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month}.{d.day}",
             f"{d.year}年{d.month}月{d.day}日", d.strftime("%Y%m%d"), str((d - nz.EXCEL_EPOCH).days),
             (d - nz.EXCEL_EPOCH).days, f"{d.isoformat()} 00:00:00", d.isoformat().translate(FULLWIDTH)]
    for form in forms:
        assert nz.parse_date(form) == d, form


@given(st.integers(min_value=1990, max_value=2060), st.integers(min_value=1, max_value=12))
def test_month_forms(y, m):
    for form in (f"{y}年{m}月", f"{y}-{m:02d}", f"{y}/{m}", f"{y}{m:02d}", f"{y}.{m:02d}", f"{y}年{m}月份"):
        assert nz.parse_month(form) == (y, m), form
    with pytest.raises(nz.ValueProblem, match="date_no_day"):
        nz.parse_date(f"{y}年{m}月")


def test_2020_10_typed_as_a_number_is_refused():
    with pytest.raises(nz.ValueProblem, match="date_float"):
        nz.parse_month(2020.1)
    with pytest.raises(nz.ValueProblem, match="date_float"):
        nz.parse_month("2020.1")
    with pytest.raises(nz.ValueProblem, match="date_float"):
        nz.parse_date(2020.1)
    assert nz.parse_month("2020.10") == (2020, 10)
    assert nz.parse_month(2020.3) == (2020, 3)


@given(st.sampled_from(["", " ", "—", "-", "/", "无", "－", "——", "N/A", "\u3000", "\u200b"]))
def test_missing_tokens_are_null(token):
    assert nz.is_missing(token)
    assert nz.parse_number(token) is None
    assert nz.parse_money(token) is None
    assert nz.parse_date(token) is None
    assert nz.parse_comparator(token) is None


def test_ids_survive_only_as_text():
    assert nz.parse_id("0101") == "0101"
    assert nz.parse_id("50010719900101123x", person=True) == "50010719900101123X"
    for bad in ("5.00107E+17", "5.00107e17", 5.00107e17, 500107199001011234.0):
        with pytest.raises(nz.ValueProblem, match="id_mangled"):
            nz.parse_id(bad)


def test_formula_text_is_neutralised_for_export():
    assert nz.neutralise("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert nz.neutralise("@SUM(1)") == "'@SUM(1)"
    assert nz.neutralise("+86 138") == "'+86 138"
    assert nz.neutralise("-5") == "-5"  # a number stays a number
    assert nz.neutralise("杨家坪") == "杨家坪"
