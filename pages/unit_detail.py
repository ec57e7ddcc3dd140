"""镇街详情: one unit, all its indicators, its rank among siblings and its trend."""

import streamlit as st

from target_monitor import charts, followup_ui, ui
from target_monitor.progress import BASIS_OWN
from target_monitor.tables import unit_table

f = ui.frame()
ctx, lang = f.ctx, f.lang
names = f.unit_names()
root = f.parent  # the district, or the node chosen in a larger tree
children = ui.own_unit_codes([u.code for u in ctx.ref.units.children(root.code)])  # a clerk: its own units
if not children:
    st.info(f.t("access_no_units"))
    st.stop()

default = st.query_params.get("unit")
index = children.index(default) if default in children else 0
code = st.selectbox(f.t("choose_unit"), children, index=index, key="detail_unit", format_func=lambda c: names[c])
st.query_params["unit"] = code

st.title(f.t("unit_title", unit=names[code]))
progress = f.progress()
missing = f.missing_months().get(code)
if missing:
    st.warning(f.t("missing_months", months="、".join(f.t("month_n", m=m) for m in missing)))
if f.snapshot is None:  # who has reported what: the last month with records, per extract
    last = ctx.last_reported_by_extract(f.year, code)
    if last:
        sep = "、" if lang == "zh" else ", "
        st.caption(f.t("last_reported", items=sep.join(
            f.t("last_reported_item", extract=ctx.registry.extracts[e].label[lang], month=f.t("month_n", m=m))
            for e, m in last.items())))
table = unit_table(progress, code, ctx.registry, ctx.ref.units, lang)
st.dataframe(table, hide_index=True, width="stretch", placeholder="—")
ui.download_buttons(table, f"unit_{code}_{f.as_of}", lang, key="unit_dl")  # CSV + XLSX, neutralised
# drill-down to the records behind these figures
st.page_link("pages/records.py", label=f.t("records_link", unit=names[code]), query_params={"unit": code})

series = f.monthly()
for ind in ctx.registry.indicators:
    own = progress[(progress["unit_code"] == code) & (progress["indicator"] == ind.name)
                   & (progress["target_basis"] == BASIS_OWN)]
    if own.empty or (own["target"].isna().all() and not own["actual"].fillna(0).any()):
        continue  # nothing to show: no target and no records (e.g. 区就业局 and new employment)
    rows = series[(series["unit_code"] == code) & (series["indicator"] == ind.name)]
    st.plotly_chart(charts.trend_chart(ind, rows, f.year, own["target"].iloc[0], lang, title=ind.label[lang]),
                    key=f"unit_trend_{ind.name}", config={"displayModeBar": False})

# 情况说明: what the unit says about its red lights, and the reviewers' replies
followup_ui.unit_notes(f, code, ui.data_dir())
