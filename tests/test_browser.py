"""A real browser against a real server: the overview as a person sees it.

Starts `streamlit run app.py` on 127.0.0.1 (a free port) over the session's demo data, opens
the overview in Debian's headless Chromium and saves tests/artifacts/overview.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_dir):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("Debian chromium is not installed")
    port = _free_port()
    env = {**os.environ, "TARGET_MONITOR_DATA": str(demo_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("streamlit did not start within 30 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
