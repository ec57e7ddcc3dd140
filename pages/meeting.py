"""会议模式: the projected screen. Five views rotate automatically; pause, previous and next are
large buttons; the views, their order, the interval and the current view live in the URL
(/meeting?views=headline,ranking,behind&interval=20&view=ranking[&page=2][&as_of=2020-05-31][&basis=time_progress]
[&lang=en]); `views=…,units` adds each unit's card in turn, `dwell=units:10,headline:30` sets seconds per view and
`red_dwell=30` keeps a red unit's card up longer. Everything scales with the screen; a view with more rows than fit pages itself and
the rotation shows its pages in turn (docs/meeting.md)."""

import dataclasses
import time

import streamlit as st

from target_monitor import meeting, ui
from target_monitor.followup import duban, load_config, notes
from target_monitor.present import names_with_not_reported
from target_monitor.submissions.status import overdue_sentence, overdue_units
from target_monitor.store import data_version
from target_monitor.paths import reference_dir
from target_monitor.ranking import build_ranking, load_flag_rules, previous_month_end
from target_monitor.scoring import load_scoring, load_work_items, score_units, work_items_path

f = ui.frame()
ctx, lang = f.ctx, f.lang
qp = st.query_params
st.markdown(meeting.CSS, unsafe_allow_html=True)

views = meeting.parse_views(qp.get("views"))
interval = meeting.parse_interval(qp.get("interval"))
dwell = meeting.parse_dwell(qp.get("dwell"), views)
red_dwell = meeting.parse_red_dwell(qp.get("red_dwell"))
as_of = meeting.parse_as_of(qp.get("as_of"), f.year) or f.as_of
as_of = ctx.clamp_as_of(as_of)[0]  # never a date later than the data, even from the URL
state = st.session_state
if state.get("mt_view") not in views:
    state["mt_view"] = qp.get("view") if qp.get("view") in views else views[0]
    state["mt_page"] = meeting.parse_page(qp.get("page"))
    state["mt_shown_at"] = time.time()
state.setdefault("mt_page", 0)
state.setdefault("mt_paused", qp.get("paused") == "1")
state.setdefault("mt_shown_at", time.time())

now = ui.progress(*f.key, f.year, as_of)
prev_day = previous_month_end(as_of)
before = ui.progress(*f.key, f.year, prev_day) if prev_day else None
# 未报 beside a unit's name where it sent no records for a month (display only)
names = names_with_not_reported(f.unit_names(), ui.missing_months(*f.key, f.year, as_of), lang)
tp = float(now["time_progress_pct"].iloc[0])
# 逾期: units past the reporting deadline (submissions.yaml), named under the behind view
overdue_text = overdue_sentence(overdue_units(f.year, as_of, ctx=ctx), ctx.ref.units, lang, ctx.data_dir)
try:
    ref = reference_dir(ctx.data_dir)
    rk = build_ranking(now, before, as_of, load_flag_rules(ref, ctx.registry))
    cfg = load_scoring(ref, ctx.registry)
    # mid-year the time-progress preview (the year-end rule gives everyone ✖); &basis= chooses
    cfg = dataclasses.replace(cfg, basis=meeting.default_basis(cfg.basis, qp.get("basis"), as_of))
    scores = score_units(now, cfg, load_work_items(work_items_path(ctx.data_dir), cfg, f.year))
    fu_config = load_config(ref_dir=ref)  # which lights need a 情况说明 (followup.yaml)
except ValueError as exc:  # a flags.yaml / scoring.yaml / work_items.csv problem: say which and where
    st.error(f.t("config_error", error=exc))
    st.stop()


def _pages(view: str) -> list[str]:
    if view == "headline":
        return meeting.headline_pages(ctx.registry, now, as_of, lang)
    if view == "ranking":
        return meeting.ranking_pages(ctx.registry, now, rk, names, lang)
    if view == "behind":  # with each unit's 情况说明 of the month, or 缺情况说明 where its red light has none
        month_notes = notes.current(ctx.data_dir, notes.month_of(as_of))
        return meeting.behind_pages(ctx.registry, now, names, lang, {k: n["text"] for k, n in month_notes.items()},
                                    set(notes.missing(now, month_notes, fu_config)), overdue_text)
    if view == "duban":  # 督办 items not yet closed (a snapshot: as frozen with it)
        return meeting.duban_pages(duban.items(ctx.data_dir), names,
                                   {i.name: i.short_label[lang] for i in ctx.registry.indicators}, lang,
                                   fu_config.escalation_text(lang))
    if view == "scores":
        return meeting.scores_pages(scores, cfg, names, lang)
    if view == "units":
        return [html for html, _, _ in _unit_cards()]
    series = ui.monthly(*f.key, f.year, as_of)
    return meeting.trend_pages(ctx.registry, now, series, ctx.ref.units.root().code, f.year, lang)


_cards: list = []


def _unit_cards() -> list[tuple[str, str, bool]]:
    if not _cards:  # once per run: the card view asks for its pages and for which are red
        _cards.extend(meeting.unit_pages(ctx.registry, now, rk, names, lang))
    return _cards


def _dwell(view: str, page: int) -> int:
    cards = _unit_cards() if view == "units" else []
    red = 0 <= page < len(cards) and cards[page][2]
    return meeting.page_dwell(view, interval, dwell, red_dwell, red)


def _go(delta: int) -> None:
    view, page = state["mt_view"], state.get("mt_page", 0)
    state["mt_view"], state["mt_page"] = meeting.step_page(views, view, page, len(_pages(view)), delta)
    state["mt_shown_at"] = time.time()
    qp["view"] = state["mt_view"]
    qp.pop("page", None)  # resolved (and written back) when the view is drawn


def _toggle_pause() -> None:
    state["mt_paused"] = not state["mt_paused"]
    state["mt_shown_at"] = time.time()
    qp["paused"] = "1" if state["mt_paused"] else "0"


@st.fragment(run_every=None if state["mt_paused"] else meeting.tick_seconds(interval, dwell, red_dwell))
def screen() -> None:
    # a screen left running for days: the timer's runs reuse this page run's figures, so a new
    # store version (an import, on any replica) reruns the whole page to draw it
    if f.snapshot is None and data_version(ctx.data_dir) != ctx.version:
        st.rerun()
    # a timer run moves on once the page has been up for its dwell (the interval unless the URL
    # sets one per view, longer for a red unit's card); a click resets the clock
    if not state["mt_paused"] and time.time() - state["mt_shown_at"] >= _dwell(state["mt_view"], state["mt_page"]) - 0.5:
        _go(+1)
    view = state["mt_view"]
    pages = _pages(view)
    page = state["mt_page"]
    if page < 0 or page >= len(pages):  # -1: the last page (stepping back into a view)
        page = state["mt_page"] = len(pages) - 1 if page < 0 else 0
    if len(pages) > 1:
        qp["page"] = str(page + 1)
    snap = f.snapshot.snapshot_id if f.snapshot is not None else None
    st.markdown(meeting.top_bar(view, views, lang, as_of, tp, ctx.is_demo, state["mt_paused"], _dwell(view, page),
                                page, len(pages), snap), unsafe_allow_html=True)
    st.markdown(f'<div class="mt-stage">{pages[page]}</div>', unsafe_allow_html=True)


screen()

c1, c2, c3, c4, _ = st.columns([1.2, 1.4, 1.2, 1.2, 3])
c1.button(f.t("meeting_prev"), on_click=_go, args=(-1,), key="mt_prev", width="stretch")
c2.button(f.t("meeting_resume") if state["mt_paused"] else f.t("meeting_pause"), on_click=_toggle_pause,
          key="mt_pause", width="stretch")
c3.button(f.t("meeting_next"), on_click=_go, args=(+1,), key="mt_next", width="stretch")
with c4.popover(f.t("meeting_settings"), width="stretch"):
    chosen = st.multiselect(f.t("meeting_views_choose"), list(meeting.ALL_VIEWS), default=views, key="mt_views",
                            format_func=lambda v: meeting.view_title(v, lang), placeholder=f.t("choose_options"))
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
