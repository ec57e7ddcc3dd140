"""One language at a time: every page, walked in Chinese and in English with AppTest, shows no
English word in the Chinese UI (Streamlit's own placeholders included) and no Chinese
punctuation in the English UI.

What a person reads is collected from every element AppTest sees: titles, markdown, captions,
notices, tabs, expanders, widget labels, options and placeholders, buttons, tables (headers and
cells). Names that are the same in both languages (file formats, SQL, the product's codes) are
listed in ALLOWED with the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from apptest_util import open_page

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted(p.name for p in (REPO / "pages").glob("*.py"))

# Latin words a Chinese page may show: names of formats and tools, and the SQL console's own
# language (its example queries, table and column names are code, shown as code)
ALLOWED = {
    "CSV", "XLSX", "XLS", "PDF", "PNG", "DOCX", "SQL", "DuckDB", "Parquet", "Excel", "ID", "URL", "YYYY", "MM", "DD",
    "UTC", "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "LIMIT", "AS", "AND", "OR", "SUM", "COUNT",
    # the language switch names the other language in that language, so a reader of it finds it
    "Language", "English",
    "Word",  # the .docx download names the program that opens it
}
# full-width and Chinese-only marks (curly quotes are English too)
CJK_PUNCT = re.compile(r"[，。：；（）、「」《》！？【】〔〕＝]")
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_`./-])[A-Za-z]{2,}(?![A-Za-z0-9_`(/-])")


def _texts(at) -> list[str]:
    """Everything on the page a person reads, element by element."""
    out: list[str] = []

    def add(x):
        if x is None:
            return
        out.append(str(x))

    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "text", "latex"):
        for el in at.get(kind):
            add(getattr(el, "value", None) or getattr(el, "body", None))
    for el in at.get("tab"):
        add(el.label)
    for el in at.get("expander"):
        add(el.label)
    for kind in ("selectbox", "multiselect", "radio", "text_input", "number_input", "date_input", "checkbox",
                 "toggle", "text_area", "slider", "select_slider"):
        for el in at.get(kind):
            add(getattr(el, "label", None))
            add(getattr(el, "help", None))
            add(getattr(el, "placeholder", None) or getattr(el.proto, "placeholder", None))
            for o in getattr(el, "options", []) or []:
                add(o)
    for kind in ("button", "download_button"):
        for el in at.get(kind):
            add(el.label)
    for el in at.get("metric"):
        add(el.label)
        add(el.value)
    for el in at.get("dataframe"):
        df = el.value
        # a column's header is its column_config label when it has one; hidden columns are not read
        config = json.loads(el.proto.columns or "{}")
        for col in df.columns:
            conf = config.get(str(col)) or config.get(f"col:{col}") or config.get(f"name:{col}") or {}
            if conf.get("hidden"):
                continue
            add(conf.get("label") or col)
            out.extend(str(v) for v in df[col].tolist() if isinstance(v, str))
    return out


def _visible(text: str) -> str:
    """Markdown as read: no <style>/<script> blocks, no tags or attributes."""
    text = re.sub(r"<(style|script)\b.*?</\1>", "", text, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


def _latin_words(text: str) -> set[str]:
    text = _visible(text)
    text = re.sub(r"`[^`]*`", "", text)  # code spans (SQL, file names) are code, not UI words
    text = re.sub(r"\b[\w./-]+\.(py|sql|yaml|csv|xlsx|parquet|json|toml)\b", "", text)
    # identifiers a person types elsewhere as they are: login accounts (admin@demo) and the store's
    # version ids (training@3, what `target-monitor imports undo` takes)
    text = re.sub(r"[\w.+-]+@[\w.-]+", "", text)
    return {w for w in LATIN_WORD.findall(text) if w not in ALLOWED}


def _code_words(data_dir) -> set[str]:
    """The SQL console's view, column and type names: code the console shows as it is typed."""
    from datetime import date

    from target_monitor.context import Context
    from target_monitor.sandbox import Sandbox

    words: set[str] = {"own"}  # the target_basis values (own / allocation_sum) as SQL reads them
    for view in Sandbox(Context(data_dir), 2020, date(2020, 6, 30)).views:
        for name, typ, _ in view.columns:
            words |= set(re.findall(r"[A-Za-z]+", f"{view.name} {name} {typ}"))
    return words


@pytest.mark.parametrize("page", PAGES)
def test_chinese_ui_has_no_english_words(demo_env, page, tmp_path):
    trail = demo_env / "logs" / "audit.jsonl"
    if page == "audit.py" and trail.exists():
        # the trail's lines are recorded data (accounts, SQL text, file names) written by the tests
        # that ran before on this worker, not the page's words: read the page with an empty trail
        trail.rename(tmp_path / "audit.jsonl")
    try:
        at = open_page(page, "zh")
    finally:
        if (tmp_path / "audit.jsonl").exists():
            (tmp_path / "audit.jsonl").rename(trail)
    code = _code_words(demo_env) if page == "console.py" else set()
    found = {}
    for text in _texts(at):
        words = _latin_words(text) - code
        if words:
            found[text[:80]] = sorted(words)
    assert not found, found
    # an empty multiselect (or a selectbox without a value) shows its placeholder: Streamlit's
    # own is English ("Choose options"), so every one must bring ours
    for el in list(at.get("multiselect")) + [s for s in at.get("selectbox") if not s.proto.HasField("default")]:
        assert el.proto.placeholder.strip(), f"{el.label}: no placeholder"


@pytest.mark.parametrize("page", PAGES)
def test_english_ui_has_no_chinese_punctuation(demo_env, page):
    at = open_page(page, "en")
    found = [_visible(text)[:120] for text in _texts(at) if CJK_PUNCT.search(_visible(text))]
    assert not found, found
