"""报送审核 in a real browser, logged in through the OIDC provider as both users: the clerk of
杨家坪街道 submits July, reviewer@demo returns it with a reason, the clerk reads the reason and
submits again, the reviewer approves; only then does `progress` include it."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from target_monitor import submissions
from target_monitor.cli import main
from tests.serve import CHROMIUM, CHROMIUM_ARGS
from tests.test_browser_login import app, provider  # noqa: F401  (the fixtures)

from make_fixtures import HEADERS, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")]

CLERK = "clerk.yangjiaping@demo"
REVIEWER = "reviewer@demo"


def _progress(data, as_of):
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        code = main(["progress", "--as-of", as_of, "--format", "json", "--data-dir", str(data)])
    return code, (json.loads(out.getvalue()) if code == 0 else [])


def _actual(rows):
    return next(r["actual"] for r in rows if r["unit_code"] == "500107-01" and r["indicator"] == "urban_new_employment")


def _login(browser, url, user, role):
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    page.goto(url)
    page.get_by_role("button", name="登录").click(timeout=60_000)
    page.locator(f'button[name="sub"][value="{user}"]').click(timeout=60_000)
    expect(page.get_by_text(role).first).to_be_visible(timeout=60_000)  # logged in: the sidebar names the role
    page.get_by_role("link", name="报送审核").click(timeout=60_000)
    expect(page.get_by_role("heading", name="报送审核")).to_be_visible(timeout=60_000)
    return page


def _settled(page) -> None:
    """Wait until no script run is in flight (the app marks its state on the stApp element): the
    reviewer's page computes what approval would change before it draws the reason box, which
    takes long on a loaded machine."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
        " === 'notRunning'", timeout=180_000)


def _submit(page, path):
    """Choose the file, then the month, each once the run the previous step started has ended.

    The step used to fire the month's Enter and the file's upload back to back: on a loaded
    machine the upload's rerun could land in the middle of the month's rerun, and the button,
    drawn from the file uploader's value on the server, stayed disabled. A person does one thing,
    sees the page settle, then the next; so does this."""
    from playwright.sync_api import expect

    _settled(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    expect(page.locator('[data-testid="stFileUploader"]').get_by_text(path.name)).to_be_visible(timeout=60_000)
    _settled(page)
    box = page.get_by_label("报送月份（YYYY-MM）")
    box.fill("2020-07")
    box.press("Enter")
    expect(box).to_have_value("2020-07")
    _settled(page)
    button = page.get_by_role("button", name="提交审核")
    expect(button).to_be_enabled(timeout=60_000)
    button.click()
    expect(page.get_by_text("已提交 S", exact=False)).to_be_visible(timeout=90_000)


def test_submit_return_resubmit_approve_in_the_browser(app, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, data = app
    july = tmp_path / "杨家坪_2020-07.csv"
    july.write_bytes(csv_bytes([HEADERS["new_employment"]] + [
        [f"NE2020-07B{i:03d}", "杨家坪街道", f"50010719900101{i:04d}", f"2020-07-{i + 1:02d}", "高校毕业生",
         "单位就业"] for i in range(9)]))
    before = _progress(data, "2020-06-30")[1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            clerk = _login(browser, url, CLERK, "街镇填报员")
            _submit(clerk, july)
            [first] = submissions.list_submissions(data)
            assert _progress(data, "2020-06-30")[1] == before
            clerk.screenshot(path=str(tmp_path / "1_clerk_submitted.png"), full_page=True)

            reviewer = _login(browser, url, REVIEWER, "审核员")
            expect(reviewer.get_by_text("待审核（1）")).to_be_visible(timeout=60_000)
            expect(reviewer.get_by_text(first["id"], exact=False).first).to_be_visible()
            _settled(reviewer)
            reason = reviewer.get_by_label("退回原因（退回时必填）")
            reason.fill("就业日期有误，请核对")
            reason.press("Enter")
            expect(reason).to_have_value("就业日期有误，请核对")
            _settled(reviewer)
            reviewer.get_by_role("button", name="退回", exact=True).click()
            expect(reviewer.get_by_text("已退回 " + first["id"], exact=False)).to_be_visible(timeout=60_000)
            reviewer.screenshot(path=str(tmp_path / "2_reviewer_returned.png"), full_page=True)

            clerk.reload()
            expect(clerk.get_by_text("就业日期有误，请核对", exact=False).first).to_be_visible(timeout=60_000)
            _submit(clerk, july)
            second = submissions.list_submissions(data, status="submitted")[0]
            assert second["supersedes"] == first["id"]

            reviewer.reload()
            expect(reviewer.get_by_text(second["id"], exact=False).first).to_be_visible(timeout=60_000)
            _settled(reviewer)
            reviewer.get_by_role("button", name="通过", exact=True).click()
            expect(reviewer.get_by_text("已通过 " + second["id"], exact=False)).to_be_visible(timeout=90_000)
            reviewer.screenshot(path=str(tmp_path / "3_reviewer_approved.png"), full_page=True)

            # 报送情况: the unit × month matrix; 陶家镇 sent nothing for May and its deadline has passed
            reviewer.get_by_role("link", name="报送情况").click(timeout=60_000)
            expect(reviewer.get_by_role("heading", name="报送情况")).to_be_visible(timeout=60_000)
            expect(reviewer.get_by_text("逾期未报送（每月5日前报送上月数据）：陶家镇（5月）")).to_be_visible(timeout=60_000)
            reviewer.screenshot(path=str(tmp_path / "4_reporting_status.png"), full_page=True)
        finally:
            browser.close()
    assert submissions.get(data, second["id"])["status"] == "approved"
    code, after = _progress(data, "2020-07-09")
    assert code == 0 and _actual(after) == _actual(before) + 9
