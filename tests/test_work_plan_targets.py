"""All nine district targets of the work plan (seed 004), and a ceiling rate (城镇登记失业率)
reported by the district as a standing figure: how it counts, how it reads, where it shows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from target_monitor import pace
from target_monitor.aggregates import refresh
from target_monitor.cli import main
from target_monitor.ingest.pipeline import parse_upload
from target_monitor.ingest.storage import schema_for
from target_monitor.present import ceiling_phrase, headline
from target_monitor.registry import RegistryError, load_registry, parse_registry
from target_monitor.store import Store

AS_OF = date(2020, 6, 30)
DISTRICT = "500107"
RATE = "registered_unemployment_rate"
WORK_PLAN = {"internship_bases": 42, "internship_participants": 780, "chengkou_labour_transfer": 100,
             "chengkou_training": 300}


# --------------------------------------------------------------------------- the demo, end to end


def test_progress_has_every_district_target_of_the_work_plan(demo_dir, capsys):
    code = main(["progress", "--year", "2020", "--as-of", "2020-06-30", "--data-dir", str(demo_dir),
                 "--format", "csv"])
    assert code == 0
    from io import StringIO

    df = pd.read_csv(StringIO(capsys.readouterr().out), dtype={"unit_code": str})
    own = df[(df["unit_code"] == DISTRICT) & (df["target_basis"] == "own")].set_index("indicator")
    for name, target in WORK_PLAN.items():
        assert own.loc[name, "target"] == target, name
        assert own.loc[name, "actual"] > 0 and own.loc[name, "status"] in ("ahead", "slightly_behind", "far_behind")
    # the ceiling rate: 4.0% in June against ≤4.5%, below the ceiling = met
    assert own.loc[RATE, "target"] == 4.5 and own.loc[RATE, "actual"] == 4.0
    assert own.loc[RATE, "gap_pp"] == 0.5 and own.loc[RATE, "status"] == "met"
    # five original district targets + four of the work plan + the ceiling, none lost
    assert own["target"].notna().sum() == 11


def test_ceiling_row_reads_as_a_ceiling_everywhere(demo_ctx):
    p = demo_ctx.progress(2020, AS_OF)
    row = p[(p["unit_code"] == DISTRICT) & (p["indicator"] == RATE) & (p["target_basis"] == "own")].iloc[0]
    ind = demo_ctx.registry.get(RATE)
    assert headline(ind, row, AS_OF, "zh") == \
        "截至6月30日，全区城镇登记失业率为4.0%，低于控制目标0.5个百分点（控制目标≤4.5%）。"
    assert headline(ind, row, AS_OF, "en") == \
        "As of 30 Jun, the district's registered urban unemployment rate is 4.0%, 0.5 pp below the ceiling (≤4.5%)."


@pytest.mark.parametrize("rate, status, zh, en", [
    (4.0, "met", "低于控制目标0.5个百分点（控制目标≤4.5%）", "0.5 pp below the ceiling (≤4.5%)"),
    (4.8, "not_met", "高于控制目标0.3个百分点（控制目标≤4.5%）", "0.3 pp above the ceiling (≤4.5%)"),
    (4.5, "met", "与控制目标持平（控制目标≤4.5%）", "level with the ceiling (≤4.5%)"),
])
def test_ceiling_phrase_and_status(rate, status, zh, en):
    gap = pace.rate_gap_pp("ceiling_rate", rate, 4.5)
    assert pace.status_rate("ceiling_rate", rate, 4.5) == status  # below the ceiling is good
    row = {"gap_pp": gap, "comparator": "<=", "target": 4.5, "status": status}
    assert ceiling_phrase(row, "zh") == zh
    assert ceiling_phrase(row, "en") == en


def test_briefing_names_the_new_targets_and_the_ceiling(demo_ctx):
    from target_monitor.briefing import build_briefing

    b = build_briefing(demo_ctx.registry, demo_ctx.ref.units, demo_ctx.progress(2020, AS_OF),
                       demo_ctx.missing_months(2020, AS_OF), 2020, AS_OF, "zh", is_demo=True).to_text()
    assert "全区新增就业见习基地24家，完成全年目标任务的57.1%" in b
    assert "全区城镇登记失业率为4.0%，低于控制目标0.5个百分点" in b
    # a district-only target behind the calendar gets its own next step, with the monthly pace
    assert "对口帮扶城口县转移新生代劳动力：全区完成38.0%，慢于序时进度12.0个百分点，月均需完成11人" in b
    # a count without a target is stated once with its change, never 同比 twice
    line = next(x for x in b.splitlines() if "失业人员再就业" in x and x.startswith("截至"))
    assert line.count("同比") == 1


# --------------------------------------------------------------------------- a reported rate, tiny rows


def _write(data_dir: Path, extract: str, rows: list[dict], day_col: str) -> None:
    ext = load_registry().extracts[extract]
    df = pd.DataFrame(rows)
    for col in ext.column_names:
        if col not in df:
            df[col] = None
    for (y, m), part in df.groupby([df[day_col].map(lambda d: d.year), df[day_col].map(lambda d: d.month)]):
        folder = data_dir / "extracts" / extract / f"year={y:04d}" / f"month={m:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(part[list(ext.column_names)], schema=schema_for(ext),
                                            preserve_index=False), folder / "part-0.parquet")


def test_a_reported_rate_is_the_latest_figure_by_the_date_on_both_paths(tmp_path):
    # one record so the data directory has records; the rate comes only from the district's reports
    _write(tmp_path, "new_employment", [{"record_id": "r1", "unit_code": "500107-01", "person_key": "p1",
                                         "employed_on": date(2020, 1, 5), "group": "其他", "form": "单位就业"}],
           "employed_on")
    reports = [(date(2020, 1, 1), "累计", 4.0), (date(2020, 2, 1), "当月", 4.6), (date(2020, 4, 1), "累计", 4.2),
               (date(2019, 12, 1), "累计", 3.4)]
    _write(tmp_path, "reported_monthly", [
        {"report_id": f"{DISTRICT}|{RATE}|{m:%Y-%m}", "unit_code": DISTRICT, "indicator": RATE, "report_month": m,
         "basis": basis, "value": v} for m, basis, v in reports], "report_month")
    refresh(tmp_path, full=True)
    expected = {date(2020, 1, 20): None, date(2020, 1, 31): 4.0, date(2020, 3, 31): 4.6, date(2020, 4, 30): 4.2,
                date(2020, 6, 30): 4.2}
    for aggregates in (False, True):
        store = Store(tmp_path, aggregates=aggregates)
        try:
            for as_of, rate in expected.items():
                with store.con.cursor() as cur:
                    num, den = cur.execute(
                        "select sum(num)::double, sum(den)::double from indicator_events where indicator = $i and year = 2020 "
                        "and event_on <= $d", {"i": RATE, "d": as_of}).fetchone()
                got = None if not den else round(num / den * 100, 6)
                assert got == rate, (aggregates, as_of)
        finally:
            store.close()


def test_reported_only_indicators_take_no_record_fields():
    doc = {"extracts": {"r": {"kind": "reported", "partition_date": "report_month", "key": "report_id", "columns": {
        c: {"type": "DATE" if c == "report_month" else "DOUBLE" if c == "value" else "VARCHAR",
            "description": {"zh": c, "en": c}}
        for c in ("report_id", "unit_code", "indicator", "report_month", "basis", "value")}}},
        "indicators": [{"name": "x", "label": {"zh": "x", "en": "x"}, "short_label": {"zh": "x", "en": "x"},
                        "description": {"zh": "x", "en": "x"}, "unit": {"zh": "%", "en": "%"}, "extract": "r",
                        "kind": "ceiling_rate", "format": "pct1", "order": 1}]}
    reg = parse_registry(doc)
    assert reg.get("x").reported_only and reg.record_indicators == ()
    doc["indicators"][0]["date_column"] = "report_month"
    with pytest.raises(RegistryError, match="reported figures"):
        parse_registry(doc)


def test_units_report_the_rate_in_a_monthly_file(tmp_path):
    csv = ("九龙坡区2020年6月就业工作月报表\n单位,城镇登记失业率,对口帮扶城口县就业培训(当月)\n"
           "九龙坡区,4.1%,\n区就业局,,38\n").encode("utf-8")
    # no basis declared: the count's header says 当月, the rate needs none (a standing figure)
    parsed = parse_upload(csv, "6月.csv", "reported_monthly", "2020-06", None, tmp_path, today=date(2020, 7, 15))
    assert parsed.report.status != "rejected", parsed.report.problems
    rows = parsed.accepted.set_index("indicator")
    assert rows.loc[RATE, "value"] == pytest.approx(4.1) and rows.loc[RATE, "unit_code"] == DISTRICT
    assert rows.loc[RATE, "basis"] == "累计"
    assert rows.loc["chengkou_training", "value"] == 38 and rows.loc["chengkou_training", "basis"] == "当月"
    # a rate above 100 is not a rate: quarantined with the reason
    bad = "单位,城镇登记失业率\n九龙坡区,145\n".encode("utf-8")
    parsed = parse_upload(bad, "6月.csv", "reported_monthly", "2020-06", None, tmp_path, today=date(2020, 7, 15))
    assert parsed.report.status == "rejected" or len(parsed.quarantine) == 1
