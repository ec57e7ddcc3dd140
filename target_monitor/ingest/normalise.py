"""Value normalisers: one raw cell in, one canonical value out, or a `ValueProblem` saying why not.

Pure functions, no I/O. Each is property-tested (tests/test_normalise.py). Rules that matter:
- NFKC first (３５００ → 3500, （ → (, U+3000 → space), then invisible characters are removed
  (U+200B, U+FEFF, soft hyphen...). Never guess: an ambiguous value raises, it is not fixed.
- Missing tokens (blank, —, -, /, 无) are None; whether None is allowed is the caller's rule.
- Money is returned in yuan; 万元/万/亿/元/千元 are converted; any other unit is an error.
- Percentages are returned in points (95.0 for 95%).
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
MISSING_TOKENS = frozenset(
    {"", "-", "--", "—", "——", "–", "/", "\\", "无", "空", "暂无", "n/a", "na", "null", "none", "nan", "#n/a"}
)
EXCEL_EPOCH = date(1899, 12, 30)
# Excel serial numbers for 1982-01-01 .. 2064-12-31: a bare number in that range in a date
# column is a serial date; anything else is not guessed.
SERIAL_MIN, SERIAL_MAX = 29952, 60266


class ValueProblem(ValueError):
    """A cell that cannot be normalised. `code` selects the message (i18n key ingest_q_<code>)."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code = code
        self.values = values


def clean_text(value) -> str:
    """NFKC, invisible characters removed, whitespace runs collapsed, trimmed."""
    if value is None:
        return ""
    return _clean(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=2**16)  # cells repeat a lot (unit names, categories, dates): measured 2x faster ingest
def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    return " ".join(text.split())


def clean_header(value) -> str:
    """A header cell for matching: clean_text and no whitespace at all (line breaks, U+3000)."""
    return "".join(clean_text(value).split())


def is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return clean_text(value).lower() in MISSING_TOKENS


# --------------------------------------------------------------------------- numbers

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_CHARS = set(_CN_DIGITS) | set(_CN_SMALL) | set(_CN_BIG)


def chinese_numeral(text: str) -> int:
    """三千五百 → 3500, 一万二千 → 12000, 十五 → 15, 两百 → 200. Raises ValueProblem otherwise."""
    text = clean_text(text)
    if not text or any(ch not in _CN_CHARS for ch in text):
        raise ValueProblem("not_number", raw=text)
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and ch not in "零〇":
                raise ValueProblem("not_number", raw=text)  # 三五 is not a numeral
            digit = _CN_DIGITS[ch] if ch not in "零〇" else None
        elif ch in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[ch]
            digit = None
        else:  # 万 scales the current section; 亿 scales everything before it (一亿零一万 = 100010000)
            section += digit or 0
            if ch == "万":
                if section == 0:
                    raise ValueProblem("not_number", raw=text)
                total += section * _CN_BIG[ch]
            else:
                if section == 0 and total == 0:
                    raise ValueProblem("not_number", raw=text)
                total = (total + section) * _CN_BIG[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_number(value) -> float | None:
    """A plain number: ３５００, 1,800, ' 12.5 ', 三千五百. None for a missing token."""
    if isinstance(value, bool):
        raise ValueProblem("not_number", raw=str(value))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return float(value)
    if is_missing(value):
        return None
    text = clean_text(value).replace(" ", "")
    if _GROUPED_RE.match(text):
        text = text.replace(",", "")
    if _NUMBER_RE.match(text):
        try:
            return float(Decimal(text))
        except InvalidOperation:
            raise ValueProblem("not_number", raw=str(value)) from None
    if text and all(ch in _CN_CHARS for ch in text):
        return float(chinese_numeral(text))
    raise ValueProblem("not_number", raw=str(value))


def parse_int(value) -> int | None:
    number = parse_number(value)
    if number is None:
        return None
    if number != int(number):
        raise ValueProblem("not_whole", raw=str(value))
    return int(number)


# Money: a number with an optional unit; the result is in yuan.
MONEY_UNITS = {"元": 1, "万元": 10_000, "万": 10_000, "亿元": 100_000_000, "亿": 100_000_000, "千元": 1000}
_MONEY_RE = re.compile(r"^(?P<num>[+-]?[\d,]*\.?\d+)(?P<unit>\D*)$")


def parse_money(value, default_unit: str = "元") -> float | None:
    """1,800万元 → 18000000.0; 3.5亿 → 350000000.0; '1800 元' → 1800.0 (yuan).

    A bare number is in `default_unit` (from the header, e.g. 发放金额(万元)). A unit that is
    not in MONEY_UNITS (美元, 块, k) raises: it is not guessed.
    """
    if default_unit not in MONEY_UNITS:
        raise ValueProblem("money_unit", raw=str(value), unit=default_unit)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        return round(float(value) * MONEY_UNITS[default_unit], 2)
    if is_missing(value):
        return None
    text = clean_text(value).replace(" ", "")
    m = _MONEY_RE.match(text)
    if not m:
        for unit in sorted(MONEY_UNITS, key=len, reverse=True):  # 三千五百元, 一万二千
            body = text[: -len(unit)] if text.endswith(unit) else None
            if body and all(ch in _CN_CHARS for ch in body):
                return round(chinese_numeral(body) * MONEY_UNITS[unit], 2)
        if text and all(ch in _CN_CHARS for ch in text):
            return round(chinese_numeral(text) * MONEY_UNITS[default_unit], 2)
        raise ValueProblem("not_number", raw=str(value))
    unit = m.group("unit") or default_unit
    if unit not in MONEY_UNITS:
        raise ValueProblem("money_unit", raw=str(value), unit=unit)
    number = parse_number(m.group("num"))
    return round(number * MONEY_UNITS[unit], 2)


def parse_percent(value, rule: str = "auto") -> float | None:
    """A rate in points: '95%' → 95.0, '９５％' → 95.0, 0.95 → 95.0 (rule auto/fraction), 95 → 95.0.

    rule: points (bare numbers are points), fraction (bare numbers are shares of 1),
    auto (0 < x < 1 is a share, 1 < x <= 100 is points; exactly 1 is ambiguous and raises).
    A rate outside 0..100 raises.
    """
    if is_missing(value):
        return None
    has_sign = False
    if isinstance(value, str):
        text = clean_text(value).replace(" ", "")
        if text.endswith("%"):
            has_sign, text = True, text[:-1]
        number = parse_number(text)
    else:
        number = parse_number(value)
    if number is None:
        return None
    if not has_sign:
        if rule == "fraction":
            number *= 100
        elif rule == "auto":
            if number == 1:
                raise ValueProblem("percent_ambiguous", raw=str(value))
            if 0 < number < 1:
                number *= 100
    if not 0 <= number <= 100:
        raise ValueProblem("percent_range", raw=str(value))
    return round(number, 6)


# --------------------------------------------------------------------------- targets

_OPS = [
    (">=", ("≥", ">=", "=>", "不低于", "不少于", "至少", "达到", "≧")),
    ("<=", ("≤", "<=", "=<", "不高于", "不超过", "不多于", "控制在", "≦")),
    (">", (">",)),
    ("<", ("<",)),
]
_SUFFIX_OPS = [(">=", ("以上",)), ("<=", ("以内", "以下"))]
_VALUE_RE = re.compile(r"^(?P<num>[+-]?[\d,]*\.?\d+)(?P<big>万|亿)?(?P<unit>[^\d]*)$")


def parse_annotated(value) -> tuple[str, str]:
    """'3000(创业培训)' → ('3000', '创业培训'); the note in brackets is kept, not lost."""
    text = clean_text(value)
    m = re.match(r"^(?P<body>.*?)\s*[(\[](?P<note>[^()\[\]]+)[)\]]\s*$", text)
    if m and m.group("body"):
        return m.group("body").strip(), m.group("note").strip()
    return text, ""


def parse_comparator(value, default_op: str = ">=") -> tuple[str, float, str, str] | None:
    """A target cell → (operator, value, unit, note).

    '≥95%' → ('>=', 95.0, '%', ''); '不低于95%' → ('>=', 95.0, '%', '');
    '3500人以上' → ('>=', 3500.0, '人', ''); '3.1万人以上' → ('>=', 31000.0, '人', '');
    '≤4%' → ('<=', 4.0, '%', ''); '3000(创业培训)' → ('>=', 3000.0, '', '创业培训'); 3500 → ('>=', 3500.0, '', '').
    None for a missing token.
    """
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (default_op, float(value), "", "")
    body, note = parse_annotated(value)
    text = body.replace(" ", "")
    op = None
    for name, tokens in _OPS:
        for tok in tokens:
            if text.startswith(tok):
                op, text = name, text[len(tok):]
                break
        if op:
            break
    for name, tokens in _SUFFIX_OPS:
        for tok in tokens:
            if text.endswith(tok):
                if op and op[0] != name[0]:
                    raise ValueProblem("comparator", raw=str(value))
                op, text = op or name, text[: -len(tok)]
                break
    m = _VALUE_RE.match(text)
    if not m:
        raise ValueProblem("comparator", raw=str(value))
    number = parse_number(m.group("num"))
    if m.group("big"):
        number *= MONEY_UNITS[m.group("big")]
    unit = m.group("unit")
    if unit and not re.fullmatch(r"%|人次|人|万元|元|家|户|个|次|名", unit):
        raise ValueProblem("comparator", raw=str(value))
    if unit == "%" and not 0 <= number <= 100:
        raise ValueProblem("percent_range", raw=str(value))
    return (op or default_op, round(number, 6), unit, note)


# --------------------------------------------------------------------------- dates

_DAY_RES = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]
_MONTH_RES = [
    re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?:份)?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})$"),
    re.compile(r"^(?P<y>\d{4})\.(?P<m>\d{2})$"),
    re.compile(r"^(?P<y>\d{4})\.(?P<m>[2-9])$"),  # 2020.3 is March; 2020.1 is handled below
]


def _mk_date(y: int, m: int, d: int, raw: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise ValueProblem("bad_date", raw=raw) from None


def _serial(number: float, raw: str) -> date:
    if number != int(number) or not SERIAL_MIN <= number <= SERIAL_MAX:
        raise ValueProblem("bad_date", raw=raw)
    return EXCEL_EPOCH + timedelta(days=int(number))


def _day_text(text: str, raw: str) -> date | None:
    for rx in _DAY_RES:
        m = rx.match(text)
        if m:
            return _mk_date(int(m["y"]), int(m["m"]), int(m["d"]), raw)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _serial(float(text), raw)
    return None


def parse_date(value) -> date | None:
    """A day: 2020-03-05, 2020/3/5, 2020.3.5, 2020年3月5日, 20200305, Excel serial 43895,
    or a date/datetime cell. A month-only value (2020年3月) raises `date_no_day`."""
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and 1900 < value < 2100 and value != int(value):
            raise ValueProblem("date_float", raw=repr(value))
        return _serial(float(value), str(value))
    raw = str(value)
    text = clean_text(raw).replace(" 00:00:00", "")
    day = _day_text(text, raw)
    if day is not None:
        return day
    try:
        parse_month(text)
    except ValueProblem:
        pass
    else:
        raise ValueProblem("date_no_day", raw=raw)
    raise ValueProblem("bad_date", raw=raw)


def parse_month(value) -> tuple[int, int] | None:
    """A month: 2020年3月, 2020-03, 2020/3, 202003, 2020.10, Excel serial, or a date.

    2020.1 is refused (`date_float`): Excel turns a typed 2020.10 into 2020.1, so it may be
    January or October.
    """
    if is_missing(value):
        return None
    if isinstance(value, (datetime, date)):
        return (value.year, value.month)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1900 < value < 2100:
            if value == int(value):
                raise ValueProblem("bad_month", raw=str(value))
            text = f"{value:.2f}".rstrip("0")
            if text.endswith(".1"):
                raise ValueProblem("date_float", raw=str(value))
            return parse_month(text)
        d = _serial(float(value), str(value))
        return (d.year, d.month)
    raw = str(value)
    text = clean_text(raw)
    if re.fullmatch(r"\d{4}\.1", text):
        raise ValueProblem("date_float", raw=raw)
    for rx in _MONTH_RES:
        m = rx.match(text)
        if m:
            y, mo = int(m["y"]), int(m["m"])
            if not 1 <= mo <= 12:
                raise ValueProblem("bad_month", raw=raw)
            return (y, mo)
    try:
        d = _day_text(text, raw)
    except ValueProblem:
        d = None
    if d is None:
        raise ValueProblem("bad_month", raw=raw)
    return (d.year, d.month)


# --------------------------------------------------------------------------- ids

_SCI_RE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_ID18_RE = re.compile(r"^\d{17}[\dX]$")


def parse_id(value, *, person: bool = False) -> str | None:
    """A record id or person key, kept as text. An id that went through a float (5.00107E+17,
    or a numeric Excel cell of 15+ digits) has lost digits and raises `id_mangled`."""
    if is_missing(value):
        return None
    if isinstance(value, float):
        if value != int(value) or abs(value) >= 1e15:
            raise ValueProblem("id_mangled", raw=repr(value))
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = clean_text(value).replace(" ", "")
    if _SCI_RE.match(text):
        raise ValueProblem("id_mangled", raw=str(value))
    if person and text.isdigit() is False and re.fullmatch(r"\d{17}[xX]", text):
        text = text.upper()
    return text


# a person key that is not declared otherwise: letters, digits and . _ - (no spaces, no formula)
DEFAULT_PERSON_KEY = r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_ok(text: str) -> bool:
    """An 18-character resident ID number (GB 11643): 17 digits and the ISO 7064 MOD 11-2 check character."""
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return False
    return _ID_CHECK[sum(int(c) * w for c, w in zip(text[:17], _ID_WEIGHTS)) % 11] == text[17]


def person_key_ok(text: str, shape: str | None) -> bool:
    """A person key of its declared shape (ingest_rules.yaml `shape:`): "id_number" for real ID
    numbers, else a regular expression a pseudonymised key matches in full (default DEFAULT_PERSON_KEY)."""
    if shape == "id_number":
        return id_number_ok(text)
    return re.fullmatch(shape or DEFAULT_PERSON_KEY, text) is not None


def is_formula(text: str) -> bool:
    return bool(text) and text[0] in "=+-@" and not _NUMBER_RE.match(text.replace(",", ""))


def neutralise(value):
    """For CSV/XLSX exports: a cell starting with = + - @ (formula injection) gets a leading '."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        if not _NUMBER_RE.match(value.replace(",", "")):
            return "'" + value
    return value
