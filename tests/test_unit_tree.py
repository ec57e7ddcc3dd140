"""Units at any depth: a city → district → 街镇 tree, compared at any node, drilled into."""

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.generate import Tier, generate
from target_monitor.aggregates import refresh
from target_monitor.context import Context
from test_pages import APP

CITY = Tier("mini-city", (3, 4), ("city", "district", "street"), 6_000, (2019, 2020))


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    d = tmp_path_factory.mktemp("city")
    generate(CITY, d)
    refresh(d)
    return d


def test_progress_at_any_node_sums_its_subtree(city):
    ctx = Context(city)
    top = ctx.progress(2020, date(2020, 6, 30))
    districts = top[(top["level"] == "child") & (top["indicator"] == "urban_new_employment")]
    assert list(districts["unit_code"]) == ["B-01", "B-02", "B-03"]
    node = ctx.progress(2020, date(2020, 6, 30), parent_code="B-02")
    streets = node[(node["level"] == "child") & (node["indicator"] == "urban_new_employment")]
    assert list(streets["unit_code"]) == ["B-02-01", "B-02-02", "B-02-03", "B-02-04"]
    own = node[(node["level"] == "parent") & (node["indicator"] == "urban_new_employment")
               & (node["target_basis"] == "own")].iloc[0]
    # the district's actual seen from the city equals the sum of its streets seen from the district
    assert districts.set_index("unit_code").loc["B-02", "actual"] == own["actual"] == streets["actual"].sum()
    assert streets["rank"].notna().all() and sorted(streets["rank"]) == [1, 2, 3, 4]


def test_the_sidebar_offers_the_nodes_and_the_pages_follow(city, monkeypatch):
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(city))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    node = at.selectbox(key="node")
    assert node.options[0].strip().startswith("mini-city") or "测试区域" in node.options[0]
    assert any("全市城镇新增就业" in m.value for m in at.markdown)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["node"] = "B-02"
    at.run()
    assert not at.exception
    assert "单位B-02" in at.title[0].value
    assert any("全区城镇新增就业" in m.value for m in at.markdown)  # a district speaks of 全区
    at.switch_page("pages/compare.py")
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "单位B-02-04" in set(table.iloc[:, 1])


def test_a_district_deployment_shows_no_picker(demo_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert "node" not in [s.key for s in at.selectbox]


def test_the_explorer_offers_every_level_of_a_deeper_tree(city, monkeypatch):
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(city))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/explore.py")
    at.run()
    assert not at.exception
    assert at.selectbox(key="explore_level").options == ["全部", "市", "区", "街道"]
    at.selectbox(key="explore_level").set_value("district").run()
    assert not at.exception  # the districts have no records of their own (their streets do)
    assert "所选条件下没有记录" in at.info[0].value
    at.selectbox(key="explore_level").set_value("street").run()
    table = at.dataframe[0].value
    assert len(table) == 12 + 1 and table.iloc[-1, 0] == "合计"
    ctx = Context(city)  # the sidebar's defaults: the latest year, its latest day
    progress = ctx.progress(ctx.default_year(), ctx.latest_day(ctx.default_year()))
    assert table.iloc[-1, -1] == progress.query(
        "unit_code == 'B' and indicator == 'urban_new_employment' and target_basis == 'own'")["actual"].iloc[0]
