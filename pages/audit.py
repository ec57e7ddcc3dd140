"""操作留痕: the audit trail (管理员), filtered and downloadable, and why a user sees what it sees."""

from datetime import date

import pandas as pd
import streamlit as st

from target_monitor import access, ui
from target_monitor.access import audit
from target_monitor.access.roles import ACTIONS as ROLE_ACTIONS
from target_monitor.i18n import TEXT, t


def audit_action_label(action: str, lang: str) -> str:
    key = "audit_act_" + action
    return t(key, lang) if key in TEXT else action


def action_label(action: str, lang: str) -> str:
    key = "role_action_" + action
    return t(key, lang) if key in TEXT else action


def audit_outcome_label(outcome: str, lang: str) -> str:
    key = "audit_outcome_" + str(outcome)
    return t(key, lang) if key in TEXT else str(outcome)

lang = ui.current_lang()
data_dir = ui.data_dir()
if not access.allowed(ui.current_actor(), "view_audit"):  # the navigation hides it; a direct call stops here
    st.stop()

st.title(t("audit_title", lang))
st.caption(t("audit_intro", lang, path=audit.audit_path(data_dir)))
c1, c2, c3 = st.columns(3)
since = c1.date_input(t("audit_since", lang), value=None, key="audit_since", format="YYYY-MM-DD")
user = c2.text_input(t("audit_user", lang), key="audit_user").strip() or None
action = c3.selectbox(t("audit_action", lang), ["", *audit.ACTIONS], key="audit_action",
                      format_func=lambda a: audit_action_label(a, lang) if a else t("audit_all", lang)) or None
trail = audit.read(data_dir, since=since if isinstance(since, date) else None, user=user, action=action)
st.caption(t("audit_rows", lang, n=f"{len(trail):,}"))
# the trail as a person reads it: headers, actions, roles and outcomes in the UI's language (the
# download keeps the file's own fields and codes, for scripts)
shown = trail.iloc[::-1].copy()
if "action" in shown:
    shown["action"] = shown["action"].map(lambda a: audit_action_label(a, lang))
if "role" in shown:
    shown["role"] = shown["role"].map(lambda r: t("role_" + r, lang) if r else "—")
if "outcome" in shown:
    shown["outcome"] = shown["outcome"].map(lambda o: audit_outcome_label(o, lang))
shown = shown.rename(columns={c: t("audit_col_" + c, lang) for c in shown.columns if "audit_col_" + c in TEXT})
st.dataframe(shown, hide_index=True, placeholder="—", width="stretch")
ui.download_buttons(trail, f"audit_{date.today().isoformat()}", lang, key="audit_dl")

st.subheader(t("audit_why_title", lang))
try:
    config = access.load_access(data_dir)
except access.AccessConfigError as exc:
    st.error(t("access_config_error", lang, error=exc))
    st.stop()
who = st.selectbox(t("audit_why_user", lang), sorted(config.users), key="audit_why_user")
if who:
    actor = access.actor_for_user(who, config)
    role = t("role_" + actor.role_code, lang) if actor.role else "—"

    def reason(ok: bool) -> str:
        # the decision in words of the UI (access.explain's own reason is the log's, in English)
        if actor.role is None:
            return t("audit_why_norole", lang)
        if ok and not actor.role.all_units:
            return t("audit_why_allowed_unit", lang, role=role, unit=actor.unit or "—")
        return t("audit_why_allowed" if ok else "audit_why_denied", lang, role=role)

    rows = [(t("audit_why_page", lang, page=t("page_" + p, lang)), access.allowed(actor, f"page:{p}"))
            for p in access.ALL_PAGES]
    rows += [(action_label(a, lang), access.allowed(actor, a)) for a in ROLE_ACTIONS]
    st.dataframe(pd.DataFrame([(a, t("audit_yes" if ok else "audit_no", lang), reason(ok)) for a, ok in rows],
                              columns=[t("audit_action", lang), t("audit_answer", lang), t("audit_why_col", lang)]),
                 hide_index=True, width="stretch")
