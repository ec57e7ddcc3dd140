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


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """One-sheet XLSX; text cells are neutralised and written as text, never as formulas."""
    from openpyxl import Workbook

    safe = neutralise(df)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([str(c) for c in safe.columns])
    for row in safe.itertuples(index=False):
        cells = []
        for v in row:
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                cells.append(None)
            elif hasattr(v, "item"):  # numpy scalar
                cells.append(v.item())
            elif isinstance(v, pd.Timestamp):
                cells.append(v.to_pydatetime())
            else:
                cells.append(v)
        ws.append(cells)
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would otherwise turn a leading '=' into a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
