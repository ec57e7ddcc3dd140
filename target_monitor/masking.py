"""Masking of person keys and ID-like values: 500107199108193510 -> 500107********3510.

Which columns hold person keys is declared in the registry (`mask: true`); any other text value
that looks like an ID number or a long digit string (15+ digits, or 17 digits and X) is masked
too, wherever records are shown or downloaded. The Python function and the SQL expression give
the same result (tests/test_masking.py checks both).
"""

from __future__ import annotations

import re

import pandas as pd

from target_monitor.registry import Extract

ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[Xx]|\d{15,})(?![0-9A-Za-z])")


def mask_value(value):
    """Keep the first 6 and last 4 characters of a long value, star the rest."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return value
    s = str(value)
    n = len(s)
    if n >= 11:
        return s[:6] + "*" * (n - 10) + s[-4:]
    if n > 4:
        return "*" * (n - 4) + s[-4:]
    return "*" * n


def mask_ids_in_text(value):
    """Mask every ID-like run of digits inside a text value; other values pass unchanged."""
    if not isinstance(value, str):
        return value
    return ID_LIKE.sub(lambda m: mask_value(m.group(0)), value)


def mask_sql(quoted_column: str) -> str:
    """The same masking as `mask_value`, as a DuckDB expression over an already quoted column."""
    c = quoted_column
    return (
        f"case when {c} is null then null "
        f"when length({c}) >= 11 then left({c}, 6) || repeat('*', length({c}) - 10) || right({c}, 4) "
        f"when length({c}) > 4 then repeat('*', length({c}) - 4) || right({c}, 4) "
        f"else repeat('*', length({c})) end"
    )


def mask_frame(df: pd.DataFrame, ext: Extract | None = None) -> pd.DataFrame:
    """A copy with declared person-key columns masked, and ID-like text masked in every other column."""
    out = df.copy()
    declared = {c.name for c in ext.columns if c.mask} if ext else set()
    for col in out.columns:
        if col in declared:
            out[col] = out[col].map(mask_value)
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(mask_ids_in_text)
    return out
