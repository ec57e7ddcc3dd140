"""Figures reported by units (当月 / 累计): how they count, how they are read, what is refused."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from target_monitor.tables_delta import read_partition, read_table
from target_monitor.aggregates import refresh
from target_monitor.cli import main
from target_monitor.context import Context
from target_monitor.ingest import ingest
from target_monitor.ingest.pipeline import parse_upload
from target_monitor.ingest.storage import schema_for
from target_monitor.registry import load_registry
from target_monitor.store import Store

U1, U2 = "500107-01", "500107-02"
NE = "urban_new_employment"


# --------------------------------------------------------------------------- the counting rule


def _write(data_dir: Path, extract: str, rows: list[dict], day_col: str) -> None:
    ext = load_registry().extracts[extract]
    df = pd.DataFrame(rows)
    for col in ext.column_names:  # an optional column (the category flags) left out: NULL
        if col not in df:
            df[col] = None
    for (y, m), part in df.groupby([df[day_col].map(lambda d: d.year), df[day_col].map(lambda d: d.month)]):
        folder = data_dir / "extracts" / extract / f"year={y:04d}" / f"month={m:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(part[list(ext.column_names)], schema=schema_for(ext),
                                            preserve_index=False), folder / f"part-{len(list(folder.iterdir()))}.parquet")


def _records(data_dir: Path, days: list[date], unit: str = U1) -> None:
    _write(data_dir, "new_employment", [
        {"record_id": f"r{i}-{unit}", "unit_code": unit, "person_key": f"p{i}", "employed_on": d,
         "group": "其他", "form": "单位就业"} for i, d in enumerate(days)], "employed_on")


def _reports(data_dir: Path, rows: list[tuple], unit: str = U1, indicator: str = NE) -> None:
    _write(data_dir, "reported_monthly", [
        {"report_id": f"{unit}|{indicator}|{m:%Y-%m}", "unit_code": unit, "indicator": indicator,
         "report_month": m, "basis": basis, "value": float(value)} for m, basis, value in rows], "report_month")


def _counted(data_dir: Path) -> dict:
    """{(month end, indicator): num} from reported_events, identical on the raw and aggregate paths."""
    out = []
    refresh(data_dir, full=True)
    for store in (Store(data_dir, aggregates=False), Store(data_dir)):
        with store.con.cursor() as cur:
            df = cur.execute("select event_on, indicator, sum(num) as num from indicator_events "
                             "where unit_code = $u group by all order by all", {"u": U1}).df()
            monthly = cur.execute("select m.event_month, m.indicator, sum(m.num) as num from indicator_monthly m "
                                  "join unit_keys k using (unit_key) where k.unit_code = $u group by all order by all",
                                  {"u": U1}).df()
        out.append((df, monthly))
        store.close()
    (raw_events, raw_monthly), (agg_events, agg_monthly) = out
    pd.testing.assert_frame_equal(raw_events, agg_events)
    pd.testing.assert_frame_equal(raw_monthly, agg_monthly, check_dtype=False)
    by_month = raw_events.assign(month=pd.to_datetime(raw_events["event_on"]).dt.month)
    return {int(m): float(v) for m, v in by_month.groupby("month")["num"].sum().items()}


def d(m: int, day: int = 1, y: int = 2020) -> date:
    return date(y, m, day)


@pytest.mark.parametrize("records, reports, expected", [
    # 累计 only: each month counts the difference; the year to date is the latest figure
    ([], [(d(1), "累计", 10), (d(2), "累计", 25), (d(3), "累计", 40)], {1: 10, 2: 15, 3: 15}),
    # 当月 only: each month counts as reported
    ([], [(d(1), "当月", 10), (d(2), "当月", 15)], {1: 10, 2: 15}),
    # records in January, 累计 in February: February adds what the records did not (no double count)
    ([d(1, 5)] * 3, [(d(2), "累计", 20)], {1: 3, 2: 17}),
    # records and a report for the same month: the records win, the report is not counted
    ([d(2, 3), d(2, 4)], [(d(2), "累计", 50)], {2: 2}),
    ([d(2, 3), d(2, 4)], [(d(2), "当月", 50)], {2: 2}),
    # mixed bases: 当月 adds, 累计 anchors the year to date
    ([], [(d(1), "累计", 10), (d(2), "当月", 5), (d(3), "累计", 30)], {1: 10, 2: 5, 3: 15}),
    # a 累计 series that falls counts negative: the year to date is what the unit last declared
    ([], [(d(1), "累计", 10), (d(2), "累计", 8)], {1: 10, 2: -2}),
    # a gap: March's 累计 covers February too
    ([], [(d(1), "累计", 10), (d(3), "累计", 30)], {1: 10, 3: 20}),
    # records after a 累计 month, then 累计 again: the records are part of the later figure
    ([d(2, 10)] * 4, [(d(1), "累计", 10), (d(3), "累计", 20)], {1: 10, 2: 4, 3: 6}),
])
def test_reported_figures_count_once_per_unit_month(tmp_path, records, reports, expected):
    if records:
        _records(tmp_path, records)
    _reports(tmp_path, reports)
    _records(tmp_path, [d(1, 2)], unit=U2)  # another unit's records do not interfere
    assert _counted(tmp_path) == expected


def test_a_cumulative_figure_starts_again_each_year(tmp_path):
    _reports(tmp_path, [(date(2019, 12, 1), "累计", 100), (date(2020, 1, 1), "累计", 5)])
    assert _counted(tmp_path) == {12: 100, 1: 5}


def test_reported_amounts_are_in_the_display_unit_and_rates_are_not_counted(tmp_path):
    _reports(tmp_path, [(d(1), "当月", 12.5)], indicator="guarantee_loans")
    _reports(tmp_path, [(d(2), "当月", 95)], indicator="graduate_employment_rate")
    _records(tmp_path, [d(1, 2)], unit=U2)
    store = Store(tmp_path, aggregates=False)
    with store.con.cursor() as cur:
        rows = cur.execute("select indicator, event_on, num from reported_events order by all").fetchall()
    assert rows == [("guarantee_loans", date(2020, 1, 31), 12.5)]


def test_a_report_counts_at_its_month_end_not_before(tmp_path):
    _reports(tmp_path, [(d(5), "当月", 30)])
    _records(tmp_path, [d(5, 3)], unit=U2)
    refresh(tmp_path, full=True)
    store = Store(tmp_path)
    args = {"year": 2020, "unit_codes": [U1], "shown_codes": [U1]}
    mid = store.query("actuals_as_of", as_of=date(2020, 5, 20), **args)
    end = store.query("actuals_as_of", as_of=date(2020, 5, 31), **args)
    assert mid.empty or mid["numerator"].sum() == 0
    assert end.set_index("indicator").loc[NE, "numerator"] == 30


# --------------------------------------------------------------------------- the dashboard


@pytest.fixture
def demo_copy(demo_dir, tmp_path):
    for name in ("extracts", "aggregates", "reference"):
        if (demo_dir / name).exists():
            shutil.copytree(demo_dir / name, tmp_path / name)
    return tmp_path


def _unit_actual(data_dir: Path, unit: str, as_of: date, indicator: str = NE) -> float:
    df = Context(data_dir).progress(as_of.year, as_of)
    row = df[(df["unit_code"] == unit) & (df["indicator"] == indicator)]
    return float(row["actual"].iloc[0])


def test_a_town_without_records_for_may_reports_its_figure_and_it_counts_once(demo_copy):
    """陶家镇 has no records for May 2020 in the demo; it sends its 月报表 instead."""
    taojia, yangjiaping = "500107-13", "500107-01"
    as_of = date(2020, 6, 30)
    before_tj = _unit_actual(demo_copy, taojia, as_of)
    before_yjp = _unit_actual(demo_copy, yangjiaping, as_of)
    csv = ("九龙坡区2020年5月就业工作月报表\n街镇,城镇新增就业(当月),职业培训(当月)\n"
           "陶家镇,37,12\n杨家坪街道,999,999\n合计,1036,1011\n").encode("utf-8")
    report = ingest(csv, "5月报表.csv", data_dir=demo_copy, extract="reported_monthly", isolated=False)
    assert report.status == "taken" and report.accepted == 2 and report.skipped == 1, report.problems
    assert report.months == ["2020-05"]
    assert _unit_actual(demo_copy, taojia, as_of) == before_tj + 37
    # 杨家坪 has records for May: its report is kept but does not count (records win)
    assert _unit_actual(demo_copy, yangjiaping, as_of) == before_yjp
    # the district total rises by 陶家镇's figure only
    df = Context(demo_copy).progress(2020, as_of)
    district = df[(df["unit_code"] == "500107") & (df["indicator"] == NE)]["actual"].iloc[0]
    assert district == 21083 + 37


# --------------------------------------------------------------------------- reading the files


def _parse(data: bytes, name: str, data_dir: Path, **kw):
    return parse_upload(data, name, kw.pop("extract", "reported_monthly"), kw.pop("period", None), None, data_dir,
                        today=date(2020, 7, 15), **kw)


def _xlsx_two_row_header() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "5月"
    ws.append(["九龙坡区2020年1-5月就业工作进度表"])
    ws.merge_cells("A1:E1")
    ws.append(["街镇", "城镇新增就业(人)", None, "发放创业担保贷款(万元)", None])
    ws.append([None, "当月", "累计", "当月", "累计"])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:E2")
    ws.append(["杨家坪街道", 120, 900, 35.5, 210])
    ws.append(["谢家湾街道", 80, 700, 0, 95.25])
    ws.append(["合计", 200, 1600, 35.5, 305.25])
    ws.append(["填表人：张三  联系电话：68000000"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_two_row_merged_header_takes_the_declared_basis_and_the_title_month(tmp_path):
    p = _parse(_xlsx_two_row_header(), "进度表.xlsx", tmp_path, basis="累计")
    r = p.report
    assert r.status == "preview" and (r.rows_read, r.accepted, r.skipped) == (4, 2, 2)
    assert r.skipped_by_rule == {"total": 1, "note": 1}
    acc = p.accepted.set_index(["unit_code", "indicator"])
    assert set(acc["basis"]) == {"累计"} and set(acc["report_month"]) == {date(2020, 5, 1)}
    assert acc.loc[(U1, NE), "value"] == 900 and acc.loc[(U2, "guarantee_loans"), "value"] == 95.25
    ignored = [w for w in r.warnings if w.code == "rp_other_basis_ignored"]
    assert len(ignored) == 2 and "以“" in ignored[0].reason_zh
    assert not [w for w in r.warnings if w.code == "total_mismatch"]


def test_undeclared_file_with_both_bases_counts_the_cumulative_one(tmp_path):
    p = _parse(_xlsx_two_row_header(), "进度表.xlsx", tmp_path)
    assert p.report.status == "preview"
    assert set(p.accepted["basis"]) == {"累计"}


def test_long_layout_with_a_basis_column_and_unit_aliases(tmp_path):
    csv = ("单位,月份,指标,口径,数值\n杨家坪,2020-03,新增就业人数,当月,40\n杨家坪,2020年4月,新增就业人数,本月,45\n"
           "谢家湾街道,2020/4,创业担保贷款,累计,\"12.5万元\"\n谢家湾街道,2020-04,职业培训,累计,七十\n").encode("gb18030")
    p = _parse(csv, "long.csv", tmp_path)
    r = p.report
    assert r.status == "preview" and r.accepted == 4 and r.encoding.lower().startswith("gb")
    got = {(x.unit_code, x.indicator, f"{x.report_month:%Y-%m}"): (x.basis, x.value) for x in p.accepted.itertuples()}
    assert got == {(U1, NE, "2020-03"): ("当月", 40), (U1, NE, "2020-04"): ("当月", 45),
                   (U2, "guarantee_loans", "2020-04"): ("累计", 12.5),
                   (U2, "vocational_training", "2020-04"): ("累计", 70)}


def test_amounts_in_yuan_are_converted_to_wan_yuan(tmp_path):
    csv = "街镇,发放创业担保贷款(元),城镇新增就业\n杨家坪街道,350000,12\n".encode()
    p = _parse(csv, "loans.csv", tmp_path, period="2020-05", basis="当月")
    acc = p.accepted.set_index("indicator")
    assert acc.loc["guarantee_loans", "value"] == 35.0 and acc.loc[NE, "value"] == 12


@pytest.mark.parametrize("csv, kw, code, words", [
    ("单位,月份,指标,累计完成\n杨家坪街道,2020-04,城镇新增就业,900\n", {"basis": "当月"}, "rp_basis_mismatch",
     ["累计完成", "当月"]),
    ("街镇,城镇新增就业(人)\n杨家坪街道,5\n", {"period": "2020-05"}, "rp_basis_unknown", ["城镇新增就业(人)"]),
    ("街镇,城镇新增就业(当月)\n杨家坪街道,5\n", {}, "rp_no_month", ["月份"]),
    ("街镇,备注\n杨家坪街道,无\n", {}, "rp_no_header", ["单位列"]),
    ("街镇,城镇新增就业(当月)\n杨家坪街道,5\n", {"basis": "季度"}, "rp_bad_basis", ["季度"]),
])
def test_files_whose_meaning_cannot_be_known_are_rejected(tmp_path, csv, kw, code, words):
    p = _parse(csv.encode(), "bad.csv", tmp_path, **kw)
    assert p.report.status == "rejected"
    problem = p.report.problems[0]
    assert problem.code == code and problem.level == "R"
    for w in words:
        assert w in problem.reason_zh + problem.fix
    assert problem.reason_en and problem.fix_en


def test_bad_rows_are_quarantined_with_reasons_and_counts_balance(tmp_path):
    csv = ("单位,月份,指标,当月数\n杨家坪街道,2020-05,城镇新增就业,10\n不存在街道,2020-05,城镇新增就业,10\n"
           "杨家坪街道,2020-05,离校未就业高校毕业生就业率,95\n杨家坪街道,2020-05,卫生达标率,3\n"
           "杨家坪街道,2020-05,新增就业,11\n杨家坪街道,2020-05,职业培训,-4\n杨家坪街道,2020-05,职业培训,2.5\n"
           "杨家坪街道,2020-09,职业培训,3\n杨家坪街道,2020-05,创业担保贷款,\n").encode()
    p = _parse(csv, "rows.csv", tmp_path)
    r = p.report
    assert r.rows_read == r.accepted + r.quarantined + r.skipped == 9 and r.accepted == 1
    codes = [(q.row, q.code) for q in r.problems]
    assert codes == [(3, "unit_unknown"), (4, "rp_rate_row"), (5, "rp_indicator_unknown"), (6, "rp_duplicate"),
                     (7, "bounds"), (8, "not_whole"), (9, "future"), (10, "rp_no_value")]
    assert "卫生达标率" in r.problems[2].reason_zh and "城镇新增就业" in r.problems[2].reason_zh
    assert "第 2 行" in r.problems[3].reason_zh


def test_a_rate_column_in_a_wide_file_is_ignored_with_a_warning(tmp_path):
    csv = "街镇,城镇新增就业(当月),高校毕业生就业率\n杨家坪街道,5,96%\n".encode()
    p = _parse(csv, "w.csv", tmp_path, period="2020-05")
    assert p.report.accepted == 1 and list(p.accepted["indicator"]) == [NE]
    (w,) = [w for w in p.report.warnings if w.code == "rp_rate_column"]
    assert "比率类" in w.reason_zh and "register" in w.fix_en


def test_parquet_of_reported_figures(tmp_path):
    table = pa.table({"unit_code": [U1, U2], "indicator": [NE, NE], "report_month": [d(5), d(5)],
                      "basis": ["累计", "累计"], "value": [900.0, 700.0]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    p = _parse(buf.getvalue(), "r.parquet", tmp_path)
    assert p.report.status == "preview" and p.report.accepted == 2 and p.report.file_type == "parquet"


def test_a_falling_cumulative_series_is_flagged_in_the_file_and_against_the_store(tmp_path):
    first = "单位,月份,指标,累计\n杨家坪街道,2020-04,城镇新增就业,900\n杨家坪街道,2020-05,城镇新增就业,850\n".encode()
    rep = ingest(first, "a.csv", data_dir=tmp_path, extract="reported_monthly", isolated=False, today="2020-07-15")
    assert rep.status == "taken"
    (w,) = [w for w in rep.warnings if w.code == "rp_cumulative_falls"]
    assert "850" in w.reason_zh and "900" in w.reason_zh and "2020-04" in w.reason_zh and w.row == 3
    # a June figure below May's stored one
    june = "单位,月份,指标,累计\n杨家坪街道,2020-06,城镇新增就业,800\n".encode()
    rep = ingest(june, "b.csv", data_dir=tmp_path, extract="reported_monthly", isolated=False, today="2020-07-15")
    assert [w.code for w in rep.warnings] == ["rp_cumulative_falls"]
    # re-sending May corrected replaces May (that indicator only) and the revision is logged
    may = "单位,月份,指标,累计\n杨家坪街道,2020-05,城镇新增就业,780\n".encode()
    rep = ingest(may, "c.csv", data_dir=tmp_path, extract="reported_monthly", isolated=False, today="2020-07-15")
    assert rep.revisions == [{"unit_code": U1, "month": "2020-05", "indicator": NE, "old_rows": 1, "new_rows": 1,
                              "old_total": 850.0, "new_total": 780.0}]
    assert not [w for w in rep.warnings if w.code == "rp_cumulative_falls"] or "780" in rep.warnings[0].reason_zh


def test_a_long_file_with_one_indicator_leaves_the_others_of_that_month(tmp_path):
    wide = "街镇,城镇新增就业(当月),职业培训(当月)\n杨家坪街道,5,7\n".encode()
    ingest(wide, "w.csv", data_dir=tmp_path, extract="reported_monthly", period="2020-05", isolated=False,
           today="2020-07-15")
    fix = "单位,月份,指标,当月\n杨家坪街道,2020-05,职业培训,9\n".encode()
    ingest(fix, "f.csv", data_dir=tmp_path, extract="reported_monthly", isolated=False, today="2020-07-15")
    stored = read_partition(tmp_path, "reported_monthly", 2020, 5).to_pandas()
    assert dict(zip(stored["indicator"], stored["value"])) == {NE: 5.0, "vocational_training": 9.0}


def test_the_preview_shows_each_declared_figure_before_and_after(tmp_path):
    """What a reviewer (or the uploader) sees before a 月报表 counts: the unit's figures before -> after."""
    from target_monitor.ingest import preview

    first = "单位,月份,指标,当月\n杨家坪街道,2020-05,城镇新增就业,5\n杨家坪街道,2020-05,职业培训,7\n".encode()
    ingest(first, "a.csv", data_dir=tmp_path, extract="reported_monthly", isolated=False, today="2020-07-15")
    fix = "单位,月份,指标,当月\n杨家坪街道,2020-05,职业培训,9\n杨家坪街道,2020-06,职业培训,4\n".encode()
    parsed = _parse(fix, "f.csv", tmp_path)
    figures = preview(parsed, data_dir=tmp_path)["figures"]
    assert figures == [
        {"unit_code": U1, "month": "2020-05", "indicator": "vocational_training", "before": 7.0, "after": 9.0},
        {"unit_code": U1, "month": "2020-06", "indicator": "vocational_training", "before": None, "after": 4.0}]


def test_same_bytes_declared_differently_are_not_a_noop(tmp_path):
    csv = "街镇,城镇新增就业\n杨家坪街道,5\n".encode()
    a = ingest(csv, "x.csv", data_dir=tmp_path, extract="reported_monthly", period="2020-05", basis="当月",
               isolated=False, today="2020-07-15")
    b = ingest(csv, "x.csv", data_dir=tmp_path, extract="reported_monthly", period="2020-05", basis="当月",
               isolated=False, today="2020-07-15")
    c = ingest(csv, "x.csv", data_dir=tmp_path, extract="reported_monthly", period="2020-05", basis="累计",
               isolated=False, today="2020-07-15")
    assert (a.status, b.status, c.status) == ("taken", "noop", "taken")
    stored = read_table(tmp_path, "reported_monthly").to_pandas()
    assert list(stored["basis"]) == ["累计"]


def test_cli_ingest_with_basis(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("街镇,城镇新增就业(人)\n杨家坪街道,5\n", encoding="utf-8")
    data = tmp_path / "data"
    assert main(["ingest", str(path), "--extract", "reported_monthly", "--period", "2020-05",
                 "--data-dir", str(data), "--json"]) == 2
    text = capsys.readouterr().out
    rejected = json.loads(text[text.index("{"):])
    assert rejected["status"] == "rejected" and rejected["problems"][0]["fix"].startswith("请在上传时选择口径")
    assert main(["ingest", str(path), "--extract", "reported_monthly", "--period", "2020-05", "--basis", "当月",
                 "--data-dir", str(data), "--json"]) == 0
    text = capsys.readouterr().out
    payload = json.loads(text[text.index("{"):])
    assert payload["status"] == "taken" and payload["basis"] == "当月" and payload["accepted"] == 1
    assert {"rows_read", "accepted", "quarantined", "skipped", "warnings", "problems"} <= set(payload)


def test_records_arriving_later_take_over_the_month_on_the_next_refresh(tmp_path):
    """The reported months' aggregates depend on the records: an incremental refresh that
    rebuilds a record partition rebuilds them too, so the aggregate path never double counts."""
    _reports(tmp_path, [(d(3), "当月", 30)])
    _records(tmp_path, [d(3, 2)], unit=U2)
    refresh(tmp_path)
    args = {"year": 2020, "unit_codes": [U1], "shown_codes": [U1], "as_of": date(2020, 3, 31)}
    assert Store(tmp_path).query("actuals_as_of", **args).set_index("indicator").loc[NE, "numerator"] == 30
    _records(tmp_path, [d(3, 9)] * 4)  # 杨家坪's March register arrives: 4 records
    assert refresh(tmp_path).rebuilt == ["new_employment/year=2020/month=03"]
    store = Store(tmp_path)
    assert store.uses_aggregates
    assert store.query("actuals_as_of", **args).set_index("indicator").loc[NE, "numerator"] == 4


def test_a_title_naming_another_month_than_the_declared_period_is_a_warning(tmp_path):
    csv = "2020年4月就业工作月报表\n街镇,城镇新增就业(当月)\n杨家坪街道,5\n".encode()
    p = _parse(csv, "t.csv", tmp_path, period="2020-05")
    assert set(p.accepted["report_month"]) == {d(5)}
    (w,) = p.report.warnings
    assert w.code == "rp_title_month_differs" and "2020-04" in w.reason_zh and "2020-05" in w.reason_zh
