"""镇街对比: the task breakdown table with actuals, and a ranked bar chart per indicator."""

import streamlit as st

from target_monitor import charts, ui
from target_monitor.tables import detail_table, official_table, style_official

f = ui.frame()
ctx, lang = f.ctx, f.lang
df = f.progress()
tp = float(df["time_progress_pct"].iloc[0])
indicators = ctx.registry.indicators
names = f.unit_names()

st.title(f.t("compare_title"))
st.caption(f.t("time_progress_is", pct=f"{tp:.1f}"))
if not ctx.has_targets(f.year):
    st.info(f.t("no_targets_year", year=f.year))

options = [None] + [i.name for i in indicators]
sort_by = st.selectbox(
    f.t("sort_by"), options, key="compare_sort",
    format_func=lambda n: f.t("sort_official") if n is None else ctx.registry.get(n).label[lang],
)
table, columns = official_table(df, ctx.registry, ctx.ref.units, lang, sort_by=sort_by)
tab_table, tab_detail = st.tabs([f.t("tab_breakdown"), f.t("tab_detail")])
with tab_table:
    # drill-down: a click on a unit's row opens its detail
    by_label = {label: code for code, label in names.items()}
    picked = st.dataframe(style_official(table, columns, ctx.registry, lang), hide_index=True, width="stretch",
                          placeholder="—", height=(len(table) + 1) * 35 + 3,
                          on_select="rerun", selection_mode="single-row", key="compare_table")
    st.caption(f.t("drill_hint"))
    ui.drill_to_unit([by_label.get(table.iloc[i][f.t("unit_name")]) for i in picked.selection.rows])
    ui.download_buttons(table, f"progress_{f.as_of}", lang, key="compare_dl")  # CSV + XLSX, neutralised
with tab_detail:
    detail = detail_table(df, ctx.registry, ctx.ref.units, lang)
    st.dataframe(detail, hide_index=True, width="stretch", height=600, placeholder="—")
    ui.download_buttons(detail, f"progress_detail_{f.as_of}", lang, key="compare_detail_dl")

st.divider()
chart_ind = st.selectbox(f.t("choose_indicator"), [i.name for i in indicators], key="compare_chart_ind",
                         format_func=lambda n: ctx.registry.get(n).label[lang])
ind = ctx.registry.get(chart_ind)
children = df[(df["level"] == "child") & (df["indicator"] == ind.name)]
clicked = st.plotly_chart(charts.ranked_bars(ind, children, tp, lang, names), key="ranked",
                          config={"displayModeBar": False}, on_select="rerun", selection_mode="points")
ui.drill_to_unit([by_label.get(p.get("y")) for p in clicked.selection.points])  # drill-down
