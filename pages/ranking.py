"""排名与旗标: every unit's rank per indicator and overall, the change since the previous month
end, and the flags raised by data/reference/flags.yaml."""

import streamlit as st

from target_monitor import ui
from target_monitor.i18n import STATUS_SYMBOL, status_label
from target_monitor.meeting import ranking_flags_detail, ranking_flags_short
from target_monitor.paths import reference_dir
from target_monitor.ranking import build_ranking, load_flag_rules, previous_month_end, ranking_table

f = ui.frame()
ctx, lang = f.ctx, f.lang
st.title(f.t("ranking_title"))
prev = previous_month_end(f.as_of)
now = f.progress()
before = ui.progress(*f.key, f.year, prev) if prev else None
try:
    rules = load_flag_rules(reference_dir(ctx.data_dir), ctx.registry)
except ValueError as exc:
    st.error(f.t("config_error", error=exc))
    st.stop()
rk = build_ranking(now, before, f.as_of, rules)
st.caption(f.t("ranking_caption", prev=prev.isoformat()) if prev else f.t("ranking_no_previous"))
names = f.unit_names()
table = ranking_table(now, rk, ctx.registry, names, lang)
# the flags in short ("⚑红 ⚑黄×3") right after the unit, so the column is never cut off; what
# each flag means, and on which indicators, is listed under the table
flags_col, unit_col = f.t("meeting_flags"), f.t("unit")
code_of = {name: code for code, name in names.items()}
table[flags_col] = [ranking_flags_short(rk, code_of.get(n), lang) for n in table[unit_col]]
cols = list(table.columns)
cols.remove(flags_col)
cols.insert(cols.index(unit_col) + 1, flags_col)
table = table[cols]
# the status as its symbol in the cells (the words once, in the legend), so the table fits 1366 wide
STATUSES = ("done", "ahead", "slightly_behind", "far_behind", "not_done", "met", "not_met", "year_end_check")
def _symbol_only(value):
    if not isinstance(value, str):
        return value
    for status in STATUSES:
        value = value.replace(status_label(status, lang) + " ", STATUS_SYMBOL[status] + " ")
    return value


for col in table.columns:
    if col not in (flags_col, unit_col):
        table[col] = table[col].map(_symbol_only)
flag_width = max([len(v) for v in table[flags_col]] + [len(flags_col)]) * 9 + 24  # the widest flags, whole
st.dataframe(table, hide_index=True, placeholder="—", width="stretch", height=(len(table) + 1) * 35 + 3,
             column_config={flags_col: st.column_config.TextColumn(flags_col, width=flag_width)})
st.caption(("　" if lang == "zh" else " · ").join(status_label(x, lang) for x in STATUSES))
for line in ranking_flags_detail(rk, ctx.registry, names, lang):
    st.markdown(f"- {line}")
st.download_button(f.t("download_csv"), table.to_csv(index=False).encode("utf-8-sig"),
                   file_name=f"ranking_{f.as_of}.csv", mime="text/csv")
with st.expander(f.t("ranking_flag_rules")):
    for rule in rules:
        st.markdown(f"- ⚑{f.t('flag_' + rule.colour)}{'：' if lang == 'zh' else ': '}{rule.label[lang]}")
