"""The Chinese UI in a real browser: no Streamlit English (Deploy, the ⋮ menu, "View N more",
"Page not found", the uploader's "Upload · 200MB per file"); the 镇街对比 and ranking tables fit
1366 and 1920 wide without sideways scrolling; a click on a unit's name opens its detail; a
link with year, as-of date and page choices reproduces the view.
Screenshots go to tests/artifacts/one_language/ (look at them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serve import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts" / "one_language"

# the worker's server over the demo (conftest's demo_server)
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs chromium at /usr/bin/chromium")

PAGE_TITLES_ZH = ["总览", "镇街对比", "趋势", "镇街详情", "会议模式", "排名与旗标", "考核评分", "通报", "明细记录",
                  "自助分析", "SQL查询", "月度快照", "数据管理"]


@pytest.fixture(scope="module")
def server(demo_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return demo_server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str, size=(1366, 768)):
    pg = browser.new_page(viewport={"width": size[0], "height": size[1]})
    pg.goto(url)
    pg.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60000)
    pg.wait_for_timeout(2500)
    return pg


def test_overview_address_navigation_and_no_streamlit_english(server, browser):
    pg = _open(browser, f"{server}/overview?lang=zh")
    try:
        pg.screenshot(path=str(ARTIFACTS / "overview_zh.png"))
        text = pg.inner_text("body")
        assert "Page not found" not in text and "全区" in text
        assert "/overview" in pg.url
        nav = pg.inner_text('[data-testid="stSidebarNav"]')
        for title in PAGE_TITLES_ZH:  # every page listed, none behind "View more"
            assert title in nav, title
        assert "View" not in nav and "more" not in nav
        assert pg.locator('[data-testid="stAppDeployButton"]').count() == 0
        assert pg.locator('[data-testid="stMainMenu"]').count() == 0
        for word in ("Deploy", "Choose", "None", "empty"):
            assert word not in text, word
    finally:
        pg.close()


def test_root_and_overview_show_the_same_page(server, browser):
    texts = []
    for path in ("/", "/overview"):
        pg = _open(browser, f"{server}{path}?lang=zh")
        try:
            text = pg.inner_text('[data-testid="stMainBlockContainer"]')
            assert "Page not found" not in pg.inner_text("body")
            assert "截至6月30日，全区城镇新增就业21083人" in text
            texts.append(text)
        finally:
            pg.close()
    assert texts[0][:800] == texts[1][:800]  # the same title, stamp and headline (charts draw later)


def test_uploader_speaks_chinese(server, browser):
    pg = _open(browser, f"{server}/data?lang=zh")
    try:
        pg.wait_for_selector('[data-testid="stFileUploaderDropzone"]', timeout=30000)
        pg.screenshot(path=str(ARTIFACTS / "data_zh.png"))
        seen = pg.evaluate("""() => {
          const zone = document.querySelector('[data-testid="stFileUploaderDropzone"]');
          const p = zone.querySelector('button [data-testid="stMarkdownContainer"] p');
          const s = zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
          return {p: parseFloat(getComputedStyle(p).fontSize), pAfter: getComputedStyle(p, '::after').content,
                  s: parseFloat(getComputedStyle(s).fontSize), sAfter: getComputedStyle(s, '::after').content};
        }""")
        # Streamlit's own words are drawn at size 0; ours are drawn over them
        assert seen["p"] == 0 and seen["s"] == 0, seen
        assert "选择文件" in seen["pAfter"] and "每个文件不超过" in seen["sAfter"] and "MB" in seen["sAfter"], seen
    finally:
        pg.close()


def _overflow(pg) -> list:
    return pg.evaluate("""() => [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
        .filter(e => e.offsetParent).map(e => [e.scrollWidth, e.clientWidth])""")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ["compare", "ranking"])
def test_tables_fit_without_sideways_scrolling(server, browser, page, lang):
    """At 1366 wide, then the same page with the window widened to 1920 (the tables follow the width)."""
    pg = _open(browser, f"{server}/{page}?lang={lang}", (1366, 768))
    try:
        pg.wait_for_selector('[data-testid="stDataFrame"]', timeout=30000)
        pg.wait_for_timeout(1500)
        for w, h in ((1366, 768), (1920, 1080)):
            if w != 1366:
                pg.set_viewport_size({"width": w, "height": h})
                pg.wait_for_function("w => innerWidth === w", arg=w)
                # the grids measure their container again and redraw
                pg.wait_for_function("""w => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
                    .filter(e => e.offsetParent).every(e => e.getBoundingClientRect().width > w * 0.55)""", arg=w)
                pg.wait_for_timeout(1000)
            pg.screenshot(path=str(ARTIFACTS / f"{page}_{lang}_{w}.png"))
            widths = _overflow(pg)
            assert widths and all(sw <= cw + 1 for sw, cw in widths), (w, widths)
    finally:
        pg.close()


def test_clicking_a_unit_name_opens_its_detail(server, browser):
    pg = _open(browser, f"{server}/compare?lang=zh")
    try:
        pg.wait_for_selector('[data-testid="stDataFrame"]', timeout=30000)
        pg.wait_for_timeout(1500)
        box = pg.locator('[data-testid="stDataFrame"]').first.bounding_box()
        # the columns share the table's width: the name column sits at about a fifth of it, after
        # the row checkbox and 序号; rows are 35 px
        pg.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + 35 + 35 * 2 + 17)  # the third unit: 石坪桥街道
        pg.wait_for_url("**/unit?**", timeout=20000)
        assert "unit=500107-03" in pg.url
        pg.wait_for_timeout(1500)
        assert "石坪桥街道" in pg.inner_text("body")
    finally:
        pg.close()


def test_a_link_reproduces_year_date_and_choices(server, browser):
    url = f"{server}/compare?lang=zh&year=2020&as_of=2020-05-31&sort=guarantee_loans&indicator=vocational_training"
    pg = _open(browser, url)
    try:
        # the chart's selectbox is drawn after the table: wait for both rather than a fixed time
        pg.wait_for_function("""() => document.querySelectorAll(
            '[data-testid="stMainBlockContainer"] [data-testid="stSelectbox"]').length >= 2""", timeout=60000)
        text = pg.inner_text("body")
        assert "数据截至 2020-05-31" in text
        assert "as_of=2020-05-31" in pg.url and "sort=guarantee_loans" in pg.url
        # the chosen sort and chart indicator are the widgets' values
        assert "发放创业担保贷款" in _selectbox_text(pg, 0)
        assert "职业培训" in _selectbox_text(pg, 1)
    finally:
        pg.close()


def _selectbox_text(pg, n: int) -> str:
    """What the n-th selectbox of the page (not the sidebar) shows: its label and chosen option."""
    return pg.evaluate("""n => {
      const box = document.querySelectorAll('[data-testid="stMainBlockContainer"] [data-testid="stSelectbox"]')[n];
      return box.textContent + ' ' + [...box.querySelectorAll('input')].map(i => i.value).join(' ');
    }""", n)
