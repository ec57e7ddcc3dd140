"""The thin Streamlit layer shared by app.py and the pages: state, caching, common widgets.

The only module of the library that imports Streamlit (besides none). Pages call `frame()` to
get what the sidebar chose and cached data; they never run SQL or aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from target_monitor.context import Context
from target_monitor.i18n import DEFAULT_LANG, t
from target_monitor.paths import DEFAULT_DATA_DIR, resolve_data_dir
from target_monitor.store import data_version, has_extracts

CACHE_TTL = 600  # seconds; the data version in the key makes new uploads show at once anyway


@st.cache_resource(max_entries=4, show_spinner=False)
def _context(data_dir: str, version: str) -> Context:
    from target_monitor.snapshots.frozen import VERSION_PREFIX, SnapshotContext

    if version.startswith(VERSION_PREFIX):  # `data_dir` is a snapshot folder
        return SnapshotContext(Path(data_dir))
    return Context(Path(data_dir), version=version)


def context(data_dir: Path) -> Context:
    return _context(str(data_dir), data_version(data_dir))


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def progress(data_dir: str, version: str, year: int, as_of: date, parent_code: str | None = None) -> pd.DataFrame:
    return _context(data_dir, version).progress(year, as_of, parent_code)


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def monthly(data_dir: str, version: str, year: int, as_of: date, parent_code: str | None = None) -> pd.DataFrame:
    return _context(data_dir, version).monthly(year, as_of, parent_code=parent_code)


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def missing_months(data_dir: str, version: str, year: int, as_of: date) -> dict[str, list[int]]:
    return _context(data_dir, version).missing_months(year, as_of)


@st.cache_resource(ttl=CACHE_TTL, max_entries=256, show_spinner=False)
def _bullet_chart(data_dir: str, version: str, year: int, as_of: date, parent_code: str | None, indicator: str,
                  lang: str):
    """One indicator's bullet chart for the overview, built once per data version and choice.

    cache_resource, not cache_data: a plotly figure is rebuilt (and re-validated) when unpickled,
    which costs as much as building it (~10 ms each). The figure is shared and never mutated:
    st.plotly_chart reads a copy (`to_dict`).
    """
    from target_monitor import charts
    from target_monitor.progress import parent_rows

    table = progress(data_dir, version, year, as_of, parent_code)
    own, alloc = parent_rows(table, indicator)
    ind = _context(data_dir, version).registry.get(indicator)
    return charts.bullet_chart(ind, own, alloc, float(table["time_progress_pct"].iloc[0]), lang)


@dataclass
class Frame:
    """What the frame (app.py) chose: pages read it, never the sidebar widgets themselves."""

    ctx: Context
    lang: str
    year: int
    as_of: date
    snapshot: object = None  # the SnapshotInfo being viewed, None for live data
    parent_code: str | None = None  # whose children are compared (None: the top of the tree)

    @property
    def key(self) -> tuple[str, str]:
        return str(self.ctx.data_dir), self.ctx.version

    @property
    def parent(self):
        """The unit whose children the pages compare (the district in a district deployment)."""
        units = self.ctx.ref.units
        return units[self.parent_code] if self.parent_code else units.root()

    def progress(self) -> pd.DataFrame:
        return progress(*self.key, self.year, self.as_of, self.parent_code)

    def monthly(self) -> pd.DataFrame:
        return monthly(*self.key, self.year, self.as_of, self.parent_code)

    def missing_months(self) -> dict[str, list[int]]:
        return missing_months(*self.key, self.year, self.as_of)

    def bullet_chart(self, ind):
        """The overview's bullet chart of `ind` (charts.bullet_chart over the parent's rows), cached."""
        return _bullet_chart(*self.key, self.year, self.as_of, self.parent_code, ind.name, self.lang)

    def t(self, key: str, **values) -> str:
        return t(key, self.lang, **values)

    def unit_names(self) -> dict[str, str]:
        from target_monitor.i18n import unit_label

        return {u.code: unit_label(u, self.lang) for u in self.ctx.ref.units}


def current_lang() -> str:
    lang = st.session_state.get("lang") or st.query_params.get("lang") or DEFAULT_LANG
    return lang if lang in ("zh", "en") else DEFAULT_LANG


def ensure_data(data_dir: Path) -> None:
    """On first start with no extracts in the repository's data folder, write the demo data."""
    if has_extracts(data_dir):
        return
    if data_dir != DEFAULT_DATA_DIR.resolve():
        return  # a chosen data directory is never filled with demo data behind the user's back
    from target_monitor.demo import generate_demo

    with st.spinner(t("generating_demo", current_lang())):
        generate_demo(data_dir)


def data_dir() -> Path:
    return resolve_data_dir()


def build_frame() -> Frame:
    """Draw the sidebar (language, year, as-of date), the data stamp, and return the choices."""
    from datetime import date as _date

    st.markdown(CSS, unsafe_allow_html=True)
    directory = data_dir()
    ensure_data(directory)
    with st.sidebar:
        lang = st.radio(
            t("language", current_lang()), ["zh", "en"], key="lang", index=["zh", "en"].index(current_lang()),
            format_func=lambda x: "中文" if x == "zh" else "English", horizontal=True,
        )
    st.query_params["lang"] = lang
    snap = opened_snapshot(directory, lang)  # a snapshot opened on the 月度快照 page
    try:
        ctx = snapshot_context(snap) if snap is not None else context(directory)
    except Exception as exc:  # no extracts in a chosen data directory: say where and what to do
        st.error(t("no_data", lang, path=directory))
        st.caption(str(exc))
        _data_page_only(lang)  # the data page still works, so the first data can be uploaded
        st.stop()
    with st.sidebar:
        years = ctx.years()
        if snap is not None:  # frozen: the snapshot's year and as-of date only
            year = st.selectbox(t("year", lang), years, index=0, key=f"year_snap_{snap.snapshot_id}", disabled=True)
            as_of = st.date_input(t("as_of", lang), value=snap.as_of, key=f"as_of_snap_{snap.snapshot_id}",
                                  disabled=True, help=t("snap_as_of_help", lang), format="YYYY-MM-DD")
        else:
            year = st.selectbox(t("year", lang), years, index=len(years) - 1, key="year")
            as_of = st.date_input(
                t("as_of", lang), value=ctx.latest_day(year), min_value=_date(year, 1, 1),
                max_value=_date(year, 12, 31), key=f"as_of_{year}", help=t("as_of_help", lang), format="YYYY-MM-DD",
            )
        parent_code = node_picker(ctx, lang)  # only when the tree has more than two levels
        if ctx.is_demo:
            st.markdown(f'<span class="tm-badge">{t("demo_badge", lang)}</span>', unsafe_allow_html=True)
            st.caption(t("demo_note", lang))
    badge = (
        f'<span class="tm-badge">{t("demo_badge", lang)}</span>' if ctx.is_demo
        else f'<span class="tm-badge real">{t("real_badge", lang)}</span>'
    )
    stamp = t("data_as_of", lang, date=as_of.isoformat())
    st.markdown(f'{badge}<span class="tm-stamp">{stamp}</span>', unsafe_allow_html=True)
    if snap is not None:
        snapshot_banner(snap, lang)
    f = Frame(ctx=ctx, lang=lang, year=year, as_of=as_of, snapshot=snap, parent_code=parent_code)
    st.session_state["_frame"] = f
    return f


def node_picker(ctx: Context, lang: str) -> str | None:
    """In a city, province or national tree, choose whose children the pages compare.

    A district deployment (district → 街镇) shows no picker: its view stays exactly as it was.
    Remembered in the URL as ?node=CODE so a drill-down can be bookmarked.
    """
    from target_monitor.i18n import unit_label

    units = ctx.ref.units
    root = units.root()
    branches = units.branches()  # tree order: each node under its parent
    if len(branches) <= 1:
        return None
    depth = dict(branches)
    codes = [code for code, _ in branches]
    wanted = st.query_params.get("node")
    index = codes.index(wanted) if wanted in codes else 0
    code = st.selectbox(t("compare_node", lang), codes, index=index, key="node",
                        format_func=lambda c: "　" * depth[c] + unit_label(units[c], lang))
    if code == root.code:
        st.query_params.pop("node", None)
        return None
    st.query_params["node"] = code
    return code


# --- viewing a frozen snapshot -------------------------------------------------------

SNAPSHOT_KEY = "snapshot_id"


def snapshot_context(snap) -> Context:
    from target_monitor.snapshots.frozen import VERSION_PREFIX, PROGRESS

    return _context(str(snap.path), VERSION_PREFIX + snap.manifest.get("outputs", {}).get(PROGRESS, "")[:16])


def opened_snapshot(directory: Path, lang: str):
    """The snapshot chosen on the 月度快照 page (session state, or ?snapshot= in the URL), or None."""
    from target_monitor.snapshots.frozen import SnapshotError, find_snapshot

    wanted = st.session_state.get(SNAPSHOT_KEY) or st.query_params.get("snapshot")
    if not wanted:
        return None
    try:
        snap = find_snapshot(directory, str(wanted))
    except SnapshotError:
        st.session_state.pop(SNAPSHOT_KEY, None)
        st.query_params.pop("snapshot", None)
        st.warning(t("snap_not_found_ui", lang, id=wanted))
        return None
    st.session_state[SNAPSHOT_KEY] = snap.snapshot_id
    st.query_params["snapshot"] = snap.snapshot_id
    return snap


def open_snapshot(snapshot_id: str | None) -> None:
    """Show this snapshot on every page (None: back to live data)."""
    if snapshot_id:
        st.session_state[SNAPSHOT_KEY] = snapshot_id
        st.query_params["snapshot"] = snapshot_id
    else:
        st.session_state.pop(SNAPSHOT_KEY, None)
        st.query_params.pop("snapshot", None)


def snapshot_banner(snap, lang: str) -> None:
    from target_monitor.snapshots.frozen import created_local

    text = t("snap_banner", lang, id=snap.snapshot_id, date=snap.as_of.isoformat(),
             created=created_local(snap.created_at))
    st.markdown(f'<div class="tm-snapshot">{text}</div>', unsafe_allow_html=True)
    with st.sidebar:
        st.info(t("snap_sidebar", lang, id=snap.snapshot_id, date=snap.as_of.isoformat()))
        if st.button(t("snap_leave", lang), key="leave_snapshot"):
            open_snapshot(None)
            st.rerun()


def clear_frame() -> None:
    st.session_state.pop("_frame", None)


def _leave_legacy_pages_mode() -> None:
    """Make Streamlit run app.py (st.navigation) instead of a pages/ file on its own.

    Until some session has called st.navigation, Streamlit (1.67) treats a `pages/` folder as
    the old multipage layout: a first request for /compare runs pages/compare.py directly,
    without app.py's frame, layout or navigation. st.navigation clears the process-wide flag;
    we clear it too and rerun once, so the page comes back through app.py.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except Exception:  # an internal API: if it moves, the fallback below still works
        pass


def frame() -> Frame:
    """The frame's choices for this run.

    app.py builds the frame before running the page and clears it afterwards. A page run
    without app.py (see _leave_legacy_pages_mode) reruns once through app.py; should that not
    help, it builds the frame itself so it still gets the sidebar and the data label.
    """
    f = st.session_state.get("_frame")
    if f is not None:
        return f
    if not st.session_state.get("_legacy_rerun"):
        st.session_state["_legacy_rerun"] = True
        _leave_legacy_pages_mode()
        st.rerun()
    # Built here (the page ran without app.py): not kept in the session, or every later run
    # would reuse this run's choices (an opened snapshot then never showed).
    f = build_frame()
    clear_frame()
    return f


CSS = """
<style>
html, body, [class*="css"] { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif; }
.tm-badge { display:inline-block; padding:2px 12px; border-radius:4px; font-weight:700; font-size:1rem;
            border:2px solid #D55E00; color:#D55E00; background:#fff4ec; }
.tm-badge.real { border-color:#009E73; color:#006e50; background:#ecfff7; }
.tm-stamp { color:#333; font-size:1rem; margin-left:12px; }
.tm-headline { font-size:1.25rem; line-height:1.9; padding:12px 16px; background:#f4f8fc;
               border-left:6px solid #0072B2; margin-bottom:12px; }
.tm-card { border:1px solid #d0d7de; border-radius:8px; padding:12px 14px; height:100%; }
.tm-card .lbl { font-size:1.05rem; color:#333; font-weight:600; }
.tm-card .big { font-size:2.1rem; font-weight:700; color:#111; line-height:1.2; }
.tm-card .sub { font-size:0.95rem; color:#333; line-height:1.6; }
.tm-snapshot { font-size:1.05rem; padding:8px 14px; border:2px solid #0072B2; background:#eef5fb;
                border-radius:6px; color:#0b3a5c; font-weight:600; }
.tm-status { display:inline-block; padding:1px 8px; border-radius:4px; color:white; font-weight:700; }
</style>
"""


# --- analyst tools (sandbox per data version and as-of date, download buttons) ----


@st.cache_resource(max_entries=4, show_spinner=False)
def _sandbox(data_dir: str, version: str, year: int, as_of: date):
    from target_monitor.sandbox import Sandbox

    return Sandbox(_context(data_dir, version), year, as_of)


def sandbox(f: Frame):
    """The SQL console's locked-down DuckDB for the frame's data, year and as-of date (shared, read-only)."""
    return _sandbox(*f.key, f.year, f.as_of)


def download_buttons(data, name: str, lang: str, key: str) -> None:
    """CSV (utf-8-sig) and XLSX buttons side by side; formula injection neutralised in both.

    `data` is a DataFrame or a function returning one. Files are built only when a button is
    clicked (callables), so a large result or record list does not slow every rerun.
    """
    from target_monitor.downloads import to_csv_bytes, to_xlsx_bytes

    frame = data if callable(data) else (lambda: data)
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(t("download_csv_file", lang), lambda: to_csv_bytes(frame()), file_name=f"{name}.csv",
                       mime="text/csv", key=f"{key}_csv", on_click="ignore")
    c2.download_button(t("download_xlsx", lang), lambda: to_xlsx_bytes(frame()), file_name=f"{name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}_xlsx", on_click="ignore")


def drill_to_unit(codes: list) -> None:
    """Open 镇街详情 for the first unit code given (a row or bar the user clicked); ignore the rest."""
    code = next((c for c in codes if c), None)
    if code:
        st.switch_page("pages/unit_detail.py", query_params={"unit": code})
# --- the 数据管理 page works before there is any data ------------------------------


def _data_page_only(lang: str) -> None:
    """With no extracts yet, offer only the data page (upload the first files there)."""
    st.session_state["_no_data_mode"] = True
    st.navigation([st.Page("pages/data.py", title=t("page_data", lang), url_path="data")]).run()


def frame_optional() -> Frame | None:
    """The frame, or None when the data directory has no extracts yet (only the data page runs then)."""
    if st.session_state.pop("_no_data_mode", False):
        return None
    return frame()
