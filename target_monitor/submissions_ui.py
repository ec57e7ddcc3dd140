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
    if exc.code == "form_invalid":  # each line's problem on a line of its own
        return "\n".join([t("sub_e_form_invalid", lang, n=exc.details["n"])] + [
            "- " + t("subf_e_" + p["code"], lang, **(p if lang == "zh" else {
                **p, "indicator": p.get("indicator_en", ""), "unit": p.get("unit_en", "")}))
            for p in exc.details["problems"]])
    details = dict(exc.details)
    if details.get("status") in submissions.STATES:
        details["status"] = t("sub_status_" + details["status"], lang)
    if lang == "en" and "reasons_en" in details:
        details["reasons"] = details["reasons_en"]
    if lang == "en" and "level_name_en" in details:
        details["level_name"] = details["level_name_en"]
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
    mode = st.radio(t("subf_mode", lang), ["file", "form"], key="sub_mode", horizontal=True,
                    format_func=lambda m: t("subf_mode_" + m, lang))
    if mode == "form":
        _form(actor, data_dir, lang, unit, period, note)
        return
    upload = st.file_uploader(t("sub_file", lang), key="sub_file", type=["csv", "xlsx", "xls", "parquet"])
    if st.button(t("sub_submit_button", lang), key="sub_submit", type="primary", disabled=upload is None):
        try:
            sub = submissions.submit(data_dir, actor, upload.getvalue(), upload.name, unit=unit, period=period,
                                     note=note)
        except submissions.SubmissionError as exc:
            st.error(_error(exc, lang))
        else:
            _flash(t("sub_cli_submitted", lang, **sub))


FORM_DRAFT = "_subf_draft"  # the draft being edited (its id), or absent for a new form


def _load_draft(data_dir: Path, inds) -> None:
    """Fill the form's widgets from the chosen draft (or empty them for a new form)."""
    chosen = st.session_state.get("subf_draft_pick") or ""
    draft = submissions.get(data_dir, chosen) if chosen else None
    lines = {ln["indicator"]: ln for ln in (draft or {}).get("form") or []}
    for ind in inds:
        st.session_state[f"subf_basis_{ind.name}"] = lines.get(ind.name, {}).get("basis", "当月")
        st.session_state[f"subf_value_{ind.name}"] = str(lines.get(ind.name, {}).get("value", "") or "")
    if draft:
        st.session_state[FORM_DRAFT] = draft["id"]
        st.session_state["sub_period"] = draft["period"]
        st.session_state["sub_note"] = draft.get("note", "")
    else:
        st.session_state.pop(FORM_DRAFT, None)


def _form(actor, data_dir: Path, lang: str, unit: str, period: str, note: str) -> None:
    """在线填报: one line per indicator the unit reports (当月 or 累计); 保存草稿 or 提交审核."""
    from target_monitor.context import Context
    from target_monitor.submissions import form as form_mod

    ctx = Context(data_dir, require_data=False)
    year = int(period[:4]) if period[:4].isdigit() else ctx.default_year()
    inds = form_mod.indicators_for(ctx, unit, year)
    drafts = [d for d in submissions.list_submissions(data_dir, unit=unit, status="draft") if d.get("form") is not None]
    if drafts:
        st.selectbox(t("subf_open_draft", lang), [""] + [d["id"] for d in drafts], key="subf_draft_pick",
                     on_change=_load_draft, args=(data_dir, inds),
                     format_func=lambda i: t("subf_new", lang) if not i else
                     f"{i} · {next(d['period'] for d in drafts if d['id'] == i)}")
    editing = st.session_state.get(FORM_DRAFT)
    if editing:
        st.caption(t("subf_editing", lang, id=editing))
    st.caption(t("subf_intro", lang))
    lines = []
    for ind in inds:
        c1, c2, c3 = st.columns([3, 1, 2])
        c1.markdown(f"{ind.label[lang]}（{ind.unit[lang]}）" if lang == "zh" else f"{ind.label[lang]} ({ind.unit[lang]})")
        basis = c2.selectbox(t("subf_col_basis", lang), form_mod.BASES, key=f"subf_basis_{ind.name}",
                             label_visibility="collapsed")
        value = c3.text_input(t("subf_col_value", lang), key=f"subf_value_{ind.name}", label_visibility="collapsed",
                              placeholder=t("subf_col_value", lang))
        lines.append({"indicator": ind.name, "basis": basis, "value": value.strip()})
    b1, b2 = st.columns(2)
    save = b1.button(t("subf_save_draft", lang), key="subf_save")
    send = b2.button(t("subf_submit", lang), key="subf_submit", type="primary")
    if not (save or send):
        return
    try:
        if save:
            draft = submissions.save_draft(data_dir, actor, unit=unit, period=period, note=note, form=lines,
                                           draft_id=editing)
            st.session_state[FORM_DRAFT] = draft["id"]
            _flash(t("subf_saved", lang, **draft))
        if editing:  # the draft's latest lines are the ones on the screen
            submissions.save_draft(data_dir, actor, unit=unit, period=period, note=note, form=lines, draft_id=editing)
        sub = submissions.submit_form(data_dir, actor, unit=unit, period=period, lines=lines, note=note,
                                      draft_id=editing)
    except submissions.SubmissionError as exc:
        st.error(_error(exc, lang))
    else:
        st.session_state.pop(FORM_DRAFT, None)
        _flash(t("sub_cli_submitted", lang, **sub))


def _review(actor, data_dir: Path, lang: str) -> None:
    from target_monitor.submissions.config import load_config

    levels = load_config(data_dir).levels
    pending = submissions.awaiting(data_dir, actor)
    st.subheader(t("sub_pending_title", lang, n=len(pending)))
    if not pending:
        st.info(t("sub_cli_none", lang))
    for sub in pending:
        with st.expander(f"{sub['id']} · {sub['unit']} · {sub['period']} · {sub['file']}", expanded=True):
            st.caption(t("sub_pending_line", lang, **sub))
            level = min(int(sub.get("level") or 1), len(levels))
            if len(levels) > 1:
                st.caption(t("sub_level_line", lang, level=level, levels=len(levels),
                             name=levels[level - 1].label(lang)))
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
                           t("sub_cli_approved_level", lang, id=done["id"], level=level, next=done["level"],
                             next_name=levels[done["level"] - 1].label(lang)) if done["status"] == "submitted" else
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


STATUS_COLOURS = {"overdue": "#f8d0d0", "pending": "#fdebc8", "returned": "#fbd9b8", "approved": "#d6f0d6"}


def status_table(data_dir: Path, actor, year: int, as_of, lang: str, ctx=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the long unit × month status rows the actor may see, the matrix in the UI's words)."""
    from target_monitor.context import Context
    from target_monitor.submissions.status import month_status

    ctx = ctx or Context(Path(data_dir), require_data=False)
    units = ctx.ref.units
    df = month_status(data_dir, year, as_of, ctx=ctx)
    if not actor.role.all_units:  # a clerk (or a 街镇领导) sees its own unit's row
        own = set(units.subtree(actor.unit)) if actor.unit in {u.code for u in units} else set()
        df = df[df["unit_code"].isin(own)]
    label = {s: t("rep_status_" + s, lang) for s in ("unreported", "pending", "returned", "approved", "overdue")}
    label[""] = t("rep_not_due", lang)
    wide = df.pivot(index="unit_code", columns="month", values="status").reindex(
        [c for c in dict.fromkeys(df["unit_code"])])
    matrix = pd.DataFrame({t("rep_col_unit", lang): [unit_label(units[c], lang) for c in wide.index]})
    for m in range(1, 13):
        matrix[t("rep_col_month", lang, m=m)] = [label[s] for s in wide[m]] if m in wide else ""
    return df, matrix


def render_status(actor, data_dir: Path, lang: str, year: int, as_of, ctx=None) -> None:
    """报送情况: the unit × month matrix with counts, the 逾期 units, a download."""
    from target_monitor.submissions.config import load_config
    from target_monitor.submissions.status import STATUSES, overdue_sentence

    data_dir = Path(data_dir)
    rule = t("rep_rule", lang, day=load_config(data_dir).deadline_day)
    st.caption(t("rep_intro", lang, rule=rule))
    df, matrix = status_table(data_dir, actor, year, as_of, lang, ctx=ctx)
    counts = df["status"].value_counts()
    st.markdown(t("rep_counts", lang, counts=("，" if lang == "zh" else ", ").join(
        t("rep_count_item", lang, status=t("rep_status_" + s, lang), n=int(counts.get(s, 0))) for s in STATUSES)))
    colour = {t("rep_status_" + s, lang): c for s, c in STATUS_COLOURS.items()}
    st.dataframe(matrix.style.map(lambda v: f"background-color: {colour[v]}" if v in colour else ""),
                 hide_index=True, width="stretch")
    from target_monitor.context import Context

    units = (ctx or Context(data_dir, require_data=False)).ref.units
    overdue = [{"unit": c, "months": [int(m) for m in part["month"]]}
               for c, part in df[df["status"] == "overdue"].groupby("unit_code", sort=False)]
    if overdue:
        st.warning(overdue_sentence(overdue, units, lang, data_dir))
    else:
        st.success(t("rep_overdue_none", lang, date=str(as_of)))
    from target_monitor import ui

    ui.download_buttons(matrix, f"reporting_{year}_{as_of}", lang, key="rep_download", audit_what="reporting_status")
