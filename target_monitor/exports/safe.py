"""Formula-injection neutralisation for everything written to CSV or XLSX.

A text cell that starts with = + - @ | % or a tab or carriage return can be run as a formula
(or DDE command) when the file is opened in a spreadsheet. Such text gets a leading
apostrophe, which spreadsheets show as text. Numbers are never touched: a real -5 stays a
number. The raw value is kept in the data; only the exported copy is neutralised.
"""

from __future__ import annotations

import pandas as pd

DANGEROUS_FIRST = ("=", "+", "-", "@", "|", "%", "\t", "\r")


def neutralise(value):
    """'=HYPERLINK(..)' -> "'=HYPERLINK(..)"; non-text values are returned unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and every header neutralised; numeric columns untouched."""
    out = df.copy()
    for col in out.columns:
        if _is_text(out[col]):
            out[col] = out[col].map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in utf-8-sig (Chinese Excel opens it without mojibake), neutralised."""
    return neutralise_frame(df).to_csv(index=False).encode("utf-8-sig")
