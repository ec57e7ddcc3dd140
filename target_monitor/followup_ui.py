"""Page parts for 情况说明 and 督办 (the library is target_monitor/followup): the notes on the unit
detail page, the 督办 page body, and a clerk's own pack on the 月度快照 page.

Each takes the session's actor, so a test can run it as any user. Writes go through the library
(which checks the actor per unit and audits); a snapshot being viewed is read only.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from target_monitor import access
from target_monitor.followup import FollowupConfigError, FollowupError, duban, load_config, notes
from target_monitor.i18n import t, unit_label

FLASH = "_followup_flash"


def _error(exc: FollowupError, lang: str) -> str:
    details = dict(exc.details)
    if details.get("state") in duban.STATES:
        details["state"] = t("duban_state_" + details["state"], lang)
    return t("fu_e_" + exc.code, lang, **details)


def _flash(text: str) -> None:
    st.session_state[FLASH] = text
    st.rerun()


def _show_flash() -> None:
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))


def _config(data_dir: Path, lang: str):
    try:
        return load_config(data_dir)
    except FollowupConfigError as exc:
        st.error(t("fu_config_error", lang, error=exc))
        st.stop()


# --- unit detail: 情况说明 -------------------------------------------------------------------------

def unit_notes(f, code: str, live_dir: Path) -> None:
    """The unit's notes of the month beside its figures: which red lights still need one, the notes
    and replies, the clerk's form and the reviewer's reply."""
    lang, ctx = f.lang, f.ctx
    actor = _actor()
    month = notes.month_of(f.as_of)
    config = _config(live_dir, lang)
    source = ctx.data_dir  # a snapshot: the notes frozen in it
    cur = notes.current(source, month)
    progress = f.progress()
    own = progress[progress["unit_code"] == code]
    labels = {i.name: i.label[lang] for i in ctx.registry.indicators}
    st.subheader(t("notes_header", lang))
    st.caption(t("notes_intro", lang, month=month))
    _show_flash()
    lacking = [i for u, i in notes.missing(own, cur, config) if u == code]
    if lacking:
        st.warning(t("notes_missing_list", lang, names=("、" if lang == "zh" else ", ").join(labels.get(i, i)
                                                                                         for i in lacking)))
    mine = notes.notes_for(source, month=month, unit=code)
    if mine:
        st.dataframe(pd.DataFrame([{
            t("indicator", lang): labels.get(n["indicator"], n["indicator"]),
            t("notes_col_text", lang): n["text"],
            t("notes_col_user", lang): n["user"],
            t("notes_col_time", lang): n["time_utc"][:16].replace("T", " "),
            t("notes_col_replies", lang): " | ".join(f"{r['user']}: {r['text']}" for r in n["replies"]),
        } for n in reversed(mine)]), hide_index=True, width="stretch")
    else:
        st.caption(t("notes_none", lang))
    if f.snapshot is not None:
        st.caption(t("notes_in_snapshot", lang))
        return
    required = set(notes.needs_note(own, config)["indicator"])
    if access.allowed(actor, "submit", "unit:" + code):
        names = [i.name for i in ctx.registry.indicators if i.name in set(own["indicator"])]
        order = sorted(names, key=lambda n: (n not in lacking, n not in required))  # what is owed first
        with st.form(f"note_form_{code}", clear_on_submit=True):
            ind = st.selectbox(t("notes_choose_indicator", lang), order, key="note_indicator",
                               format_func=lambda n: labels[n] + (f" · {t('notes_missing', lang)}" if n in lacking
                                                                  else ""))
            text = st.text_area(t("notes_text", lang), key="note_text", max_chars=config.max_chars)
            if st.form_submit_button(t("notes_save", lang), type="primary"):
                try:
                    notes.add_note(live_dir, actor, unit=code, indicator=ind, month=month, text=text,
                                   indicators=names, config=config)
                except FollowupError as exc:
                    st.error(_error(exc, lang))
                else:
                    _flash(t("notes_saved", lang))
    if mine and access.allowed(actor, "review"):
        ids = [n["id"] for n in reversed(mine)]
        by_id = {n["id"]: n for n in mine}
        with st.form(f"reply_form_{code}", clear_on_submit=True):
            nid = st.selectbox(t("notes_reply_to", lang), ids, key="note_reply_to",
                               format_func=lambda i: f"{labels.get(by_id[i]['indicator'])}: {by_id[i]['text'][:40]}")
            text = st.text_area(t("notes_reply_text", lang), key="note_reply_text", max_chars=config.max_chars)
            if st.form_submit_button(t("notes_reply_save", lang)):
                try:
                    notes.add_reply(live_dir, actor, nid, text, config=config)
                except FollowupError as exc:
                    st.error(_error(exc, lang))
                else:
                    _flash(t("notes_replied", lang))


def _actor():
    from target_monitor import ui

    return ui.current_actor()


# --- the 督办 page -------------------------------------------------------------------------------

def item_table(rows: list[dict], names: dict[str, str], labels: dict[str, str], lang: str, today: date) -> pd.DataFrame:
    return pd.DataFrame([{
        t("duban_col_id", lang): it["id"],
        t("duban_col_unit", lang): names.get(it["unit"], it["unit"]),
        t("indicator", lang): labels.get(it["indicator"], it["indicator"]),
        t("duban_col_state", lang): t("duban_state_" + it["state"], lang),
        t("duban_col_month", lang): it.get("opened_month") or "",
        t("duban_col_red", lang): ", ".join(it["red_months"]),
        t("duban_col_due", lang): it.get("due_on") or "",
        t("duban_col_overdue", lang): t("duban_overdue_yes", lang) if duban.is_overdue(it, today) else "",
        t("duban_col_feedback", lang): it.get("feedback") or "",
        t("duban_col_escalation", lang): (it.get("escalation") or "") if it.get("escalated") else "",
        t("duban_col_closed_by", lang): it.get("closed_by") or "",
    } for it in rows], columns=[t(k, lang) for k in (
        "duban_col_id", "duban_col_unit", "indicator", "duban_col_state", "duban_col_month", "duban_col_red",
        "duban_col_due", "duban_col_overdue", "duban_col_feedback", "duban_col_escalation", "duban_col_closed_by")])


def _escalation_text(it: dict, config, lang: str) -> str:
    return config.escalation_text(lang) if it.get("escalated") else ""


def duban_page(f, live_dir: Path, today: date | None = None) -> None:
    lang, ctx = f.lang, f.ctx
    actor = _actor()
    today = today or date.today()
    config = _config(live_dir, lang)
    st.title(t("duban_title", lang))
    st.caption(t("duban_intro", lang))
    _show_flash()
    source = ctx.data_dir  # a snapshot being viewed: its frozen items
    names = {u.code: unit_label(u, lang) for u in ctx.ref.units}
    labels = {i.name: i.label[lang] for i in ctx.registry.indicators}
    own = None if actor is None or actor.role is None or actor.role.all_units else set(
        ctx.ref.units.subtree(actor.unit)) if actor.unit else set()
    live = f.snapshot is None
    if live and access.allowed(actor, "review"):
        month = notes.month_of(f.as_of)
        is_month_end = (f.as_of + pd.Timedelta(days=1)).month != f.as_of.month
        if not is_month_end:
            st.caption(t("duban_open_not_month_end", lang))
        elif st.button(t("duban_open_month", lang, month=month), key="duban_open"):
            try:
                new = duban.open_for_month(live_dir, actor, f.progress(), month, config, lang)
            except FollowupError as exc:
                st.error(_error(exc, lang))
            else:
                _flash(t("duban_opened", lang, opened=sum(e["event"] == "open" for e in new),
                         reopened=sum(e["event"] == "reopen" for e in new),
                         escalated=sum(e["event"] == "escalate" for e in new)))
    state = st.selectbox(t("duban_col_state", lang), ["", *duban.STATES], key="duban_state",
                         format_func=lambda s: t("duban_state_" + s, lang) if s else t("duban_all_states", lang))
    rows = duban.items(source, units=own, state=state or None)
    if not rows:
        st.info(t("duban_none", lang))
        return
    # a language's own escalation words (the file keeps the words of the language it was opened in)
    for it in rows:
        if it.get("escalated"):
            it["escalation"] = _escalation_text(it, config, lang)
    st.dataframe(item_table(rows, names, labels, lang, today), hide_index=True, width="stretch")
    ids = [it["id"] for it in rows]
    by_id = {it["id"]: it for it in rows}
    iid = st.selectbox(t("duban_choose_item", lang), ids, key="duban_item",
                       format_func=lambda i: f"{names.get(by_id[i]['unit'])} · {labels.get(by_id[i]['indicator'])}"
                                             f" · {t('duban_state_' + by_id[i]['state'], lang)}")
    it = by_id[iid]
    st.markdown(f"**{t('duban_history', lang)}**")
    st.dataframe(pd.DataFrame([{
        t("duban_col_event", lang): t("duban_event_" + e["event"], lang),
        t("duban_col_month", lang): e.get("month", ""),
        t("duban_col_time", lang): str(e.get("time_utc", ""))[:16].replace("T", " "),
        t("duban_col_user", lang): e.get("user", ""),
        t("duban_col_text", lang): _escalation_text(it, config, lang) if e["event"] == "escalate" else e.get("text", ""),
    } for e in it["history"]]), hide_index=True, width="stretch")
    if not live:
        return
    if it["state"] != "closed" and access.allowed(actor, "submit", "unit:" + it["unit"]):
        with st.form("duban_feedback_form", clear_on_submit=True):
            text = st.text_area(t("duban_feedback_text", lang), key="duban_feedback_text", max_chars=config.max_chars)
            if st.form_submit_button(t("duban_feedback_save", lang), type="primary"):
                _do(duban.feedback, live_dir, actor, iid, text, config, lang)
    if it["state"] == "answered" and access.allowed(actor, "review"):
        with st.form("duban_close_form", clear_on_submit=True):
            text = st.text_input(t("duban_close_text", lang), key="duban_close_text")
            if st.form_submit_button(t("duban_close_save", lang), type="primary"):
                _do(duban.close, live_dir, actor, iid, text, config, lang)


def _do(step, live_dir, actor, iid, text, config, lang) -> None:
    try:
        step(live_dir, actor, iid, text, config)
    except FollowupError as exc:
        st.error(_error(exc, lang))
    else:
        _flash(t("duban_done", lang, id=iid))


# --- the 月度快照 page: a clerk's own pack ------------------------------------------------------------

def clerk_packs(actor, snaps: list, units, lang: str, audit) -> None:
    """A clerk sees the snapshots and downloads its own unit's pack only (every download audited);
    the whole report, with every unit's figures, stays with the district."""
    from target_monitor.snapshots.per_unit import pack_files

    st.subheader(t("pack_header", lang))
    st.caption(t("pack_intro", lang))
    if not snaps:
        st.info(t("snap_none", lang))
        return
    ids = [s.snapshot_id for s in snaps]
    chosen = snaps[ids.index(st.selectbox(t("snap_choose", lang), ids, key="pack_snap"))]
    codes = [c for c in units.subtree(actor.unit) if pack_files(chosen.path, c)] if actor.unit else []
    if not codes:
        st.caption(t("pack_none_built", lang))
    for code in codes:  # the clerk's unit (and any under it): never another unit's pack
        files = pack_files(chosen.path, code)
        st.markdown(f"**{unit_label(units[code], lang)}**")
        mime = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
        for col, (ext, path) in zip(st.columns(2), sorted(files.items(), key=lambda kv: kv[0] != "pdf")):
            name = f"{chosen.snapshot_id}_{code}.{ext}"
            col.download_button(t(f"pack_download_{ext}", lang), path.read_bytes(), file_name=name,
                                mime=mime[ext], key=f"pack_dl_{code}_{ext}",
                                on_click=audit, args=("download", name), kwargs={"what": "unit_pack"})
