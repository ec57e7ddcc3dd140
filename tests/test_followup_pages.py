"""情况说明 on the unit detail page and the 督办 page (AppTest), as the 管理员 of a local start
and as a unit clerk: a red light shows 缺情况说明 until the unit writes one; the items open from
the month end, the clerk sees and answers its own, the reviewer closes them.

A private copy of the demo data: these tests write notes and items, which the shared demo
directory (walked by the one-language test) must not hold."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from target_monitor.access import audit
from target_monitor.followup import duban, notes

from apptest_util import APP

TAOJIA = "500107-13"


@pytest.fixture(scope="module")
def data(demo_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("followup_pages") / "data"
    shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("logs", "followup", "snapshots"))
    return d


@pytest.fixture
def env(data, monkeypatch):
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(data))
    return data


def _app(page: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(f"pages/{page}")
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_red_light_needs_a_note_until_the_unit_writes_one(env):
    at = _app("unit_detail.py", detail_unit=TAOJIA)
    owed = [w.value for w in at.warning if "缺情况说明" in w.value]
    assert owed == ["以下指标亮红灯，缺情况说明：城镇新增就业、发放创业担保贷款、职业培训"]
    assert at.selectbox(key="note_indicator").value == "urban_new_employment"  # what is owed comes first
    at.text_area(key="note_text").set_value("受疫情影响，6月辖区企业复工推迟。")
    at.button[[b.label for b in at.button].index("提交情况说明")].click()
    at.run()
    assert not at.exception, at.exception
    assert "已提交情况说明。" in [s.value for s in at.success]
    assert [w.value for w in at.warning if "缺情况说明" in w.value] == [
        "以下指标亮红灯，缺情况说明：发放创业担保贷款、职业培训"]
    (n,) = notes.notes_for(env, month="2020-06")
    assert (n["unit"], n["indicator"], n["text"], n["user"]) == (TAOJIA, "urban_new_employment",
                                                                "受疫情影响，6月辖区企业复工推迟。", "local")
    table = at.dataframe[-1].value
    assert list(table["情况说明"]) == ["受疫情影响，6月辖区企业复工推迟。"]
    # the reviewer's reply (the local 管理员 may both)
    at.text_area(key="note_reply_text").set_value("请报送整改措施")
    at.button[[b.label for b in at.button].index("提交回复")].click()
    at.run()
    assert list(at.dataframe[-1].value["审核员回复"]) == ["local: 请报送整改措施"]
    assert list(audit.read(env, action="note")["outcome"]) == ["ok", "ok"]


def test_the_duban_page_opens_the_month_end_and_follows_an_item(env):
    at = _app("duban.py")
    assert "暂无督办事项。" in [i.value for i in at.info]
    at.button(key="duban_open").click()
    at.run()
    assert "新立项6项，重新立项0项，约谈0项。" in [s.value for s in at.success]
    table = at.dataframe[0].value
    assert len(table) == 6 and set(table["状态"]) == {"已立项（待反馈）"}
    assert set(table["单位"]) == {"陶家镇", "铜罐驿镇"} and set(table["反馈期限"]) == {"2020-07-15"}


def _clerk_script(data_dir: str, user: str, page: str) -> None:
    """The page body as a clerk would get it (the frame's login is OIDC; here the actor is set)."""
    from datetime import date
    from pathlib import Path

    import streamlit as st

    from target_monitor import access, followup_ui, ui
    from target_monitor.context import Context

    actor = access.actor_for_user(user, access.load_access(Path(data_dir)))
    ctx = Context(Path(data_dir))
    access.set_current(actor.scope(ctx.ref.units))
    st.session_state[ui.SCOPE_KEY] = access.current()
    st.session_state[ui.ACTOR_KEY] = actor
    f = ui.Frame(ctx=ctx, lang="zh", year=2020, as_of=date(2020, 6, 30))
    followup_ui.duban_page(f, Path(data_dir))


def test_a_clerk_sees_and_answers_its_own_items_and_the_reviewer_closes(env):
    if not duban.items(env):  # the items the month end opens (the page test above does it through the page)
        from target_monitor.access import actor_for_user, load_access
        from target_monitor.context import Context

        duban.open_for_month(env, actor_for_user("reviewer@demo", load_access(env)),
                             Context(env).progress(2020, date(2020, 6, 30)), "2020-06")
    at = AppTest.from_function(_clerk_script, args=(str(env), "clerk.taojia@demo", "duban"), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["单位"]) == {"陶家镇"}  # not 铜罐驿镇's items
    assert not [b for b in at.button if b.label == "按2020-06月末数据立项"]  # opening is the reviewers'
    at.text_area(key="duban_feedback_text").set_value("已开展专场招聘会3场")
    at.button[[b.label for b in at.button].index("提交反馈")].click()
    at.run()
    assert not at.exception, at.exception
    iid = at.selectbox(key="duban_item").value
    item = next(it for it in duban.items(env) if it["id"] == iid)
    assert (item["state"], item["feedback"]) == ("answered", "已开展专场招聘会3场")
    assert not [b for b in at.button if b.label == "销号"]  # closing is the reviewers'
    rv = AppTest.from_function(_clerk_script, args=(str(env), "reviewer@demo", "duban"), default_timeout=90)
    rv.session_state["duban_item"] = iid
    rv.run()
    rv.button[[b.label for b in rv.button].index("销号")].click()
    rv.run()
    assert not rv.exception, rv.exception
    item = next(it for it in duban.items(env) if it["id"] == iid)
    assert (item["state"], item["closed_by"]) == ("closed", "reviewer@demo")
    assert [e["event"] for e in item["history"]] == ["open", "feedback", "close"]
    assert duban.is_overdue(next(it for it in duban.items(env) if it["state"] == "open"), date(2020, 7, 16))
