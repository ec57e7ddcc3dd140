"""Loan caps by borrower type (ingest_rules.yaml cap_by/caps: 个人 ≤20万元, 小微企业 ≤300万元) are
ingest rules: a loan over its cap is quarantined with the cap named, by the CSV (row) path and
the Parquet (columnar) path alike."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from make_fixtures import parquet_bytes
from target_monitor.ingest import columnar
from target_monitor.ingest.pipeline import parse_upload

TODAY = date(2020, 4, 15)
ROWS = [
    ["LN-1", "500107-01", "个人", date(2020, 3, 2), 200000.0],      # at the cap: taken
    ["LN-2", "500107-01", "个人", date(2020, 3, 3), 3000000.0],     # 300万 to a 个人: over 20万
    ["LN-3", "500107-02", "小微企业", date(2020, 3, 4), 3000000.0],  # at the 小微企业 cap: taken
    ["LN-4", "500107-02", "小微企业", date(2020, 3, 5), 3500000.0],  # over 300万
]


def _csv(rows) -> bytes:
    lines = ["贷款编号,所属单位代码,借款人类型,发放日期,发放金额（元）,经办银行"]
    lines += [f"{a},{b},{c},{d.isoformat()},{e:.0f},中国建设银行" for a, b, c, d, e in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _parquet(rows) -> bytes:
    cols = list(zip(*rows))
    return parquet_bytes(pa.table({
        "loan_id": pa.array(cols[0], pa.string()), "unit_code": pa.array(cols[1], pa.string()),
        "borrower_type": pa.array(cols[2], pa.string()), "disbursed_on": pa.array(cols[3], pa.date32()),
        "amount_yuan": pa.array(cols[4], pa.float64()), "bank": pa.array(["中国建设银行"] * len(rows), pa.string())}))


def _check(parsed):
    assert parsed.report.accepted == 2 and parsed.report.quarantined == 2
    reasons = {q["row"]: [p for p in q["problems"]] for q in parsed.quarantine}
    assert sorted(reasons) == [3, 5]
    over_person, over_firm = reasons[3][0], reasons[5][0]
    assert over_person.code == "over_cap" and over_firm.code == "over_cap"
    assert "为300万元，超过个人的上限20万元" in over_person.reason("zh")
    assert "为350万元，超过小微企业的上限300万元" in over_firm.reason("zh")
    assert "over the cap of 20" in over_person.reason("en")
    assert "ingest_rules.yaml" in over_person.fix_text("zh")
    accepted = parsed.accepted_table(parsed_ext()).column("loan_id").to_pylist()
    assert sorted(accepted) == ["LN-1", "LN-3"]


def parsed_ext():
    from target_monitor.registry import load_registry

    return load_registry().extracts["loans"]


def test_csv_loans_over_their_borrower_cap_are_quarantined(tmp_path):
    _check(parse_upload(_csv(ROWS), "loans.csv", "loans", "2020-03", None, tmp_path, today=TODAY))


@pytest.mark.parametrize("fast", [True, False])
def test_parquet_loans_over_their_borrower_cap_are_quarantined(tmp_path, monkeypatch, fast):
    monkeypatch.setattr(columnar, "FAST_PATH", fast)
    used = []
    real = columnar._parse
    monkeypatch.setattr(columnar, "_parse", lambda *a, **k: used.append(1) or real(*a, **k))
    _check(parse_upload(_parquet(ROWS), "loans.parquet", "loans", "2020-03", None, tmp_path, today=TODAY))
    assert bool(used) == fast  # the columnar path itself judged the caps (no fallback to the row path)


def test_caps_are_configurable(tmp_path):
    """A deployment whose policy allows 50万 to a 个人 changes the cap in its own ingest_rules.yaml."""
    import shutil

    from target_monitor.paths import SHIPPED_REFERENCE_DIR, reference_dir

    ref = tmp_path / "reference"  # the data directory's own reference (never the shipped one)
    shutil.copytree(SHIPPED_REFERENCE_DIR, ref)
    assert reference_dir(tmp_path) == ref
    text = (SHIPPED_REFERENCE_DIR / "ingest_rules.yaml").read_text(encoding="utf-8")
    (ref / "ingest_rules.yaml").write_text(text.replace("个人: 200000", "个人: 5000000"), encoding="utf-8")
    parsed = parse_upload(_csv(ROWS), "loans.csv", "loans", "2020-03", None, tmp_path, today=TODAY)
    assert [q["row"] for q in parsed.quarantine] == [5]
