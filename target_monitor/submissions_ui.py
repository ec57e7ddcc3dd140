"""报送审核 page body: a clerk submits its own unit's month and sees its submissions and return
reasons; a reviewer sees what approving each pending one would change, and approves or returns it.

`render(actor, data_dir, lang)` so a test can run it as any user (pages/submissions.py passes
the session's actor).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from target_monitor import access, submissions
from target_monitor.i18n import t, unit_label

FLASH = "_submissions_flash"


def _error(exc: submissions.SubmissionError, lang: str) -> str:
    details = dict(exc.details)
    if details.get("status") in submissions.STATES:
        details["status"] = t("sub_status_" + details["status"], lang)
    if lang == "en" and "reasons_en" in details:
        details["reasons"] = details["reasons_en"]
    return t("sub_e_" + exc.code, lang, **details)


def _table(rows: list[dict], lang: str) -> pd.DataFrame:
    cols = {"id": "sub_col_id", "unit": "sub_col_unit", "period": "sub_col_period", "status": "sub_col_status",
            "file": "sub_col_file", "accepted": "sub_col_accepted", "quarantined": "sub_col_quarantined",
            "submitted_by": "sub_col_submitted_by", "submitted_at": "sub_col_submitted_at",
            "reviewed_by": "sub_col_reviewed_by", "return_reason": "sub_col_return_reason",
            "import_id": "sub_col_import_id", "note": "sub_col_note"}
    df = pd.DataFrame([{k: r.get(k, "") for k in cols} for r in rows], columns=list(cols))
    df["status"] = [t("sub_status_" + s, lang) if s in submissions.STATES else s for s in df["status"]]
    return df.rename(columns={k: t(v, lang) for k, v in cols.items()})


def _flash(text: str) -> None:
    """Say it after the rerun that shows the new state (the lists above were drawn before the step)."""
    st.session_state[FLASH] = text
    st.rerun()


def _submit_form(actor, data_dir: Path, lang: str, units) -> None:
    st.subheader(t("sub_submit_title", lang))
    codes = [u.code for u in units]
    if actor.role.all_units:
        unit = st.selectbox(t("sub_col_unit", lang), codes, key="sub_unit",
                            format_func=lambda c: f"{c} {unit_label(units[c], lang)}")
    else:
        unit = actor.unit
        st.caption(t("sub_own_unit", lang, unit=unit or "-"))
    period = st.text_input(t("sub_period", lang), key="sub_period", placeholder="2020-07").strip()
    note = st.text_input(t("sub_note", lang), key="sub_note")
    upload = st.file_uploader(t("sub_file", lang), key="sub_file", type=["csv", "xlsx", "xls", "parquet"])
    if st.button(t("sub_submit_button", lang), key="sub_submit", type="primary", disabled=upload is None):
        try:
            sub = submissions.submit(data_dir, actor, upload.getvalue(), upload.name, unit=unit, period=period,
                                     note=note)
        except submissions.SubmissionError as exc:
            st.error(_error(exc, lang))
        else:
            _flash(t("sub_cli_submitted", lang, **sub))


def _review(actor, data_dir: Path, lang: str) -> None:
    pending = submissions.list_submissions(data_dir, status="submitted")
    st.subheader(t("sub_pending_title", lang, n=len(pending)))
    if not pending:
        st.info(t("sub_cli_none", lang))
    for sub in pending:
        with st.expander(f"{sub['id']} · {sub['unit']} · {sub['period']} · {sub['file']}", expanded=True):
            st.caption(t("sub_pending_line", lang, **sub))
            try:
                p = submissions.preview_of(data_dir, sub["id"])
            except Exception as exc:  # a kept file that no longer parses: say so, the reviewer can return it
                st.error(t("sub_preview_failed", lang, error=f"{type(exc).__name__}: {exc}"))
                p = {"changes": [], "figures": [], "quarantined": []}
            st.markdown(t("sub_preview_changes", lang))
            st.dataframe(pd.DataFrame(p["changes"]).rename(columns={
                "unit_code": t("sub_col_unit", lang), "month": t("sub_col_period", lang),
                "before": t("col_records_before", lang), "after": t("col_records_after", lang),
                "added": t("col_added", lang), "replaced": t("col_replaced", lang),
                "removed": t("col_removed", lang)}), hide_index=True)
            st.markdown(t("sub_preview_figures", lang))
            st.dataframe(pd.DataFrame(p["figures"]).rename(columns={
                "unit_code": t("sub_col_unit", lang), "month": t("sub_col_period", lang),
                "indicator": t("sub_col_indicator", lang), "before": t("sub_col_before", lang),
                "after": t("sub_col_after", lang)}), hide_index=True)
            q = p.get("quarantined") or []
            st.markdown(t("sub_preview_quarantined", lang, n=len(q)))
            if q:
                st.dataframe(pd.DataFrame([{t("sub_col_row", lang): r["row"],
                                            t("sub_col_reason", lang): r["reason_zh" if lang == "zh" else "reason_en"]}
                                           for r in q]), hide_index=True)
            reason = st.text_input(t("sub_return_reason", lang), key=f"sub_reason_{sub['id']}")
            c1, c2 = st.columns(2)
            approve = c1.button(t("sub_approve", lang), key=f"sub_approve_{sub['id']}", type="primary")
            ret = c2.button(t("sub_return", lang), key=f"sub_return_{sub['id']}")
            if approve or ret:
                try:
                    done = submissions.review(data_dir, actor, sub["id"], approve=approve, reason=reason)
                except submissions.SubmissionError as exc:
                    st.error(_error(exc, lang))
                else:
                    _flash(t("sub_cli_returned", lang, id=done["id"], reason=done["return_reason"])
                           if done["status"] == "returned" else
                           t("sub_cli_approved" if done["import_id"] else "sub_cli_approved_noop", lang,
                             id=done["id"], import_id=done["import_id"]))


def render(actor, data_dir: Path, lang: str) -> None:
    from target_monitor.paths import reference_dir
    from target_monitor.reference import load_reference

    data_dir = Path(data_dir)
    may_submit, may_review = access.allowed(actor, "submit"), access.allowed(actor, "review")
    if not (may_submit or may_review):
        st.stop()
    st.title(t("page_submissions", lang))
    st.caption(t("sub_intro", lang))
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    units = load_reference(reference_dir(data_dir)).units
    if may_submit:
        _submit_form(actor, data_dir, lang, units)
    if may_review:
        _review(actor, data_dir, lang)
    rows = submissions.list_submissions(data_dir)
    if not actor.role.all_units:
        rows = [r for r in rows if r["unit"] == actor.unit]  # a clerk sees its own unit's submissions only
    if not actor.role.all_units:  # what the clerk has to correct, in words (not only in the table)
        for r in rows:
            if r["status"] == "returned" and not r.get("superseded_by"):
                st.warning(t("sub_returned_notice", lang, **r))
    st.subheader(t("sub_all_title" if actor.role.all_units else "sub_mine_title", lang))
    if rows:
        st.dataframe(_table(rows, lang), hide_index=True)
    else:
        st.info(t("sub_cli_none", lang))
