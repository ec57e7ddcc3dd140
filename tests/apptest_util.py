"""AppTest helpers shared by the page tests: open a page the way a user would, read its text."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str, lang: str = "zh", timeout: float = 60) -> AppTest:
    """Run app.py (the frame) and switch to pages/<page>; fail on any exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    if page != "overview.py":
        at.switch_page(f"pages/{page}")
        at.run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    """Everything a person reads on the page: markdown, titles, captions, tables, notices."""
    parts = [m.value for m in at.markdown] + [t.value for t in at.title] + [c.value for c in at.caption]
    parts += [str(d.value.to_csv()) if hasattr(d.value, "to_csv") else str(d.value) for d in at.dataframe]
    parts += [x.value for x in at.info] + [x.value for x in at.success] + [x.value for x in at.warning]
    parts += [x.value for x in at.sidebar.info]
    return "\n".join(parts)
