"""镇街对比: the task breakdown table with actuals, and a ranked bar chart per indicator."""

import streamlit as st

from target_monitor import charts, ui
from target_monitor.tables import compact_table, detail_table, official_table, style_compact, style_official

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
LAYOUTS = ["compact", "full"]
c1, c2 = st.columns([2, 1])
sort_by = c1.selectbox(
    f.t("sort_by"), options, key="compare_sort", index=options.index(ui.url_choice("sort", options)),
    format_func=lambda n: f.t("sort_official") if n is None else ctx.registry.get(n).label[lang],
)
# compact: one column per indicator, fits 1366 wide; full: the official column order
layout = c2.radio(f.t("compare_layout"), LAYOUTS, key="compare_layout", horizontal=True,
                  index=LAYOUTS.index(ui.url_choice("layout", LAYOUTS, "compact")),
                  format_func=lambda x: f.t("compare_layout_" + x))
ui.keep_choice("sort", sort_by)
ui.keep_choice("layout", None if layout == "compact" else layout)
table, columns = official_table(df, ctx.registry, ctx.ref.units, lang, sort_by=sort_by, missing=f.missing_months())
tab_table, tab_detail = st.tabs([f.t("tab_breakdown"), f.t("tab_detail")])
with tab_table:
    # drill-down: a click on a unit's name (or a row's checkbox) opens its detail
    by_label = {label: code for code, label in names.items()}
    if layout == "compact":
        shown, compact_cols, notes = compact_table(df, ctx.registry, ctx.ref.units, lang, sort_by=sort_by)
        styled = style_compact(shown, compact_cols)
        config = None  # columns sized to their content: the compact table fits 1366 wide
    else:
        shown, notes = table, []
        styled = style_official(table, columns, ctx.registry, lang)
        config = None
    picked = st.dataframe(styled, hide_index=True, placeholder="—", width="stretch", column_config=config,
                          height=(len(shown) + 1) * 35 + 3,
                          on_select="rerun", selection_mode=["single-row", "single-cell"],
                          key=f"compare_table_{layout}")
    for note in notes:
        st.caption(note)
    st.caption(f.t("drill_hint"))
    name_col = f.t("unit_name")
    rows = list(picked.selection.rows) + [r for r, col in picked.selection.get("cells", []) if col == name_col]
    ui.drill_to_unit([by_label.get(shown.iloc[i][name_col]) for i in rows])
    ui.download_buttons(table, f"progress_{f.as_of}", lang, key="compare_dl")  # CSV + XLSX, neutralised
with tab_detail:
    detail = detail_table(df, ctx.registry, ctx.ref.units, lang)
    st.dataframe(detail, hide_index=True, width="stretch", height=600, placeholder="—")
    ui.download_buttons(detail, f"progress_detail_{f.as_of}", lang, key="compare_detail_dl")

st.divider()
ind_names = [i.name for i in indicators]
chart_ind = st.selectbox(f.t("choose_indicator"), ind_names, key="compare_chart_ind",
                         index=ind_names.index(ui.url_choice("indicator", ind_names, ind_names[0])),
                         format_func=lambda n: ctx.registry.get(n).label[lang])
ui.keep_choice("indicator", chart_ind)
ind = ctx.registry.get(chart_ind)
children = df[(df["level"] == "child") & (df["indicator"] == ind.name)]
clicked = st.plotly_chart(charts.ranked_bars(ind, children, tp, lang, names), key="ranked",
                          config={"displayModeBar": False}, on_select="rerun", selection_mode="points")
ui.drill_to_unit([by_label.get(p.get("y")) for p in clicked.selection.points])  # drill-down
