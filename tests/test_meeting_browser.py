"""Meeting mode in a real browser at 1920×1080: every view fits without scrolling, the headline
numbers are on screen, Streamlit's chrome is hidden, and the rotation, pause and next controls
work. Screenshots go to tests/artifacts/meeting_<view>.png (look at them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serve import streamlit_server

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs chromium at /usr/bin/chromium")

# what must be on each view at 2020-06-30 (the demo), as people would read it
EXPECTED_EN = {
    "headline": ["District progress against targets", "21,083 persons", "68.0% of the annual target"],
    "ranking": ["Units ranked", "Xipeng Town", "⚑red"],
    "behind": ["Units behind pace and the pace they need", "Tongguanyi Town", "120 persons needed per month"],
    "trend": ["Cumulative progress against the pace line", "21,083"],
    "scores": ["Assessment scores", "71.62", "No advanced unit yet"],
}
EXPECTED = {
    "headline": ["全区目标任务完成情况", "全区城镇新增就业21083人", "完成全年目标任务的68.0%", "快于序时进度18.0个百分点",
                 "95.5%"],
    "ranking": ["各单位排名", "西彭镇", "65.6%", "⚑红"],
    "behind": ["进度滞后单位及所需进度", "铜罐驿镇", "剩余6个月，月均需完成120人"],
    "trend": ["月度累计与序时进度线", "21083", "序时进度线"],
    "scores": ["考核评分", "71.62", "暂无先进单位"],
}


@pytest.fixture(scope="module")
def server(demo_dir):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(demo_dir, log=ARTIFACTS / "meeting_server.log") as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1920, "height": 1080})
        yield pg
        browser.close()


def _wait_view(pg, title: str, timeout: float = 40) -> None:
    pg.wait_for_function("t => document.querySelector('.mt-title')?.textContent === t", arg=title,
                         timeout=timeout * 1000)
    pg.wait_for_timeout(1500)  # charts draw after the markup


SCROLL_JS = """() => {
  const over = [];
  for (const el of document.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if ((s.overflowY === 'auto' || s.overflowY === 'scroll') && el.scrollHeight > el.clientHeight + 1)
      over.push(el.tagName + '.' + el.className + ' ' + el.scrollHeight + '>' + el.clientHeight);
  }
  return {doc: document.documentElement.scrollHeight, inner: innerHeight, over};
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("view", list(EXPECTED))
def test_each_view_fits_1920x1080_and_shows_the_numbers(server, page, view, lang):
    expected = EXPECTED if lang == "zh" else EXPECTED_EN
    page.goto(f"{server}/meeting?view={view}&paused=1&lang={lang}")
    _wait_view(page, expected[view][0])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"meeting_{view}_{lang}.png"))
    scroll = page.evaluate(SCROLL_JS)
    assert scroll["doc"] <= scroll["inner"] and not scroll["over"], scroll
    html = page.content()
    for text in expected[view]:
        assert text in html, f"{text!r} not on the {view} view"
    # the data stamp and the demo label are always there
    if lang == "zh":
        assert "数据截至 2020-06-30" in html and "演示数据" in html
    else:
        assert "Data as of 2020-06-30" in html and "Demo data" in html
    sizes = page.evaluate("""() => ({
        title: parseFloat(getComputedStyle(document.querySelector('.mt-title')).fontSize),
        body: Math.min(...[...document.querySelectorAll('.mt-view, .mt-status, .mt-view td, .mt-legend')]
                           .map(e => parseFloat(getComputedStyle(e).fontSize))),
        sidebar: !!document.querySelector('[data-testid="stSidebar"]')?.offsetParent,
        header: !!document.querySelector('header[data-testid="stHeader"]')?.offsetParent,
    })""")
    assert sizes["title"] >= 64 and sizes["body"] >= 28, sizes
    assert not sizes["sidebar"] and not sizes["header"]


def test_rotation_pause_and_next(server, page):
    page.goto(f"{server}/meeting?views=behind,scores&interval=5&lang=zh")
    _wait_view(page, "进度滞后单位及所需进度")
    assert page.locator(".mt-pos").inner_text() == "1 / 2"
    # rotates on its own within the interval (plus the fragment's timer slack)
    _wait_view(page, "考核评分", timeout=15)
    assert page.locator(".mt-pos").inner_text() == "2 / 2"
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
    now_on = page.locator(".mt-title").inner_text()
    page.wait_for_timeout(1000)
    page.keyboard.press("PageDown")
    page.wait_for_function("t => document.querySelector('.mt-title')?.textContent !== t", arg=now_on,
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
    assert "铜罐驿镇完成28.2%，慢于序时进度21.8个百分点，剩余6个月，月均需完成120人" in copied
