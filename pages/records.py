"""明细记录: the records behind one unit's figures (drill-down from 镇街详情), masked, paged, downloadable."""

import math

import streamlit as st

from target_monitor import records, ui

f = ui.frame()
ctx, lang = f.ctx, f.lang
reg = ctx.registry
names = f.unit_names()
units = ui.scoped_unit_codes([u.code for u in ctx.ref.units], records=True)  # the access scope's units only
if not units:
    st.info(f.t("access_no_units"))
    st.stop()

default = st.query_params.get("unit")
code = st.selectbox(f.t("choose_unit"), units, index=units.index(default) if default in units else 0,
                    key="records_unit", format_func=lambda c: names[c])
st.query_params["unit"] = code
st.title(f.t("records_title", unit=names[code]))

extracts = list(reg.extracts)
default_ext = st.query_params.get("extract")
c1, c2, c3, c4 = st.columns([2, 3, 2, 1])
ext_name = c1.selectbox(f.t("records_extract"), extracts, key="records_extract",
                        index=extracts.index(default_ext) if default_ext in extracts else 0,
                        format_func=lambda n: reg.extracts[n].label[lang])
st.query_params["extract"] = ext_name
ext = reg.extracts[ext_name]
search = c2.text_input(f.t("records_search"), key="records_search")
sort = c3.selectbox(f.t("records_sort"), list(ext.column_names), key=f"records_sort_{ext_name}",
                    index=list(ext.column_names).index(ext.partition_date),
                    format_func=lambda c: ext.column(c).description[lang])
desc = c4.checkbox(f.t("records_desc"), value=True, key="records_desc")

q = records.RecordQuery(ext_name, tuple(ctx.ref.units.subtree(code)), f.year, f.as_of, search, sort, desc)
total = records.record_count(ctx.store, reg, q)
p1, p2, _ = st.columns([1, 1, 4])
size = p1.selectbox(f.t("records_page_size"), records.PAGE_SIZES, key="records_size")
pages = max(1, math.ceil(total / size))
page = p2.number_input(f.t("records_page"), 1, pages, 1, key="records_page_no")
st.caption(f.t("records_count", total=f"{total:,}", page=page, pages=pages, size=size))
frame = records.record_page(ctx.store, reg, q, page, size)
st.dataframe(records.labelled(frame, ext, lang), hide_index=True, placeholder="—", width="stretch")
st.caption(f.t("records_download_note", cap=f"{records.MAX_DOWNLOAD_ROWS:,}"))
ui.download_buttons(lambda: records.labelled(records.all_records(ctx.store, reg, q), ext, lang),
                    f"records_{code}_{ext_name}_{f.as_of}", lang, key="records_dl",
                    audit_what=f"records {ext_name} {code} {f.as_of}")
