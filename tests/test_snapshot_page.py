"""The 月度快照 page: build with a progress bar, list, download, open, compare."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apptest_util import open_page, page_text as _text

from target_monitor.aggregates import refresh
from target_monitor.context import Context
from target_monitor.snapshots import build_snapshot, list_snapshots

from test_snapshots import JUNE, _revise_june

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")


@pytest.fixture
def data(demo_dir, tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("snapshots", "logs"))  # records, aggregates, inputs
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(d))
    return d


@pytest.fixture(scope="session")
def revised_once(demo_dir, built_once) -> Path:
    """Snapshots of May and June 2020 (no exports), then June revised (25 fewer records for 杨家坪街道):
    built once for the session; `totals.json` holds the district's June figure before and after."""
    import json

    def build(folder: Path) -> None:
        d = folder / "data"
        shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("snapshots", "logs"))
        build_snapshot(d, "2020-05", exports=False)
        build_snapshot(d, "2020-06", exports=False)
        frozen = Context(d).progress(2020, JUNE)
        _revise_june(d, "500107-01", drop=25)
        refresh(d)  # as an import does: the revised month's aggregates, so the pages read them
        live = Context(d).progress(2020, JUNE)
        sel = (frozen["level"] == "parent") & (frozen["indicator"] == "urban_new_employment") \
            & (frozen["target_basis"] == "own")
        # the unit's and the district's June figures counted from the dropped records (new employment,
        # and those of them who were 失业人员 or 就业困难人员): the revisions the comparison must list
        moved = frozen.merge(live, on=["unit_code", "indicator"])
        moved = moved[moved["actual_x"].fillna(-1) != moved["actual_y"].fillna(-1)]
        totals = {"frozen": int(frozen.loc[sel, "actual"].iloc[0]), "live": int(live.loc[sel, "actual"].iloc[0]),
                  # (the district has a row per target basis)
                  "revisions": len(set(zip(moved["unit_code"], moved["indicator"])))}
        (folder / "totals.json").write_text(json.dumps(totals))

    return built_once("snapshot_page_revised", build)


@pytest.fixture
def revised(revised_once, tmp_path, monkeypatch) -> tuple[Path, dict]:
    """A private copy of `revised_once` (the page writes audit lines), the app pointed at it."""
    import json

    d = tmp_path / "data"
    shutil.copytree(revised_once / "data", d, ignore=shutil.ignore_patterns("logs"))
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(d))
    return d, json.loads((revised_once / "totals.json").read_text())


def test_build_from_the_page_then_refuse_a_second_time(data):
    at = _page()
    assert "还没有快照" in _text(at)
    at.selectbox(key="snap_month").set_value("2020-06")
    at.button(key="snap_build").click().run()
    assert not at.exception, at.exception
    assert "快照 2020-06 已生成" in _text(at)
    assert [s.snapshot_id for s in list_snapshots(data)] == ["2020-06"]
    assert (data / "snapshots" / "2020-06" / "report.pdf").exists()
    labels = [b.label for b in at.get("download_button")]
    assert {"下载 Excel", "下载 PDF", "下载 CSV"} <= set(labels)
    assert "✔ 与清单一致" in _text(at)

    at.button(key="snap_build").click().run()  # same month again, no force: refused, nothing written
    assert not at.exception
    assert "已有快照 2020-06" in _text(at)
    assert [s.snapshot_id for s in list_snapshots(data)] == ["2020-06"]


def test_open_snapshot_every_page_reads_frozen_data(revised):
    _, totals = revised
    frozen_total, live_total = totals["frozen"], totals["live"]
    assert frozen_total == live_total + 25

    at = _page()
    at.selectbox(key="snap_chosen").set_value("2020-06")
    at.button(key="snap_open").click().run()
    assert not at.exception, at.exception
    for page in ("overview.py", "compare.py", "trend.py", "unit_detail.py"):
        at.switch_page(f"pages/{page}")
        at.run()
        assert not at.exception, (page, at.exception)
        assert "正在查看月度快照 2020-06" in _text(at), page  # the banner above the page
        assert "正在查看快照 2020-06" in _text(at), page  # and the sidebar notice
        assert [d.value for d in at.sidebar.date_input] == [JUNE]
    at.switch_page("pages/overview.py")
    at.run()
    text = _text(at)
    assert f"全区城镇新增就业{frozen_total}人" in text
    assert f"全区城镇新增就业{live_total}人" not in text

    at.button(key="leave_snapshot").click().run()
    assert not at.exception
    text = _text(at)
    assert "正在查看快照" not in text
    assert f"全区城镇新增就业{live_total}人" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compare_snapshot_with_revised_data(revised, lang):
    """June frozen, then 25 of 杨家坪街道's June records dropped (revised_once): the comparison of the
    June snapshot with the live data lists each figure that moved, and May against June none."""
    _, totals = revised
    n = totals["revisions"]
    assert n >= 2
    at = _page(lang)
    at.selectbox(key="snap_cmp_old").set_value("2020-06")
    at.selectbox(key="snap_cmp_new").set_value("__live__")
    at.run()
    assert not at.exception, at.exception
    text = _text(at)
    assert (f"数据修订（同一期间前后数值不同）：{n}处" if lang == "zh" else f"Revisions (same period, different values): {n}") in text
    assert ("杨家坪街道" if lang == "zh" else "Yangjiaping Subdistrict") in text
    # May against June: movement between months, and no revision of May's period
    at.selectbox(key="snap_cmp_old").set_value("2020-05")
    at.selectbox(key="snap_cmp_new").set_value("2020-06")
    at.run()
    assert not at.exception, at.exception
    text = _text(at)
    assert ("数据修订（同一期间前后数值不同）：0处" if lang == "zh" else "different values): 0") in text
    assert len(at.dataframe) >= 2


def test_unknown_snapshot_in_the_url_falls_back_to_live_data(data):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["snapshot"] = "1999-01"
    at.run()
    assert not at.exception, at.exception
    assert any("找不到快照 1999-01" in w.value for w in at.warning)
    assert "snapshot_id" not in at.session_state


def _page(lang: str = "zh") -> AppTest:
    return open_page("snapshots.py", lang, timeout=120)
