"""The frame's access gate (AppTest): local mode on 127.0.0.1, no data on a network address
without login, the login page when login is configured, and the navigation per role."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from target_monitor import access, ui
from tests.apptest_util import APP, open_page, page_text


@pytest.fixture
def address():
    before = st_config.get_option("server.address")
    yield lambda value: st_config.set_option("server.address", value)
    st_config.set_option("server.address", before)


def _shows_no_data(at: AppTest) -> None:
    assert not at.dataframe and not at.metric
    assert not any(el.type == "plotly_chart" for el in at.main)  # no chart either


def test_shipped_config_listens_on_loopback_only():
    import tomllib
    from pathlib import Path

    cfg = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["address"] == "127.0.0.1"
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["toolbarMode"] == "minimal"  # no Deploy button, no ⋮ menu
    from target_monitor.ingest import limits

    assert cfg["server"]["maxUploadSize"] == limits(Path(APP).parent / "data")["max_bytes"] // 2**20


def test_local_mode_says_so(demo_env, address):
    address("127.0.0.1")
    at = open_page("overview.py")
    assert "本机模式" in page_text(at)
    assert at.dataframe or at.markdown  # the overview itself


@pytest.mark.parametrize("where", ["0.0.0.0", "", "192.168.1.20"])
def test_network_address_without_login_shows_no_data(demo_env, address, where):
    address(where)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "未配置登录：不显示任何数据"
    assert "docs/access.md" in at.error[0].value
    _shows_no_data(at)


def test_login_configured_but_not_logged_in_shows_the_login_page(demo_env, address):
    address("0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x",
                          "client_id": "c", "client_secret": "s",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "请登录"
    assert at.button[0].label == "登录"
    _shows_no_data(at)


def _navigation_script(user: str, data_dir: str, pages_dir: str) -> None:
    from pathlib import Path

    import streamlit as st

    from target_monitor import access, ui

    actor = access.actor_for_user(user, access.load_access(Path(data_dir))) if user else None
    pages = Path(pages_dir)
    sections = {"a": [st.Page(pages / "overview.py", url_path="overview", default=True),
                      st.Page(pages / "unit_detail.py", url_path="unit"),
                      st.Page(pages / "console.py", url_path="console")],
                "b": [st.Page(pages / "audit.py", url_path="audit"), st.Page(pages / "data.py", url_path="data")]}
    shown = sorted(getattr(p, "_url_path", None) or p.url_path for items in ui.allowed_sections(sections, actor).values()
                   for p in items)
    st.write(",".join(shown))


@pytest.mark.parametrize("user", ["admin@demo", "leader@demo", "analyst@demo", "reviewer@demo",
                                  "clerk.yangjiaping@demo", ""])
def test_navigation_lists_only_the_roles_pages(demo_dir, user):
    from pathlib import Path

    at = AppTest.from_function(_navigation_script, args=(user, str(demo_dir), str(Path(APP).parent / "pages")))
    at.run()
    assert not at.exception, at.exception
    expected = {"overview", "unit", "console", "audit", "data"}
    expected &= access.actor_for_user(user, access.load_access(demo_dir)).pages() if user else set()
    assert set(filter(None, at.markdown[0].value.split(","))) == expected
