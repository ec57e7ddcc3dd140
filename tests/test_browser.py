"""A real browser against a real server: the overview as a person sees it.

Starts `streamlit run app.py` on 127.0.0.1 (a free port) over the session's demo data, opens
the overview in Debian's headless Chromium and saves tests/artifacts/overview.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from serve import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(request):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("Debian chromium is not installed")
    return request.getfixturevalue("demo_server")  # this worker's server over the demo (conftest.py)


def test_overview_in_a_real_browser(server):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(server + "/")
        headline = page.get_by_text("截至6月30日，全区城镇新增就业", exact=False)
        expect(headline).to_be_visible(timeout=60_000)
        expect(page.get_by_text("演示数据").first).to_be_visible()
        chart = page.locator("[data-testid='stPlotlyChart']").first
        expect(chart).to_be_visible(timeout=30_000)
        expect(chart.locator(".main-svg").first).to_be_visible(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        # the sidebar lists the four pages by their Chinese titles (st.navigation, not the pages/ scan)
        nav = page.locator("[data-testid='stSidebarNav']")
        for title in ("总览", "镇街对比", "趋势", "镇街详情"):
            expect(nav.get_by_text(title, exact=True)).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "overview.png").stat().st_size > 50_000
