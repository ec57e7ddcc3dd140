"""The thin Streamlit layer shared by app.py and the pages: state, caching, common widgets.

The only module of the library that imports Streamlit (besides none). Pages call `frame()` to
get what the sidebar chose and cached data; they never run SQL or aggregate.
"""

from __future__ import annotations

import re
import urllib.parse
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


def _restore_scope() -> None:
    """A run that does not go through app.py's gate (a fragment's rerun, such as the meeting
    screen's timer, or a page Streamlit runs on its own) reads with the scope the gate stored
    for this session; a session the gate never admitted has none (reads return nothing)."""
    from target_monitor.access.scope import current, set_current

    if current() is None and st.session_state.get(SCOPE_KEY) is not None:
        set_current(st.session_state[SCOPE_KEY])


def _scope_key() -> str:
    from target_monitor.access.scope import key

    _restore_scope()
    return key()


@st.cache_resource(max_entries=4, show_spinner=False)
def _context(data_dir: str, version: str) -> Context:
    from target_monitor.snapshots.frozen import VERSION_PREFIX, SnapshotContext

    if version.startswith(VERSION_PREFIX):  # `data_dir` is a snapshot folder
        return SnapshotContext(Path(data_dir))
    return Context(Path(data_dir), version=version)


def context(data_dir: Path) -> Context:
    return _context(str(data_dir), data_version(data_dir))


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _progress(data_dir: str, version: str, year: int, as_of: date, parent_code: str | None,
              scope_key: str) -> pd.DataFrame:  # scope_key: answers differ per access scope
    return _context(data_dir, version).progress(year, as_of, parent_code)


def progress(data_dir: str, version: str, year: int, as_of: date, parent_code: str | None = None,
             scope_key: str | None = None) -> pd.DataFrame:
    """The progress table, cached per data version, choice and the session's access scope."""
    return _progress(data_dir, version, year, as_of, parent_code, scope_key or _scope_key())


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _monthly(data_dir: str, version: str, year: int, as_of: date, parent_code: str | None,
             scope_key: str) -> pd.DataFrame:
    return _context(data_dir, version).monthly(year, as_of, parent_code=parent_code)


def monthly(data_dir: str, version: str, year: int, as_of: date, parent_code: str | None = None,
            scope_key: str | None = None) -> pd.DataFrame:
    return _monthly(data_dir, version, year, as_of, parent_code, scope_key or _scope_key())


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def _missing_months(data_dir: str, version: str, year: int, as_of: date, scope_key: str) -> dict[str, list[int]]:
    return _context(data_dir, version).missing_months(year, as_of)


def missing_months(data_dir: str, version: str, year: int, as_of: date,
                   scope_key: str | None = None) -> dict[str, list[int]]:
    return _missing_months(data_dir, version, year, as_of, scope_key or _scope_key())


@st.cache_resource(ttl=CACHE_TTL, max_entries=256, show_spinner=False)
def _bullet_chart(data_dir: str, version: str, year: int, as_of: date, parent_code: str | None, indicator: str,
                  lang: str, scope_key: str = ""):
    """One indicator's bullet chart for the overview, built once per data version and choice.

    cache_resource, not cache_data: a plotly figure is rebuilt (and re-validated) when unpickled,
    which costs as much as building it (~10 ms each). The figure is shared and never mutated:
    st.plotly_chart reads a copy (`to_dict`).
    """
    from target_monitor import charts
    from target_monitor.progress import parent_rows

    table = progress(data_dir, version, year, as_of, parent_code, scope_key)
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
        return progress(*self.key, self.year, self.as_of, self.parent_code, _scope_key())

    def monthly(self) -> pd.DataFrame:
        return monthly(*self.key, self.year, self.as_of, self.parent_code, _scope_key())

    def missing_months(self) -> dict[str, list[int]]:
        return missing_months(*self.key, self.year, self.as_of, _scope_key())

    def bullet_chart(self, ind):
        """The overview's bullet chart of `ind` (charts.bullet_chart over the parent's rows), cached."""
        return _bullet_chart(*self.key, self.year, self.as_of, self.parent_code, ind.name, self.lang, _scope_key())

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
            url_year, url_as_of = url_year_as_of(years)  # a shared link opens the same year and date
            year = st.selectbox(t("year", lang), years, index=years.index(url_year) if url_year else len(years) - 1,
                                key="year")
            as_of = st.date_input(
                t("as_of", lang),
                value=url_as_of if url_as_of and url_as_of.year == year else ctx.clamp_as_of(ctx.default_as_of(year))[0],
                min_value=_date(year, 1, 1),
                max_value=_date(year, 12, 31), key=f"as_of_{year}", help=t("as_of_help", lang), format="YYYY-MM-DD",
            )
            as_of = clamp_with_notice(ctx, as_of, lang)
            st.query_params["year"] = str(year)
            st.query_params["as_of"] = as_of.isoformat()
        parent_code = node_picker(ctx, lang)  # only when the tree has more than two levels
        if ctx.is_demo:
            st.markdown(f'<span class="tm-badge">{t("demo_badge", lang)}</span>', unsafe_allow_html=True)
            st.caption(t("demo_note", lang))
    badge = (
        f'<span class="tm-badge">{t("demo_badge", lang)}</span>' if ctx.is_demo
        else f'<span class="tm-badge real">{t("real_badge", lang)}</span>'
    )
    stamp = t("data_as_of", lang, date=as_of.isoformat())
    # data-version: which store version this replica drew (an operator or the cluster benchmark
    # compares it across replicas after an import); not shown
    st.markdown(f'{badge}<span class="tm-stamp" data-version="{ctx.version}">{stamp}</span>', unsafe_allow_html=True)
    if snap is not None:
        snapshot_banner(snap, lang)
    f = Frame(ctx=ctx, lang=lang, year=year, as_of=as_of, snapshot=snap, parent_code=parent_code)
    st.session_state["_frame"] = f
    return f


def clamp_with_notice(ctx: Context, as_of, lang: str):
    """An as-of date later than the data is moved back to the data's own date, and the sidebar
    says so: no page states a figure as of a day the data does not reach."""
    from target_monitor.present import fmt_date

    clamped, moved = ctx.clamp_as_of(as_of)
    if moved:
        st.warning(t("as_of_clamped", lang, date=fmt_date(clamped, lang), through=clamped.isoformat(),
                     asked=as_of.isoformat()))
    return clamped


def url_year_as_of(years: list[int]) -> tuple[int | None, date | None]:
    """?year= and ?as_of= from the address, when they name a year with data and a real day."""
    try:
        year = int(st.query_params.get("year", ""))
    except ValueError:
        year = None
    if year not in years:
        year = None
    try:
        as_of = date.fromisoformat(st.query_params.get("as_of", ""))
    except ValueError:
        as_of = None
    if as_of is not None and year is not None and as_of.year != year:
        as_of = None
    if year is None and as_of is not None:
        year = as_of.year if as_of.year in years else None
        as_of = as_of if year else None
    return year, as_of


def url_choice(key: str, options: list, default=None):
    """A page's choice (sort order, indicator, ...) from ?key= when it is one of `options`, so
    a link reproduces the view; write it back with `keep_choice`."""
    raw = st.query_params.get(key)
    for o in options:
        if str(o) == raw:
            return o
    return default


def keep_choice(key: str, value) -> None:
    """Put a page's choice into the address (None or '' removes it)."""
    if value is None or value == "" or value == []:
        st.query_params.pop(key, None)
    elif isinstance(value, (list, tuple)):
        st.query_params[key] = ",".join(str(v) for v in value)
    else:
        st.query_params[key] = str(value)


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
        _restore_scope()
        return f
    if not st.session_state.get("_legacy_rerun"):
        st.session_state["_legacy_rerun"] = True
        _leave_legacy_pages_mode()
        st.rerun()
    # Built here (the page ran without app.py): not kept in the session, or every later run
    # would reuse this run's choices (an opened snapshot then never showed).
    access_gate()  # without app.py too: who this is and its scope, or nothing
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
/* wide tables need the width more than the default 5rem side margins do (1366-wide screens) */
[data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; }
</style>
"""


# --- analyst tools (sandbox per data version and as-of date, download buttons) ----


@st.cache_resource(max_entries=16, show_spinner=False)
def _sandbox(data_dir: str, version: str, year: int, as_of: date, scope_key: str = ""):
    from target_monitor.sandbox import IsolatedSandbox

    from target_monitor.ingest import zygote

    zygote.prestart()  # the children's warm parent imports while the views are built
    # each query in a child process (address-space limit, hard kill); views built for the scope
    return IsolatedSandbox(_context(data_dir, version), year, as_of)


def sandbox(f: Frame):
    """The SQL console for the frame's data, year, as-of date and access scope (shared, read-only)."""
    return _sandbox(*f.key, f.year, f.as_of, _scope_key())


def download_buttons(data, name: str, lang: str, key: str, audit_what: str | None = None) -> None:
    """CSV (utf-8-sig) and XLSX buttons side by side; formula injection neutralised in both.

    `data` is a DataFrame or a function returning one. Files are built only when a button is
    clicked (callables), so a large result or record list does not slow every rerun.
    audit_what: when given, each download leaves an audit line (what, how many rows).
    """
    from target_monitor.downloads import to_csv_bytes, to_xlsx_bytes

    from target_monitor.access import audit
    from target_monitor.access.scope import current, using

    build = data if callable(data) else (lambda: data)
    # the file is built when the button is clicked, by Streamlit's media handler in another
    # thread: the session's scope and actor go with it (without them it would hold nothing)
    _restore_scope()
    scope, actor, directory = current(), current_actor(), data_dir()

    def frame():  # every download leaves an audit line: what, how many rows
        with using(scope):
            df = build()
        audit.record(directory, actor, "download", audit_what or name, rows=len(df), file=name)
        return df
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


def localise_uploaders(lang: str, cap_mb) -> None:
    """Streamlit's file uploader writes "Upload" and "200MB per file" in English whatever the
    page's language (1.67 has no option for them): draw our own words over them, with the limit
    the page itself enforces."""
    import json

    button = json.dumps(t("uploader_button", lang), ensure_ascii=False)  # markdown eats backslashes
    limit = json.dumps(t("uploader_limit", lang, mb=cap_mb), ensure_ascii=False)
    st.markdown(
        "<style>"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }'
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after'
        f" {{ content: {button}; font-size: 0.875rem; }}"
        '[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }'
        '[data-testid="stFileUploaderDropzoneInstructions"] span::after'
        f" {{ content: {limit}; font-size: 0.875rem; }}"
        "</style>",
        unsafe_allow_html=True,
    )


# --- access: who is this (login, or local mode on this computer), and what may they see ---------

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
ACTOR_KEY = "_actor"
SCOPE_KEY = "_scope"


def auth_configured() -> bool:
    """Whether login is configured ([auth] in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def is_loopback(address: str | None) -> bool:
    """An empty address means every interface (Streamlit's default): not loopback."""
    return bool(address) and (address in LOOPBACK or address.startswith("127."))


def forwarded_from_network() -> bool:
    """Whether a reverse proxy (deploy/nginx) passed this session on from another computer: a
    replica listening on 127.0.0.1 behind nginx sees every browser come from 127.0.0.1, but
    本机模式 is for this computer only. Any address in X-Forwarded-For that is not loopback
    means login is required (fail closed); a forged loopback entry does not help, as the proxy
    appends the address it really saw."""
    try:
        chain = st.context.headers.get("X-Forwarded-For") or ""
    except Exception:  # no request (AppTest, a bare run): nothing was forwarded
        return False
    return any(a.strip() and not is_loopback(a.strip()) for a in chain.split(","))


def _logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):  # no identity at all (e.g. AppTest): not logged in
        return False


def _user_claims() -> dict:
    try:
        return {k: v for k, v in st.user.to_dict().items()}
    except Exception:
        return {}


def _no_page_list(lang: str) -> None:
    """Before the gate draws a page that shows no data (login, refusal): a run that ends before
    `st.navigation` gets Streamlit's own list of every file in pages/ in the sidebar (their English
    file names, and the pages this visitor may not see); one hidden, empty page lists nothing.
    Called first, so the list is replaced as early in the run as possible."""
    title = t("access_login_title", lang)
    pages = [st.Page(_no_page, title=title, url_path="signin", default=True)]
    # the address asked for (a bookmark to /compare) is a hidden page too: else Streamlit says
    # "Page not found" in English over the login
    asked = urllib.parse.urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
    if re.fullmatch(r"[a-z][a-z0-9_-]{0,40}", asked) and asked != "signin":
        pages.append(st.Page(_no_page, title=title, url_path=asked, visibility="hidden"))
    st.navigation(pages, position="hidden")


def _no_page() -> None:
    """The content of the gate's placeholder pages: the gate has drawn it already."""


def access_gate():
    """The actor of this session, its scope set for this rerun; or a page that says why not and stops.

    Fail closed: login not configured on a network address, a user with no role, an unreadable
    access.yaml: no data is read at all.
    """
    from target_monitor import access
    from target_monitor.access import audit
    from target_monitor.reference import load_reference

    lang = current_lang()
    directory = data_dir()
    access.set_current(None)  # nothing is readable until the user is known
    st.session_state.pop(SCOPE_KEY, None)
    if not auth_configured():
        address = st.get_option("server.address") or ""
        if not is_loopback(address) or forwarded_from_network():
            _no_page_list(lang)
            st.title(t("access_unconfigured_title", lang))
            st.error(t("access_unconfigured", lang, address=address or "0.0.0.0"))
            st.stop()
        actor = access.local_operator()
    else:
        if not _logged_in():
            _no_page_list(lang)
            st.title(t("access_login_title", lang))
            st.write(t("access_login_intro", lang))
            st.button(t("access_login_button", lang), on_click=st.login, type="primary", key="access_login")
            st.stop()
        try:
            config = access.load_access(directory)
        except access.AccessConfigError as exc:
            _no_page_list(lang)
            st.error(t("access_config_error", lang, error=exc))
            st.stop()
        actor = access.actor_from_claims(_user_claims(), config)
        if st.session_state.get("_audited_login") != actor.user:
            st.session_state["_audited_login"] = actor.user
            audit.record(directory, actor, "login", "", "ok" if actor.role else "refused")
        if actor.role is None:
            _no_page_list(lang)
            st.warning(t("access_no_role", lang, user=actor.user or "?"))
            st.button(t("access_logout", lang), on_click=_logout, args=(actor,), key="access_logout_norole")
            st.stop()
    units = load_reference(reference_dir_of(directory)).units
    access.set_current(actor.scope(units))
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SCOPE_KEY] = access.current()
    with st.sidebar:
        role = t("role_" + actor.role_code, lang)
        if actor.source == "local":
            st.markdown(f'<span class="tm-badge real">{t("access_local_mode", lang)}</span>', unsafe_allow_html=True)
            st.caption(t("access_local_note", lang))
        else:
            unit = unit_name(units, actor.unit, lang)
            st.caption(t("access_user_unit", lang, name=actor.name or actor.user, role=role, unit=unit) if unit
                       else t("access_user", lang, name=actor.name or actor.user, role=role))
            st.button(t("access_logout", lang), on_click=_logout, args=(actor,), key="access_logout")
    return actor


def reference_dir_of(directory: Path) -> Path:
    from target_monitor.paths import reference_dir

    return reference_dir(directory)


def unit_name(units, code: str | None, lang: str) -> str:
    from target_monitor.i18n import unit_label

    if not code:
        return ""
    try:
        return unit_label(units[code], lang)
    except KeyError:
        return code


def _logout(actor) -> None:
    from target_monitor.access import audit

    audit.record(data_dir(), actor, "logout")
    st.session_state.pop("_audited_login", None)
    st.logout()


def current_actor():
    """The actor access_gate identified for this session (None before it ran)."""
    return st.session_state.get(ACTOR_KEY)


def allowed_sections(sections: dict, actor) -> dict:
    """The navigation with only the pages the actor's role sees (sections left empty are dropped)."""
    pages = actor.pages() if actor is not None else frozenset()
    out = {}
    for name, items in sections.items():
        keep = [p for p in items if _page_name(p) in pages]
        if keep:
            out[name] = keep
    return out


def _page_name(page) -> str:
    """A page's name in the role's page set: the overview served at the root address ("home")
    is the overview."""
    path = getattr(page, "_url_path", None) or page.url_path
    return "overview" if path == "home" else path


def scoped_unit_codes(codes: list[str], *, records: bool) -> list[str]:
    """The unit codes the current scope may read records of (records=True) or see figures of;
    a ?unit= naming any other falls back to these."""
    from target_monitor import access

    scope = access.current()
    if scope is None:
        return []
    return [c for c in codes if (scope.may_read_records(c) if records else scope.may_see_figures(c))]


def own_unit_codes(codes: list[str]) -> list[str]:
    """The units whose detail a role limited to its units may open (its own and those under it)."""
    actor = current_actor()
    if actor is None or actor.role is None:
        return []
    if actor.role.all_units:
        return codes
    return scoped_unit_codes(codes, records=True)


def audit_event(action: str, obj: str = "", outcome: str = "ok", /, **detail) -> None:
    """One audit line for the session's actor (target_monitor/access/audit.py)."""
    from target_monitor.access import audit

    audit.record(data_dir(), current_actor(), action, obj, outcome, **detail)
