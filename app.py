"""The frame: page config, sidebar (language, year, as-of date), data stamp, navigation.

Every page is registered here explicitly; `tests/test_pages.py` checks that each file in
pages/ appears exactly once.
"""

import runpy
from pathlib import Path

import streamlit as st

from target_monitor import ui
from target_monitor.i18n import t

st.set_page_config(page_title="就业目标任务监测 · Employment target monitor", layout="wide")

actor = ui.access_gate()  # who this is (login, or local mode), its scope set; stops when unknown
frame = ui.build_frame()
lang = frame.lang


def _overview_at_its_address() -> None:
    """/overview runs the overview too (the default page lives at the root address), so a link
    or bookmark to /overview works instead of showing "Page not found"."""
    runpy.run_path(str(Path(__file__).parent / "pages" / "overview.py"))


sections = {
    t("nav_dashboard", lang): [
        # served at the root address; its own path name must differ from the alias's below
        st.Page("pages/overview.py", title=t("page_overview", lang), url_path="home", default=True),
        st.Page(_overview_at_its_address, title=t("page_overview", lang), url_path="overview", visibility="hidden"),
        st.Page("pages/compare.py", title=t("page_compare", lang), url_path="compare"),
        st.Page("pages/trend.py", title=t("page_trend", lang), url_path="trend"),
        st.Page("pages/unit_detail.py", title=t("page_unit", lang), url_path="unit"),
    ],
    t("nav_meeting", lang): [  # meeting mode, ranking and flags, assessment scores, the briefing
        st.Page("pages/meeting.py", title=t("page_meeting", lang), url_path="meeting"),
        st.Page("pages/ranking.py", title=t("page_ranking", lang), url_path="ranking"),
        st.Page("pages/scores.py", title=t("page_scores", lang), url_path="scores"),
        st.Page("pages/briefing.py", title=t("page_briefing", lang), url_path="briefing"),
    ],
    t("nav_analysis", lang): [  # analyst tools
        st.Page("pages/records.py", title=t("page_records", lang), url_path="records"),
        st.Page("pages/explore.py", title=t("page_explore", lang), url_path="explore"),
        st.Page("pages/console.py", title=t("page_console", lang), url_path="console"),
    ],
    t("nav_data", lang): [
        st.Page("pages/snapshots.py", title=t("page_snapshots", lang), url_path="snapshots"),  # monthly snapshots
        st.Page("pages/data.py", title=t("page_data", lang), url_path="data"),  # ingest (数据管理)
        st.Page("pages/audit.py", title=t("page_audit", lang), url_path="audit"),  # access: the audit trail
        st.Page("pages/submissions.py", title=t("page_submissions", lang), url_path="submissions"),  # 报送审核
        st.Page("pages/reporting.py", title=t("page_reporting", lang), url_path="reporting"),  # 报送情况
        st.Page("pages/duban.py", title=t("page_duban", lang), url_path="duban"),  # 督办 (follow-up items)
    ],
}
try:
    st.navigation(ui.allowed_sections(sections, actor), expanded=True).run()  # every allowed page listed, no "View more"
finally:
    ui.clear_frame()
