"""Login through a real OpenID Connect provider (oidc-provider-mock on 127.0.0.1) and the real
redirect flow: each demo role sees exactly its pages; logging in and out leaves audit lines.

Keep this test: login has regressed in Streamlit releases before (the version is pinned in
pyproject.toml). Skipped when chromium is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from target_monitor import access
from target_monitor.access import audit
from target_monitor.i18n import t
from tests.serve import CHROMIUM, CHROMIUM_ARGS, REPO, free_port, healthy, stop, streamlit_argv

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")]

USERS = ["admin@demo", "leader@demo", "analyst@demo", "reviewer@demo", "clerk.yangjiaping@demo"]
PAGE_KEYS = {"overview": "page_overview", "compare": "page_compare", "trend": "page_trend", "unit": "page_unit",
             "meeting": "page_meeting", "ranking": "page_ranking", "scores": "page_scores",
             "briefing": "page_briefing", "records": "page_records", "explore": "page_explore",
             "console": "page_console", "snapshots": "page_snapshots", "data": "page_data", "audit": "page_audit",
             "submissions": "page_submissions", "reporting": "page_reporting",
             "duban": "page_duban"}


def _wait(url: str, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            raise RuntimeError(f"{what} did not start on {url}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def provider():
    """The identity provider: one predefined user per demo role (claims: email and name)."""
    port = free_port()
    argv = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for user in USERS:
        argv += ["--user-claims", json.dumps({"sub": user, "email": user, "name": user})]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/.well-known/openid-configuration", proc, "oidc-provider-mock")
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def app(provider, demo_dir, tmp_path_factory):
    """The dashboard with login configured ([auth] in a secrets file of its own)."""
    folder = tmp_path_factory.mktemp("auth")
    data = folder / "data"
    import shutil

    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("logs"))
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(16).hex()}"\n'
        'client_id = "target-monitor"\n'
        'client_secret = "target-monitor-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    env = {**os.environ, "TARGET_MONITOR_DATA": str(data)}
    log = open(folder / "streamlit.log", "w")
    proc = subprocess.Popen([*streamlit_argv(port), "--secrets.files", str(secrets)], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while not healthy(url):
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"streamlit did not start: {(folder / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.25)
        yield url, data
    finally:
        stop(proc)
        log.close()


def _nav_titles(page, count: int) -> set[str]:
    """The navigation's page titles once it has settled: every allowed page listed (the app asks
    for an expanded navigation, so there is no "View more" to click; a run still in progress may
    briefly draw the collapsed one)."""
    from playwright.sync_api import expect

    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.wait_for(timeout=60_000)
    expect(nav.locator('[data-testid="stSidebarNavLink"]')).to_have_count(count, timeout=60_000)
    return {x.strip() for x in nav.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()}


@pytest.mark.parametrize("user", USERS)
def test_each_role_logs_in_and_sees_exactly_its_pages(app, user):
    from playwright.sync_api import expect, sync_playwright

    url, data = app
    actor = access.actor_for_user(user, access.load_access(data))
    expected = {t(PAGE_KEYS[p], "zh") for p in actor.pages()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(url)
            expect(page.get_by_text("请登录")).to_be_visible(timeout=60_000)
            # before login the sidebar lists no page (not Streamlit's list of the files in pages/, which
            # its front end may draw until the first run has replaced it)
            expect(page.locator('[data-testid="stSidebarNavLink"]')).to_have_count(0, timeout=30_000)
            page.get_by_role("button", name="登录").click()
            # the provider's own page: authenticate as the predefined user
            page.locator(f'button[name="sub"][value="{user}"]').click(timeout=60_000)
            expect(page.get_by_text(t("role_" + actor.role_code, "zh"), exact=False).first).to_be_visible(
                timeout=60_000)
            assert _nav_titles(page, len(expected)) == expected
            assert not page.get_by_text("本机模式").count()
            page.get_by_role("button", name="退出登录").click()
            # Streamlit ends the provider's session too (its end-session endpoint), then comes back
            page.get_by_role("button", name="End session").click(timeout=60_000)
            expect(page.get_by_text("请登录")).to_be_visible(timeout=60_000)
        finally:
            browser.close()
    trail = audit.read(data, user=user)
    assert {"login", "logout"} <= set(trail["action"])
    assert set(trail.loc[trail["action"] == "login", "role"]) == {actor.role_code}


def test_clerk_cannot_reach_another_unit_by_url(app):
    """?unit= naming another unit shows the clerk's own records; a page outside the role is not served."""
    from playwright.sync_api import expect, sync_playwright

    url, data = app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(url + "/compare")  # a bookmark, before login: the login, in Chinese, and no page list
            expect(page.get_by_text("请登录")).to_be_visible(timeout=60_000)
            expect(page.locator('[data-testid="stSidebarNavLink"]')).to_have_count(0, timeout=30_000)
            page.wait_for_timeout(1000)  # Streamlit's "Page not found" comes after the run
            assert not page.get_by_text("Page not found").count()
            page.get_by_role("button", name="登录").click(timeout=60_000)
            page.locator('button[name="sub"][value="clerk.yangjiaping@demo"]').click(timeout=60_000)
            expect(page.get_by_text("街镇填报员").first).to_be_visible(timeout=60_000)
            page.goto(url + "/records?unit=500107-02")
            expect(page.get_by_role("heading", name="杨家坪街道", exact=False)).to_be_visible(timeout=60_000)
            assert not page.get_by_role("heading", name="谢家湾街道", exact=False).count()
            page.goto(url + "/console")
            page.wait_for_timeout(5000)
            assert not page.get_by_text("SQL查询（只读）").count()
        finally:
            browser.close()
