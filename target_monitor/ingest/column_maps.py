"""Column mappings chosen by an uploader, remembered per source.

When a required column of an extract cannot be matched (`missing_column`), the 数据管理 page lets
the uploader say which of the file's columns is the unit, the date…; that choice is applied as
`column_map` (the same as `target-monitor ingest --map 原列名=标准列`) and remembered under the
file's *source*: the extract and the file's set of headers. The next file from the same source
(same headers, another month) is mapped the same way without asking again.

Kept in `<data-dir>/inputs/column_maps.json`; no Streamlit here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from target_monitor.ingest.problems import Report

FILE = "column_maps.json"


def maps_path(data_dir: Path) -> Path:
    return Path(data_dir) / "inputs" / FILE


def source_key(extract: str, headers: list[str]) -> str:
    """The extract and the file's headers (order does not matter): what identifies a source."""
    return extract + "|" + "|".join(sorted({h for h in headers if h}))


def unmatched(report: Report) -> tuple[list[str], list[str]] | None:
    """(missing canonical columns, the file's headers) when a file was rejected for a required
    column it does not name in a way we know; None otherwise."""
    if report.status != "rejected" or not report.extract:
        return None
    problem = next((p for p in report.problems if p.code == "missing_column"), None)
    if problem is None:
        return None
    missing = [c for c in problem.column.split("、") if c]
    headers = [h for h in problem.raw_value.split("、") if h]
    return (missing, headers) if missing and headers else None


def _read(data_dir: Path) -> dict:
    path = maps_path(data_dir)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def remembered(data_dir: Path, extract: str, headers: list[str]) -> dict[str, str] | None:
    """The mapping chosen earlier for this source, or None."""
    hit = _read(data_dir).get(source_key(extract, headers))
    return dict(hit) if isinstance(hit, dict) and hit else None


def remember(data_dir: Path, extract: str, headers: list[str], column_map: dict[str, str]) -> None:
    """Keep the mapping for this source (written whole to a temporary file, then renamed)."""
    maps = _read(data_dir)
    maps[source_key(extract, headers)] = dict(column_map)
    path = maps_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(maps, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
