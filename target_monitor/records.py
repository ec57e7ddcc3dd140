"""Records behind a unit's figures: paged, searchable, sortable, with person keys masked.

The SQL is compiled from registry identifiers only (the extract and its declared columns, quoted);
the unit codes, dates, search text, page size and offset are bound parameters. Search never
looks inside masked columns, so a person's ID cannot be probed by typing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from target_monitor.masking import mask_frame
from target_monitor.registry import Extract, Registry
from target_monitor.store import Store, quote_ident

PAGE_SIZES = (50, 100, 500)
MAX_DOWNLOAD_ROWS = 100_000


class RecordsError(ValueError):
    """An extract or sort column the registry does not declare."""


@dataclass(frozen=True)
class RecordQuery:
    extract: str
    unit_codes: tuple[str, ...]
    year: int
    as_of: date
    search: str = ""
    sort: str | None = None
    descending: bool = False


def _extract(registry: Registry, name: str) -> Extract:
    if name not in registry.extracts:
        raise RecordsError(f"unknown extract {name!r}; declared: {', '.join(registry.extracts)}")
    return registry.extracts[name]


def _where(ext: Extract, q: RecordQuery, params: dict) -> str:
    day = quote_ident(ext.partition_date)
    params.update(units=list(q.unit_codes), year=q.year, as_of=q.as_of)
    clauses = ["list_contains($units, unit_code)", "year(" + day + ") = $year", day + " <= $as_of"]
    if q.search.strip():
        params["search"] = q.search.strip()
        searchable = [c.name for c in ext.columns if not c.mask]
        clauses.append("(" + " or ".join(
            "contains(lower(cast(" + quote_ident(c) + " as varchar)), lower($search))" for c in searchable) + ")")
    return " and ".join(clauses)


def records_sql(registry: Registry, q: RecordQuery, *, paged: bool) -> tuple[str, dict]:
    ext = _extract(registry, q.extract)
    sort = q.sort or ext.partition_date
    if sort not in ext.column_names:
        raise RecordsError(f"{q.extract}: cannot sort by {sort!r}; columns: {', '.join(ext.column_names)}")
    params: dict = {}
    cols = ", ".join(quote_ident(c) for c in ext.column_names)
    direction = " desc" if q.descending else " asc"
    sql = ("select " + cols + " from " + quote_ident("ext_" + q.extract) + " where " + _where(ext, q, params)
           + " order by " + quote_ident(sort) + direction + " nulls last, " + quote_ident(ext.key))
    if paged:
        sql += " limit $limit offset $offset"
    else:
        params["limit"] = MAX_DOWNLOAD_ROWS
        sql += " limit $limit"
    return sql, params


def count_sql(registry: Registry, q: RecordQuery) -> tuple[str, dict]:
    ext = _extract(registry, q.extract)
    params: dict = {}
    return "select count(*) from " + quote_ident("ext_" + q.extract) + " where " + _where(ext, q, params), params


def record_count(store: Store, registry: Registry, q: RecordQuery) -> int:
    sql, params = count_sql(registry, q)
    with store.cursor() as cur:  # the access scope applies (Store.cursor)
        return int(cur.execute(sql, params).fetchone()[0])


def record_page(store: Store, registry: Registry, q: RecordQuery, page: int, page_size: int) -> pd.DataFrame:
    """One page (1-based) of records, masked."""
    sql, params = records_sql(registry, q, paged=True)
    params.update(limit=int(page_size), offset=max(0, int(page) - 1) * int(page_size))
    with store.cursor() as cur:  # the access scope applies (Store.cursor)
        df = cur.execute(sql, params).df()
    return mask_frame(df, registry.extracts[q.extract])


def all_records(store: Store, registry: Registry, q: RecordQuery) -> pd.DataFrame:
    """Every matching record (at most MAX_DOWNLOAD_ROWS), masked: for the download."""
    sql, params = records_sql(registry, q, paged=False)
    with store.cursor() as cur:  # the access scope applies (Store.cursor)
        df = cur.execute(sql, params).df()
    return mask_frame(df, registry.extracts[q.extract])


def labelled(df: pd.DataFrame, ext: Extract, lang: str) -> pd.DataFrame:
    """Column headers in the UI language, from the registry's column descriptions; dates as dates."""
    out = df.copy()
    for c in ext.columns:
        if c.type == "DATE" and c.name in out and pd.api.types.is_datetime64_any_dtype(out[c.name]):
            out[c.name] = out[c.name].dt.date
    return out.rename(columns={c.name: c.description[lang] for c in ext.columns})
