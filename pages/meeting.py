"""会议模式: the projected screen. Five views rotate automatically; pause, previous and next are
large buttons; the views, their order, the interval and the current view live in the URL
(/meeting?views=headline,ranking,behind&interval=20&view=ranking[&as_of=2020-05-31][&basis=time_progress][&lang=en])."""

import dataclasses
import time

import streamlit as st

from target_monitor import meeting, ui
from target_monitor.present import names_with_not_reported
from target_monitor.paths import reference_dir
from target_monitor.progress import parent_rows
from target_monitor.ranking import build_ranking, load_flag_rules, previous_month_end
from target_monitor.scoring import BASES, load_scoring, load_work_items, score_units, work_items_path

f = ui.frame()
ctx, lang = f.ctx, f.lang
qp = st.query_params
st.markdown(meeting.CSS, unsafe_allow_html=True)

views = meeting.parse_views(qp.get("views"))
interval = meeting.parse_interval(qp.get("interval"))
as_of = meeting.parse_as_of(qp.get("as_of"), f.year) or f.as_of
as_of = ctx.clamp_as_of(as_of)[0]  # never a date later than the data, even from the URL
state = st.session_state
if state.get("mt_view") not in views:
    state["mt_view"] = qp.get("view") if qp.get("view") in views else views[0]
    state["mt_shown_at"] = time.time()
state.setdefault("mt_paused", qp.get("paused") == "1")
state.setdefault("mt_shown_at", time.time())

now = ui.progress(*f.key, f.year, as_of)
prev_day = previous_month_end(as_of)
before = ui.progress(*f.key, f.year, prev_day) if prev_day else None
# 未报 beside a unit's name where it sent no records for a month (display only)
names = names_with_not_reported(f.unit_names(), ui.missing_months(*f.key, f.year, as_of), lang)
tp = float(now["time_progress_pct"].iloc[0])
try:
    ref = reference_dir(ctx.data_dir)
    rk = build_ranking(now, before, as_of, load_flag_rules(ref, ctx.registry))
    cfg = load_scoring(ref, ctx.registry)
    if qp.get("basis") in BASES:  # &basis=time_progress: the mid-year preview on the scores view
        cfg = dataclasses.replace(cfg, basis=qp.get("basis"))
    scores = score_units(now, cfg, load_work_items(work_items_path(ctx.data_dir), cfg, f.year))
except ValueError as exc:  # a flags.yaml / scoring.yaml / work_items.csv problem: say which and where
    st.error(f.t("config_error", error=exc))
    st.stop()


def _go(delta: int) -> None:
    state["mt_view"] = meeting.step(views, state["mt_view"], delta)
    state["mt_shown_at"] = time.time()
    qp["view"] = state["mt_view"]


def _toggle_pause() -> None:
    state["mt_paused"] = not state["mt_paused"]
    state["mt_shown_at"] = time.time()
    qp["paused"] = "1" if state["mt_paused"] else "0"


def _render(view: str) -> None:
    if view == "headline":
        st.markdown(meeting.headline_view(ctx.registry, now, as_of, lang), unsafe_allow_html=True)
    elif view == "ranking":
        st.markdown(meeting.ranking_view(ctx.registry, now, rk, names, lang), unsafe_allow_html=True)
    elif view == "behind":
        st.markdown(meeting.behind_view(ctx.registry, now, names, lang), unsafe_allow_html=True)
    elif view == "scores":
        st.markdown(meeting.scores_view(scores, cfg, names, lang), unsafe_allow_html=True)
    elif view == "trend":
        series = ui.monthly(*f.key, f.year, as_of)
        root = ctx.ref.units.root().code
        inds = meeting.trend_indicators(ctx.registry, now)
        cols = st.columns(3)
        for i, ind in enumerate(inds[:5]):
            own, _ = parent_rows(now, ind.name)
            rows = series[(series["unit_code"] == root) & (series["indicator"] == ind.name)]
            with cols[i % 3]:
                st.markdown(meeting.trend_title(ind, own, lang), unsafe_allow_html=True)
                st.plotly_chart(meeting.trend_figure(ind, rows, f.year, own["target"], lang, height=320),
                                key=f"mt_trend_{ind.name}", config={"displayModeBar": False, "staticPlot": True})
        with cols[len(inds[:5]) % 3]:
            st.markdown(meeting.trend_legend(lang), unsafe_allow_html=True)


@st.fragment(run_every=None if state["mt_paused"] else interval)
def screen() -> None:
    # a timer run moves on once the view has been up for the interval; a click resets the clock
    if not state["mt_paused"] and time.time() - state["mt_shown_at"] >= interval - 0.5:
        _go(+1)
    view = state["mt_view"]
    st.markdown(meeting.top_bar(view, views, lang, as_of, tp, ctx.is_demo, state["mt_paused"], interval),
                unsafe_allow_html=True)
    with st.container(height=800, border=False):
        _render(view)


screen()

c1, c2, c3, c4, _ = st.columns([1.2, 1.4, 1.2, 1.2, 3])
c1.button(f.t("meeting_prev"), on_click=_go, args=(-1,), key="mt_prev", width="stretch")
c2.button(f.t("meeting_resume") if state["mt_paused"] else f.t("meeting_pause"), on_click=_toggle_pause,
          key="mt_pause", width="stretch")
c3.button(f.t("meeting_next"), on_click=_go, args=(+1,), key="mt_next", width="stretch")
with c4.popover(f.t("meeting_settings"), width="stretch"):
    chosen = st.multiselect(f.t("meeting_views_choose"), list(meeting.VIEWS), default=views, key="mt_views",
                            format_func=lambda v: meeting.view_title(v, lang))
    secs = st.number_input(f.t("meeting_interval"), min_value=meeting.MIN_INTERVAL, max_value=meeting.MAX_INTERVAL,
                           value=interval, step=5, key="mt_interval")
    st.caption(f.t("meeting_link_note"))
    if chosen and (chosen != views or secs != interval):
        qp["views"] = ",".join(chosen)
        qp["interval"] = str(int(secs))
        st.rerun()
# a presenter's clicker sends PageDown/PageUp (or the arrow keys): map them, and the space bar,
# to the buttons above, so nobody needs the mouse
st.iframe(meeting.keyboard_script(f.t("meeting_prev"), f.t("meeting_next"),
                                  f.t("meeting_resume") if state["mt_paused"] else f.t("meeting_pause")), height=1)
