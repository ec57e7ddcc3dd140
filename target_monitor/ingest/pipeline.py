"""Parse one uploaded file (bytes) into a `Parsed`, in the current process.

Never call this on an untrusted file in the server process: `sandbox.parse_isolated` runs it in
a child process with memory and time limits. Tests call it directly for speed.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from target_monitor.ingest import read
from target_monitor.ingest.problems import Rejected, Report, reject
from target_monitor.ingest.records import (Parsed, accepted_months, detect_extract, load_aliases,
                                          load_indicator_aliases, load_rules, parse_grid, parse_parquet,
                                          user_aliases)
from target_monitor.ingest.reported import looks_reported, parquet_grid, parse_reported
from target_monitor.paths import SHIPPED_REFERENCE_DIR, reference_dir
from target_monitor.reference import Units, load_units
from target_monitor.registry import BASES, load_registry


def parse_period(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4 or not 1 <= int(parts[1]) <= 12:
        raise ValueError(text)
    return int(parts[0]), int(parts[1])


_REFERENCE: dict[bytes, tuple] = {}  # content digest -> (rules, aliases, units)


def ingest_reference(data_dir: Path) -> tuple[dict, list[dict], Units]:
    """The ingest rules, header aliases and units the data directory uses. Cached by the files'
    content: a national unit tree takes 0.1-0.2 s to load, and the sandbox's zygote loads it
    once for all its children (`warm_reference`)."""
    ref = reference_dir(Path(data_dir))
    files = [ref / n if (ref / n).exists() else SHIPPED_REFERENCE_DIR / n for n in ("ingest_rules.yaml",
                                                                                  "column_aliases.csv")]
    files.append(ref / "units.csv")
    try:
        digest = hashlib.sha256()
        for f in files:
            body = f.read_bytes()
            digest.update(len(body).to_bytes(8, "little") + body)
        key = digest.digest()
    except OSError:
        key = None
    hit = _REFERENCE.get(key) if key else None
    if hit is None:
        hit = (load_rules(ref, SHIPPED_REFERENCE_DIR), load_aliases(ref, SHIPPED_REFERENCE_DIR), load_units(ref))
        if key:
            while len(_REFERENCE) >= 4:
                _REFERENCE.pop(next(iter(_REFERENCE)))
            _REFERENCE[key] = hit
    return hit


def warm_reference(data_dir: Path) -> None:
    """Load the reference data into this process's cache (the zygote, before it forks).

    Without Arrow-backed strings: the first Arrow allocation makes the allocator reserve 1 GB of
    address space, which every child would inherit and count against its memory limit."""
    import pandas as pd

    with pd.option_context("mode.string_storage", "python"):
        ingest_reference(data_dir)


def parse_upload(data: bytes, file: str, extract: str | None, period: str | None, sheet: str | None,
                 data_dir: Path, today: date | None = None, max_bytes: int = 50 * 2**20, *,
                 basis: str | None = None, column_map: dict[str, str] | None = None) -> Parsed:
    """Read, map and validate. Raises nothing for a bad file: a rejection is a report with status
    'rejected' and its problems. `basis` (当月 / 累计) is the declared meaning of reported figures."""
    report = Report(file=file, size_bytes=len(data), period=period or "", basis=basis or "")
    try:
        return _parse(data, file, extract, period, sheet, Path(data_dir), today or date.today(), max_bytes, report,
                      basis, column_map)
    except Rejected as rej:
        report.status = "rejected"
        report.problems.extend(rej.problems)
        return Parsed(report=report)


def _parse(data, file, extract, period, sheet, data_dir, today, max_bytes, report, basis=None,
           column_map=None) -> Parsed:
    if len(data) > max_bytes:
        raise reject("too_big", file=file, size_mb=round(len(data) / 2**20, 1), cap_mb=round(max_bytes / 2**20))
    try:
        month = parse_period(period)
    except ValueError:
        raise reject("bad_period", file=file, raw_value=period, period=period) from None
    registry = load_registry()
    rules, aliases, units = ingest_reference(data_dir)
    # the uploader's own mapping (`--map 原列名=标准列`, the page's mapping step) wins over the aliases
    aliases = aliases + user_aliases(column_map)
    ref = reference_dir(data_dir)
    kind = read.sniff(data, file, max_bytes)
    report.file_type = kind
    grid = None
    if kind in ("xlsx", "xls"):
        grid = read.read_excel(data, file, kind, sheet)
        report.sheet = grid.sheet
    elif kind == "text":
        grid = read.read_delimited(data, file)
        report.file_type, report.encoding, report.delimiter = "csv", grid.encoding, grid.delimiter
    if basis not in (None, "", *BASES):
        raise reject("rp_bad_basis", file=file, raw_value=basis, allowed="、".join(BASES))
    if extract is None:
        if grid is None:
            raise reject("extract_unknown", file=file, known="、".join(registry.extracts))
        extract = detect_extract(grid, registry, aliases)
        if extract is None and registry.reported_extract is not None and looks_reported(
                grid, registry, rules, aliases, load_indicator_aliases(ref)):
            extract = registry.reported_extract.name
        if extract is None:
            raise reject("extract_unknown", file=file, known="、".join(registry.extracts))
    if extract not in registry.extracts:
        raise reject("extract_unknown", file=file, known="、".join(registry.extracts))
    report.extract = extract
    ext = registry.extracts[extract]
    if ext.is_reported:
        if kind == "parquet":
            grid = parquet_grid(data, ext, report)
        parsed = parse_reported(grid, ext, registry, rules, aliases, load_indicator_aliases(ref), units, report,
                                month, basis or None, today, data_dir)
    elif kind == "parquet":
        parsed = parse_parquet(data, ext, rules, units, report, month, today, aliases=aliases)
    else:
        if grid.file_type == "csv" and len([r for r in grid.rows if any(str(c).strip() for c in r)]) <= 1:
            if not any(str(c).strip() for r in grid.rows for c in r):
                raise reject("empty", file=file)
        parsed = parse_grid(grid, ext, rules, aliases, units, report, month, today)
    months = accepted_months(parsed, ext)
    report.months = months
    if not report.period:
        report.period = months[0] if len(months) == 1 else (f"{months[0]}..{months[-1]}" if months else "")
    report.status = "preview"
    assert report.balanced, "rows read must equal accepted + quarantined + skipped"
    return parsed


__all__ = ["parse_upload", "parse_period"]
