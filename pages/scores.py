"""考核评分: the assessment scores (data/reference/scoring.yaml), the 先进 list, and the manual
input of the yes/no work items (saved to <data-dir>/inputs/work_items.csv)."""

import dataclasses

import streamlit as st

from target_monitor import access, ui
from target_monitor.meeting import points_label
from target_monitor.paths import reference_dir
from target_monitor.scoring import (
    BASES, advanced_list, grid_to_values, load_scoring, load_work_items, save_work_items, score_table,
    score_units, work_items_grid, work_items_path,
)

f = ui.frame()
ctx, lang = f.ctx, f.lang
names = f.unit_names()
st.title(f.t("scores_title"))
path = work_items_path(ctx.data_dir)
try:
    cfg = load_scoring(reference_dir(ctx.data_dir), ctx.registry)
    values = load_work_items(path, cfg, f.year)
except ValueError as exc:
    st.error(f.t("config_error", error=exc))
    st.stop()

basis = st.radio(f.t("score_basis_choice"), BASES, index=BASES.index(cfg.basis), horizontal=True, key="score_basis",
                 format_func=lambda b: f.t("score_basis_opt_" + b))
cfg = dataclasses.replace(cfg, basis=basis)
scores = score_units(f.progress(), cfg, values)
st.caption(f.t("score_basis_" + basis))
if cfg.local_note:  # the weights, the point split and the caps are ours, not the seed's
    st.warning(f.t("score_local_note", note=cfg.local_note[lang]))

adv = advanced_list(scores)
if adv:
    st.success(f.t("score_advanced_list", n=cfg.top_n, names="、".join(names[s.unit_code] for s in adv)))
else:
    st.info(f.t("score_no_advanced", min=f"{cfg.min_total:g}"))
table = score_table(scores, cfg, ctx.registry, names, lang)
points = {c: st.column_config.NumberColumn(c, format="%.2f") for c in table.columns[2:] if table[c].dtype.kind == "f"}
st.dataframe(table, hide_index=True, placeholder="—", width="stretch", height=(len(table) + 1) * 35 + 3, column_config=points)
st.download_button(f.t("download_csv"), table.to_csv(index=False).encode("utf-8-sig"),
                   file_name=f"scores_{f.as_of}.csv", mime="text/csv")
not_assessed = [names[s.unit_code] for s in scores if not s.assessed]
if not_assessed:
    st.caption(f.t("score_not_assessed", names="、".join(not_assessed)))
missing = [names[s.unit_code] for s in scores if s.assessed and not all(s.work_entered.values())]
if missing:
    st.warning(f.t("score_work_missing", names="、".join(missing)))
with st.expander(f.t("score_method")):
    st.markdown(f.t("score_method_text", total=cfg.total_points, min=cfg.min_total, n=cfg.top_n))

st.subheader(f.t("work_items_title"))
st.caption(f.t("work_items_help", path=path))
grid = work_items_grid(scores, cfg, values, names, lang)
columns = {"unit_code": None, "unit": st.column_config.TextColumn(f.t("unit"), disabled=True)}
for w in cfg.work_items:
    if w.kind == "yes_no":
        columns[w.name] = st.column_config.CheckboxColumn(points_label(w.label[lang], w.points, lang))
    else:
        columns[w.name] = st.column_config.NumberColumn(
            f.t("work_items_missing_parts", label=points_label(w.label[lang], w.points, lang)), min_value=0,
            max_value=w.parts, step=1)
edited = st.data_editor(grid, column_config=columns, hide_index=True, width="stretch", key="work_items_editor",
                        disabled=["unit"])
may_edit = access.allowed(ui.current_actor(), "edit_work_items")  # 管理员 only
if st.button(f.t("work_items_save"), key="work_items_save", type="primary", disabled=not may_edit):
    save_work_items(path, f.year, grid_to_values(edited, cfg))
    ui.audit_event("work_items", str(f.year))
    st.success(f.t("work_items_saved", path=path))
    st.rerun()
