"""Browser test of the SQL console: a person opens the SQL console, runs a query and downloads the result.

Starts the real app (streamlit run) on the session's demo data and drives headless Chromium.
Skipped when chromium is not installed.
"""

from __future__ import annotations

import io
import os
import signal
import threading
import time
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


# --- the console cannot hurt the server ----------------------------------------------------------

SERVER_CAP = 600 * 2**20  # the bound for the server beside the attacks
WATCHDOG = 3 * 2**30  # the server's whole process tree above this is killed: the machine comes first
PAGE_ATTACKS = [
    "select count(*) from unnest(generate_series(1, 2000000000))",
    "select length(repeat('x', 4294967295))",
    "select len(list_concat(range(400000000), range(400000000)))",
]


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    out.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _tree(pid: int) -> list[int]:
    children, out, stack = _children(), [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(children.get(p, []))
    return out


def _server_pid(url: str) -> int:
    """The `streamlit run` process serving `url` (a child of this test process)."""
    port = url.rsplit(":", 1)[1]
    for pid in _tree(os.getpid())[1:]:
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(argv) and port.encode() in argv:
            return pid
    raise AssertionError(f"no streamlit process serving {url}")


@pytest.mark.system  # a server under attack, sampled for minutes: `uv run pytest -m system`
def test_console_attacks_leave_the_server_under_600_mb(app_url):
    """Memory attacks through the page: each ends with the memory message within the timeout
    + 2 s, the next query works, and the server process stays under 600 MB the whole time
    (sampled every 50 ms; the queries' own processes are the sandbox's children, which may use
    up to their limit and are then killed)."""
    from playwright.sync_api import expect, sync_playwright

    from target_monitor.sandbox import DEFAULT_TIMEOUT_S

    server = _server_pid(app_url)
    state = {"server": 0, "tree": 0, "killed": False, "stop": False}

    def watch():
        while not state["stop"]:
            pids = _tree(server)
            sizes = {p: _rss(p) for p in pids}
            state["server"] = max(state["server"], sizes.get(server, 0))
            state["tree"] = max(state["tree"], sum(sizes.values()))
            if sum(sizes.values()) > WATCHDOG:
                state["killed"] = True
                for p in reversed(pids):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    took = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                page.goto(app_url + "/console")
                editor = page.get_by_label("SQL语句")
                editor.wait_for(timeout=60_000)
                run = page.get_by_role("button", name="运行查询")

                def query(sql: str) -> None:
                    editor.fill(sql)
                    editor.press("Control+Enter")
                    run.click()

                query("select count(*) as n from units")  # the page and the sandbox are warm
                expect(page.get_by_text("共返回 1 行")).to_be_visible(timeout=60_000)
                before = _rss(server)
                for sql in PAGE_ATTACKS:
                    started = time.monotonic()
                    query(sql)
                    expect(page.get_by_text("查询超出内存上限")).to_be_visible(timeout=(DEFAULT_TIMEOUT_S + 2) * 1000)
                    took[sql] = time.monotonic() - started
                    query("select 1 as one")  # the next query works (and clears the message)
                    expect(page.get_by_text("共返回 1 行")).to_be_visible(timeout=30_000)
                after = _rss(server)
            finally:
                browser.close()
    finally:
        state["stop"] = True
        watcher.join(1)
    assert not state["killed"], f"the server's process tree went over {WATCHDOG // 2**30} GB"
    assert state["server"] < SERVER_CAP, f"server peak {state['server'] / 2**20:.0f} MB"
    assert after - before < 50 * 2**20, f"the server grew by {(after - before) / 2**20:.0f} MB"
    print({"server_peak_mb": round(state["server"] / 2**20), "tree_peak_mb": round(state["tree"] / 2**20),
           "seconds": {k[:40]: round(v, 1) for k, v in took.items()}})
