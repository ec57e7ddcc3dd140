"""Person keys: an ID number is checked (18 characters, check digit), a pseudonymised key against
its declared shape; formulas, links and free text are quarantined, never stored."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.parquet as pq

from make_fixtures import HEADERS, csv_bytes
from target_monitor.ingest import ingest
from target_monitor.ingest.normalise import id_number_ok, person_key_ok
from target_monitor.paths import SHIPPED_REFERENCE_DIR
from target_monitor.tables_delta import read_table

REASON = "不是有效的身份证号/人员标识"
VALID_ID = "11010519491231002X"  # the standard's worked example


def test_id_number_check_digit():
    assert id_number_ok(VALID_ID)
    assert not id_number_ok(VALID_ID[:-1] + "1")
    assert not id_number_ok("11010519491231002")  # 17 characters
    assert not id_number_ok("=HYPERLINK(\"x\")")
    assert person_key_ok("GR2020-00001", None) and not person_key_ok("张三", None)
    assert person_key_ok("500107199001011234", "[0-9]{17}[0-9X]")
    assert not person_key_ok("=1+1", "[0-9]{17}[0-9X]")


def _rows(keys):
    return [[f"NE-K-{i}", "杨家坪街道", k, "2020-06-02", "其他", "单位就业"] for i, k in enumerate(keys)]


def test_formulas_and_free_text_are_quarantined_on_both_paths(tmp_path):
    keys = ["=HYPERLINK(\"http://x\",\"500107199001011234\")", "张三", "500107199001011234", "50010719900101123x"]
    csv = csv_bytes([HEADERS["new_employment"], *_rows(keys)])
    r = ingest(csv, "k.csv", data_dir=tmp_path / "a", extract="new_employment", isolated=False)
    assert (r.accepted, r.quarantined) == (2, 2)
    assert [p.row for p in r.problems if REASON in p.reason_zh] == [2, 3]
    stored = read_table(tmp_path / "a", "new_employment").column("person_key").to_pylist()
    assert sorted(stored) == ["500107199001011234", "50010719900101123X"]
    # the same as Parquet (the columnar fast path)
    from datetime import date

    table = pa.table({"record_id": [f"NE-K-{i}" for i in range(4)], "unit_code": ["500107-01"] * 4, "person_key": keys,
                      "employed_on": pa.array([date(2020, 6, 2)] * 4, pa.date32()), "group": ["其他"] * 4,
                      "form": ["单位就业"] * 4})
    path = tmp_path / "k.parquet"
    pq.write_table(table, path)
    r = ingest(path.read_bytes(), "k.parquet", data_dir=tmp_path / "b", extract="new_employment", isolated=False)
    assert (r.accepted, r.quarantined) == (2, 2)
    assert sum(REASON in p.reason_zh for p in r.problems) == 2


def test_a_column_declared_as_id_number_checks_the_check_digit(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(SHIPPED_REFERENCE_DIR, d / "reference")
    rules = d / "reference" / "ingest_rules.yaml"
    text = rules.read_text(encoding="utf-8").replace(
        "person_key: {kind: person_id, required: true}", "person_key: {kind: person_id, required: true, shape: id_number}", 1)
    assert "shape: id_number" in text
    rules.write_text(text, encoding="utf-8")
    csv = csv_bytes([HEADERS["new_employment"], *_rows([VALID_ID, VALID_ID[:-1] + "1"])])
    r = ingest(csv, "k.csv", data_dir=d, extract="new_employment", isolated=False)
    assert (r.accepted, r.quarantined) == (1, 1)
    assert read_table(d, "new_employment").column("person_key").to_pylist() == [VALID_ID]
