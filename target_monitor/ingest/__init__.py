"""Ingest: take files as units send them, tell the uploader exactly what is wrong, lose nothing.

    analyse(data, file, ...)  -> Parsed   parse in a sandboxed child process; nothing is written
    confirm(parsed, data, ...) -> Report  store it (raw bytes, partitions, quarantine, history)
    ingest(data, file, ...)   -> Report   both, for the CLI and scheduled jobs
    ingest_many(files, ...)   -> Reports  several files in order, the next parsed while one is stored

See README.md in this folder for the modules and ../../../shared/design/BAD_INPUT.md for the cases.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

from target_monitor.ingest import storage
from target_monitor.ingest.problems import Problem, Rejected, Report
from target_monitor.ingest.records import Parsed, load_rules
from target_monitor.ingest.sandbox import parse_isolated
from target_monitor.paths import SHIPPED_REFERENCE_DIR, reference_dir
from target_monitor.registry import load_registry


def limits(data_dir: Path) -> dict:
    rules = load_rules(reference_dir(Path(data_dir)), SHIPPED_REFERENCE_DIR)
    return {
        "max_bytes": int(float(rules.get("upload_max_mb", 50)) * 2**20),
        "timeout_s": float(rules.get("parse_timeout_s", 120)),
        "memory_mb": int(rules.get("parse_memory_mb", 4096)),
    }


def analyse(data: bytes, file: str, *, data_dir: Path, extract: str | None = None, period: str | None = None,
            sheet: str | None = None, isolated: bool = True, today: str | None = None,
            max_bytes: int | None = None, basis: str | None = None,
            column_map: dict[str, str] | None = None) -> Parsed:
    """Parse and validate (no writes). The report says taken/rejected/noop-to-be.

    basis: the declared meaning of reported figures (当月 / 累计; None = from the header)."""
    data_dir = Path(data_dir)
    lim = limits(data_dir)
    if max_bytes is not None:
        lim["max_bytes"] = max_bytes
    digest = storage.sha256(data)
    if isolated:
        parsed = parse_isolated(data, file, extract, period, sheet, data_dir, max_bytes=lim["max_bytes"],
                                timeout_s=lim["timeout_s"], memory_mb=lim["memory_mb"], today=today,
                                basis=basis, column_map=column_map)
    else:
        from datetime import date

        from target_monitor.ingest.pipeline import parse_upload

        parsed = parse_upload(data, file, extract, period, sheet, data_dir,
                              today=date.fromisoformat(today) if today else None, max_bytes=lim["max_bytes"],
                              basis=basis, column_map=column_map)
    parsed.report.sha256 = digest
    parsed.report.size_bytes = len(data)
    return parsed


def confirm(parsed: Parsed, data: bytes, *, data_dir: Path, who: str | None = None,
            declared_period: str | None = None, sheet: str | None = None, replace: bool = False,
            allow_shrink: bool = True, meta_extra: dict | None = None) -> Report:
    """Store an analysed upload. Identical bytes already taken are a no-op, reported as such.

    replace: the upload declares that it replaces all records of its units in `declared_period`
    (rows outside it were quarantined by the parser); otherwise it adds and corrects by record key.
    allow_shrink=False: a unit-month that would shrink past the configured share is not written
    (status "held", with the changes), for the CLI without --yes."""
    data_dir = Path(data_dir)
    report = parsed.report
    who = who or _user()
    now = datetime.now()
    if report.status == "rejected":
        storage.record_only(data_dir, report, data, who=who, declared_period=declared_period, now=now)
        return report
    prev = storage.previous_take(data_dir, report.sha256, report.extract, sheet or report.sheet or None,
                                 declared_period, report.basis or None)
    if prev:
        report.status = "noop"
        report.message_zh = _noop_text("zh", report, prev)
        report.message_en = _noop_text("en", report, prev)
        storage.record_only(data_dir, report, data, who=who, declared_period=declared_period, now=now)
        return report
    ext = load_registry().extracts[report.extract]
    return storage.commit(data_dir, ext, parsed, data, who=who, declared_period=declared_period, now=now,
                          replace_months=replace_months(declared_period, replace), allow_shrink=allow_shrink,
                          meta_extra=meta_extra)


def replace_months(declared_period: str | None, replace: bool) -> set[tuple[int, int]] | None:
    """The months a declared replacement covers (None: add and correct by record key)."""
    if not replace or not declared_period:
        return None
    from target_monitor.ingest.pipeline import parse_period

    month = parse_period(declared_period)
    return {month} if month else None


def preview(parsed: Parsed, *, data_dir: Path, declared_period: str | None = None, replace: bool = False) -> dict:
    """What confirming would change, without writing: per unit-month records before -> after
    (added / replaced / removed), each indicator's figure before -> after, and the unit-months
    shrinking past the configured share (they need an explicit confirmation)."""
    report = parsed.report
    if report.status == "rejected" or not report.extract:
        return {"changes": [], "figures": [], "shrinking": [], "share": storage.shrink_share(data_dir)}
    ext = load_registry().extracts[report.extract]
    accepted = parsed.accepted_table(ext)
    if accepted is None:
        accepted = storage.schema_for(ext).empty_table()
    p = storage.plan(Path(data_dir), ext, accepted, replace_months(declared_period, replace))
    share = storage.shrink_share(data_dir)
    return {"changes": p.changes, "figures": storage.figures(p), "shrinking": p.shrinking(share), "share": share,
            "revisions": p.revisions}


def ingest(data: bytes, file: str, *, data_dir: Path, extract: str | None, period: str | None = None,
           sheet: str | None = None, who: str | None = None, isolated: bool = True,
           today: str | None = None, basis: str | None = None, column_map: dict[str, str] | None = None,
           replace: bool = False, allow_shrink: bool = True) -> Report:
    if extract:  # identical bytes already taken: say so without parsing them again
        digest = storage.sha256(data)
        prev = storage.previous_take(Path(data_dir), digest, extract, sheet, period, basis)
        if prev:
            report = Report(file=file, status="noop", extract=extract, sheet=prev.get("sheet", ""), sha256=digest,
                            basis=basis or "",
                            size_bytes=len(data), file_type=prev.get("file_type", ""), period=prev.get("period", ""),
                            months=prev.get("months", []), rows_read=prev["rows_read"], accepted=prev["accepted"],
                            quarantined=prev["quarantined"], skipped=prev["skipped"])
            report.message_zh = _noop_text("zh", report, prev)
            report.message_en = _noop_text("en", report, prev)
            storage.record_only(Path(data_dir), report, data, who=who or _user(), declared_period=period)
            return report
    parsed = analyse(data, file, data_dir=data_dir, extract=extract, period=period, sheet=sheet,
                     isolated=isolated, today=today, basis=basis, column_map=column_map)
    return confirm(parsed, data, data_dir=data_dir, who=who, declared_period=period, sheet=sheet, replace=replace,
                   allow_shrink=allow_shrink)


def ingest_many(files, *, data_dir: Path, extract: str | None, period: str | None = None, sheet: str | None = None,
                who: str | None = None, basis: str | None = None, isolated: bool = True,
                column_map: dict[str, str] | None = None, replace: bool = False, allow_shrink: bool = True):
    """`ingest` of several files, in order, yielding each Report as it is stored.

    `files`: (name, read) pairs, `read()` returning the bytes (read when needed, so no more than
    two files are in memory). While one file is stored (partitions written, aggregates refreshed,
    in this process) the next is parsed (in the sandbox's child process): on two cores a batch of
    large files takes about the longer of the two steps per file instead of their sum. The
    outcome is the one `ingest` gives file by file: storing re-checks for identical bytes already
    taken, and a parse depends on nothing earlier files store, except for reported figures (their
    falling-累计 check reads what is stored), which go one at a time."""
    from concurrent.futures import ThreadPoolExecutor

    files = list(files)
    ext = load_registry().extracts.get(extract) if extract else None
    if ext is None or ext.is_reported or len(files) < 2:
        for name, read in files:
            yield ingest(read(), name, data_dir=data_dir, extract=extract, period=period, sheet=sheet, who=who,
                         basis=basis, isolated=isolated, column_map=column_map, replace=replace,
                         allow_shrink=allow_shrink)
        return

    def parse(name, read):
        data = read()
        digest = storage.sha256(data)
        if storage.previous_take(Path(data_dir), digest, extract, sheet, period, basis):
            return data, None  # identical bytes already taken: `ingest` says so without parsing
        return data, analyse(data, name, data_dir=data_dir, extract=extract, period=period, sheet=sheet, basis=basis,
                             isolated=isolated, column_map=column_map)

    with ThreadPoolExecutor(1, thread_name_prefix="ingest-parse") as pool:
        ahead = pool.submit(parse, *files[0])
        for i, (name, _) in enumerate(files):
            data, parsed = ahead.result()
            if i + 1 < len(files):
                ahead = pool.submit(parse, *files[i + 1])
            if parsed is None:
                yield ingest(data, name, data_dir=data_dir, extract=extract, period=period, sheet=sheet, who=who,
                             basis=basis, isolated=isolated, column_map=column_map, replace=replace,
                             allow_shrink=allow_shrink)
            else:
                yield confirm(parsed, data, data_dir=data_dir, who=who, declared_period=period, sheet=sheet,
                              replace=replace, allow_shrink=allow_shrink)


def _noop_text(lang: str, report: Report, prev: dict) -> str:
    from target_monitor.i18n import t

    return t("ingest_noop_detail", lang, file=report.file, when=prev.get("uploaded_at", "?"), sha=report.sha256[:16])


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container
        return "unknown"


__all__ = ["analyse", "confirm", "preview", "replace_months", "ingest", "ingest_many", "limits", "Parsed", "Problem", "Rejected", "Report"]
