"""Meeting mode in a real browser at 1280×720, 1366×768, 1920×1080 and 3840×2160: every view and
every page of it fits without scrolling and without cutting anything, every unit is on screen on
some page, the buttons stay inside the viewport (also with a snapshot open), the key figures are
the largest text, Streamlit's chrome is hidden, and the rotation, pause and next controls work.
Screenshots go to tests/artifacts/meeting/<size>/<view>_<lang>_p<page>.png (look at them)."""

from __future__ import annotations

import dataclasses
import functools
import re
from datetime import date
from pathlib import Path

import pytest

from serve import streamlit_server

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

# the worker's server over the demo (conftest's demo_server); the file stays on one worker (its module
# fixtures): spread over four workers on two loaded cores, the pages were checked before they had drawn
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs chromium at /usr/bin/chromium")

# what must be on each view at 2020-06-30 (the demo), as people would read it
EXPECTED_EN = {
    "headline": ["District progress against targets", "21,083 persons", "68.0% of the annual target",
                 '<span class="mt-act">21,083</span>'],
    "ranking": ["Units ranked", "Xipeng Town", "⚑red"],
    "behind": ["Units behind pace and the pace they need", "Tongguanyi Town", "120 persons needed per month"],
    "trend": ["Cumulative progress against the pace line", "21,083", ">20,000</text>"],
    "scores": ["Assessment scores", "109.86", "Advanced units (top 5): Xipeng Town, Shiqiaopu Subdistrict",
               "Basis: completion against the time schedule"],
}
EXPECTED = {
    "headline": ["全区目标任务完成情况", "全区城镇新增就业21083人", "完成全年目标任务的68.0%", "快于序时进度18.0个百分点",
                 "95.5%", '<span class="mt-fig">68.0%</span><span class="mt-act">21083</span>', ">100%</span>"],
    "ranking": ["各单位排名", "西彭镇", "65.6%", "⚑红"],
    "behind": ["进度滞后单位及所需进度", "铜罐驿镇", "剩余6个月，月均需完成120人",
               "逾期未报送（每月5日前报送上月数据）：陶家镇（5月）"],
    "trend": ["月度累计与序时进度线", "21083", "序时进度线", ">20000</text>"],
    "scores": ["考核评分", "109.86", "先进单位（前5名）：西彭镇、石桥铺街道", "计分口径：按序时进度折算完成比例"],
}


SIZES = [(1280, 720), (1366, 768), (1920, 1080), (3840, 2160)]


@pytest.fixture(scope="module")
def server(demo_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return demo_server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser):
    pg = browser.new_page(viewport={"width": 1920, "height": 1080})
    yield pg
    pg.close()


def _wait_view(pg, title: str, timeout: float = 40, settle: float = 1.5) -> None:
    pg.wait_for_function("t => document.querySelector('.mt-title')?.textContent === t", arg=title,
                         timeout=timeout * 1000)
    pg.wait_for_timeout(settle * 1000)  # charts draw after the markup


SCROLL_JS = """() => {
  const over = [];
  for (const el of document.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if ((s.overflowY === 'auto' || s.overflowY === 'scroll') && el.scrollHeight > el.clientHeight + 1)
      over.push(el.tagName + '.' + el.className + ' ' + el.scrollHeight + '>' + el.clientHeight);
  }
  return {doc: document.documentElement.scrollHeight, inner: innerHeight,
          docw: document.documentElement.scrollWidth, innerw: innerWidth, over};
}"""

# What a person sees of one page: anything outside the viewport or cut by the stage, the
# buttons' boxes, the unit names fully on screen, and the text sizes.
FIT_JS = """() => {
  const W = innerWidth, H = innerHeight;
  const stage = document.querySelector('.mt-stage');
  const sb = stage.getBoundingClientRect();
  const outside = [];
  const inside = (b, box) => b.left >= box.left - 1 && b.right <= box.right + 1 && b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
  for (const el of document.querySelectorAll('.mt-top *, .mt-status *, .mt-stage *')) {
    const b = el.getBoundingClientRect();
    if (!b.width || !b.height) continue;
    const box = stage.contains(el) ? sb : {left: 0, top: 0, right: W, bottom: H};
    if (!inside(b, box)) outside.push((el.className.baseVal ?? el.className) + ' ' + (el.textContent || '').slice(0, 30) + ' ' + JSON.stringify([b.left, b.top, b.right, b.bottom]));
  }
  const buttons = [...document.querySelectorAll('.stButton button, [data-testid="stPopover"] button')]
    .filter(b => b.offsetParent)  // the hidden sidebar's buttons are not on screen
    .map(b => { const r = b.getBoundingClientRect(); return {text: b.innerText.trim(), left: r.left, top: r.top, right: r.right, bottom: r.bottom}; });
  const units = [...stage.querySelectorAll('.mt-unit, .mt-behind-item b')]
    .filter(e => inside(e.getBoundingClientRect(), sb) && inside(e.getBoundingClientRect(), {left: 0, top: 0, right: W, bottom: H}))
    .map(e => e.textContent.trim());
  const size = e => parseFloat(getComputedStyle(e).fontSize);
  const texts = [...document.querySelectorAll('.mt-top *, .mt-status *, .mt-stage *')]
    .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
  const figs = [...document.querySelectorAll('.mt-fig, .mt-act')];
  return {W, H, stage: [sb.top, sb.bottom, stage.scrollHeight, stage.clientHeight, stage.scrollWidth, stage.clientWidth],
          outside, buttons, units,
          title: size(document.querySelector('.mt-title')),
          figs: figs.map(size),
          otherMax: Math.max(...texts.filter(e => !figs.includes(e)).map(size)),
          bodyMin: Math.min(...[...stage.querySelectorAll('td, .mt-behind-item, .mt-hl-text, .mt-legend')].map(size))};
}"""


NOT_REPORTED = re.compile(r"（[^（）]*未报）$| \(no records for [^()]*\)$")


@functools.lru_cache(maxsize=None)  # once per worker, not once per screen size and language
def _expected_units(demo_dir) -> dict[str, set[str]]:
    """The unit names each view must show (over all its pages), from the library itself."""
    from target_monitor.context import Context
    from target_monitor.i18n import unit_label
    from target_monitor.paths import reference_dir
    from target_monitor.scoring import load_scoring, load_work_items, score_units, work_items_path

    ctx = Context(demo_dir)
    now = ctx.progress(2020, date(2020, 6, 30))
    out = {}
    for lang in ("zh", "en"):
        names = {u.code: unit_label(u, lang) for u in ctx.ref.units}
        kids = now[(now["level"] == "child") & (now["target_basis"] == "own")]
        ranked = set(kids.loc[kids["rank"].notna(), "unit_code"])
        behind = set(kids.loc[kids["status"].isin(["slightly_behind", "far_behind", "not_met"]), "unit_code"])
        cfg = load_scoring(reference_dir(demo_dir), ctx.registry)
        cfg = dataclasses.replace(cfg, basis="time_progress")
        scored = {s.unit_code for s in score_units(now, cfg, load_work_items(work_items_path(demo_dir), cfg, 2020))
                  if s.assessed}
        out[lang] = {"ranking": {names[c] for c in ranked}, "behind": {names[c] for c in behind},
                     "scores": {names[c] for c in scored}}
    return out


def _check_page(pg, view: str, w: int, h: int) -> dict:
    scroll = pg.evaluate(SCROLL_JS)
    assert scroll["doc"] <= scroll["inner"] and scroll["docw"] <= scroll["innerw"] and not scroll["over"], scroll
    fit = pg.evaluate(FIT_JS)
    top, bottom, sh, ch, sw, cw = fit["stage"]
    assert sh <= ch + 1 and sw <= cw + 1, f"the {view} view is cut at {w}×{h}: {fit['stage']}"
    assert not fit["outside"], f"outside the screen or the stage at {w}×{h}: {fit['outside'][:5]}"
    assert len(fit["buttons"]) >= 4, fit["buttons"]
    for b in fit["buttons"]:  # inside the viewport and below the view, never over it
        assert 0 <= b["left"] and b["right"] <= w and b["top"] >= bottom - 1 and b["bottom"] <= h, (b, fit["stage"])
    scale = min(w / 1920, h / 1080)
    assert abs(fit["title"] - 60 * scale) < 1, fit["title"]
    if view == "headline":
        # the key figures (completion %, actual) are the largest text: ≥ 64 px at 1920×1080
        assert fit["figs"] and min(fit["figs"]) >= 64 * scale - 0.5, fit["figs"]
        assert min(fit["figs"]) > fit["otherMax"], (fit["figs"], fit["otherMax"])
    assert fit["bodyMin"] >= 20 * scale - 0.5, fit["bodyMin"]
    return fit


@pytest.mark.spread  # one language per worker, each with its own browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_view_fits_every_screen(server, browser, demo_dir, lang):
    """Each page of each view is shown once and looked at in all four sizes: the stage is laid out
    in design pixels of 1920×1080 scaled to the viewport (meeting.py, --u), so the pages a view splits
    into do not depend on the screen, and resizing the window is what a projector of another size
    shows (the markup is the server's, the layout the browser's)."""
    expected = EXPECTED if lang == "zh" else EXPECTED_EN
    units = _expected_units(demo_dir)[lang]
    w0, h0 = SIZES[0]
    pg = browser.new_page(viewport={"width": w0, "height": h0})
    try:
        # the first view from its link, the others as the presenter reaches them: 下一页 (paused)
        pg.goto(f"{server}/meeting?view={list(expected)[0]}&paused=1&lang={lang}")
        next_label = "下一页 ▶" if lang == "zh" else "Next ▶"
        for i, view in enumerate(expected):
            seen = {size: set() for size in SIZES}
            html = ""
            n_pages, k = 1, 0
            while k < n_pages:
                if i or k:
                    pos = pg.locator(".mt-pos").inner_text()
                    pg.set_viewport_size({"width": w0, "height": h0})  # the buttons are at the foot
                    pg.get_by_role("button", name=next_label).click()
                    pg.wait_for_function("t => document.querySelector('.mt-pos')?.textContent !== t", arg=pos,
                                         timeout=40000)
                _wait_view(pg, expected[view][0], settle=0)
                pg.wait_for_function(RERUN_DONE_JS, timeout=40000)
                marker = pg.locator(".mt-page").inner_text().strip()
                if marker:  # "第1/2页" / "Page 1/2"
                    n_pages = int(marker.split("/")[1].strip("页 "))
                    assert str(k + 1) in marker.split("/")[0]
                for w, h in SIZES:
                    _resize(pg, w, h)
                    out = ARTIFACTS / "meeting" / f"{w}x{h}"
                    out.mkdir(parents=True, exist_ok=True)
                    pg.screenshot(path=str(out / f"{view}_{lang}_p{k + 1}.png"))
                    fit = _check_page(pg, view, w, h)
                    # a unit that has not reported a month carries the mark beside its name: "陶家镇（5月未报）"
                    seen[(w, h)] |= {NOT_REPORTED.sub("", name) for name in fit["units"]}
                html += pg.content()
                k += 1
            for text in expected[view]:
                assert text in html, f"{text!r} not on the {view} view"
            if view == "ranking":
                assert ("陶家镇（5月未报）" if lang == "zh" else "(no records for M5)") in html
            if view == "behind":  # the units overdue with their report: a line inside the stage (checked above)
                assert html.count('class="mt-foot"') == n_pages
            if view in units:
                for (w, h), names in seen.items():
                    assert units[view] <= names, f"{view} at {w}×{h}: not on screen {units[view] - names}"
            assert ("数据截至 2020-06-30" if lang == "zh" else "Data as of 2020-06-30") in html
            assert ("演示数据" if lang == "zh" else "Demo data") in html
            chrome = pg.evaluate("""() => [!!document.querySelector('[data-testid="stSidebar"]')?.offsetParent,
                                           !!document.querySelector('header[data-testid="stHeader"]')?.offsetParent]""")
            assert chrome == [False, False]
    finally:
        pg.close()


# the run (a first load, or the rerun a click started) has drawn everything: no element left from the previous run, and the
# buttons (drawn after the stage) are back
RERUN_DONE_JS = """() => !document.querySelector('[data-stale="true"]')
  && [...document.querySelectorAll('.stButton button, [data-testid="stPopover"] button')]
       .filter(b => b.offsetParent).length >= 4"""


def _resize(pg, w: int, h: int) -> None:
    """The window at w×h, looked at once the browser has laid the page out again at that size."""
    pg.set_viewport_size({"width": w, "height": h})
    pg.wait_for_function("([w, h]) => innerWidth === w && innerHeight === h", arg=[w, h])
    # two frames: the resize's layout and any chart's redraw on the resize event
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    pg.wait_for_timeout(300)


@pytest.fixture(scope="module")
def snapshot_server(demo_dir, tmp_path_factory):
    """A data directory with the 2020-06 snapshot (no PDF: only the frozen tables matter here)."""
    import shutil

    from target_monitor.snapshots.build import build_snapshot
    from target_monitor.snapshots.frozen import list_snapshots

    d = tmp_path_factory.mktemp("meeting_snapshot") / "data"
    shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("snapshots", "logs"))  # the demo, as generated
    build_snapshot(d, "2020-06", exports=False, pdf=False)
    snap = list_snapshots(d)[0].snapshot_id
    with streamlit_server(d, log=ARTIFACTS / "meeting_snapshot_server.log") as url:
        yield url, snap


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_buttons_stay_on_screen_with_a_snapshot_open(snapshot_server, browser, size):
    url, snap = snapshot_server
    w, h = size
    pg = browser.new_page(viewport={"width": w, "height": h})
    try:
        for view in ("headline", "ranking"):
            pg.goto(f"{url}/meeting?view={view}&paused=1&lang=zh&snapshot={snap}")
            _wait_view(pg, EXPECTED[view][0], settle=0)
            pg.wait_for_function(RERUN_DONE_JS, timeout=40000)  # the buttons are drawn after the stage
            pg.wait_for_timeout(300)
            (ARTIFACTS / "meeting").mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(ARTIFACTS / "meeting" / f"snapshot_{view}_{w}x{h}.png"))
            _check_page(pg, view, w, h)
            assert f"快照 {snap}" in pg.locator(".mt-status").inner_text()
    finally:
        pg.close()


def test_rotation_pause_and_next(server, page):
    page.goto(f"{server}/meeting?views=behind,scores&interval=5&lang=zh")
    _wait_view(page, "进度滞后单位及所需进度")
    # the view's position only (a view that pages itself shows 第1/2页 beside it)
    assert page.locator("[data-testid=mt-position]").inner_text() == "1 / 2"
    # rotates on its own within the interval (plus the fragment's timer slack)
    _wait_view(page, "考核评分", timeout=15)
    assert page.locator("[data-testid=mt-position]").inner_text() == "2 / 2"
    page.get_by_role("button", name="‖ 暂停").click()
    page.wait_for_function("() => document.querySelector('.mt-state')?.textContent.includes('已暂停')", timeout=15000)
    paused_on = page.locator(".mt-title").inner_text()
    page.wait_for_timeout(8000)
    assert page.locator(".mt-title").inner_text() == paused_on
    page.get_by_role("button", name="下一页 ▶").click()
    page.wait_for_function("t => document.querySelector('.mt-title')?.textContent !== t", arg=paused_on,
                           timeout=15000)
    assert "view=" in page.url and "views=behind%2Cscores" in page.url.replace(",", "%2C")
    # a presenter's clicker: PageDown moves on without the mouse
    # (the next page: the behind view may page itself, so the view and its page, not the title)
    now_on = page.locator(".mt-pos").inner_text()
    page.wait_for_timeout(1000)
    page.keyboard.press("PageDown")
    page.wait_for_function("t => document.querySelector('.mt-pos')?.textContent !== t", arg=now_on,
                           timeout=15000)


def test_briefing_copy_button_puts_the_text_on_the_clipboard(server, page):
    """The 通报 page's copy button (same server; a real click in a real browser)."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{server}/briefing?lang=zh")
    page.wait_for_selector("text=关于九龙坡区2020年就业目标任务完成情况的通报", timeout=40000)
    frame = page.frame_locator("iframe").first
    frame.get_by_role("button", name="复制全文").click()
    frame.get_by_text("✔ 已复制").wait_for(timeout=10000)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("关于九龙坡区2020年就业目标任务完成情况的通报")
    # the 通报 as in tests/golden/briefing_2020-06-30.txt: the months left said once, then the units
    assert "全年剩余6个月，各单位要对照目标任务倒排进度" in copied
    assert "铜罐驿镇（完成28.2%，慢于序时进度21.8个百分点，月均需完成120人）" in copied
