"""The meeting's behind view with the units' 情况说明 and the 督办 view, in a real browser at the
smallest and the largest screen: nothing cut, nothing outside the screen, every page reached.
Screenshots go to tests/artifacts/followup/ (look at them)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from serve import streamlit_server
from test_meeting_browser import ARGS, ARTIFACTS, CHROMIUM, RERUN_DONE_JS, _check_page, _resize, _wait_view

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs chromium at /usr/bin/chromium")

NOTE = "受疫情影响，6月辖区企业复工推迟，新增就业登记减少；已组织专场招聘会3场，预计三季度追上序时进度。"


@pytest.fixture(scope="module")
def server(demo_dir, tmp_path_factory):
    import shutil

    from target_monitor.access import ROLES, Actor
    from target_monitor.context import Context
    from target_monitor.followup import duban, notes

    d = tmp_path_factory.mktemp("followup_browser") / "data"
    shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("logs", "followup", "snapshots"))
    ctx = Context(d)
    clerk = Actor("clerk.taojia@demo", ROLES["clerk"], unit="500107-13", source="cli")
    notes.add_note(d, clerk, unit="500107-13", indicator="urban_new_employment", month="2020-06", text=NOTE)
    # red at two month ends running: 约谈 for 陶家镇 and 铜罐驿镇; red in May only: 谢家湾, 石坪桥
    for month, as_of in (("2020-05", date(2020, 5, 31)), ("2020-06", date(2020, 6, 30))):
        duban.open_for_month(d, None, ctx.progress(2020, as_of), month)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(d, log=ARTIFACTS / "followup_server.log") as url:
        yield url


SIZES = [(1280, 720), (3840, 2160)]


def test_notes_and_duban_views_fit_the_screen(server):
    """Each page loaded once, looked at at the smallest and the largest screen (the window resized:
    the stage scales with it, its pages do not depend on it)."""
    from playwright.sync_api import sync_playwright

    out = ARTIFACTS / "followup"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": SIZES[0][0], "height": SIZES[0][1]})
        try:
            for view, title, must in (("behind", "进度滞后单位及所需进度", ["说明：受疫情影响，6月辖区企业复工推迟", "缺情况说明"]),
                                      ("duban", "督办事项", ["铜罐驿镇", "已立项（待反馈）", "⚑约谈", "未销号8项，其中约谈6项"])):
                html, n_pages, k = "", 1, 0
                while k < n_pages:
                    pg.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
                    pg.goto(f"{server}/meeting?views=behind,duban&view={view}&paused=1&lang=zh&page={k + 1}")
                    _wait_view(pg, title, settle=0)
                    pg.wait_for_selector(".mt-stage .mt-view", timeout=30000)  # the view's body, not only its title
                    pg.wait_for_function(RERUN_DONE_JS, timeout=30000)
                    marker = pg.locator(".mt-page").inner_text().strip()
                    if marker:
                        n_pages = int(marker.split("/")[1].strip("页 "))
                    for w, h in SIZES:
                        _resize(pg, w, h)
                        pg.screenshot(path=str(out / f"{view}_{w}x{h}_p{k + 1}.png"))
                        _check_page(pg, view, w, h)
                    html += pg.content()
                    k += 1
                for text in must:
                    assert text in html, f"{text!r} not on the {view} view"
        finally:
            pg.close()
            browser.close()
