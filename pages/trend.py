"""趋势: monthly and cumulative series per indicator against the pace line, with last year."""

import streamlit as st

from target_monitor import charts, ui
from target_monitor.progress import BASIS_ALLOCATION, BASIS_OWN

f = ui.frame()
ctx, lang = f.ctx, f.lang
names = f.unit_names()
root = f.parent  # the district, or the node chosen in a larger tree
choices = [root.code] + [u.code for u in ctx.ref.units.children(root.code)]

st.title(f.t("trend_title"))
c1, c2 = st.columns([1, 2])
ind_names = [i.name for i in ctx.registry.indicators]
ind_name = c1.selectbox(f.t("choose_indicator"), ind_names, key="trend_ind",
                        index=ind_names.index(ui.url_choice("indicator", ind_names, ind_names[0])),
                        format_func=lambda n: ctx.registry.get(n).label[lang])
# ?units=CODE,CODE: a link opens the same units
url_units = [c for c in (st.query_params.get("units") or "").split(",") if c in choices]
units = c2.multiselect(f.t("choose_units"), choices, default=url_units or [root.code], key="trend_units",
                       format_func=lambda c: names[c], placeholder=f.t("choose_options"))
ui.keep_choice("indicator", ind_name)
ui.keep_choice("units", units)
ind = ctx.registry.get(ind_name)
series = f.monthly()
progress = f.progress()

cols = st.columns(2) if len(units) > 1 else [st.container()]
for i, code in enumerate(units):
    rows = series[(series["unit_code"] == code) & (series["indicator"] == ind.name)]
    rows_now = progress[(progress["unit_code"] == code) & (progress["indicator"] == ind.name)]
    own = rows_now[rows_now["target_basis"] == BASIS_OWN]
    alloc = rows_now[rows_now["target_basis"] == BASIS_ALLOCATION]
    target = own["target"].iloc[0] if len(own) else None
    alloc_target = alloc["target"].iloc[0] if len(alloc) else None
    with cols[i % len(cols)]:
        st.plotly_chart(charts.trend_chart(ind, rows, f.year, target, lang, title=f"{names[code]} · {ind.label[lang]}",
                                           allocation_target=alloc_target),
                        key=f"trend_{code}", config={"displayModeBar": False})
        if code != root.code:  # drill-down to the unit's detail
            st.page_link("pages/unit_detail.py", label=f.t("unit_title", unit=names[code]), query_params={"unit": code})

# download the series shown
shown = series[series["unit_code"].isin(units) & (series["indicator"] == ind.name)]
ui.download_buttons(shown, f"trend_{ind.name}_{f.as_of}", lang, key="trend_dl")
