"""AppTest for the analyst pages: SQL console, explorer, records, drill-down."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")


def _open(page: str, lang: str = "zh", query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(f"pages/{page}")
    at.run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_console_runs_a_query_and_lists_the_schema(demo_env, lang):
    at = _open("console.py", lang)
    labels = [e.label for e in at.expander]
    for view in ("ext_new_employment", "ext_loans", "monthly", "targets", "units", "progress"):
        assert any(f"`{view}`" in label for label in labels), view
    at.text_area(key="console_sql").set_value("select name, unit_type from units order by sort_order")
    _button(at, "console_run").click().run()
    assert not at.exception and not at.error
    df = at.dataframe[-1].value
    assert len(df) == 15 and df["name"].iloc[0] == "九龙坡区"
    assert any("15" in c.value for c in at.caption)


def test_console_refuses_with_a_message_and_stays_usable(demo_env):
    at = _open("console.py")
    at.text_area(key="console_sql").set_value("drop table units")
    _button(at, "console_run").click().run()
    assert at.error and "已拒绝" in at.error[0].value and "DROP" in at.error[0].value
    at.text_area(key="console_sql").set_value("select count(*) as n from ext_loans")
    _button(at, "console_run").click().run()
    assert not at.error
    assert at.dataframe[-1].value["n"].iloc[0] == 144


def test_console_truncation_notice(demo_env):
    at = _open("console.py")
    at.number_input(key="console_rows").set_value(100)
    at.text_area(key="console_sql").set_value("select * from ext_new_employment")
    _button(at, "console_run").click().run()
    assert len(at.dataframe[-1].value) == 100
    assert any("100" in w.value for w in at.warning)


def test_console_example_button_fills_the_editor(demo_env):
    at = _open("console.py")
    at.selectbox(key="console_example").set_value("sql_example_loans").run()
    _button(at, "console_use").click().run()
    assert "ext_loans" in at.text_area(key="console_sql").value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_explorer_default_pivot(demo_env, lang):
    at = _open("explore.py", lang)
    assert not at.error
    table = at.dataframe[0].value
    total = "合计" if lang == "zh" else "Total"
    assert table.iloc[-1, 0] == total and table.columns[-1] == total
    assert table.iloc[-1, -1] == 21083  # 2020 new employment through 30 June, every unit
    assert len(at.get("plotly_chart")) == 1


def test_explorer_loans_by_bank_and_borrower(demo_env):
    at = _open("explore.py")
    at.selectbox(key="explore_ind").set_value("guarantee_loans").run()
    at.selectbox(key="explore_rows_guarantee_loans").set_value("bank").run()
    at.selectbox(key="explore_cols_guarantee_loans").set_value("borrower_type").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["经办银行", "个人", "小微企业", "合计"]
    assert table.iloc[-1]["合计"] == pytest.approx(999.6, abs=0.01)
    at.multiselect(key="explore_f_guarantee_loans_borrower_type").set_value(["小微企业"]).run()
    table = at.dataframe[0].value
    assert table.iloc[-1]["合计"] == pytest.approx(652.0, abs=0.01)


def test_explorer_unit_level_filter(demo_env):
    at = _open("explore.py")
    at.selectbox(key="explore_level").set_value("town").run()
    table = at.dataframe[0].value
    assert set(table.iloc[:-1, 0]) == {"九龙镇", "华岩镇", "西彭镇", "铜罐驿镇", "陶家镇"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_records_page_masks_and_pages(demo_env, lang):
    at = _open("records.py", lang, {"unit": "500107-11"})
    df = at.dataframe[0].value
    assert len(df) == 50
    key_col = "人员标识（身份证号脱敏键）" if lang == "zh" else "Person key (pseudonymised ID)"
    assert df[key_col].str.fullmatch(r"\d{6}\*{8}[\dXx]{4}").all()
    assert any("2,624" in c.value for c in at.caption)  # 西彭镇, 2020 new employment to 30 June


def test_records_search_and_sort(demo_env):
    at = _open("records.py", "zh", {"unit": "500107-11"})
    at.text_input(key="records_search").set_value("退役军人").run()
    df = at.dataframe[0].value
    assert (df["人员类别"] == "退役军人").all()
    dates = pd.to_datetime(df["就业日期"])
    assert dates.is_monotonic_decreasing


def test_unit_detail_links_to_records(demo_env):
    at = _open("unit_detail.py", "zh", {"unit": "500107-11"})
    links = at.get("page_link")
    assert any("西彭镇" in link.proto.label and "records" in link.proto.page for link in links)


@pytest.mark.parametrize("page", ["overview.py", "compare.py", "trend.py", "unit_detail.py", "records.py", "explore.py"])
def test_downloads_everywhere(demo_env, page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page != "overview.py":
        at.switch_page(f"pages/{page}")
        at.run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "下载 CSV" in labels and "下载 Excel" in labels
