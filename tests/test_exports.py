"""Exports: the official-layout workbook checked cell by cell against
`target-monitor progress`, formula-injection neutralisation in CSV and XLSX."""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from target_monitor.cli import main
from target_monitor.exports import report_for, to_csv_bytes, write_exports
from target_monitor.exports.excel import write_workbook
from target_monitor.exports.report import STATUS_FILL
from target_monitor.exports.safe import neutralise, neutralise_frame
from target_monitor.reference import Units

SHEET = "完成情况表"


def _cli_progress(data_dir: Path) -> pd.DataFrame:
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["progress", "--as-of", "2020-06-30", "--format", "csv", "--data-dir", str(data_dir)])
    assert code == 0
    return pd.read_csv(io.StringIO(out.getvalue()), dtype={"unit_code": str})


@pytest.fixture(scope="session")
def workbook(demo_dir, demo_ctx, built_once):
    """The demo's exports (no PDF), written once for the session (built_once); read-only."""
    from target_monitor.context import Context

    def build(folder: Path) -> None:
        (folder / "xlsx_name").write_text(write_exports(Context(demo_dir), folder, pdf=False)["xlsx"].name)

    folder = built_once("exports_workbook", build)
    return demo_ctx, openpyxl.load_workbook(folder / (folder / "xlsx_name").read_text()), folder


def _same(cell_value, expected) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return cell_value == "—"
    return isinstance(cell_value, (int, float)) and float(cell_value) == float(expected)


def test_title_headers_and_merges(workbook):
    ctx, wb, _ = workbook
    ws = wb[SHEET]
    assert ws["A1"].value == "九龙坡区2020年就业创业工作任务完成情况表（截至2020年6月30日）"
    merged = {str(r) for r in ws.merged_cells.ranges}
    n = 2 + 4 * len(ctx.registry.indicators)
    last = openpyxl.utils.get_column_letter(n)
    assert {f"A1:{last}1", "A3:A4", "B3:B4", "C3:F3", "G3:J3"} <= merged
    assert (ws["A3"].value, ws["B3"].value) == ("序号", "街镇名称")
    assert ws["C3"].value == "城镇新增就业（人）"
    assert [ws.cell(4, c).value for c in range(3, 7)] == ["目标", "完成", "完成率", "与序时进度差（百分点）"]
    assert ws["G3"].value == "发放创业担保贷款（万元）"


def test_every_number_equals_cli_progress(workbook, demo_dir):
    ctx, wb, _ = workbook
    ws = wb[SHEET]
    cli = _cli_progress(demo_dir).set_index(["unit_code", "indicator", "target_basis"])
    name_to_code = {u.name: u.code for u in ctx.ref.units}
    root = ctx.ref.units.root().code
    checked = 0
    rows_seen = {"child": 0, "total": 0, "own": 0}
    for r in range(5, ws.max_row + 1):
        a, b = ws.cell(r, 1).value, ws.cell(r, 2).value
        if b in name_to_code and str(a).isdigit():
            code, basis, kind = name_to_code[b], "own", "child"
        elif a == "合计":
            code, basis, kind = root, "allocation_sum", "total"
        elif b == "全区目标（工作要点）":
            code, basis, kind = root, "own", "own"
        else:
            continue
        rows_seen[kind] += 1
        for i, ind in enumerate(ctx.registry.indicators):
            c = 3 + 4 * i
            cells = [ws.cell(r, c + j).value for j in range(4)]
            if kind == "total" and (code, ind.name, "allocation_sum") not in cli.index:
                # no allocation sum: the pooled actual, beside the standard every unit shares (a rate)
                exp = cli.loc[(code, ind.name, "own")]
                kids = pd.Series([cli.loc[(u.code, ind.name, "own"), "target"] for u in ctx.ref.units.children(root)
                                  if (u.code, ind.name, "own") in cli.index]).dropna()
                standard = kids.iloc[0] if ind.is_rate and kids.nunique() == 1 else None
                assert _same(cells[1], exp["actual"]), (r, ind.name)
                assert _same(cells[0], standard) if standard is not None else cells[0] == "—", (r, ind.name, cells)
                if standard is not None:
                    assert cells[3] == pytest.approx(exp["actual"] - standard)
                checked += 1
                continue
            if kind == "total":
                # completion and gap from the unrounded totals; they round to what the table says
                exp = cli.loc[(code, ind.name, basis)]
                assert _same(cells[0], exp["target"]) and _same(cells[1], exp["actual"]), (r, ind.name, cells)
                if ind.is_rate:  # the table's own 合计 row of a rate: its standard, the gap to it
                    assert cells[3] == pytest.approx(exp["actual"] - exp["target"])
                    checked += 1
                    continue
                completion = exp["actual"] / exp["target"] * 100
                assert cells[2] == pytest.approx(completion) and round(cells[2], 1) == exp["completion_pct"]
                assert cells[3] == pytest.approx(completion - exp["time_progress_pct"])
                checked += 1
                continue
            exp = cli.loc[(code, ind.name, basis)]
            if ind.is_rate:
                assert _same(cells[0], exp["target"]) and _same(cells[1], exp["actual"]), (r, ind.name, cells)
                assert _same(cells[3], exp["gap_pp"]), (r, ind.name, cells)
                assert isinstance(cells[2], str) and cells[2].endswith(
                    {"met": "达标", "not_met": "未达标", "no_target": "无目标", "no_data": "暂无数据",
                     "year_end_check": "年底考核"}[exp["status"]])
            else:
                for j, col in enumerate(["target", "actual", "completion_pct", "gap_pp"]):
                    assert _same(cells[j], exp[col]), (r, ind.name, col, cells[j], exp[col])
            checked += 1
    n_children = len(ctx.ref.units.children(root))
    assert rows_seen == {"child": n_children, "total": 1, "own": 1}
    assert checked == (n_children + 2) * len(ctx.registry.indicators)


def test_traffic_lights_legend_footnote_panes_and_print_setup(workbook, demo_dir):
    ctx, wb, _ = workbook
    ws = wb[SHEET]
    cli = _cli_progress(demo_dir)
    # 铜罐驿镇 is far behind on new employment in the demo: its 完成率 cell is filled red-orange
    row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 2).value == "铜罐驿镇")
    status = cli[(cli["unit_name"] == "铜罐驿镇") & (cli["indicator"] == "urban_new_employment")]["status"].iloc[0]
    assert status == "far_behind"
    cell = ws.cell(row, 5)
    assert cell.fill.fgColor.rgb[-6:] == STATUS_FILL["far_behind"].lstrip("#")
    assert "✖" in cell.number_format  # status never by colour alone
    values = [c.value for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    legend = [c for r in ws.iter_rows() for c in r if c.value == "✖ 明显滞后"]
    assert legend and legend[0].fill.fgColor.rgb[-6:] == STATUS_FILL["far_behind"].lstrip("#")
    assert any(v.startswith("数据截至2020年6月30日") for v in values)
    assert ws.freeze_panes == "C5"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # OOXML: fitToWidth defaults to 1 when absent (xlsxwriter omits it), fitToHeight 0 = as many as needed
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$3:$4"


def test_extra_sheets(workbook, demo_dir):
    ctx, wb, _ = workbook
    assert wb.sheetnames == [SHEET, "趋势", "排名", "考核评分", "通报", "修订记录", "数据"]
    brief = [c.value for c in wb["通报"]["A"] if c.value]
    as_of = ctx.latest_day(2020)
    progress = ctx.progress(2020, as_of)
    # the 通报 sheet carries meeting mode's drafted briefing, sentence for sentence
    from target_monitor.briefing import build_briefing

    drafted = build_briefing(ctx.registry, ctx.ref.units, progress, ctx.missing_months(2020, as_of), 2020, as_of,
                             "zh", is_demo=True)
    for _, sentences in drafted.sections:
        for sentence in sentences:
            assert sentence in brief
    assert any("陶家镇" in line and "5月" in line for line in brief)  # the unit that did not report in May
    # the scores sheet: the same totals as the 考核评分 page computes
    from target_monitor.paths import reference_dir
    from target_monitor.scoring import load_scoring, load_work_items, score_units, work_items_path

    config = load_scoring(reference_dir(ctx.data_dir), ctx.registry)
    totals = {s.unit_code: s.total for s in score_units(progress, config,
                                                        load_work_items(work_items_path(ctx.data_dir), config, 2020))}
    sheet = pd.DataFrame(list(wb["考核评分"].values)[1:], columns=list(wb["考核评分"].values)[0])
    total_col = next(c for c in sheet.columns if "总分" in str(c))
    yjp = sheet[sheet.apply(lambda r: "杨家坪街道" in [str(v) for v in r.values], axis=1)]
    assert float(yjp[total_col].iloc[0]) == totals["500107-01"]
    trend = wb["趋势"]
    assert [c.value for c in trend[1]][:4] == ["街镇名称", "指标", "年度", "月份"]
    assert trend.max_row > 100
    ranks = wb["排名"]
    assert ranks["A1"].value == "街镇名称" and ranks.max_row == 1 + len(ctx.ref.units.children("500107"))
    data = pd.DataFrame(list(wb["数据"].values)[1:], columns=list(wb["数据"].values)[0])
    cli = _cli_progress(demo_dir)
    assert len(data) == len(cli)
    assert (data["actual"].astype(float).round(2).fillna(-1) == cli["actual"].round(2).fillna(-1)).all()


def test_neutralise_rules():
    for bad in ["=1+1", "+86 123", "-x", "@SUM(A1)", "|cmd", "%0A", "\tx", "\rx"]:
        assert neutralise(bad) == "'" + bad
    for fine in ["杨家坪街道", "a=b", "", " =1"]:
        assert neutralise(fine) == fine
    assert neutralise(-5) == -5 and neutralise(-5.5) == -5.5


def test_csv_is_utf8_sig_and_neutralised_but_numbers_are_not():
    df = pd.DataFrame({"名称": ["=HYPERLINK(\"http://x\",\"点\")", "杨家坪街道"], "数": [-5, 3], "@h": ["-2", "ok"]})
    raw = to_csv_bytes(df)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "名称,数,'@h"
    assert lines[1].startswith("\"'=HYPERLINK(") and ",-5,'-2" in lines[1]
    assert neutralise_frame(df)["数"].tolist() == [-5, 3]


def test_xlsx_text_cells_are_never_formulas(demo_ctx, tmp_path):
    ctx = demo_ctx
    report = report_for(ctx)
    evil = "=HYPERLINK(\"http://example.invalid\",\"点击\")"
    units = [dataclasses.replace(u, name=evil) if u.code == "500107-01" else u for u in ctx.ref.units]
    report.units = Units(units)
    path = write_workbook(report, tmp_path / "evil.xlsx")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    ws = wb[SHEET]
    assert ws["B5"].value == "'" + evil
    # negative gaps stay numbers
    gaps = [ws.cell(r, 6).value for r in range(5, 19)]
    assert any(isinstance(g, float) and g < 0 for g in gaps)


def test_english_workbook_and_a_year_without_targets(demo_ctx, tmp_path):
    from datetime import date

    ctx = demo_ctx
    en = report_for(ctx, "en")
    wb = openpyxl.load_workbook(write_workbook(en, tmp_path / "en.xlsx"))
    assert wb.sheetnames[0] == "Progress table"
    assert wb["Progress table"]["A1"].value.startswith("Jiulongpo District 2020")
    assert wb["Progress table"]["A3"].value == "No."
    # 2019 has no task breakdown table: every cell still written, status 'no target'
    old = report_for(ctx, "zh", year=2019, as_of=date(2019, 12, 31))
    ws = openpyxl.load_workbook(write_workbook(old, tmp_path / "2019.xlsx"))[SHEET]
    assert ws["A1"].value == "九龙坡区2019年就业创业工作任务完成情况表（截至2019年12月31日）"
    assert ws["C5"].value == "—" and isinstance(ws["D5"].value, (int, float)) and ws["D5"].value > 0
