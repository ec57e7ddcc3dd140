"""报送情况: each unit × month of a year, 未报 / 待审核 / 已退回 / 已通过 / 逾期 (target_monitor/submissions_ui.py)."""

from datetime import date

import streamlit as st

from target_monitor import ui
from target_monitor.submissions_ui import render_status

f = ui.frame()
st.title(f.t("page_reporting"))
years = sorted(set(f.ctx.years()) | {f.year, date.today().year})
c1, c2, _ = st.columns([1, 1, 3])
year = c1.selectbox(f.t("rep_year"), years, index=years.index(f.year), key="rep_year")
default = f.as_of if year == f.year else min(date.today(), date(year + 1, 1, 31))
as_of = c2.date_input(f.t("rep_as_of"), value=default, key=f"rep_as_of_{year}")
render_status(ui.current_actor(), f.ctx.data_dir, f.lang, int(year), as_of, ctx=f.ctx)
