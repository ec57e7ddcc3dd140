"""SQL查询: read-only SQL over documented views, in the sandbox (target_monitor/sandbox.py)."""

import pandas as pd
import streamlit as st

from target_monitor import ui
from target_monitor.sandbox import (
    DEFAULT_DISPLAY_ROWS, DEFAULT_TIMEOUT_S, EXAMPLES, MAX_DISPLAY_ROWS, MAX_DOWNLOAD_ROWS, MAX_TIMEOUT_S,
    MIN_TIMEOUT_S, SqlError, sql_hash,
)

f = ui.frame()
lang = f.lang
sb = ui.sandbox(f)

st.title(f.t("console_title"))
st.caption(f.t("console_intro", year=f.year, as_of=f.as_of.isoformat()))

if "console_sql" not in st.session_state:
    st.session_state["console_sql"] = EXAMPLES[0][1]


def use_example() -> None:
    st.session_state["console_sql"] = dict(EXAMPLES)[st.session_state["console_example"]]


browser, editor = st.columns([1, 2])
with browser:
    st.subheader(f.t("console_examples"))
    st.selectbox(f.t("console_examples"), [k for k, _ in EXAMPLES], key="console_example",
                 format_func=f.t, label_visibility="collapsed")
    st.button(f.t("console_use_example"), on_click=use_example, key="console_use")
    st.subheader(f.t("console_schema"))
    for view in sb.views:
        with st.expander(f"`{view.name}` · {view.description.get(lang, '')}"):
            st.dataframe(
                pd.DataFrame([(c, typ, d.get(lang, "")) for c, typ, d in view.columns],
                             columns=[f.t("col_column"), f.t("col_type"), f.t("col_description")]),
                hide_index=True, width="stretch",
            )

with editor:
    st.text_area(f.t("console_sql"), key="console_sql", height=220)
    c1, c2 = st.columns(2)
    timeout = c1.slider(f.t("console_timeout"), int(MIN_TIMEOUT_S), int(MAX_TIMEOUT_S), int(DEFAULT_TIMEOUT_S),
                        key="console_timeout")
    shown = c2.number_input(f.t("console_max_rows"), 1, MAX_DISPLAY_ROWS, DEFAULT_DISPLAY_ROWS, step=100,
                            key="console_rows")
    if st.button(f.t("console_run"), type="primary", key="console_run"):
        try:
            st.session_state["console_result"] = sb.run(st.session_state["console_sql"], timeout=timeout,
                                                        max_rows=MAX_DOWNLOAD_ROWS)
            st.session_state.pop("console_error", None)
            result = st.session_state["console_result"]
            ui.audit_event("console_query", result.sql_hash, "ok", sql=st.session_state["console_sql"],
                           rows=result.rows)
        except SqlError as exc:
            st.session_state["console_error"] = exc
            st.session_state.pop("console_result", None)
            ui.audit_event("console_query", sql_hash(st.session_state["console_sql"] or ""), exc.status,
                           sql=st.session_state["console_sql"], reason=exc.key)

    error = st.session_state.get("console_error")
    result = st.session_state.get("console_result")
    if error is not None:
        st.error(error.text(lang))
    elif result is not None:
        st.caption(f.t("console_rows", rows=f"{result.rows:,}{'+' if result.truncated else ''}",
                       seconds=f"{result.duration_s:.2f}"))
        if result.rows > shown:
            st.warning(f.t("console_truncated", shown=f"{int(shown):,}", cap=f"{MAX_DOWNLOAD_ROWS:,}"))
        if result.truncated:
            st.warning(f.t("console_download_capped", cap=f"{MAX_DOWNLOAD_ROWS:,}"))
        st.dataframe(result.frame.head(int(shown)), hide_index=True, placeholder="—", width="stretch")
        ui.download_buttons(result.frame, f"query_{result.sql_hash}", lang, key="console_dl",
                            audit_what=f"console query {result.sql_hash}")
