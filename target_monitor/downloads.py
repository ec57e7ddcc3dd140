"""Downloads: CSV (UTF-8 with BOM, opens in Chinese Excel) and XLSX, with formula injection neutralised.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return (or their
full-width forms, which Excel also accepts) is read as a formula by spreadsheet programs:
`=HYPERLINK("http://evil", "click")` in an uploaded name would run on the analyst's machine.
Every export goes through `neutralise`, which prefixes such text with an apostrophe, the
convention Excel and LibreOffice display as plain text. Numbers are left alone (a negative
number is not a formula); only text cells are changed.
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
MAX_DOWNLOAD_ROWS = 100_000


def neutralise_value(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells (and column names) cannot be read as formulas."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_value)
    out.columns = [neutralise_value(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a BOM (utf-8-sig), so Excel on a Chinese Windows opens it correctly."""
    return neutralise(df).to_csv(index=False).encode("utf-8-sig")


def _cell(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """One-sheet XLSX (openpyxl, write-only mode for speed); text cells are neutralised first.

    After `neutralise` no text starts with `=`, which is the only thing openpyxl would write
    as a formula; the test reads the file back and checks every such cell is a string.
    """
    from openpyxl import Workbook

    safe = neutralise(df)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append([str(c) for c in safe.columns])
    for row in safe.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
