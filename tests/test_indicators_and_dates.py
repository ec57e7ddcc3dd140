"""Numbers a leader can read out: the two graduate indicators, year-end targets, 人次, the
department outside the 街镇 ranking, and honest dates (no as-of date past the data, the default
as-of date from who has reported, impossible dates quarantined).

Real demo data, real DuckDB, the real CLI in a subprocess.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import warm
from make_fixtures import HEADERS, csv_bytes
from target_monitor.context import Context
from target_monitor.present import headline, required_pace_text
from target_monitor.progress import CONTRACT_COLUMNS, parent_rows, progress_table

REPO = Path(__file__).resolve().parents[1]
AS_OF = date(2020, 6, 30)


def cli(*args) -> subprocess.CompletedProcess:
    # a process of its own, forked from a warm one that has done the imports (tests/warm.py)
    return warm.run_module("target_monitor.cli", *args, cwd=REPO, timeout=300)


def _row(df, unit, indicator, basis="own"):
    hit = df[(df["unit_code"] == unit) & (df["indicator"] == indicator) & (df["target_basis"] == basis)]
    assert len(hit) == 1, (unit, indicator, basis)
    return hit.iloc[0]


# ------------------------------------------------------------------ the two graduate indicators


def test_cli_has_two_graduate_indicators_with_their_own_targets(demo_dir):
    out = cli("progress", "--year", 2020, "--as-of", "2020-06-30", "--format", "csv", "--data-dir", demo_dir)
    assert out.returncode == 0, out.stderr
    df = pd.read_csv(io.StringIO(out.stdout), dtype={"unit_code": str})
    # the documented columns, in their order: new columns only under --all-columns
    assert list(df.columns) == CONTRACT_COLUMNS + ["target_basis"]
    district = df[df["unit_code"] == "500107"].set_index("indicator")
    assert district.loc["graduate_year_end_rate", "target"] == 90
    assert district.loc["graduate_employment_rate", "target"] == 95  # the breakdown table's standard
    # both are year-end figures: judged in December, a neutral status until then
    assert set(district.loc[["graduate_year_end_rate", "graduate_employment_rate"], "status"]) == {"year_end_check"}
    units = df[(df["indicator"] == "graduate_employment_rate") & (df["unit_code"] != "500107")]
    assert set(units.loc[units["unit_code"] != "500107-90", "target"]) == {95}
    full = cli("progress", "--year", 2020, "--as-of", "2020-06-30", "--format", "csv", "--all-columns",
               "--data-dir", demo_dir)
    extra = pd.read_csv(io.StringIO(full.stdout), dtype={"unit_code": str})
    assert {"target_source", "is_ranked", "judged"} <= set(extra.columns)
    assert list(extra.columns[:len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    src = extra[(extra["unit_code"] == "500107") & (extra["indicator"] == "graduate_employment_rate")]
    assert src["target_source"].tolist() == ["allocation_standard"]


def test_year_end_rate_sentence_states_the_margin_not_a_verdict(demo_ctx):
    p = demo_ctx.progress(2020, AS_OF)
    reg = demo_ctx.registry
    own, alloc = parent_rows(p, "graduate_employment_rate")
    assert alloc is None  # a standard is not summed
    text = headline(reg.get("graduate_employment_rate"), own, AS_OF, "zh")
    assert text.startswith("截至6月30日，全区离校未就业高校毕业生就业率为95.5%，年底考核目标为≥95%，目前高于目标0.5个百分点")
    year_end, _ = parent_rows(p, "graduate_year_end_rate")
    text = headline(reg.get("graduate_year_end_rate"), year_end, AS_OF, "zh")
    assert "高校毕业生年底就业率为95.5%，年底考核目标为≥90%" in text
    assert "达标" not in text and "高于目标（" not in text
    # a unit below the standard mid-year: the value still needed, no 未达标
    short = _row(p, "500107-12", "graduate_employment_rate")
    assert short["status"] == "year_end_check" and short["gap_pp"] == -10.0
    assert "尚差10.0个百分点" in headline(reg.get("graduate_employment_rate"), short, AS_OF, "zh")


def test_training_is_counted_in_person_times(demo_ctx):
    p = demo_ctx.progress(2020, AS_OF)
    ind = demo_ctx.registry.get("vocational_training")
    own, alloc = parent_rows(p, "vocational_training")
    text = headline(ind, own, AS_OF, "zh", allocation_row=alloc)
    assert "职业培训7654人次" in text and "（15000人次）" in text and "人，" not in text
    assert required_pace_text(ind, _row(p, "500107-12", "vocational_training"), "zh") == "剩余6个月，月均需完成46人次"


def test_department_is_not_ranked_among_the_streets_and_towns(demo_ctx):
    p = demo_ctx.progress(2020, AS_OF)
    bureau = _row(p, "500107-90", "vocational_training")
    assert pd.isna(bureau["rank"]) and not bureau["is_ranked"]
    assert bureau["target"] == 3000 and bureau["actual"] > 0  # keeps its row in the official table
    ranked = p[(p["indicator"] == "vocational_training") & (p["level"] == "child")]["rank_of"].dropna()
    assert set(ranked) == {13}  # the 13 街镇


def test_a_rule_can_rank_the_department(tmp_path, demo_dir):
    ref = tmp_path / "reference"
    shutil.copytree(REPO / "data" / "reference", ref)
    (ref / "rules.yaml").write_text("time_progress: month\nunranked_unit_types: []\n", encoding="utf-8")
    from target_monitor.reference import load_reference

    ctx = Context(demo_dir)
    p = progress_table(ctx.store, load_reference(ref), 2020, AS_OF)
    assert _row(p, "500107-90", "vocational_training")["rank_of"] == 14


# ------------------------------------------------------------------ year-end wording


def test_year_end_statuses_read_done_or_not_done():
    import numpy as np

    from target_monitor import pace

    s = np.array(["ahead", "slightly_behind", "far_behind", "done", "no_target"], dtype=object)
    assert pace.year_end_statuses(s, date(2020, 12, 31), is_rate=False, judged=True).tolist() == [
        "not_done", "not_done", "not_done", "done", "no_target"]
    assert pace.year_end_statuses(s, date(2020, 12, 30), is_rate=False, judged=True).tolist() == s.tolist()
    r = np.array(["met", "not_met", "no_data"], dtype=object)
    assert pace.year_end_statuses(r, date(2020, 6, 30), is_rate=True, judged=False).tolist() == [
        "year_end_check", "year_end_check", "no_data"]
    assert pace.year_end_statuses(r, date(2020, 12, 1), is_rate=True, judged=True).tolist() == r.tolist()


def test_31_december_reads_completed_or_not_completed(demo_dir, tmp_path):
    """2019 is a full year in the demo: with 2019 targets, every count is 已完成 or 未完成."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("snapshots", "logs"))
    ref = data / "reference"
    ref.mkdir(exist_ok=True)
    for name in ("units.csv", "rules.yaml", "scoring.yaml"):
        shutil.copy(REPO / "data" / "reference" / name, ref / name)
    targets = pd.read_csv(REPO / "data" / "reference" / "targets.csv", dtype=str, keep_default_na=False)
    t19 = targets.assign(year="2019", effective_from="2019-01-01")
    pd.concat([targets, t19]).to_csv(ref / "targets.csv", index=False)
    ctx = Context(data)
    p = ctx.progress(2019, date(2019, 12, 31))
    counts = p[(p["kind"] == "cumulative") & p["target"].notna()]
    assert set(counts["status"]) <= {"done", "not_done"} and "not_done" in set(counts["status"])
    rates = p[(p["kind"] == "floor_rate") & p["target"].notna()]
    assert set(rates["status"]) <= {"met", "not_met"}  # judged in December
    from target_monitor.i18n import status_label

    assert status_label("not_done", "zh") == "✖ 未完成"


# ------------------------------------------------------------------ honest dates


def test_cli_refuses_an_as_of_date_past_the_data(demo_dir):
    out = cli("progress", "--year", 2020, "--as-of", "2020-09-30", "--data-dir", demo_dir)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("数据只到6月30日（2020-06-30）") and "Traceback" not in out.stderr
    en = cli("--lang", "en", "progress", "--year", 2021, "--data-dir", demo_dir)
    assert en.returncode == 2 and "The data only runs to 30 Jun (2020-06-30)" in en.stderr
    assert cli("progress", "--year", 2020, "--as-of", "2020-06-30", "--data-dir", demo_dir).returncode == 0


def _add_rows(data: Path, rows: dict) -> None:
    """Add rows to the new-employment extract the way the product does: through the ingest API (a Delta
    commit), not a parquet file dropped into the extract folder (uncommitted files do not count)."""
    from target_monitor.ingest import ingest

    buf = io.BytesIO()
    pq.write_table(pa.table(rows), buf)
    report = ingest(buf.getvalue(), "july.parquet", data_dir=data, extract="new_employment", isolated=False)
    assert report.accepted == len(rows["record_id"]), report


def _july_rows(data: Path, unit: str, days: list[int]) -> None:
    n = len(days)
    _add_rows(data, {
        "record_id": [f"JUL-{i}" for i in range(n)], "unit_code": [unit] * n, "person_key": ["p"] * n,
        "employed_on": [date(2020, 7, d) for d in days], "group": ["其他"] * n, "form": ["单位就业"] * n,
    })


def test_default_as_of_waits_until_every_unit_has_reported(demo_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("snapshots", "logs"))
    _july_rows(data, "500107-01", [2, 6, 9, 11])  # four July rows from one unit
    ctx = Context(data)
    assert ctx.latest_day(2020) == date(2020, 7, 11) == ctx.data_through()
    assert ctx.last_reported(2020)["500107-01"] == 7 and ctx.last_reported(2020)["500107-02"] == 6
    assert ctx.default_as_of(2020) == AS_OF
    # per unit and extract: 杨家坪 has sent July for new employment only
    assert ctx.last_reported_by_extract(2020, "500107-01") == {
        "new_employment": 7, "loans": 6, "training": 6, "graduates": 6, "internship_bases": 6, "internships": 6}
    out = cli("progress", "--format", "csv", "--data-dir", data)
    assert out.returncode == 0, out.stderr
    assert "2020-07" not in out.stdout
    # the July rows are there for whoever asks for them, and no later
    assert cli("progress", "--as-of", "2020-07-11", "--data-dir", data).returncode == 0
    assert cli("progress", "--as-of", "2020-07-12", "--data-dir", data).returncode == 2


def test_a_configured_share_of_reporting_units_is_enough(demo_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("snapshots", "logs"))
    codes = [f"500107-{i:02d}" for i in range(1, 14)]  # the 13 街镇 report July; 区就业局 does not
    _add_rows(data, {
        "record_id": [f"J{i}" for i in range(13)], "unit_code": codes, "person_key": ["p"] * 13,
        "employed_on": [date(2020, 7, 31)] * 13, "group": ["其他"] * 13, "form": ["单位就业"] * 13,
    })
    ref = data / "reference"
    shutil.copytree(REPO / "data" / "reference", ref)
    assert Context(data).default_as_of(2020) == AS_OF  # every unit: 区就业局 has not sent July
    rules = (ref / "rules.yaml").read_text(encoding="utf-8").replace("reported_share: 1.0", "reported_share: 0.9")
    (ref / "rules.yaml").write_text(rules, encoding="utf-8")
    assert Context(data).default_as_of(2020) == date(2020, 7, 31)  # 13 of 14 ≥ 90%


@pytest.mark.parametrize("raw", ["1900-06-10", "0001-01-01"])
def test_impossible_dates_are_quarantined_with_a_reason(tmp_path, raw):
    from target_monitor.ingest import ingest

    data = csv_bytes([HEADERS["loans"], ["LN-1", "杨家坪街道", "个人", raw, "100000", "中国建设银行"],
                      ["LN-2", "杨家坪街道", "个人", "2020-03-03", "200000", "中国建设银行"]])
    report = ingest(data, "loans.csv", data_dir=tmp_path / "d", extract="loans", isolated=False)
    assert (report.accepted, report.quarantined) == (1, 1)
    problem = report.problems[0]
    assert problem.code == "too_early" and problem.raw_value == raw
    assert "早于 2000-01-01" in problem.reason("zh")


def test_impossible_dates_in_parquet_are_quarantined_too(tmp_path):
    from target_monitor.ingest import ingest

    table = pa.table({
        "loan_id": ["A", "B", "C"], "unit_code": ["500107-01"] * 3, "borrower_type": ["个人"] * 3,
        "disbursed_on": pa.array([date(1900, 6, 10), date(1, 1, 1), date(2020, 3, 3)], pa.date32()),
        "amount_yuan": [1000.0, 1000.0, 1000.0], "bank": ["中国建设银行"] * 3,
    })
    buf = io.BytesIO()
    pq.write_table(table, buf)
    report = ingest(buf.getvalue(), "loans.parquet", data_dir=tmp_path / "d", extract="loans", isolated=False)
    assert (report.accepted, report.quarantined) == (1, 2)
    assert {p.code for p in report.problems} == {"too_early"}
    out = cli("progress", "--year", 1, "--data-dir", tmp_path / "d")
    assert out.returncode == 2 and "out of range" not in out.stderr


# ------------------------------------------------------------------ files as units send them


def _new_employment_csv(header: list[str]) -> bytes:
    return csv_bytes([header, ["NE-1", "杨家坪街道", "500107199001011234", "2020-03-02", "其他", "单位就业"],
                      ["NE-2", "谢家湾街道", "500107199001015678", "2020-03-05", "其他", "灵活就业"]])


@pytest.mark.parametrize("unit_header, person_header", [
    ("unit_name", "身份证号"), ("所在街镇", "人员编号"), ("unit_code", "公民身份号码"),
    ("所属单位代码", "人员标识（身份证号脱敏键）"),  # the headers of the product's own 明细记录 download
    ("Unit code", "Person key (pseudonymised ID)"),  # … and of its English download
])
def test_the_products_own_names_and_common_synonyms_are_taken(tmp_path, unit_header, person_header):
    from target_monitor.ingest import ingest

    header = ["记录编号", unit_header, person_header, "就业日期", "人员类别", "就业形式"]
    report = ingest(_new_employment_csv(header), "ne.csv", data_dir=tmp_path / "d", extract="new_employment",
                    isolated=False)
    assert report.status == "taken" and report.accepted == 2, [p.reason("zh") for p in report.problems]
    # (the report names the header as cleaned: full-width brackets become ASCII)
    assert sorted(report.mapping.values()) == sorted(["record_id", "unit_code", "person_key", "employed_on",
                                                      "group", "form"])


def test_cli_map_names_a_column_its_own_way(tmp_path):
    path = tmp_path / "ne.csv"
    path.write_bytes(_new_employment_csv(["记录编号", "社区", "证件号", "就业日期", "人员类别", "就业形式"]))
    d = tmp_path / "d"
    refused = cli("ingest", path, "--extract", "new_employment", "--data-dir", d)
    assert refused.returncode == 2  # 社区 and 证件号 mean nothing to the aliases
    out = cli("ingest", path, "--extract", "new_employment", "--data-dir", d, "--json",
              "--map", "社区=unit_code", "--map", "证件号=人员标识（身份证号脱敏键）")
    assert out.returncode == 0, out.stderr
    import json

    report = json.loads(out.stdout)
    assert report["accepted"] == 2 and report["mapping"]["社区"] == "unit_code"
    bad = cli("ingest", path, "--extract", "new_employment", "--data-dir", d, "--map", "社区=街镇")
    assert bad.returncode == 2 and "--map 社区=街镇" in bad.stderr and "unit_code" in bad.stderr


def test_a_renamed_parquet_column_is_mapped_not_refused(tmp_path):
    from target_monitor.ingest import ingest

    table = pa.table({
        "loan_id": ["A", "B"], "unit_name": ["杨家坪街道", "谢家湾街道"], "borrower_type": ["个人"] * 2,
        "发放日期": pa.array([date(2020, 3, 3), date(2020, 3, 4)], pa.date32()),
        "amount_yuan": [1000.0, 2000.0], "经办银行": ["中国建设银行"] * 2,
    })
    buf = io.BytesIO()
    pq.write_table(table, buf)
    report = ingest(buf.getvalue(), "loans.parquet", data_dir=tmp_path / "d", extract="loans", isolated=False)
    assert report.status == "taken" and report.accepted == 2, [p.reason("zh") for p in report.problems]
    assert report.mapping["unit_name"] == "unit_code"
    # a column nothing maps is still a schema difference, said as such
    drift = pa.table({**{c: table.column(c) for c in table.column_names if c != "unit_name"},
                      "社区": ["杨家坪街道", "谢家湾街道"]})
    buf = io.BytesIO()
    pq.write_table(drift, buf)
    report = ingest(buf.getvalue(), "loans2.parquet", data_dir=tmp_path / "d", extract="loans", isolated=False)
    assert report.status == "rejected" and report.problems[0].code == "schema_drift"
    buf.seek(0)
    report = ingest(buf.getvalue(), "loans2.parquet", data_dir=tmp_path / "d", extract="loans", isolated=False,
                    column_map={"社区": "unit_code"})
    assert report.status == "taken" and report.accepted == 2


# ------------------------------------------------------------------ the pages


def test_sidebar_clamps_a_date_past_the_data_with_a_notice(demo_env):
    from apptest_util import open_page, page_text
    from streamlit.testing.v1 import AppTest

    at = open_page("overview.py")
    assert at.sidebar.date_input(key="as_of_2020").value == AS_OF  # the default: every unit has reported June
    # AppTest gives app.py's widgets a new id on each run under st.navigation: choose through session state
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.session_state["as_of_2020"] = date(2020, 9, 30)
    at.run()
    assert not at.exception
    notice = [w.value for w in at.sidebar.warning]
    assert any(n.startswith("数据只到6月30日") and "2020-09-30" in n for n in notice), notice
    text = page_text(at)
    assert "截至6月30日，全区城镇新增就业21083人" in text and "截至9月30日" not in text
    assert "数据截至 2020-06-30" in text
    # 陶家镇 sent nothing for May: said beside the district's figures
    assert "未报：陶家镇（5月未报）" in text


def test_comparison_table_marks_the_unreported_month(demo_env):
    from apptest_util import open_page

    at = open_page("compare.py")
    at.radio(key="compare_layout").set_value("full").run()  # the official layout carries the 备注 column
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    notes = dict(zip(table["街镇名称"], table["备注"]))
    assert notes["陶家镇"].startswith("5月未报") and notes["杨家坪街道"] == ""
    total = table[table["序号"] == "合计"].iloc[0]
    assert total["毕业生就业率·目标"] == "≥95%"  # the 合计 row carries the standard
    assert "区就业局" in set(table["街镇名称"])  # the department keeps its row


def test_scores_page_says_the_weights_are_local_settings(demo_env):
    from apptest_util import open_page

    at = open_page("scores.py")
    assert any("本地设定，待领导小组确认" in w.value for w in at.warning)


def test_upload_page_mapping_step_is_remembered_per_source(demo_dir, tmp_path, monkeypatch):
    """A file naming the unit column 社区 is rejected with a mapping step; the choice takes it and
    is remembered: the next file from the same source (same headers) is mapped without asking."""
    from streamlit.testing.v1 import AppTest

    from target_monitor.ingest import column_maps

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(data))
    header = ["贷款编号", "社区", "借款人类型", "发放日期", "发放金额(元)", "经办银行"]
    june = csv_bytes([header, ["LN-M1", "杨家坪街道", "个人", "2020-06-02", "200000", "中国建设银行"]])

    def open_data_page() -> AppTest:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
        at.session_state["lang"] = "zh"
        at.run()
        at.switch_page("pages/data.py")
        at.run()
        assert not at.exception, at.exception
        return at

    at = open_data_page()
    at.file_uploader(key="data_files").upload("loans_june.csv", june, "text/csv")
    at.run()
    at.selectbox(key="data_extract").set_value("loans")
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert not at.exception, at.exception
    assert any("已拒绝" in e.value for e in at.error)
    at.selectbox(key="map_loans_june.csv_unit_code").set_value("社区")
    at.run()
    at.button(key="map_apply_loans_june.csv").click()
    at.run()
    assert not at.exception, at.exception
    assert any("读取 1 行 = 导入 1" in s.value for s in at.success), [s.value for s in at.success]
    assert column_maps.remembered(data, "loans", header) == {"社区": "unit_code"}
    # the next month from the same source: mapped without asking
    july = csv_bytes([header, ["LN-M2", "谢家湾街道", "个人", "2020-06-05", "100000", "中国建设银行"]])
    at = open_data_page()
    at.file_uploader(key="data_files").upload("loans_july.csv", july, "text/csv")
    at.run()
    at.selectbox(key="data_extract").set_value("loans")
    at.run()
    at.button(key="data_check").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("此前为同一来源指定的列对应" in i.value for i in at.info)


def test_department_is_never_flagged(demo_ctx):
    from target_monitor.ranking import FlagRule, flags

    p = demo_ctx.progress(2020, AS_OF).copy()
    bureau = (p["unit_code"] == "500107-90") & (p["indicator"] == "vocational_training")
    p.loc[bureau, ["gap_pp", "status"]] = [-30.0, "far_behind"]  # far behind: a 街镇 would be flagged
    rule = FlagRule(name="behind", rule="behind_pp", colour="yellow", indicator=None, pp=10.0, n=0,
                    label={"zh": "落后", "en": "behind"})
    raised = flags(p, [rule])
    assert "500107-90" not in set(raised["unit_code"]) and "500107-12" in set(raised["unit_code"])


def test_an_open_month_is_not_the_default_even_when_every_unit_has_started_it(demo_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("snapshots", "logs"))
    codes = [f"500107-{i:02d}" for i in range(1, 14)] + ["500107-90"]
    _add_rows(data, {
        "record_id": [f"J{i}" for i in range(14)], "unit_code": codes, "person_key": ["p"] * 14,
        "employed_on": [date(2020, 7, 11)] * 14, "group": ["其他"] * 14, "form": ["单位就业"] * 14,
    })
    ctx = Context(data)
    assert set(ctx.last_reported(2020).values()) == {7}
    assert ctx.data_through() == date(2020, 7, 11)
    assert ctx.default_as_of(2020) == AS_OF  # July runs to the 11th only: June is the last whole month
