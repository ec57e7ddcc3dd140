"""Storage and the CLI contract: raw uploads kept, idempotent re-upload, unit-month replacement,
quarantine files, exit codes and the --json report, targets import and versions."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import warm
from make_fixtures import HEADERS, csv_bytes, xlsx_bytes
from target_monitor.ingest import ingest, storage
from target_monitor.paths import SHIPPED_REFERENCE_DIR
from target_monitor.reference import load_targets, targets_in_force
from target_monitor.targets_import import import_targets

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = (REPO / "data" / "reference" / "jiulongpo_2020_task_breakdown.csv").read_bytes()

V1 = csv_bytes([HEADERS["loans"], ["LN-R1", "杨家坪街道", "个人", "2020-03-02", "100000", "中国建设银行"],
                ["LN-R2", "杨家坪街道", "个人", "2020-03-03", "200000", "中国建设银行"],
                ["LN-R3", "谢家湾街道", "个人", "2020-03-04", "150000", "中国建设银行"],
                ["LN-R4", "杨家坪街道", "个人", "2020-04-01", "50000", "中国建设银行"]])
V2 = csv_bytes([HEADERS["loans"], ["LN-R1", "杨家坪街道", "个人", "2020-03-02", "120000", "中国建设银行"]])


def cli(*args) -> subprocess.CompletedProcess:
    # a process of its own, forked from a warm one that has done the imports (tests/warm.py)
    return warm.run_module("target_monitor.cli", *args, cwd=REPO, timeout=300)


def _loans(data_dir: Path) -> pd.DataFrame:
    import duckdb

    from target_monitor.tables_delta import committed_files

    files = [str(f) for f in committed_files(data_dir, "loans").files]
    return duckdb.connect().read_parquet(files, hive_partitioning=True).df().sort_values("loan_id").reset_index(drop=True)


def test_raw_upload_is_kept_and_identical_reupload_is_a_noop(tmp_path):
    d = tmp_path / "data"
    r1 = ingest(V1, "loans_march.csv", data_dir=d, extract="loans", isolated=False, who="张三")
    assert r1.status == "taken" and r1.accepted == 4
    raw = d / r1.raw_file
    assert raw.read_bytes() == V1 and raw.name.startswith(hashlib.sha256(V1).hexdigest())
    parts = sorted(p for p in (d / "extracts" / "loans").rglob("*") if p.is_file())  # data files and the log
    stamps = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in parts}
    r2 = ingest(V1, "loans_march_again.csv", data_dir=d, extract="loans", isolated=False)
    assert r2.status == "noop" and "完全相同" in r2.message_zh
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in parts} == stamps
    hist = storage.history(d)
    assert [h["status"] for h in hist] == ["noop", "taken"]
    assert hist[1]["uploaded_by"] == "张三" and hist[1]["sha256"] == hashlib.sha256(V1).hexdigest()
    assert len(_loans(d)) == 4


def test_a_declared_replacement_replaces_that_unit_month_only(tmp_path):
    d = tmp_path / "data"
    ingest(V1, "v1.csv", data_dir=d, extract="loans", isolated=False)
    r = ingest(V2, "v2.csv", data_dir=d, extract="loans", period="2020-03", replace=True, isolated=False)
    assert r.status == "taken"
    assert r.revisions == [{"unit_code": "500107-01", "month": "2020-03", "old_rows": 2, "new_rows": 1,
                            "old_total": 300000.0, "new_total": 120000.0}]
    rows = _loans(d)
    assert list(rows["loan_id"]) == ["LN-R1", "LN-R3", "LN-R4"]  # R2 gone; 谢家湾 and April untouched
    assert rows.set_index("loan_id").loc["LN-R1", "amount_yuan"] == 120000
    assert storage.history(d)[0]["revisions"][0]["old_total"] == 300000.0
    # the dashboard's store reads the same
    from target_monitor.context import Context

    p = Context(d).progress(2020, date(2020, 4, 30))
    row = p[(p["unit_code"] == "500107-01") & (p["indicator"] == "guarantee_loans") & (p["target_basis"] == "own")]
    assert float(row["actual"].iloc[0]) == pytest.approx(17.0)  # 12万 (March) + 5万 (April)


def test_quarantine_file_has_reasons_and_neutralised_formulas(tmp_path):
    d = tmp_path / "data"
    body = csv_bytes([HEADERS["loans"], ["LN-1", "未知镇", "个人", "2020-03-02", "100000", "=HYPERLINK(\"x\")"],
                      ["LN-2", "杨家坪街道", "个人", "2020-03-02", "100000", "@SUM(1)"]])
    r = ingest(body, "f.csv", data_dir=d, extract="loans", isolated=False)
    assert (r.accepted, r.quarantined) == (1, 1)
    with open(d / r.quarantine_file, encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["row"] == "2" and row["column"] == "街镇名称" and row["raw_value"] == "未知镇"
    assert "不在单位名录中" in row["reason_zh"] and row["reason_en"] and row["fix"]
    assert row["原始:经办银行"] == "'=HYPERLINK(\"x\")"
    # the accepted row keeps its raw text (neutralising is for exports only)
    assert _loans(d)["bank"].tolist() == ["@SUM(1)"]


def test_cli_exit_codes_and_json_report(tmp_path):
    d = tmp_path / "data"
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([HEADERS["loans"], ["LN-1", "杨家坪街道", "个人", "2020-03-02", "100000", "x"],
                                ["LN-2", "火星镇", "个人", "2020-03-02", "100000", "x"],
                                ["合计", "", "", "", "200000", ""]]))
    r = cli("ingest", good, "--extract", "loans", "--period", "2020-03", "--data-dir", d, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert {k: report[k] for k in ("rows_read", "accepted", "quarantined", "skipped")} == {
        "rows_read": 3, "accepted": 1, "quarantined": 1, "skipped": 1}
    assert report["warnings"] == [] and report["status"] == "taken"
    (p,) = report["problems"]
    assert set(p) >= {"file", "sheet", "row", "column", "raw_value", "reason_zh", "reason_en", "fix"}
    assert (p["file"], p["row"], p["column"], p["raw_value"]) == ("good.csv", 3, "街镇名称", "火星镇")

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a workbook")
    r = cli("ingest", bad, "--extract", "loans", "--data-dir", d)
    assert r.returncode == 2 and "Traceback" not in r.stdout + r.stderr
    assert "PDF" in r.stdout and "bad.xlsx" in r.stdout
    r = cli("ingest", bad, "--extract", "loans", "--data-dir", d, "--json")
    assert r.returncode == 2 and json.loads(r.stdout)["problems"][0]["reason_en"]

    r = cli("ingest", good, "--extract", "nope", "--data-dir", d)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "nope" in r.stderr
    r = cli("ingest", tmp_path / "missing.csv", "--extract", "loans", "--data-dir", d)
    assert r.returncode == 2 and "missing.csv" in r.stderr
    r = cli("ingest", good, "--extract", "loans", "--period", "2020-13", "--data-dir", d)
    assert r.returncode == 2 and "YYYY-MM" in r.stderr
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    r = cli("ingest", good, "--extract", "loans", "--data-dir", blocker / "sub")
    assert r.returncode == 1 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def _published_rows() -> pd.DataFrame:
    t = load_targets(SHIPPED_REFERENCE_DIR)
    return t[(t["year"] == 2020) & (t["unit_code"] != "500107")]


def _key(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["year", "unit_code", "indicator", "comparator", "value", "unit", "note", "published_label"]
    out = df[cols].copy()
    out["value"] = out["value"].astype(float)
    out["year"] = out["year"].astype(int)
    return out.sort_values(["unit_code", "indicator"]).reset_index(drop=True)


@pytest.mark.parametrize("name", ["targets_jiulongpo_published.csv", "targets_jiulongpo_gb18030.csv",
                                  "targets_jiulongpo_merged.xlsx", "targets_jiulongpo.xls"])
def test_jiulongpo_table_imports_to_exactly_the_published_numbers(name, tmp_path):
    from test_ingest_corpus import corpus

    out, _ = corpus()
    result = import_targets((out / name).read_bytes(), name, year=2020, data_dir=tmp_path, isolated=False)
    assert result.report.status == "preview"
    pd.testing.assert_frame_equal(_key(result.targets), _key(_published_rows()))
    assert {w.code for w in result.report.warnings} == {"t_alloc_mismatch"}  # 41000 vs 31000, and loans, training
    assert any("41000" in w.reason_zh and "31000" in w.reason_zh for w in result.report.warnings)


def _fresh_reference(d: Path) -> None:
    """A data dir whose own reference has no 2020 targets, so an import writes them."""
    ref = d / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, ref)
    t = pd.read_csv(ref / "targets.csv", dtype=str, keep_default_na=False)
    t[(t["year"] != "2020") | (t["unit_code"] == "500107")].to_csv(ref / "targets.csv", index=False)


def test_targets_import_writes_then_midyear_change_is_a_new_version(tmp_path):
    d = tmp_path / "data"
    _fresh_reference(d)
    src = tmp_path / "t.csv"
    src.write_bytes(PUBLISHED)
    r = cli("targets", "import", src, "--year", "2020", "--data-dir", d, "--json")
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert payload["status"] == "taken" and payload["changed"] == 53 and payload["effective_from"] == "2020-01-01"
    written = load_targets(d / "reference")
    pd.testing.assert_frame_equal(_key(written[(written["year"] == 2020) & (written["unit_code"] != "500107")]),
                                  _key(_published_rows()))
    # the same table again: nothing changes
    r = cli("targets", "import", src, "--year", "2020", "--data-dir", d)
    assert r.returncode == 0 and "未做改动" in r.stdout
    # 杨家坪 3500 → 3800 from 1 July: a new version; the old one stays and is in force before July
    changed = PUBLISHED.decode().replace("1,杨家坪街道,3500", "1,杨家坪街道,3800").encode()
    src.write_bytes(changed)
    r = cli("targets", "import", src, "--year", "2020", "--data-dir", d)  # a change needs its date
    assert r.returncode == 2 and "--effective-from" in r.stdout
    assert len(load_targets(d / "reference")) == len(written)
    r = cli("targets", "import", src, "--year", "2020", "--effective-from", "2020-07-01", "--data-dir", d, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["changed"] == 1
    t = load_targets(d / "reference")
    rows = t[(t["unit_code"] == "500107-01") & (t["indicator"] == "urban_new_employment")]
    assert sorted(zip(rows["effective_from"].astype(str), rows["value"])) == [("2020-01-01", 3500.0), ("2020-07-01", 3800.0)]

    def in_force(day):
        f = targets_in_force(t, 2020, day)
        return float(f[(f["unit_code"] == "500107-01") & (f["indicator"] == "urban_new_employment")]["value"].iloc[0])

    assert in_force(date(2020, 6, 30)) == 3500 and in_force(date(2020, 7, 31)) == 3800
    assert len(t) == len(written) + 1


def test_targets_import_copies_shipped_reference_first(tmp_path):
    d = tmp_path / "data"
    src = tmp_path / "t.csv"
    src.write_bytes(PUBLISHED.decode().replace("1,杨家坪街道,3500", "1,杨家坪街道,3600").encode())
    r = cli("targets", "import", src, "--year", "2020", "--effective-from", "2020-05-01", "--data-dir", d)
    assert r.returncode == 0, r.stderr
    assert (d / "reference" / "units.csv").exists() and (d / "reference" / "rules.yaml").exists()
    assert len(load_targets(d / "reference")) == len(load_targets(SHIPPED_REFERENCE_DIR)) + 1


def test_targets_rejections_exit_2(tmp_path):
    src = tmp_path / "t.csv"
    src.write_bytes(PUBLISHED.decode().replace("离校未就业高校毕业生就业率", "公益性岗位(个)").encode())
    r = cli("targets", "import", src, "--year", "2020", "--data-dir", tmp_path / "d")
    assert r.returncode == 2 and "公益性岗位" in r.stdout and "Traceback" not in r.stderr


OTHER_UNITS = """unit_code,name,name_en,short_name,unit_type,parent_code,sort_order,aliases
500103,渝中区,Yuzhong District,渝中,district,,0,渝中区
500103-01,七星岗街道,Qixinggang Subdistrict,七星岗,street,500103,1,七星岗
500103-02,解放碑街道,Jiefangbei Subdistrict,解放碑,street,500103,2,解放碑
500103-03,化龙桥街道,Hualongqiao Subdistrict,化龙桥,street,500103,3,化龙桥
"""


def test_another_districts_table_imports_by_header_names(tmp_path):
    d = tmp_path / "yuzhong"
    ref = d / "reference"
    ref.mkdir(parents=True)
    (ref / "units.csv").write_text(OTHER_UNITS, encoding="utf-8")
    (ref / "targets.csv").write_text("year,unit_code,indicator,comparator,value,unit,note,published_label,source,"
                                     "effective_from\n", encoding="utf-8")
    table = [["渝中区2021年就业工作目标任务分解表"], [],
             ["高校毕业生就业率", "职业技能培训(人次)", "镇街", "企业在职职工岗位技能培训(人次)", "新增就业人数(人)",
              "创业担保贷款发放(万元)", "备注"],
             ["不低于90%", "1200", "七星岗", "300", "2500人以上", "120", ""],
             ["90%", "1000", "解放碑街道", "250", "2800", "1.5亿元", "含市级任务"],
             ["0.9", "800", "化龙桥", "200", "2100", "100", ""],
             ["", "3000", "合计", "750", "7400", "", ""]]
    data = xlsx_bytes({"分解表": table}, {"分解表": ["A1:G1"]})
    result = import_targets(data, "yuzhong.xlsx", year=2021, data_dir=d, isolated=True, write=True,
                            source="渝中就组发〔2021〕1号")
    assert result.report.status == "taken", [p.reason_zh for p in result.report.problems]
    t = load_targets(ref)
    got = {(r.unit_code, r.indicator): (r.comparator, r.value, r.unit) for r in t.itertuples()}
    assert got[("500103-01", "urban_new_employment")] == (">=", 2500.0, "人")
    assert got[("500103-02", "guarantee_loans")] == (">=", 15000.0, "万元")  # 1.5亿元 in 万元
    assert got[("500103-03", "graduate_employment_rate")] == (">=", 90.0, "%")
    assert got[("500103-02", "graduate_employment_rate")] == (">=", 90.0, "%")
    assert got[("500103-01", "enterprise_skill_training")] == (">=", 300.0, "人次")
    assert got[("500103-02", "vocational_training")] == (">=", 1000.0, "人次")
    assert len(t) == 3 * 5 and set(t["effective_from"].astype(str)) == {"2021-01-01"}
    assert set(t["source"]) == {"渝中就组发〔2021〕1号"}
    assert not result.report.warnings  # the 合计 row agrees with the units


BAD = b"foo,bar\n1,2\n"  # no column of the loans extract: rejected


@pytest.mark.parametrize("isolated", [False, True])
def test_ingest_many_gives_what_one_by_one_gives_in_order(tmp_path, isolated):
    """The CLI's batch: the next file is parsed while one is stored; the reports, their order and
    what is stored are those of `ingest` called file by file (a duplicate is still a no-op, a
    rejected file still rejected, a correction still replaces its unit-month)."""
    from target_monitor.ingest import ingest_many

    batch = [("v1.csv", V1), ("v1_again.csv", V1), ("bad.csv", BAD), ("v2.csv", V2)]
    one, many = tmp_path / "one", tmp_path / "many"
    singles = [ingest(data, name, data_dir=one, extract="loans", isolated=False) for name, data in batch]
    reports = list(ingest_many([(name, lambda data=data: data) for name, data in batch], data_dir=many,
                               extract="loans", isolated=isolated))
    assert [r.file for r in reports] == [name for name, _ in batch]
    assert [r.status for r in reports] == [r.status for r in singles] == ["taken", "noop", "rejected", "taken"]
    assert [(r.accepted, r.quarantined, r.revisions) for r in reports] == \
        [(r.accepted, r.quarantined, r.revisions) for r in singles]
    pd.testing.assert_frame_equal(_loans(many), _loans(one))
    assert [h["status"] for h in storage.history(many)] == ["taken", "rejected", "noop", "taken"]


def test_cli_ingest_of_several_files_reports_each_in_order(tmp_path):
    d = tmp_path / "data"
    paths = []
    for name, data in [("a.csv", V1), ("b.csv", V1), ("c.csv", V2)]:
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    r = cli("ingest", "--extract", "loans", "--data-dir", d, "--json", *paths)
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout[r.stdout.index("["):])
    assert [(p["file"], p["status"]) for p in payload] == [("a.csv", "taken"), ("b.csv", "noop"), ("c.csv", "taken")]
    # no replacement declared: c.csv corrects LN-R1 by its key and touches nothing else
    rows = _loans(d)
    assert list(rows["loan_id"]) == ["LN-R1", "LN-R2", "LN-R3", "LN-R4"]
    assert rows.set_index("loan_id").loc["LN-R1", "amount_yuan"] == 120000
