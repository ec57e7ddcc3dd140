"""Downloads and masking: utf-8-sig CSV, XLSX, formula injection neutralised, IDs masked."""

from __future__ import annotations

import io

import duckdb
import pandas as pd
from openpyxl import load_workbook

from target_monitor.downloads import neutralise, to_csv_bytes, to_xlsx_bytes
from target_monitor.masking import mask_frame, mask_sql, mask_value

EVIL = ["=HYPERLINK(\"http://x\",\"y\")", "+86 123", "-2+3", "@SUM(A1)", "\t=1", "＝1+1", "正常文本"]


def _frame():
    return pd.DataFrame({"名称": EVIL, "n": range(len(EVIL)), "neg": [-1.5] * len(EVIL)})


def test_csv_is_utf8_sig_and_neutralised():
    data = to_csv_bytes(_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert df["名称"].tolist()[:6] == ["'" + v for v in EVIL[:6]]
    assert df["名称"].iloc[-1] == "正常文本"
    assert df["neg"].tolist() == [-1.5] * len(EVIL)  # numbers are not touched


def test_xlsx_holds_text_not_formulas():
    wb = load_workbook(io.BytesIO(to_xlsx_bytes(_frame())))
    ws = wb.active
    values = [ws.cell(row=r, column=1).value for r in range(2, len(EVIL) + 2)]
    types = [ws.cell(row=r, column=1).data_type for r in range(2, len(EVIL) + 2)]
    assert values[:6] == ["'" + v for v in EVIL[:6]]
    assert set(types) == {"s"}
    assert ws.cell(row=2, column=3).value == -1.5


def test_neutralise_column_names():
    assert list(neutralise(pd.DataFrame({"=cmd": [1]})).columns) == ["'=cmd"]


def test_mask_value():
    assert mask_value("500107199108193510") == "500107********3510"
    assert mask_value("50010719910819351X") == "500107********351X"
    assert mask_value("GR2019-00001") == "GR2019**0001"
    assert mask_value("ABCDEFG") == "***DEFG"
    assert mask_value("abc") == "***"
    assert mask_value(None) is None


def test_mask_sql_equals_mask_value():
    values = ["500107199108193510", "GR2019-00001", "ABCDEFG", "abc", "12345678901", ""]
    con = duckdb.connect()
    con.register("v", pd.DataFrame({"x": values}))
    expr = mask_sql('"x"')
    got = [r[0] for r in con.execute("select " + expr + " from v").fetchall()]
    assert got == [mask_value(v) for v in values]


def test_mask_frame_masks_id_like_values_in_any_text_column():
    df = pd.DataFrame({"note": ["身份证 500107199108193510", "500107199108193510", "13800138000"], "n": [1, 2, 3]})
    out = mask_frame(df)
    assert out["note"].tolist() == ["身份证 500107********3510", "500107********3510", "13800138000"]
    assert out["n"].tolist() == [1, 2, 3]
