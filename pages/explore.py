"""自助分析: filters and a pivot of one indicator over the dimensions the registry declares."""

import streamlit as st

from target_monitor import explore, ui
from target_monitor.i18n import dimension_value
from target_monitor.reference import UNIT_TYPES

f = ui.frame()
ctx, lang = f.ctx, f.lang
reg = ctx.registry
names = f.unit_names()
units = list(ctx.ref.units)

st.title(f.t("explore_title"))
c1, c2, c3 = st.columns([2, 1, 3])
# an indicator only units report (城镇登记失业率) has no records to slice: not offered here
ind_name = c1.selectbox(f.t("explore_indicator"), [i.name for i in reg.record_indicators], key="explore_ind",
                        format_func=lambda n: reg.get(n).label[lang])
ind = reg.get(ind_name)
levels = ["all"] + sorted({u.unit_type for u in units}, key=UNIT_TYPES.index)  # any tree: province … community
level = c2.selectbox(f.t("explore_level"), levels, key="explore_level", format_func=lambda x: f.t("level_" + x))
in_level = [u.code for u in units if level == "all" or u.unit_type == level]
picked = c3.multiselect(f.t("explore_units"), in_level, key=f"explore_units_{level}", format_func=lambda c: names[c],
                        placeholder=f.t("explore_any"))
chosen_units = tuple(picked or (in_level if level != "all" else ()))

dims = explore.dimensions(ind)
label = lambda d: explore.dimension_label(reg, ind, d, lang)  # noqa: E731
d1, d2 = st.columns(2)
rows = d1.selectbox(f.t("explore_rows"), dims, key=f"explore_rows_{ind.name}", format_func=label)
col_options = [None] + [d for d in dims if d != rows]
cols = d2.selectbox(f.t("explore_columns"), col_options, key=f"explore_cols_{ind.name}",
                    index=1 if len(col_options) > 1 else 0,
                    format_func=lambda d: f.t("explore_none") if d is None else label(d))

filters = []
filter_dims = [d for d in dims if d != explore.UNIT]
for col, dim in zip(st.columns(len(filter_dims)), filter_dims):
    values = explore.dimension_values(ctx.store, reg, ind, dim)
    fmt = (lambda v: f.t("month_n", m=v)) if dim == explore.MONTH else (lambda v: dimension_value(v, lang))
    chosen = col.multiselect(f.t("explore_filter", dim=label(dim)), values, key=f"explore_f_{ind.name}_{dim}",
                             format_func=fmt, placeholder=f.t("explore_any"))
    filters.append((dim, tuple(chosen)))

spec = explore.PivotSpec(ind.name, f.year, f.as_of, rows, cols, chosen_units, tuple(filters))
long = explore.pivot_long(ctx.store, reg, spec)
st.caption(f.t("explore_measure", label=ind.label[lang], unit=ind.unit[lang],
               period=f.t("explore_period", year=f.year, as_of=f.as_of.isoformat())))
if long.empty or long["records"].sum() == 0:
    st.info(f.t("explore_empty"))
    st.stop()
order = {u.code: u.sort_order for u in units}
table = explore.pivot_grid(long, reg, spec, names, lang, order)
st.dataframe(table, hide_index=True, placeholder="—", width="stretch", height=min(len(table) + 1, 30) * 35 + 3)
ui.download_buttons(table, f"pivot_{ind.name}_{f.as_of}", lang, key="explore_dl")
st.plotly_chart(explore.pivot_chart(table, reg, spec, lang), key="explore_chart", config={"displayModeBar": False})
cells = len(table) - 1  # the total row
if rows is not None and cells > explore.CHART_GROUPS:
    st.caption(f.t("explore_chart_top", shown=explore.CHART_GROUPS, total=cells))
