"""The drafted briefing (通报) against numbers computed by hand from the demo's Parquet files.

The expected figures are recomputed here straight from the record-level files with pyarrow
(not through the store's SQL), then rounded half-up by hand as the bureau would.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from target_monitor.briefing import build_briefing

AS_OF = date(2020, 6, 30)
LY = date(2019, 6, 30)


def r1(x: float) -> str:
    return str(Decimal(repr(x)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _table(demo_dir, extract):
    return ds.dataset(demo_dir / "extracts" / extract, format="parquet", partitioning="hive").to_table()


def _count(table, col, start, end, unit=None):
    d = table.column(col)
    mask = pc.and_(pc.greater_equal(d, start), pc.less_equal(d, end))
    if unit:
        mask = pc.and_(mask, pc.equal(table.column("unit_code"), unit))
    return table.filter(mask)


@pytest.fixture(scope="module")
def brief_zh(demo_ctx):
    p = demo_ctx.progress(2020, AS_OF)
    b = build_briefing(demo_ctx.registry, demo_ctx.ref.units, p, demo_ctx.missing_months(2020, AS_OF), 2020, AS_OF,
                       "zh", is_demo=True)
    return b


def test_district_new_employment_sentence(demo_dir, brief_zh):
    ne = _table(demo_dir, "new_employment")
    now = _count(ne, "employed_on", date(2020, 1, 1), AS_OF).num_rows
    ly = _count(ne, "employed_on", date(2019, 1, 1), LY).num_rows
    completion = r1(now / 31000 * 100)
    gap = r1(float(completion) - 50.0)
    yoy = r1((now / ly - 1) * 100)
    alloc = r1(now / 41000 * 100)
    # 历史同期进度: the share of 2019's year the district had reached by 30 June 2019
    hist = r1(ly / _count(ne, "employed_on", date(2019, 1, 1), date(2019, 12, 31)).num_rows * 100)
    hist_gap = r1(float(completion) - float(hist))
    expected = (f"截至6月30日，全区城镇新增就业{now}人，完成全年目标任务的{completion}%，快于序时进度{gap}个百分点；"
                f"按历史同期进度（{hist}%）快{hist_gap}个百分点，"
                f"同比增长{yoy}%；占各单位分解任务合计（41000人）的{alloc}%。")
    assert expected in brief_zh.sections[0][1]
    assert (hist, hist_gap) == ("45.6", "22.4")
    assert (now, completion, gap, yoy) == (21083, "68.0", "18.0", "13.5")


def test_district_loans_sentence_in_wan_yuan(demo_dir, brief_zh):
    loans = _count(_table(demo_dir, "loans"), "disbursed_on", date(2020, 1, 1), AS_OF)
    ly = _count(_table(demo_dir, "loans"), "disbursed_on", date(2019, 1, 1), LY)
    wan = sum(loans.column("amount_yuan").to_pylist()) / 10000
    wan_ly = sum(ly.column("amount_yuan").to_pylist()) / 10000
    wan_text = f"{round(wan, 2):.2f}"
    completion = r1(wan / 1800 * 100)
    yoy = r1((round(wan, 2) / round(wan_ly, 2) - 1) * 100)
    year_ly = _count(_table(demo_dir, "loans"), "disbursed_on", date(2019, 1, 1), date(2019, 12, 31))
    hist = r1(wan_ly / (sum(year_ly.column("amount_yuan").to_pylist()) / 10000) * 100)
    # the linear yardstick says ahead, last year's pace says behind: both are stated
    expected = (f"截至6月30日，全区发放创业担保贷款{wan_text}万元，完成全年目标任务的{completion}%，"
                f"快于序时进度{r1(float(completion) - 50.0)}个百分点；"
                f"按历史同期进度（{hist}%）慢{r1(float(hist) - float(completion))}个百分点，"
                f"同比下降{r1(abs(float(yoy)))}%")
    assert any(s.startswith(expected) for s in brief_zh.sections[0][1]), brief_zh.sections[0][1]


def test_graduate_rate_sentences_are_year_end_checks(demo_dir, brief_zh):
    g = _table(demo_dir, "graduates")
    cohort = g.filter(pc.and_(pc.equal(g.column("cohort_year"), 2020), pc.less_equal(g.column("registered_on"), AS_OF)))
    employed = cohort.filter(pc.less_equal(cohort.column("employed_on"), AS_OF)).num_rows
    rate = r1(employed / cohort.num_rows * 100)
    # the units' standard (≥95%) on 离校未就业, the work plan's ≥90% on the year-end rate: margins, not verdicts
    expected = (f"截至6月30日，全区离校未就业高校毕业生就业率为{rate}%，年底考核目标为≥95%，"
                f"目前高于目标{r1(float(rate) - 95)}个百分点")
    assert any(s.startswith(expected) for s in brief_zh.sections[0][1]), brief_zh.sections[0][1]
    expected = (f"截至6月30日，全区高校毕业生年底就业率为{rate}%，年底考核目标为≥90%，"
                f"目前高于目标{r1(float(rate) - 90)}个百分点")
    assert any(s.startswith(expected) for s in brief_zh.sections[0][1])
    text = brief_zh.to_text()
    assert "达标" not in text.replace("确保年底达标", "") and "未达到目标" not in text


def test_units_ahead_and_behind_by_name(demo_dir, brief_zh):
    ne = _table(demo_dir, "new_employment")
    tgj = _count(ne, "employed_on", date(2020, 1, 1), AS_OF, "500107-12").num_rows  # 铜罐驿镇, target 1000
    line = next(s for s in brief_zh.sections[1][1] if s.startswith("城镇新增就业："))
    assert f"铜罐驿镇（{r1(tgj / 1000 * 100)}%）" in line
    ahead, behind = line.split("；明显滞后的有")
    far, slightly = behind.split("；略慢于序时进度的有")
    assert "西彭镇" in ahead and "铜罐驿镇" not in ahead
    # more than 10 points behind is 明显滞后, singled out from the 略慢 units
    assert "铜罐驿镇" in far and "陶家镇（39.8%，5月未报）" in far and "华岩镇" in slightly and "陶家镇" not in slightly


def test_laggards_required_pace(demo_dir, brief_zh):
    ne = _table(demo_dir, "new_employment")
    tgj = _count(ne, "employed_on", date(2020, 1, 1), AS_OF, "500107-12").num_rows
    need = math.ceil((1000 - tgj) / 6)  # six months left after 30 June; people are whole
    completion = r1(tgj / 1000 * 100)
    expected = (f"铜罐驿镇（完成{completion}%，慢于序时进度{r1(50.0 - float(completion))}个百分点，"
                f"月均需完成{need}人）")
    text = "\n".join(brief_zh.sections[3][1])
    assert expected in text
    assert need == 120
    # the months left are said once, not in every clause
    assert text.count("剩余6个月") == 1 and brief_zh.sections[3][1][0].startswith("全年剩余6个月")
    assert "月均需完成46人次" in text  # training is counted in 人次


def test_unreported_month_named(brief_zh):
    assert brief_zh.sections[2][1] == ["以下单位有月份无报送数据：陶家镇5月，请相关单位尽快核实补报。"]


def test_english_version_and_exports(demo_ctx):
    from docx import Document

    p = demo_ctx.progress(2020, AS_OF)
    b = build_briefing(demo_ctx.registry, demo_ctx.ref.units, p, demo_ctx.missing_months(2020, AS_OF), 2020, AS_OF, "en")
    text = b.to_text()
    assert "As of 30 Jun, the district's urban new employment: 21,083 persons, 68.0% of the annual target" in text
    assert "Tongguanyi Town (28.2%, 21.8 pp behind, 120 persons needed per month)" in text
    assert "(Data as of 30 Jun 2020;" in text
    assert "Taojia Town (M5)" in text
    doc = Document(io.BytesIO(b.to_docx()))
    paragraphs = [para.text for para in doc.paragraphs if para.text]
    # the text in order, inside the official document's header, addressees and signature
    # (tests/test_official_docx.py checks those)
    start = paragraphs.index(b.title)
    assert paragraphs[start + 1] == b.subtitle
    body = [line for heading, paras in b.sections for line in [heading, *paras]]
    first = paragraphs.index(body[0])
    assert paragraphs[first:first + len(body)] == body


def test_year_without_targets_says_so(demo_ctx):
    d = date(2019, 12, 31)
    b = build_briefing(demo_ctx.registry, demo_ctx.ref.units, demo_ctx.progress(2019, d),
                       demo_ctx.missing_months(2019, d), 2019, d, "zh")
    assert b.sections[1][1] == ["2019年没有任务分解表，只显示完成数，不计算完成率和状态。"]
    assert b.sections[3][1] == []
    assert b.sections[0][1][0].startswith("截至12月31日，全区城镇新增就业")


def test_subtitle_dates_in_words_and_no_redundant_reporting_clause(demo_ctx):
    d = date(2020, 5, 31)
    b = build_briefing(demo_ctx.registry, demo_ctx.ref.units, demo_ctx.progress(2020, d),
                       demo_ctx.missing_months(2020, d), 2020, d, "zh")
    assert b.subtitle.startswith("（数据截至2020年5月31日，") and "2020-05-31" not in b.to_text()
    # 陶家镇 missed May only: "陶家镇5月", never "陶家镇5月，其中5月未报送的有陶家镇"
    assert b.sections[2][1] == ["以下单位有月份无报送数据：陶家镇5月，请相关单位尽快核实补报。"]


def test_department_has_its_own_clause(brief_zh):
    line = next(s for s in brief_zh.sections[1][1] if s.startswith("职业培训："))
    ahead = line.split("；")[0]
    assert "区就业局" not in ahead and "（7个）" in ahead
    assert "区就业局（部门，不参与街镇排名）完成51.0%，快于序时进度1.0个百分点" in line


GOLDEN = Path(__file__).parent / "golden" / "briefing_2020-06-30.txt"


def test_briefing_matches_golden(brief_zh, request):
    """The whole 通报 for the demo at 2020-06-30, as an official would read it. Regenerate only
    on purpose (`--update-golden`) and read the diff."""
    text = brief_zh.to_text()
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "the 通报 changed; if intended, rerun with --update-golden"
