"""操作留痕: the audit trail (管理员), filtered and downloadable, and why a user sees what it sees."""

from datetime import date

import pandas as pd
import streamlit as st

from target_monitor import access, ui
from target_monitor.access import audit
from target_monitor.access.roles import ACTIONS as ROLE_ACTIONS
from target_monitor.i18n import t

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
                      format_func=lambda a: a or t("audit_all", lang)) or None
trail = audit.read(data_dir, since=since if isinstance(since, date) else None, user=user, action=action)
st.caption(t("audit_rows", lang, n=f"{len(trail):,}"))
st.dataframe(trail.iloc[::-1], hide_index=True, width="stretch")
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
    rows = [(f"page:{p}", *access.explain(actor, f"page:{p}")) for p in access.ALL_PAGES]
    rows += [(a, *access.explain(actor, a)) for a in ROLE_ACTIONS]
    st.dataframe(pd.DataFrame([(a, t("audit_yes" if ok else "audit_no", lang), why) for a, ok, why in rows],
                              columns=[t("audit_action", lang), "", "why"]), hide_index=True, width="stretch")
