"""AppTest of the 数据管理 page: a good file is taken and shows on the dashboard, a bad one is
rejected with a message naming the problem; the page also works before there is any data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from make_fixtures import HEADERS, csv_bytes

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")

GOOD = csv_bytes([HEADERS["loans"],
                  ["LN-P1", "杨家坪街道", "个人", "2020-06-02", "200000", "中国建设银行"],
                  ["LN-P2", "杨家坪", "个人", "2020-06-03", "20万元", "中国建设银行"],
                  ["LN-P3", "不存在镇", "个人", "2020-06-04", "100000", "中国建设银行"],
                  ["合计", "", "", "", "500000", ""]])
BAD = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def data_copy(demo_dir, tmp_path, monkeypatch):
    d = tmp_path / "data"
    shutil.copytree(demo_dir, d)
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(d))
    return d


def _open(lang="zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> str:
    parts = [e.value for e in at.success] + [e.value for e in at.error] + [e.value for e in at.info]
    parts += [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


def _loans_amount(data_dir: Path, unit: str) -> float:
    from target_monitor.context import Context

    ctx = Context(data_dir)
    p = ctx.progress(2020, __import__("datetime").date(2020, 6, 30))
    row = p[(p["unit_code"] == unit) & (p["indicator"] == "guarantee_loans") & (p["target_basis"] == "own")]
    return float(row["actual"].iloc[0])


def test_good_file_is_checked_confirmed_and_counted(data_copy):
    before = _loans_amount(data_copy, "500107-01")
    at = _open()
    at.file_uploader(key="data_files").upload("loans_june.csv", GOOD, "text/csv")
    at.text_input(key="data_period").set_value("2020-06")
    at.run()
    at.checkbox(key="data_replace").check()  # declared: 杨家坪's June is replaced by this file
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "读取 4 行 = 导入 2 + 隔离 1 + 按规则跳过 1" in text
    assert "不存在镇" in text and "发放金额(元)" in text  # the quarantine reason and the column mapping
    # the check step shows what confirming would change
    assert "将替换：2020-06 的 杨家坪街道" in text and "导入前记录数" in text
    assert "杨家坪街道 2020-06,1,2,2,0,1" in text  # 1 record before, 2 after: 2 added, 1 removed
    at.button(key="data_confirm").click()
    at.run()
    assert not at.exception, at.exception
    assert "已导入" in _texts(at)
    # The declared upload replaces 杨家坪's June (the revision is logged and shown), and the
    # dashboard's figures change on the next run without a restart.
    (rev,) = at.session_state["data_done"][0].revisions
    assert (rev["unit_code"], rev["month"], rev["new_rows"], rev["new_total"]) == ("500107-01", "2020-06", 2, 400000)
    assert "杨家坪街道 2020-06" in _texts(at)
    after = _loans_amount(data_copy, "500107-01")
    assert after == pytest.approx(before - rev["old_total"] / 10000 + 40.0)
    assert list((data_copy / "quarantine").glob("*.csv"))
    # the history tab lists the upload with its SHA-256
    import hashlib

    assert hashlib.sha256(GOOD).hexdigest() in _texts(at)
    # and undoes it, with a confirmation: the figures are exactly the ones before
    version = at.session_state["data_done"][0].version
    at.selectbox(key="undo_pick").set_value(f"loans@{version}")
    at.run()
    assert at.button(key="undo_go").disabled
    at.checkbox(key="undo_sure").check()
    at.run()
    at.button(key="undo_go").click()
    at.run()
    assert not at.exception, at.exception
    assert any(f"已撤销 loans@{version}" in e.value for e in at.success)
    assert _loans_amount(data_copy, "500107-01") == before


def test_a_declared_replacement_that_shrinks_a_unit_month_must_be_ticked(data_copy):
    june = csv_bytes([HEADERS["new_employment"],
                      ["NE-X-9", "石坪桥街道", "500107199001091234", "2020-06-15", "其他", "灵活就业"]])
    at = _open()
    at.file_uploader(key="data_files").upload("june.csv", june, "text/csv")
    at.text_input(key="data_period").set_value("2020-06")
    at.run()
    at.checkbox(key="data_replace").check()
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert not at.exception, at.exception
    assert any("警告" in e.value and "石坪桥街道 2020-06 440→1" in e.value for e in at.error)
    assert "440.0" in _texts(at)  # the indicator's figure before -> after
    assert at.button(key="data_confirm").disabled
    at.checkbox(key="data_shrink_ok").check()
    at.run()
    assert not at.button(key="data_confirm").disabled


def test_an_undeclared_upload_adds_and_corrects_by_key_only(data_copy):
    before = _loans_amount(data_copy, "500107-01")
    at = _open()
    at.file_uploader(key="data_files").upload("loans_june.csv", GOOD, "text/csv")
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert not at.exception, at.exception
    assert not [e for e in at.error if "警告" in e.value]
    at.button(key="data_confirm").click()
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["data_done"][0].revisions == []  # nothing replaced: two new loans added
    assert _loans_amount(data_copy, "500107-01") == pytest.approx(before + 40.0)


def test_bad_file_is_rejected_with_reason(data_copy):
    at = _open()
    at.file_uploader(key="data_files").upload("loans.xlsx", BAD, "application/octet-stream")
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert not at.exception, at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "已拒绝" in errors
    assert "PNG" in _texts(at)
    assert all(b.key != "data_confirm" for b in at.button)
    # the rejected upload is kept as received and listed in the history
    import hashlib

    digest = hashlib.sha256(BAD).hexdigest()
    assert (data_copy / "raw" / f"{digest}.bin").read_bytes() == BAD
    assert digest in _texts(at)


def test_english_page_renders(data_copy):
    at = _open("en")
    assert "Data management" in "\n".join(x.value for x in at.title)


def test_page_works_before_any_data(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(empty))
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    assert any("数据管理" in x.value for x in at.title)
    at.file_uploader(key="data_files").upload("loans_june.csv", GOOD, "text/csv")
    at.run()
    at.button(key="data_check").click()
    at.run()
    at.button(key="data_confirm").click()
    at.run()
    assert not at.exception, at.exception
    assert list((empty / "extracts" / "loans").rglob("*.parquet"))


def test_targets_import_preview_against_current_then_new_version(data_copy):
    from datetime import date

    from target_monitor.reference import load_targets

    published = (REPO / "data" / "reference" / "jiulongpo_2020_task_breakdown.csv").read_bytes()
    changed = published.decode().replace("1,杨家坪街道,3500", "1,杨家坪街道,3800").encode()
    at = _open()
    at.file_uploader(key="targets_file").upload("任务分解表.csv", changed, "text/csv")
    at.run()
    at.date_input(key="targets_effective").set_value(date(2020, 7, 1))
    at.run()
    at.button(key="targets_check").click()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "≥3800人" in text and "调整" in text and "41300" in text  # the change, and the allocation warning
    at.button(key="targets_confirm").click()
    at.run()
    assert not at.exception, at.exception
    t = load_targets(data_copy / "reference")
    rows = t[(t["unit_code"] == "500107-01") & (t["indicator"] == "urban_new_employment")]
    assert sorted(zip(rows["effective_from"].astype(str), rows["value"])) == [("2020-01-01", 3500.0),
                                                                             ("2020-07-01", 3800.0)]
    versions = _texts(at)
    assert "2020-07-01" in versions and "3800人" in versions and "3500人" in versions  # both versions listed


REPORTED = ("九龙坡区2020年5月就业工作月报表\n街镇,城镇新增就业(人),职业培训(人次)\n"
            "陶家镇,37,12\n合计,37,12\n").encode("utf-8")


def _actual(data_dir: Path, unit: str, indicator: str) -> float:
    from datetime import date

    from target_monitor.context import Context

    p = Context(data_dir).progress(2020, date(2020, 6, 30))
    row = p[(p["unit_code"] == unit) & (p["indicator"] == indicator) & (p["target_basis"] == "own")]
    return float(row["actual"].iloc[0])


def test_reported_figures_need_their_basis_then_count(data_copy):
    """A town's 月报表 (figures, not records): without a declared basis it is refused with the
    reason; declared 当月 it is taken and counts for the month it has no records (陶家镇, May)."""
    before = _actual(data_copy, "500107-13", "urban_new_employment")
    at = _open()
    at.file_uploader(key="data_files").upload("陶家镇5月报表.csv", REPORTED, "text/csv")
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert not at.exception, at.exception
    assert "看不出是当月数还是累计数" in "\n".join(e.value for e in at.error)
    at.selectbox(key="data_basis").set_value("当月")
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "单位报送月度数" in text and "城镇新增就业" in text and "读取 2 行 = 导入 1 + 隔离 0 + 按规则跳过 1" in text
    at.button(key="data_confirm").click()
    at.run()
    assert not at.exception, at.exception
    assert _actual(data_copy, "500107-13", "urban_new_employment") == before + 37


def test_a_falling_cumulative_figure_is_flagged_on_the_page(data_copy):
    falling = "单位,月份,指标,累计数\n陶家镇,2020-04,城镇新增就业,400\n陶家镇,2020-05,城镇新增就业,380\n".encode()
    at = _open()
    at.file_uploader(key="data_files").upload("陶家镇累计.csv", falling, "text/csv")
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert "累计数下降" in _texts(at)
    assert at.button(key="data_confirm").disabled  # a warning must be confirmed first
    at.checkbox(key="data_warn_ok").check()
    at.run()
    at.button(key="data_confirm").click()
    at.run()
    assert not at.exception, at.exception
    at = _open()  # the history tab lists the fall until a corrected month is sent
    text = _texts(at)
    assert "报送数核查" in text and "陶家镇" in text and "2020-05" in text and "380" in text
