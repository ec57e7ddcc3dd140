"""Browser test of the SQL console: a person opens the SQL console, runs a query and downloads the result.

Starts the real app (streamlit run) on the session's demo data and drives headless Chromium.
Skipped when chromium is not installed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")]


@pytest.fixture(scope="module")
def app_url(demo_server):
    return demo_server  # this worker's server over the demo (conftest.py)


def test_console_query_and_download(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
            page.goto(app_url + "/console")
            editor = page.get_by_label("SQL语句")
            editor.wait_for(timeout=60_000)
            editor.fill("select unit_code, name, '=1+1' as formula from units order by sort_order")
            editor.press("Control+Enter")  # commit the text area before clicking
            page.get_by_role("button", name="运行查询").click()
            expect(page.get_by_text("共返回 15 行")).to_be_visible(timeout=30_000)
            shots = REPO / "tests" / "artifacts"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "console.png"), full_page=True)  # for a person to look at
            with page.expect_download(timeout=30_000) as info:
                page.get_by_role("button", name="下载 CSV").click()
            path = tmp_path / "result.csv"
            info.value.save_as(path)
            assert info.value.suggested_filename.endswith(".csv")
            raw = path.read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf")
            df = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
            assert len(df) == 15 and df["name"].iloc[0] == "九龙坡区"
            assert (df["formula"] == "'=1+1").all()  # formula injection neutralised

            # a refused statement shows a message and the console keeps working
            editor.fill("copy units to '/tmp/evil.csv'")
            editor.press("Control+Enter")
            page.get_by_role("button", name="运行查询").click()
            expect(page.get_by_text("已拒绝")).to_be_visible(timeout=30_000)
            assert not Path("/tmp/evil.csv").exists()
        finally:
            browser.close()


def test_compare_row_click_drills_down_to_the_unit(app_url):
    """镇街对比 → click a unit's row → 镇街详情 of that unit → its records."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(app_url + "/compare")
            grid = page.locator("[data-testid=stDataFrame]").first
            grid.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            box = grid.bounding_box()
            # the row-selection marker of the third data row (header row, then 35 px per row)
            page.mouse.click(box["x"] + 12, box["y"] + 35 * 3 + 17)
            expect(page.get_by_role("heading", name="石坪桥街道目标任务完成情况")).to_be_visible(timeout=30_000)
            page.get_by_text("查看 石坪桥街道 的明细记录").click()
            expect(page.get_by_role("heading", name="石坪桥街道 · 明细记录")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("人员标识已脱敏")).to_be_visible()
        finally:
            browser.close()


def test_records_download_is_masked_xlsx(app_url, tmp_path):
    """明细记录 → 下载 Excel: every matching record, person keys masked, text not formulas."""
    from openpyxl import load_workbook
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
            page.goto(app_url + "/records?unit=500107-12")
            button = page.get_by_role("button", name="下载 Excel")
            button.wait_for(timeout=60_000)
            with page.expect_download(timeout=30_000) as info:
                button.click()
            path = tmp_path / "records.xlsx"
            info.value.save_as(path)
        finally:
            browser.close()
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    keys = [row[header.index("人员标识（身份证号脱敏键）")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert len(keys) == 282  # 铜罐驿镇, 2020 new employment to 30 June
    assert all(k[6:14] == "********" and len(k) == 18 for k in keys)
