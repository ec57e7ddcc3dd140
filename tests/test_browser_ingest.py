"""A real server and a real browser: while one user's crafted file is being parsed (and finally
stopped by the time limit), the server keeps answering and another user's dashboard loads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from make_fixtures import HEADERS, csv_bytes

REPO = Path(__file__).resolve().parents[1]
PORT = 8533
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.browser


def _health() -> bool:
    try:
        with urllib.request.urlopen(f"http://localhost:{PORT}/_stcore/health", timeout=5) as r:
            return r.read() == b"ok"
    except OSError:
        return False


@pytest.fixture
def server(demo_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    shutil.copytree(REPO / "data" / "reference", data / "reference")
    rules = data / "reference" / "ingest_rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("parse_timeout_s: 120", "parse_timeout_s: 6"),
                     encoding="utf-8")
    env = {**os.environ, "TARGET_MONITOR_DATA": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(PORT)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            if _health():
                break
            time.sleep(0.5)
        yield data
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_server_keeps_serving_while_a_crafted_file_is_parsed(server, tmp_path):
    from playwright.sync_api import sync_playwright

    slow = tmp_path / "crafted.csv"
    rows = [[f"LN-{i:07d}", "杨家坪街道", "个人", "2020-03-02", "100000", "中国建设银行"] for i in range(400_000)]
    slow.write_bytes(csv_bytes([HEADERS["loans"], *rows]))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            a = browser.new_page(viewport={"width": 1300, "height": 1000})
            a.goto(f"http://localhost:{PORT}/data", wait_until="networkidle", timeout=90_000)
            a.locator("input[type=file]").first.set_input_files(str(slow))
            a.wait_for_selector("text=crafted.csv", timeout=60_000)
            a.get_by_role("button", name="检查文件").click()
            started = time.monotonic()
            assert all(_health() for _ in range(3))
            b = browser.new_page(viewport={"width": 1300, "height": 1000})
            b.goto(f"http://localhost:{PORT}/overview", wait_until="domcontentloaded", timeout=90_000)
            b.wait_for_selector("text=就业目标任务完成情况", timeout=90_000)
            other_page_loaded = time.monotonic() - started
            a.wait_for_selector("text=已拒绝", timeout=120_000)
            rejected_after = time.monotonic() - started
            body = a.inner_text("body")
            assert "超过 6 秒" in body and "crafted.csv" in body
            assert other_page_loaded < rejected_after  # served while the parse was still running
            assert _health()
        finally:
            browser.close()
