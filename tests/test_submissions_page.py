"""报送审核 page (AppTest) as both users: the clerk submits and sees the return reason, the
reviewer sees what approval would change and returns, then approves the resubmission."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from target_monitor import submissions

from make_fixtures import HEADERS, csv_bytes

CLERK = "clerk.yangjiaping@demo"
REVIEWER = "reviewer@demo"


def _script(user: str, data_dir: str, lang: str) -> None:
    from pathlib import Path

    from target_monitor import access, submissions_ui
    from target_monitor.reference import load_reference
    from target_monitor.paths import reference_dir

    actor = access.actor_for_user(user, access.load_access(Path(data_dir)))
    access.set_current(actor.scope(load_reference(reference_dir(Path(data_dir))).units))
    submissions_ui.render(actor, Path(data_dir), lang)


def _page(user, data, lang="zh") -> AppTest:
    at = AppTest.from_function(_script, args=(user, str(data), lang), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [x.value for x in at.success]
    parts += [x.value for x in at.error] + [x.value for x in at.info] + [e.label for e in at.expander]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


def _july(n=6) -> bytes:
    return csv_bytes([HEADERS["new_employment"]] + [
        [f"NE2020-07P{i:03d}", "杨家坪街道", f"50010719900101{i:04d}", f"2020-07-{i + 1:02d}", "高校毕业生", "单位就业"]
        for i in range(n)])


@pytest.fixture
def data(demo_dir, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("logs"))
    return d


def _clerk_submits(data, content=None) -> AppTest:
    at = _page(CLERK, data)
    at.text_input(key="sub_period").set_value("2020-07")
    at.file_uploader(key="sub_file").set_value(("yjp_july.csv", content or _july(), "text/csv"))
    at.run()
    at.button(key="sub_submit").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_clerk_and_reviewer_walk_the_path(data):
    at = _clerk_submits(data)
    [sub] = submissions.list_submissions(data)
    assert sub["status"] == "submitted" and sub["submitted_by"] == CLERK and sub["accepted"] == 6
    assert sub["id"] in at.success[0].value and "已提交（待审核）" in _text(at)
    assert [e for e in at.expander] == []  # a clerk reviews nothing

    rev = _page(REVIEWER, data)
    text = _text(rev)
    assert sub["id"] in text
    changes = rev.dataframe[0].value
    assert changes.iloc[0].tolist()[:4] == ["500107-01", "2020-07", 0, 6]
    figures = rev.dataframe[1].value
    assert 6.0 in figures.iloc[:, -1].tolist()
    # returning needs a reason
    rev.button(key=f"sub_return_{sub['id']}").click()
    rev.run()
    assert rev.error and "原因" in rev.error[0].value
    rev.text_input(key=f"sub_reason_{sub['id']}").set_value("就业日期有误")
    rev.button(key=f"sub_return_{sub['id']}").click()
    rev.run()
    assert not rev.exception, rev.exception
    assert "已退回" in rev.success[0].value
    assert submissions.get(data, sub["id"])["status"] == "returned"

    # the clerk sees the reason, and submits again
    at = _page(CLERK, data)
    assert "就业日期有误" in _text(at) and "已退回" in _text(at)
    _clerk_submits(data)
    second = submissions.list_submissions(data, status="submitted")[0]
    assert second["supersedes"] == sub["id"]

    rev = _page(REVIEWER, data)
    rev.button(key=f"sub_approve_{second['id']}").click()
    rev.run()
    assert not rev.exception, rev.exception
    done = submissions.get(data, second["id"])
    assert done["status"] == "approved" and done["import_id"] in rev.success[0].value
    assert "已通过" in _text(rev)


def test_clerk_file_with_another_units_rows_is_refused_on_the_page(data):
    mixed = csv_bytes([HEADERS["new_employment"],
                       ["NE-M1", "谢家湾街道", "500107199001010002", "2020-07-03", "高校毕业生", "单位就业"]])
    at = _clerk_submits(data, mixed)
    assert at.error and "500107-02" in at.error[0].value
    assert submissions.list_submissions(data) == []


def test_page_in_english(data):
    at = _page(REVIEWER, data, "en")
    text = _text(at) + at.title[0].value
    assert "Submissions" in text and not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _form_page(data) -> AppTest:
    at = _page(CLERK, data)
    at.text_input(key="sub_period").set_value("2020-07")
    at.radio(key="sub_mode").set_value("form")
    at.run()
    assert not at.exception, at.exception
    return at


def test_clerk_fills_the_form_saves_a_draft_reopens_it_and_submits(data):
    at = _form_page(data)
    # one line per indicator the unit has a target for (rates are not reported)
    assert {k.key for k in at.text_input if k.key.startswith("subf_value_")} == {
        "subf_value_urban_new_employment", "subf_value_guarantee_loans", "subf_value_vocational_training"}
    at.text_input(key="subf_value_urban_new_employment").set_value("4o")  # a typo: refused with the line named
    at.button(key="subf_submit").click()
    at.run()
    assert at.error and "第1行 城镇新增就业：“4o”不是数字" in at.error[0].value
    assert submissions.list_submissions(data) == []
    at.text_input(key="subf_value_urban_new_employment").set_value("40")
    at.button(key="subf_save").click()
    at.run()
    [draft] = submissions.list_submissions(data)
    assert draft["status"] == "draft" and "已保存草稿" in at.success[0].value
    assert "草稿" in _text(at)

    at = _form_page(data)  # a new session: open the draft, change it, submit it
    at.selectbox(key="subf_draft_pick").set_value(draft["id"])
    at.run()
    assert at.text_input(key="subf_value_urban_new_employment").value == "40"
    at.selectbox(key="subf_basis_guarantee_loans").set_value("当月")
    at.text_input(key="subf_value_guarantee_loans").set_value("12.5")
    at.button(key="subf_submit").click()
    at.run()
    assert not at.exception, at.exception
    sub = submissions.get(data, draft["id"])
    assert sub["status"] == "submitted" and sub["accepted"] == 2 and sub["id"] in at.success[0].value
    assert [ln["value"] for ln in sub["form"] if ln["value"]] == ["40", "12.5"]


def _status_script(user: str, data_dir: str, lang: str) -> None:
    from datetime import date
    from pathlib import Path

    from target_monitor import access, submissions_ui
    from target_monitor.paths import reference_dir
    from target_monitor.reference import load_reference

    actor = access.actor_for_user(user, access.load_access(Path(data_dir)))
    access.set_current(actor.scope(load_reference(reference_dir(Path(data_dir))).units))
    submissions_ui.render_status(actor, Path(data_dir), lang, 2020, date(2020, 6, 30))


@pytest.mark.parametrize("user, lang, rows", [(REVIEWER, "zh", 14), (CLERK, "zh", 1), (REVIEWER, "en", 14)])
def test_reporting_status_matrix_is_scoped_and_names_the_overdue(data, user, lang, rows):
    at = AppTest.from_function(_status_script, args=(user, str(data), lang), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    matrix = at.dataframe[0].value
    assert len(matrix) == rows and len(matrix.columns) == 13
    if lang == "en":
        text = _text(at) + "".join(x.value for x in at.warning)
        assert "Overdue" in text and not any("\u4e00" <= ch <= "\u9fff" for ch in text.replace("—", ""))
        return
    if user == CLERK:
        assert matrix.iloc[0].tolist() == ["杨家坪街道"] + ["已通过"] * 6 + ["—"] * 6
        assert "已通过 6" in _text(at) and not at.warning  # its own row: nothing overdue
    else:
        taojia = matrix[matrix["单位"] == "陶家镇"].iloc[0]
        assert taojia["5月"] == "逾期" and taojia["6月"] == "已通过"
        assert "逾期 1" in _text(at) and "已通过 83" in _text(at)
        assert at.warning[0].value == "逾期未报送（每月5日前报送上月数据）：陶家镇（5月）。"
