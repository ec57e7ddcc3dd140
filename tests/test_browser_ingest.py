"""A real server and a real browser: while one user's crafted file is being parsed (and finally
stopped by the time limit), the server keeps answering and another user's dashboard loads."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from serve import healthy, streamlit_server

from make_fixtures import HEADERS, csv_bytes

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.browser


@pytest.fixture
def server(demo_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    shutil.copytree(REPO / "data" / "reference", data / "reference")
    rules = data / "reference" / "ingest_rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("parse_timeout_s: 120", "parse_timeout_s: 6"),
                     encoding="utf-8")
    with streamlit_server(data) as url:
        yield data, url


def test_server_keeps_serving_while_a_crafted_file_is_parsed(server, tmp_path):
    data, url = server
    from playwright.sync_api import sync_playwright

    slow = tmp_path / "crafted.csv"
    rows = [[f"LN-{i:07d}", "杨家坪街道", "个人", "2020-03-02", "100000", "中国建设银行"] for i in range(400_000)]
    slow.write_bytes(csv_bytes([HEADERS["loans"], *rows]))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            a = browser.new_page(viewport={"width": 1300, "height": 1000})
            a.goto(f"{url}/data", wait_until="networkidle", timeout=90_000)
            a.locator("input[type=file]").first.set_input_files(str(slow))
            a.wait_for_selector("text=crafted.csv", timeout=60_000)
            a.get_by_role("button", name="检查文件").click()
            started = time.monotonic()
            assert all(healthy(url) for _ in range(3))
            b = browser.new_page(viewport={"width": 1300, "height": 1000})
            b.goto(f"{url}/overview", wait_until="domcontentloaded", timeout=90_000)
            b.wait_for_selector("text=就业目标任务完成情况", timeout=90_000)
            other_page_loaded = time.monotonic() - started
            a.wait_for_selector("text=已拒绝", timeout=120_000)
            rejected_after = time.monotonic() - started
            body = a.inner_text("body")
            assert "超过 6 秒" in body and "crafted.csv" in body
            assert other_page_loaded < rejected_after  # served while the parse was still running
            assert healthy(url)
        finally:
            browser.close()
