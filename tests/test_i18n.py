"""The one i18n table: both languages everywhere, same placeholders, no unknown keys used."""

import re
import string
from pathlib import Path

import pytest

from target_monitor.i18n import STATUS_SYMBOL, TEXT, t
from target_monitor.pace import STATUSES

ROOT = Path(__file__).resolve().parents[1]
# keys whose languages use different parts of the values passed (English dates spell the month)
DIFFERENT_FORMS = {"date_md": {"m", "d", "mon"}, "date_long": {"y", "m", "d", "mon"}}


@pytest.mark.parametrize("key", sorted(TEXT))
def test_both_languages_with_the_same_placeholders(key):
    zh, en = TEXT[key]
    assert zh.strip() and en.strip()
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    if key in DIFFERENT_FORMS:
        assert fields(zh) | fields(en) <= DIFFERENT_FORMS[key], key
    else:
        assert fields(zh) == fields(en), key


def test_every_key_used_in_code_exists():
    used = set()
    for path in [*ROOT.glob("target_monitor/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", text))
        used |= set(re.findall(r"""f\.t\(\s*["']([a-z0-9_]+)["']""", text))
    # a key ending in "_" is a prefix completed at run time (t("status_" + status))
    missing = sorted(k for k in used if k not in TEXT and not k.endswith("_"))
    assert missing == []


def test_every_status_has_a_word_and_a_symbol():
    for status in STATUSES:
        assert t("status_" + status, "zh") and t("status_" + status, "en")
        assert STATUS_SYMBOL[status]


def test_english_differs_from_chinese():
    assert t("page_overview", "en") == "Overview" and t("page_overview", "zh") == "总览"
