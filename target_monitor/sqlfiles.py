"""Load the SQL files in `queries/`: one query per file, with a header that declares it.

Header (aiosql style), before the SQL:

    -- name: actuals_as_of
    -- description: Actual of every indicator for every unit, 1 January to the as-of date.
    -- grain: one row per unit per indicator
    -- param: year INTEGER the year counted
    -- param: as_of DATE the last day counted

Parameters are written `$name` in the SQL and always bound, never formatted in. The loader
rejects a parameter used but not declared, or declared but not used, and a file whose name
does not match its header, so a query and its contract cannot drift apart.

An optional header line says when a query needs the records at all:

    -- records: open month of $as_of

"this query reads the records (`indicator_events`) only for the month in progress at `$as_of`,
and the monthly aggregates for every closed month". When `$as_of` is a month's last day that
month is closed too, so the store answers from the aggregates alone (see `store.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from target_monitor.paths import QUERIES_DIR


class QueryFileError(ValueError):
    """A file in queries/ breaks the header contract; the message names the file."""


@dataclass(frozen=True)
class QueryFile:
    name: str
    description: str
    grain: str
    params: dict[str, str]  # name -> "TYPE description"
    sql: str
    path: Path
    records_month_of: str | None = None  # `-- records: open month of $as_of` -> "as_of"


_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_RECORDS_RE = re.compile(r"open month of \$([A-Za-z_][A-Za-z0-9_]*)")
# a string literal or a comment, whichever starts first: an apostrophe inside a comment
# ("-- DuckDB's order") starts no string, and "--" inside a string starts no comment
_STRING_OR_COMMENT_RE = re.compile(r"'(?:[^']|'')*'|--[^\n]*")


def params_used(sql: str) -> set[str]:
    """Names of `$params` in the SQL, ignoring string literals and comments."""
    bare = _STRING_OR_COMMENT_RE.sub(lambda m: "''" if m.group().startswith("'") else "", sql)
    return set(_PARAM_RE.findall(bare))


def parse_query_file(path: Path, text: str) -> QueryFile:
    header: dict[str, str] = {}
    params: dict[str, str] = {}
    body_lines: list[str] = []
    in_header = True
    for line in text.splitlines():
        stripped = line.strip()
        if in_header and stripped.startswith("--"):
            content = stripped[2:].strip()
            key, sep, value = content.partition(":")
            if sep and key.strip() in ("name", "description", "grain", "records"):
                header[key.strip()] = value.strip()
            elif sep and key.strip() == "param":
                pname, _, pdesc = value.strip().partition(" ")
                if not pname:
                    raise QueryFileError(f"{path.name}: a param line has no name")
                params[pname.lstrip("$")] = pdesc.strip()
            continue
        if stripped:
            in_header = False
        body_lines.append(line)
    for key in ("name", "description", "grain"):
        if not header.get(key):
            raise QueryFileError(f"{path.name}: header lacks '-- {key}: ...'")
    if header["name"] != path.stem:
        raise QueryFileError(f"{path.name}: header name {header['name']!r} differs from the file name")
    sql = "\n".join(body_lines).strip()
    if not sql:
        raise QueryFileError(f"{path.name}: no SQL after the header")
    records_month_of = None
    if "records" in header:
        match = _RECORDS_RE.fullmatch(header["records"])
        if not match:
            raise QueryFileError(f"{path.name}: '-- records:' must read 'open month of $<date param>'")
        records_month_of = match.group(1)
        if records_month_of not in params:
            raise QueryFileError(f"{path.name}: '-- records:' names ${records_month_of}, which is not a declared param")
    used = params_used(sql)
    undeclared = sorted(used - set(params))
    unused = sorted(set(params) - used)
    if undeclared:
        raise QueryFileError(f"{path.name}: parameter(s) used but not declared: {', '.join(undeclared)}")
    if unused:
        raise QueryFileError(f"{path.name}: parameter(s) declared but not used: {', '.join(unused)}")
    return QueryFile(header["name"], header["description"], header["grain"], params, sql, path, records_month_of)


@lru_cache(maxsize=8)
def load_queries(directory: Path = QUERIES_DIR) -> dict[str, QueryFile]:
    queries = {}
    for path in sorted(directory.glob("*.sql")):
        q = parse_query_file(path, path.read_text(encoding="utf-8"))
        queries[q.name] = q
    return queries
