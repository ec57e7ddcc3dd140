"""`target-monitor`: the command line used by scheduled jobs and to check the pages' numbers.

    target-monitor demo [--data-dir DIR]
    target-monitor progress --year 2020 --as-of 2020-06-30 [--format csv|json|table] [--data-dir DIR]
    target-monitor sql "SELECT ..." [--format csv|json] [--timeout S] [--data-dir DIR]
    target-monitor snapshot --month 2020-06 [--data-dir DIR] [--force] [--per-unit]
    target-monitor aggregates refresh [--full] [--json] [--data-dir DIR]
    target-monitor ingest PATH... --extract E [--period M | --replace-period M] [--yes]
    target-monitor imports list [--json] | imports undo ID [--yes] [--cascade]
    target-monitor store compact | store vacuum --keep-days N [--dry-run] | store migrate
    target-monitor briefing --out 通报.docx [--as-of 2020-06-30] [--number 15] [--date 2020-07-03] [--pdf]
    target-monitor note add|reply|list …   ·   target-monitor duban open --month 2020-06 | list | feedback ID | close ID

Exit codes: 0 success, 2 bad arguments or no data (one line on stderr saying why and what to
do), 1 internal error (one line, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from target_monitor.i18n import t
from target_monitor.paths import resolve_data_dir
from target_monitor.progress import CONTRACT_COLUMNS, COLUMNS
from target_monitor.store import NoDataError


class UsageError(Exception):
    """A bad argument: the message is shown as is, exit 2."""


def _date(value: str, lang: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(t("cli_bad_date", lang, value=value)) from None


def _data_dir(args) -> Path:
    """The chosen data directory; a missing one is a usage error (exit 2), not a traceback."""
    data_dir = resolve_data_dir(args.data_dir)
    if not data_dir.is_dir():
        raise UsageError(t("cli_bad_data_dir", args.lang, path=data_dir))
    return data_dir


def _open_context(args):
    """A Context over the chosen data directory, or a usage error naming it when it holds no extracts."""
    from target_monitor.context import Context

    data_dir = _data_dir(args)
    try:
        return Context(data_dir)
    except NoDataError:
        raise UsageError(t("cli_no_data", args.lang, path=data_dir)) from None


def refuse_past_data(ctx, as_of: date, lang: str) -> None:
    """No figure is stated as of a day later than the data: exit 2 naming the data's own date."""
    through = ctx.data_through()
    if through is not None and as_of > through:
        from target_monitor.present import fmt_date

        raise UsageError(t("cli_as_of_past_data", lang, date=fmt_date(through, lang), through=through, as_of=as_of))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="target-monitor", description="就业目标任务监测 / employment-target monitor")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="message language (default zh)")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="write the deterministic demo extracts (2019, 2020 H1)")
    d.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    d.add_argument("--seed", type=int, default=42)
    d.add_argument("--force", action="store_true", help="overwrite extracts that are not demo data")

    pr = sub.add_parser("progress", help="progress of every unit and indicator as of a date")
    pr.add_argument("--year", type=int, help="target year (default: the latest year with data)")
    pr.add_argument("--as-of", help="YYYY-MM-DD, not after the data (default: the latest month end every unit "
                    "has reported)")
    pr.add_argument("--format", choices=["csv", "json", "table"], default="table")
    pr.add_argument("--indicator", action="append", help="only this indicator (repeatable)")
    pr.add_argument("--all-columns", action="store_true", help="also print the explanatory columns")
    pr.add_argument("--rules", help="evaluate statuses with this traffic-light rules file instead of the "
                    "deployment's (e.g. data/reference/rules-examples/yinchuan-2025.yaml)")
    pr.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")

    # the SQL console's sandbox from the command line
    sq = sub.add_parser("sql", help="run one read-only SELECT in the SQL console's sandbox")
    sq.add_argument("query", help='one SELECT (or WITH ... SELECT) statement, e.g. "select * from units"')
    sq.add_argument("--format", choices=["csv", "json"], default="csv")
    sq.add_argument("--timeout", type=float, default=10.0, help="seconds, 5-30 (default 10)")
    sq.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")

    # the monthly aggregate layer
    ag = sub.add_parser("aggregates", help="the monthly aggregates the pages read")
    ag_sub = ag.add_subparsers(dest="action", required=True)
    ar = ag_sub.add_parser("refresh", help="rebuild the aggregates of changed partitions (all with --full)")
    ar.add_argument("--full", action="store_true", help="rebuild every partition")
    ar.add_argument("--json", action="store_true", help="print the report as JSON")
    ar.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")

    # monthly snapshots
    sn = sub.add_parser("snapshot", help="freeze a month-end report into <data-dir>/snapshots/YYYY-MM/")
    sn.add_argument("--month", required=True, help="YYYY-MM; the snapshot is as of the month's last day")
    sn.add_argument("--force", action="store_true",
                    help="build again although the month has a snapshot (the earlier one is kept beside it)")
    sn.add_argument("--no-pdf", action="store_true", help="skip the PNG charts and the PDF (faster)")
    sn.add_argument("--rebuild", action="store_true",
                    help="build the month's newest snapshot again from the extract versions it recorded "
                         "(later imports ignored; the data files come out byte-identical)")
    sn.add_argument("--per-unit", action="store_true",
                    help="also write every unit's own pack (PDF and XLSX) under <snapshot>/units/<code>/")
    sn.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    # ingest and targets import
    ing = sub.add_parser("ingest", help="ingest extract files (CSV, xlsx, xls, Parquet) into the data directory")
    ing.add_argument("paths", nargs="+", metavar="PATH")
    ing.add_argument("--extract", required=True, help="which extract the files hold (see queries/indicators.yaml)")
    ing.add_argument("--period", help="declared period YYYY-MM: records outside it are quarantined")
    ing.add_argument("--sheet", help="worksheet to read when a workbook has several")
    ing.add_argument("--basis", choices=["当月", "累计"],
                     help="for --extract reported_monthly (figures reported by units): the declared meaning, "
                          "当月 = the month's own figure, 累计 = year to date; a header that says otherwise "
                          "rejects the file (default: from the header)")
    ing.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    ing.add_argument("--json", action="store_true", help="print the full report as JSON")
    ing.add_argument("--map", action="append", metavar="原列名=标准列",
                     help="map a column the file names its own way to a column of the extract, e.g. "
                          "--map 所在社区=unit_code (repeatable; the standard column by name or description)")
    ing.add_argument("--replace-period", metavar="YYYY-MM",
                     help="declare that the files replace ALL stored records of their units in this month "
                          "(rows outside it are quarantined); without it records are added and corrected by key")
    ing.add_argument("--yes", action="store_true",
                     help="confirm when a unit-month would lose more than the configured share of its records")
    tg = sub.add_parser("targets", help="task breakdown tables (任务分解表)")
    tg_sub = tg.add_subparsers(dest="targets_command", required=True)
    ti = tg_sub.add_parser("import", help="import a task breakdown table (xlsx, xls or csv)")
    ti.add_argument("path", metavar="PATH")
    ti.add_argument("--year", type=int, required=True)
    ti.add_argument("--effective-from", help="YYYY-MM-DD the new targets apply from (default: 1 January, "
                    "or today for a change to targets already imported)")
    ti.add_argument("--source", help="the document the table comes from (default: the file name)")
    ti.add_argument("--sheet", help="worksheet to read when a workbook has several")
    ti.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    # the drafted 通报 as an official document (.docx, GB/T 9704-2012 layout)
    br = sub.add_parser("briefing", help="write the drafted 通报 as an official document (.docx, optionally .pdf)")
    br.add_argument("--out", required=True, help="the .docx to write")
    br.add_argument("--year", type=int, help="target year (default: the latest with data)")
    br.add_argument("--as-of", help="YYYY-MM-DD (default: the latest day with data)")
    br.add_argument("--number", help="the document's number in its year (default: official_document.yaml; "
                    "none there: left blank)")
    br.add_argument("--date", help="成文日期 YYYY-MM-DD (default: today, Beijing time)")
    br.add_argument("--pdf", action="store_true", help="also render a PDF beside it (LibreOffice headless)")
    br.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    ti.add_argument("--json", action="store_true", help="print the full report as JSON")
    # the store's versions: every import is one, and can be undone exactly
    im = sub.add_parser("imports", help="import versions: list them, undo one")
    im_sub = im.add_subparsers(dest="imports_command", required=True)
    il = im_sub.add_parser("list", help="every version of every extract table, newest first")
    il.add_argument("--json", action="store_true", help="print the versions as JSON")
    il.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    iu = im_sub.add_parser("undo", help="restore the state before one import (a new version)")
    iu.add_argument("id", metavar="ID", help="extract@version, from imports list")
    iu.add_argument("--yes", action="store_true", help="do it (without: show what would be undone, exit 2)")
    iu.add_argument("--cascade", action="store_true", help="also undo the later versions built on it")
    iu.add_argument("--json", action="store_true", help="print the result as JSON")
    iu.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    st = sub.add_parser("store", help="maintenance of the extract tables")
    st_sub = st.add_subparsers(dest="store_command", required=True)
    sc = st_sub.add_parser("compact", help="merge small data files (a new version; old files stay for undo)")
    sc.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    sv = st_sub.add_parser("vacuum", help="delete data files no version of the last N days needs")
    sv.add_argument("--keep-days", required=True, help="keep every version of the last N days (undo, snapshots)")
    sv.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    sv.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    sm = st_sub.add_parser("migrate", help="convert a data directory of the old file layout into tables")
    sm.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    return p


def cmd_sql(args) -> int:
    """The SQL console from the command line: exit 0 with the rows on stdout; exit 2 with one line
    on stderr when refused or failed."""
    from target_monitor.sandbox import MAX_DOWNLOAD_ROWS, MAX_TIMEOUT_S, MIN_TIMEOUT_S, FreshChild, SqlError

    lang = args.lang
    if not MIN_TIMEOUT_S <= args.timeout <= MAX_TIMEOUT_S:
        raise UsageError(t("cli_sql_bad_timeout", lang, value=f"{args.timeout:g}"))
    child = FreshChild()  # the query's process starts (Python, duckdb) while the views are built
    try:
        ctx = _open_context(args)
        from target_monitor.access import audit
        from target_monitor.sandbox import IsolatedSandbox, sql_hash

        # in a child process with an address-space limit and a hard kill (sandbox.IsolatedSandbox)
        sandbox = IsolatedSandbox(ctx, child=child)
    except BaseException:
        child.close()
        raise
    try:
        result = sandbox.run(args.query, timeout=args.timeout, max_rows=MAX_DOWNLOAD_ROWS, source="cli")
    except SqlError as exc:
        audit.record(ctx.data_dir, _ACTOR[0], "console_query", sql_hash(args.query), exc.status,
                     sql=args.query, source="cli", reason=exc.key)
        raise UsageError(exc.text(lang)) from None
    finally:
        sandbox.close()
    audit.record(ctx.data_dir, _ACTOR[0], "console_query", result.sql_hash, "ok", sql=args.query, source="cli",
                 rows=result.rows)
    df = result.frame
    from target_monitor.downloads import neutralise

    if args.format == "csv":
        sys.stdout.write(neutralise(df).to_csv(index=False))
    else:
        records = json.loads(df.to_json(orient="records", force_ascii=False, date_format="iso"))
        print(json.dumps(records, ensure_ascii=False, indent=1))
    if result.truncated:
        print(t("cli_sql_truncated", lang, cap=MAX_DOWNLOAD_ROWS), file=sys.stderr)
    return 0


def cmd_demo(args) -> int:
    from target_monitor.demo import generate_demo

    from target_monitor.store import is_demo, parquet_files

    data_dir = resolve_data_dir(args.data_dir)
    if parquet_files(data_dir) and not is_demo(data_dir) and not args.force:
        # the demo replaces whole extract folders: never over real data without being told
        raise UsageError(t("cli_demo_refuses", args.lang, path=data_dir))
    summary = generate_demo(data_dir, seed=args.seed)
    rows = sum(v for k, v in summary.get("rows", {}).items())
    print(t("cli_demo_done", args.lang, path=data_dir, rows=rows, through=summary.get("through")))
    return 0


def cmd_progress(args) -> int:

    lang = args.lang
    ctx = _open_context(args)
    known = ctx.registry.names
    for name in args.indicator or []:
        if name not in known:
            raise UsageError(t("cli_bad_indicator", lang, name=name, known=", ".join(known)))
    if args.year is not None and not 2 <= args.year <= 9998:  # date() cannot hold it (or the year before): exit 2
        raise UsageError(t("cli_bad_year", lang, value=args.year))
    year = args.year or (args.as_of and _date(args.as_of, lang).year) or ctx.default_year()
    as_of = _date(args.as_of, lang) if args.as_of else ctx.default_as_of(year)
    if as_of.year != year:
        raise UsageError(t("cli_bad_as_of", lang, as_of=as_of, year=year))
    refuse_past_data(ctx, as_of, lang)
    if getattr(args, "rules", None) or lang != "zh":  # the rule in words (status_rule) in --lang
        df = _progress_with_rules(ctx, year, as_of, args.rules, lang)
    else:
        df = ctx.progress(year, as_of)
    if args.indicator:
        df = df[df["indicator"].isin(args.indicator)]
    cols = COLUMNS if args.all_columns else CONTRACT_COLUMNS + ["target_basis"]
    df = df[cols]
    _audit_read(ctx.data_dir, f"progress {as_of}", len(df), args.format)
    if args.format == "csv":
        sys.stdout.write(df.to_csv(index=False))
    elif args.format == "json":
        records = json.loads(df.to_json(orient="records", force_ascii=False, date_format="iso"))
        print(json.dumps(records, ensure_ascii=False, indent=1))
    else:
        print(df.to_string(index=False, na_rep="—"))
    return 0


def _progress_with_rules(ctx, year, as_of, path, lang):
    """The progress table with the statuses of another traffic-light rules file; exit 2 if it cannot be used."""
    from target_monitor.progress import progress_table
    from target_monitor.status_rules import RulesFileError, load_scheme_file

    try:
        scheme = load_scheme_file(Path(path), ctx.ref.rules.slightly_behind_pp) if path else None
    except RulesFileError as exc:
        raise UsageError(t("cli_bad_rules", lang, error=exc)) from None
    return progress_table(ctx.store, ctx.ref, year, as_of, scheme=scheme, lang=lang)


def cmd_aggregates(args) -> int:
    """Refresh the monthly aggregates; exit 2 for a missing or empty data directory."""
    from target_monitor.aggregates import refresh
    from target_monitor.store import parquet_files

    data_dir = _data_dir(args)
    if not parquet_files(data_dir):
        raise UsageError(t("cli_no_data", args.lang, path=data_dir))
    report = refresh(data_dir, full=args.full).as_dict()
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(t("cli_agg_done", args.lang, **report))
    return 0


def cmd_snapshot(args) -> int:
    """Build a snapshot; exit 2 (one line) for a bad month, no data, or an existing snapshot."""
    from target_monitor.snapshots import SnapshotError, SnapshotExists, build_snapshot, snapshots_dir

    lang = args.lang
    data_dir = _data_dir(args)
    rebuild_of = None
    if getattr(args, "rebuild", False):
        from target_monitor.snapshots import list_snapshots

        same = [s for s in list_snapshots(data_dir) if s.month == args.month]
        if not same:
            raise UsageError(t("snapshot_rebuild_none", lang, month=args.month))
        rebuild_of = max(same, key=lambda s: s.version).snapshot_id
    try:
        snap = build_snapshot(data_dir, args.month, force=args.force, lang=lang, pdf=not args.no_pdf,
                              rebuild_of=rebuild_of, per_unit=getattr(args, "per_unit", False))
    except NoDataError:
        raise UsageError(t("cli_no_data", lang, path=data_dir)) from None
    except SnapshotExists as exc:
        existing = str(exc)
        raise UsageError(t("cli_snap_exists", lang, month=args.month, existing=existing,
                           path=snapshots_dir(data_dir) / existing)) from None
    except SnapshotError as exc:
        code, _, detail = str(exc).partition("|")
        if code == "bad_month":
            raise UsageError(t("cli_snap_bad_month", lang, value=args.month)) from None
        if code == "no_data_month":
            raise UsageError(t("cli_snap_no_data_month", lang, month=args.month, path=data_dir, latest=detail)) from None
        if code == "changed_during_build":
            raise UsageError(t("cli_snap_changed", lang)) from None
        raise
    files = len(snap.snapshot.manifest.get("outputs", {})) + 1
    print(t("cli_snap_done", lang, path=snap.data_dir, as_of=snap.snapshot.as_of, n=files))
    if getattr(args, "per_unit", False):  # a second line only with the new flag: the first stays as it was
        packs = snap.data_dir / "units"
        print(t("cli_snap_packs", lang, n=sum(1 for p in packs.iterdir() if p.is_dir()), path=packs))
    return 0


# --- ingest and targets import ------------------------------------------------------


def _print_report(report, lang: str, as_json: bool, summary_key: str = "ingest_summary", **extra) -> None:
    if as_json:
        return
    status = t("ingest_status_" + report.status, lang) if report.status in (
        "taken", "rejected", "noop", "error", "preview", "held", "conflict") else report.status
    print(t(summary_key, lang, file=report.file, status=status, rows_read=report.rows_read,
            accepted=report.accepted, quarantined=report.quarantined, skipped=report.skipped,
            warnings=len(report.warnings), **extra))
    message = report.message_en if lang == "en" else report.message_zh
    if message:
        print(message)
    for p in [*report.problems, *report.warnings]:
        print(f"  [{p.level}] {p.reason(lang)} {p.fix_text(lang)}".rstrip())
    if report.quarantine_file:
        print(t("ingest_cli_quarantine", lang, path=report.quarantine_file))


def cmd_ingest(args) -> int:
    from target_monitor.ingest import ingest_many
    from target_monitor.ingest.pipeline import parse_period
    from target_monitor.ingest.storage import recover
    from target_monitor.registry import load_registry

    lang = args.lang
    data_dir = resolve_data_dir(args.data_dir)
    known = load_registry().extracts
    if args.extract not in known:
        raise UsageError(t("ingest_cli_bad_extract", lang, name=args.extract, known=", ".join(known)))
    replace = bool(getattr(args, "replace_period", None))
    if replace:
        if args.period and args.period != args.replace_period:
            raise UsageError(t("ingest_cli_replace_and_period", lang))
        args.period = args.replace_period
    if args.period:
        try:
            if parse_period(args.period) is None:
                raise ValueError(args.period)
        except ValueError:
            raise UsageError(t("ingest_cli_bad_period", lang, value=args.period)) from None
    column_map = parse_column_map(args.map or [], known[args.extract], lang)
    files = []
    for raw in args.paths:
        path = Path(raw)
        if not path.is_file():
            raise UsageError(t("ingest_cli_no_file", lang, path=raw))
        files.append(path)
    data_dir.mkdir(parents=True, exist_ok=True)
    recover(data_dir)
    reports = []
    too_big = _too_big(files, data_dir, args.extract)  # from the file size, before reading a byte
    readable = [p for p in files if p not in too_big]
    for report in too_big.values():
        reports.append(report)
        _print_report(report, lang, args.json)
    # in order; the next file is parsed while one is stored (ingest_many)
    for report in ingest_many([(p.name, p.read_bytes) for p in readable], data_dir=data_dir, extract=args.extract,
                              period=args.period, sheet=args.sheet, basis=args.basis, replace=replace,
                              allow_shrink=bool(getattr(args, "yes", False)), column_map=column_map or None,
                              who=_as_user()):
        reports.append(report)
        _print_report(report, lang, args.json)
        if not args.json:
            _print_changes(report, data_dir, lang)
    if args.json:
        payload = [r.as_json(lang) for r in reports]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=1, default=str))
    return 2 if any(r.status in ("rejected", "held", "conflict") for r in reports) else 0


def _too_big(files: list[Path], data_dir: Path, extract: str) -> dict:
    """Files over the upload cap, as rejected reports (their bytes are never read, nor kept)."""
    from target_monitor.ingest import limits
    from target_monitor.ingest.problems import Problem, Report

    cap = limits(data_dir)["max_bytes"]
    out = {}
    for path in files:
        size = path.stat().st_size
        if size > cap:
            report = Report(file=path.name, status="rejected", extract=extract, size_bytes=size)
            report.problems.append(Problem.make("R", "too_big", file=path.name, size_mb=round(size / 2**20, 1),
                                                cap_mb=round(cap / 2**20)))
            out[path] = report
    return out


def _print_changes(report, data_dir: Path, lang: str) -> None:
    """The change table of an import (or of one held back): per unit-month records before -> after
    and what was added, corrected and removed, then the shrink warning."""
    from target_monitor.ingest.storage import shrink_share

    changes = getattr(report, "changes", None) or []
    if report.status not in ("taken", "held"):
        return
    print(t("changes_title", lang))
    if not changes:
        print("  " + t("changes_none", lang))
    else:
        head = [t("col_unit_month", lang), t("col_records_before", lang), t("col_records_after", lang),
                t("col_added", lang), t("col_replaced", lang), t("col_removed", lang)]
        print("  " + "\t".join(head))
        for c in changes:
            print(f"  {c['unit_code']} {c['month']}\t{c['before']}\t{c['after']}\t{c['added']}\t{c['replaced']}\t"
                  f"{c['removed']}")
    for f in getattr(report, "figures", None) or []:
        before = "—" if f["before"] is None else f["before"]
        after = "—" if f["after"] is None else f["after"]
        print(f"  {f['unit_code']} {f['month']} {f['indicator']}: {before} → {after}")
    share = shrink_share(data_dir)
    shrinking = [c for c in changes if c["before"] > 0 and c["after"] < c["before"] * (1 - share)]
    if shrinking:
        items = "; ".join(f"{c['unit_code']} {c['month']} {c['before']}→{c['after']}" for c in shrinking)
        print(t("shrink_warning", lang, n=len(shrinking), share=round(share * 100), items=items))
        if report.status == "held":
            print(t("shrink_cli_hint", lang))
    if report.status == "taken" and getattr(report, "version", None) is not None:
        print(t("ingest_cli_version", lang, id=f"{report.extract}@{report.version}"))


def cmd_imports(args) -> int:
    """Import versions: list (exit 0), undo (exit 0 done; 2 refused, or not confirmed with --yes)."""
    from target_monitor.ingest.versions import UndoError, list_imports, parse_id, undo

    lang = args.lang
    data_dir = _data_dir(args)
    if args.imports_command == "list":
        rows = list_imports(data_dir)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        elif not rows:
            print(t("imports_none", lang))
        else:
            for r in rows:
                note = (t("imports_note_undone", lang, by=r["undone_by"]) if r["undone_by"] else
                        t("imports_note_undoes", lang, id=r["undoes"]) if r["undoes"] else "")
                print(t("imports_line", lang, note=note, **{k: r[k] for k in
                        ("id", "time", "kind", "who", "file", "added", "replaced", "removed")}))
        return 0
    try:
        name, version = parse_id(args.id)
        entry = next((r for r in list_imports(data_dir) if r["id"] == args.id), None)
        if entry is None:
            raise UndoError("unknown", id=args.id)
        if not args.yes:
            print(t("undo_preview", lang, id=args.id, file=entry["file"] or "—", who=entry["who"] or "—",
                    time=entry["time"], extract=name, to=version - 1))
            for c in entry["changes"]:
                print(f"  {c['unit_code']} {c['month']}\t{c['before']}\t{c['after']}\t{c['added']}\t"
                      f"{c['replaced']}\t{c['removed']}")
            print(t("undo_cli_hint", lang), file=sys.stderr)
            return 2
        result = undo(data_dir, args.id, cascade=args.cascade, who=_as_user() or _who())
    except UndoError as exc:
        details = dict(exc.details)
        if "later" in details:
            details["later"] = ", ".join(details["later"])
        raise UsageError(t("undo_e_" + exc.code, lang, **details)) from None
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(t("undo_done", lang, **result))
    return 0


def _who() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in a container
        return "unknown"


def cmd_store(args) -> int:
    """Table maintenance: compact, vacuum --keep-days N, migrate. Exit 2 for bad arguments."""
    from target_monitor.ingest import storage
    from target_monitor.registry import load_registry
    from target_monitor.tables_delta import compact, latest_version, table_path, vacuum

    lang = args.lang
    data_dir = _data_dir(args)
    names = [n for n in load_registry().extracts if latest_version(table_path(data_dir, n)) is not None]
    if args.store_command == "migrate":
        with storage.locked(data_dir):
            done = storage.ensure_migrated(data_dir)
        if done:
            from target_monitor.aggregates import refresh

            refresh(data_dir)
        print(t("store_migrate_done", lang, names=", ".join(done)) if done else t("store_migrate_none", lang))
        return 0
    if args.store_command == "compact":
        with storage.locked(data_dir):
            for name in names:
                m = compact(data_dir, name)
                print(t("store_compact_done", lang, extract=name, files_removed=m.get("numFilesRemoved", 0),
                        files_added=m.get("numFilesAdded", 0)))
        from target_monitor.aggregates import refresh

        refresh(data_dir)
        return 0
    try:
        days = float(args.keep_days)
        if days < 0:
            raise ValueError(days)
    except ValueError:
        raise UsageError(t("cli_bad_keep_days", lang, value=args.keep_days)) from None
    with storage.locked(data_dir):
        for name in names:
            gone = vacuum(data_dir, name, days, dry_run=args.dry_run)
            print(t("store_vacuum_done", lang, extract=name, n=len(gone), days=args.keep_days,
                    dry=t("store_vacuum_dry", lang) if args.dry_run else ""))
            for f in gone if args.dry_run else []:
                print("  " + f)
    return 0


def parse_column_map(pairs: list[str], ext, lang: str) -> dict[str, str]:
    """`--map 原列名=标准列` → {原列名: canonical column}; the standard column may be named by its
    key (unit_code) or its description (所属单位代码). Anything else is a usage error (exit 2)."""
    by_name = {c.name.lower(): c.name for c in ext.columns}
    for c in ext.columns:
        for text in c.description.values():
            by_name.setdefault(text.lower(), c.name)
    out: dict[str, str] = {}
    for pair in pairs:
        raw, sep, target = pair.partition("=")
        raw, target = raw.strip(), target.strip()
        column = by_name.get(target.lower())
        if not sep or not raw or column is None:
            raise UsageError(t("ingest_cli_bad_map", lang, value=pair, extract=ext.name,
                               columns=", ".join(ext.column_names)))
        out[raw] = column
    return out


def cmd_targets_import(args) -> int:
    from target_monitor.targets_import import import_targets

    lang = args.lang
    data_dir = resolve_data_dir(args.data_dir)
    path = Path(args.path)
    if not path.is_file():
        raise UsageError(t("ingest_cli_no_file", lang, path=args.path))
    effective = _date(args.effective_from, lang) if args.effective_from else None
    result = import_targets(path.read_bytes(), path.name, year=args.year, data_dir=data_dir,
                            effective_from=effective, source=args.source, sheet=args.sheet, write=True,
                            who=_as_user())
    report = result.report
    if args.json:
        payload = report.as_json(lang)
        payload["targets"] = json.loads(result.targets.to_json(orient="records", force_ascii=False, date_format="iso"))
        payload["changed"] = result.changed
        payload["effective_from"] = str(result.effective_from or "")
        print(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
    else:
        status = t("ingest_status_" + report.status, lang)
        print(t("targets_summary", lang, file=report.file, status=status, year=args.year,
                units=result.targets["unit_code"].nunique() if len(result.targets) else 0,
                indicators=result.targets["indicator"].nunique() if len(result.targets) else 0,
                rows=len(result.targets), changed=result.changed, effective_from=result.effective_from or "-",
                warnings=len(report.warnings)))
        if report.status == "noop":
            print(t("targets_unchanged", lang))
        for p in [*report.problems, *report.warnings]:
            print(f"  [{p.level}] {p.reason(lang)} {p.fix_text(lang)}".rstrip())
    return 2 if report.status == "rejected" else 0


def cmd_briefing(args) -> int:
    """Write the drafted 通报 in the official layout; exit 2 for a bad date, no data, or --pdf
    without LibreOffice."""
    from target_monitor.briefing import build_briefing
    from target_monitor.exports.official import docx_to_pdf, load_header, soffice
    from target_monitor.paths import reference_dir

    lang = args.lang
    ctx = _open_context(args)
    year = args.year or (args.as_of and _date(args.as_of, lang).year) or ctx.default_year()
    as_of = _date(args.as_of, lang) if args.as_of else ctx.default_as_of(year)
    if as_of.year != year:
        raise UsageError(t("cli_bad_as_of", lang, as_of=as_of, year=year))
    refuse_past_data(ctx, as_of, lang)  # a 通报 never states figures as of a day the data does not reach
    if args.pdf and soffice() is None:
        raise UsageError(t("cli_brief_no_soffice", lang))
    issued = _date(args.date, lang) if args.date else None
    from target_monitor.followup.notes import current, month_of
    from target_monitor.submissions.status import overdue_sentence, overdue_units

    brief = build_briefing(ctx.registry, ctx.ref.units, ctx.progress(year, as_of), ctx.missing_months(year, as_of),
                           year, as_of, lang, is_demo=ctx.is_demo, overdue_text=overdue_sentence(  # 逾期 units
                               overdue_units(year, as_of, ctx=ctx), ctx.ref.units, lang, ctx.data_dir),
                           notes=list(current(ctx.data_dir, month_of(as_of)).values()))
    header = load_header(lang, issued_on=issued, number=args.number, reference_dir=reference_dir(ctx.data_dir))
    out = Path(args.out)
    if out.suffix.lower() != ".docx":
        raise UsageError(t("cli_brief_bad_out", lang, path=out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(brief.to_docx(header, lang))
    print(t("cli_brief_done", lang, path=out, number=header.doc_number))
    if args.pdf:
        print(t("cli_brief_done", lang, path=docx_to_pdf(out, out.parent), number=header.doc_number))
    return 0


# --- access: --as USER on every command, the audit trail ----------------------------------------

# which action each command needs (target_monitor/access/roles.py)
COMMAND_ACTIONS = {"demo": "generate_demo", "progress": "view_figures", "sql": "query_sql",
                   "aggregates": "refresh_aggregates", "snapshot": "build_snapshot", "ingest": "upload",
                   "targets": "import_targets", "audit": "view_audit",
                   "imports": "undo_import", "store": "undo_import",
                   "briefing": "view_figures",
                   "submit": "submit", "review": "review", "submissions": "view_figures",
                   # 情况说明 / 督办: each step is checked again per unit by target_monitor/followup
                   "note": "view_figures", "duban": "view_figures"}
_ACTOR: list = [None]  # the actor of this command (the local operator unless --as)


def _access_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the audit command and --as USER to every command (the parser of _parser() unchanged)."""
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    au = sub.add_parser("audit", help="print the audit trail (<data-dir>/logs/audit.jsonl)")
    au.add_argument("--since", help="YYYY-MM-DD (Beijing date)")
    au.add_argument("--user", help="only this user")
    au.add_argument("--action", help="only this action (login, upload, console_query, refused …)")
    au.add_argument("--json", action="store_true", help="one JSON object per line")
    au.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    _submission_parsers(sub)
    _followup_parsers(sub)

    def add(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    add(child)
                return
        parser.add_argument("--as", dest="as_user", metavar="USER",
                            help="run with this user's role and units (access.yaml); default: the local operator")

    add(p)
    return p


def _as_user() -> str | None:
    """The uploader recorded for a write: the --as user; None (the OS account, as before) without --as."""
    actor = _ACTOR[0]
    return actor.user if actor is not None and actor.source == "cli" else None


def _command_name(args) -> str:
    extra = getattr(args, "action", None) if args.command == "aggregates" else getattr(args, "targets_command", None)
    return f"{args.command} {extra}" if extra and args.command in ("aggregates", "targets") else args.command


def _authorise(args):
    """The actor (--as USER or the local operator), its scope set for the command; a command
    the role may not run is refused (exit 2, one line, an audit line)."""
    from target_monitor import access
    from target_monitor.access import audit
    from target_monitor.paths import reference_dir
    from target_monitor.reference import load_reference

    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    if not getattr(args, "as_user", None):
        actor = access.local_operator()
        _ACTOR[0] = actor
        access.set_current(access.EVERYTHING)
        return actor
    try:
        config = access.load_access(data_dir)
    except access.AccessConfigError as exc:
        raise UsageError(t("access_config_error", args.lang, error=exc)) from None
    actor = access.actor_for_user(args.as_user, config)
    if actor is None:
        audit.record(data_dir, access.Actor(args.as_user, None, source="cli"), "refused", _command_name(args),
                     "refused", reason="unknown user")
        raise UsageError(t("cli_as_unknown", args.lang, user=args.as_user,
                           path=config.path or reference_dir(data_dir) / "access.yaml"))
    _ACTOR[0] = actor
    action = COMMAND_ACTIONS.get(args.command, "")
    ok, why = access.explain(actor, action)
    if ok and args.command == "ingest" and not actor.role.all_units:
        # a clerk uploads for its own unit only: checked per file on the 数据管理 page
        ok, why = False, "a unit clerk uploads on the data page, where each file's units are checked"
    if not ok:
        audit.record(data_dir, actor, "refused", _command_name(args), "refused", reason=why)
        role = t("role_" + actor.role_code, args.lang) if actor.role else "-"
        raise UsageError(t("cli_as_refused", args.lang, user=actor.user, role=role, command=_command_name(args)))
    units = load_reference(reference_dir(data_dir)).units
    scope = actor.scope(units)
    if not actor.role.all_units:
        # other units' figures are for the comparison and ranking pages; the CLI prints its own units
        own = frozenset(units.subtree(actor.unit)) if actor.unit in {u.code for u in units} else frozenset()
        scope = access.Scope(scope.record_units, own, who=actor.user)
    access.set_current(scope)
    return actor


def cmd_audit(args) -> int:
    from target_monitor.access import audit

    since = _date(args.since, args.lang) if args.since else None
    if args.action and args.action not in audit.ACTIONS:
        raise UsageError(t("cli_audit_bad_action", args.lang, value=args.action, known=", ".join(audit.ACTIONS)))
    df = audit.read(_data_dir(args), since=since, user=args.user, action=args.action)
    if args.json:
        for row in df.to_dict(orient="records"):
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(df.to_string(index=False) if len(df) else "")
    return 0


def main(argv: list[str] | None = None) -> int:
    from target_monitor.access.scope import current, using

    args = _access_parser(_parser()).parse_args(argv)
    with using(current()):  # the command's scope ends with it (main can be called in-process)
        return _main(args)


# the writes that leave an audit line with their outcome (reads: sql logs its own; refusals: _authorise)
WRITE_AUDIT = {"snapshot": "snapshot_build", "ingest": "import", "targets": "target_import", "imports": "undo"}


def _audit_write(args, code: int) -> None:
    if args.command not in WRITE_AUDIT or _ACTOR[0] is None:
        return
    if args.command == "imports" and args.imports_command != "undo":
        return
    from target_monitor.access import audit

    obj = {"snapshot": lambda: args.month, "ingest": lambda: " ".join(args.paths),
           "targets": lambda: args.path, "imports": lambda: args.id}[args.command]()
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    if not data_dir.is_dir():  # the command could not even reach its data directory (already said, exit 1 or 2)
        return
    audit.record(data_dir, _ACTOR[0], WRITE_AUDIT[args.command], obj,
                 "ok" if code == 0 else "failed", source="cli", exit_code=code)


def _audit_read(data_dir: Path, what: str, rows: int, fmt: str) -> None:
    """A table the command prints (under the actor's scope) is a download: one audit line, what
    and how many rows."""
    from target_monitor.access import audit

    audit.record(data_dir, _ACTOR[0], "download", what, rows=rows, format=fmt, source="cli")


def _main(args) -> int:
    _ACTOR[0] = None
    code = _dispatch(args)
    _audit_write(args, code)
    return code


def _dispatch(args) -> int:
    try:
        _authorise(args)
        if args.command == "audit":
            return cmd_audit(args)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "progress":
            return cmd_progress(args)
        if args.command == "sql":  # the SQL console's sandbox
            return cmd_sql(args)
        if args.command == "aggregates":  # the monthly aggregates
            return cmd_aggregates(args)
        if args.command == "snapshot":  # monthly snapshots
            return cmd_snapshot(args)
        if args.command == "ingest":  # extract files into the store
            return cmd_ingest(args)
        if args.command == "targets":  # the targets workbook import
            return cmd_targets_import(args)
        if args.command == "imports":
            return cmd_imports(args)
        if args.command == "store":
            return cmd_store(args)
        if args.command == "briefing":  # the 通报 as an official document
            return cmd_briefing(args)
        if args.command in ("submit", "review", "submissions"):
            return cmd_submissions(args)
        if args.command in ("note", "duban"):  # 情况说明 and 督办
            return cmd_followup(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a scheduled job needs one line, not a traceback
        print(t("cli_internal", args.lang, error=f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return 1
    return 2


# --- 报送/审核: a unit's file counts only once the district approved it (target_monitor/submissions) ---

def _submission_parsers(sub) -> None:
    dd = "data directory (default: $TARGET_MONITOR_DATA or ./data)"
    sm = sub.add_parser("submit", help="submit a unit's records or 月报表 file for one month, for review "
                        "(nothing counts until approved); prints the submission id")
    sm.add_argument("path", metavar="FILE")
    sm.add_argument("--unit", required=True, help="unit code (units.csv); a clerk: its own unit only")
    sm.add_argument("--period", required=True, help="YYYY-MM: the month the file reports")
    sm.add_argument("--note", default="", help="a note for the reviewer")
    sm.add_argument("--json", action="store_true", help="print the submission as JSON")
    sm.add_argument("--data-dir", help=dd)
    sl = sub.add_parser("submissions", help="submissions and their states")
    sl_sub = sl.add_subparsers(dest="submissions_command", required=True)
    ls = sl_sub.add_parser("list", help="every submission, newest first")
    ls.add_argument("--period", help="YYYY-MM")
    ls.add_argument("--unit", help="unit code")
    ls.add_argument("--status", help="submitted | approved | returned")
    ls.add_argument("--json", action="store_true", help="print the submissions as JSON")
    ls.add_argument("--data-dir", help=dd)
    rv = sub.add_parser("review", help="approve (the data then counts, as one store version) or return a submission")
    rv.add_argument("id", metavar="ID")
    how = rv.add_mutually_exclusive_group(required=True)
    how.add_argument("--approve", action="store_true")
    how.add_argument("--return", dest="return_reason", metavar="REASON", help="send it back with this reason")
    rv.add_argument("--json", action="store_true", help="print the submission as JSON")
    rv.add_argument("--data-dir", help=dd)


def cmd_submissions(args) -> int:
    """submit / submissions list / review: exit 0 done; 2 refused, with one line saying what to do."""
    from target_monitor import submissions
    from target_monitor.submissions import STATES, SubmissionError

    lang = args.lang
    data_dir = _data_dir(args)
    actor = _ACTOR[0]
    try:
        if args.command == "submit":
            path = Path(args.path)
            if not path.is_file():
                raise UsageError(t("sub_e_no_file", lang, path=args.path))
            sub = submissions.submit(data_dir, actor, path.read_bytes(), path.name, unit=args.unit,
                                     period=args.period, note=args.note)
            if args.json:
                print(json.dumps(sub, ensure_ascii=False, indent=1, default=str))
            else:
                print(sub["id"])
                print(t("sub_cli_submitted", lang, **sub), file=sys.stderr)
            return 0
        if args.command == "review":
            sub = submissions.review(data_dir, actor, args.id, approve=args.approve, reason=args.return_reason)
            if args.json:
                print(json.dumps(sub, ensure_ascii=False, indent=1, default=str))
            elif sub["status"] == "returned":
                print(t("sub_cli_returned", lang, id=sub["id"], reason=sub["return_reason"]))
            elif sub["status"] == "submitted":  # an earlier review level approved: on to the next
                from target_monitor.submissions.config import load_config

                nxt = load_config(data_dir).levels[sub["level"] - 1]
                print(t("sub_cli_approved_level", lang, id=sub["id"], level=sub["level"] - 1, next=sub["level"],
                        next_name=nxt.label(lang)))
            else:
                print(t("sub_cli_approved" if sub["import_id"] else "sub_cli_approved_noop", lang, id=sub["id"],
                        import_id=sub["import_id"]))
            return 0
        if args.status and args.status not in STATES:
            raise UsageError(t("sub_cli_bad_status", lang, value=args.status, known=" | ".join(STATES)))
        rows = submissions.list_submissions(data_dir, period=args.period, unit=args.unit, status=args.status)
        if actor is not None and actor.role is not None and not actor.role.all_units:
            rows = [r for r in rows if r["unit"] == actor.unit]  # a clerk sees its own unit's submissions
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        elif not rows:
            print(t("sub_cli_none", lang))
        else:
            for r in rows:
                print(t("sub_cli_line", lang, **{**r, "status": t("sub_status_" + r["status"], lang)}))
        return 0
    except SubmissionError as exc:
        details = dict(exc.details)
        if "status" in details and details["status"] in STATES:
            details["status"] = t("sub_status_" + details["status"], lang)
        if lang == "en" and "reasons_en" in details:
            details["reasons"] = details["reasons_en"]
        if lang == "en" and "level_name_en" in details:  # a review level's name in the UI's language
            details["level_name"] = details["level_name_en"]
        raise UsageError(t("sub_e_" + exc.code, lang, **details)) from None


# --- 情况说明 and 督办 (target_monitor/followup) ---------------------------------------------------

def _followup_parsers(sub) -> None:
    dd = "data directory (default: $TARGET_MONITOR_DATA or ./data)"
    nt = sub.add_parser("note", help="情况说明: a unit's explanation of an indicator in a month, and replies")
    nt_sub = nt.add_subparsers(dest="note_command", required=True)
    na = nt_sub.add_parser("add", help="write the unit's explanation (a clerk: its own unit only)")
    na.add_argument("--unit", required=True, help="unit code (units.csv)")
    na.add_argument("--indicator", required=True, help="indicator name (queries/indicators.yaml)")
    na.add_argument("--month", required=True, help="YYYY-MM")
    na.add_argument("--text", required=True)
    nr = nt_sub.add_parser("reply", help="a reviewer's reply to a note")
    nr.add_argument("id", metavar="ID")
    nr.add_argument("--text", required=True)
    nl = nt_sub.add_parser("list", help="notes with their replies, oldest first")
    nl.add_argument("--month", help="YYYY-MM")
    nl.add_argument("--unit", help="unit code")
    db = sub.add_parser("duban", help="督办: follow-up items opened by red lights, until closed")
    db_sub = db.add_subparsers(dest="duban_command", required=True)
    do = db_sub.add_parser("open", help="open (or re-open, escalate) the items of a month end's red lights; "
                           "running it again changes nothing")
    do.add_argument("--month", required=True, help="YYYY-MM")
    dl = db_sub.add_parser("list", help="every item with its state")
    dl.add_argument("--state", help="open | answered | closed")
    dl.add_argument("--unit", help="unit code")
    df = db_sub.add_parser("feedback", help="the unit's feedback (a clerk: its own unit only)")
    df.add_argument("id", metavar="ID")
    df.add_argument("--text", required=True)
    dc = db_sub.add_parser("close", help="close (销号) an answered item (审核员, 管理员)")
    dc.add_argument("id", metavar="ID")
    dc.add_argument("--text", default="", help="closing remark")
    for p in (na, nr, nl, do, dl, df, dc):
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("--data-dir", help=dd)


def cmd_followup(args) -> int:
    """note add|reply|list, duban open|list|feedback|close: exit 0 done; 2 refused (one line)."""
    from target_monitor.followup import FollowupConfigError, FollowupError, duban, load_config, notes
    from target_monitor.snapshots.build import month_end, parse_month
    from target_monitor.snapshots.frozen import SnapshotError

    lang = args.lang
    data_dir = _data_dir(args)
    actor = _ACTOR[0]
    own = None if actor is None or actor.role is None or actor.role.all_units else {actor.unit}

    def out(result, line: str) -> None:
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str) if args.json else line)

    try:
        config = load_config(data_dir)
        if args.command == "note":
            if args.note_command == "list":
                rows = notes.notes_for(data_dir, month=args.month, unit=args.unit, units=own)
                out(rows, "\n".join(f"{n['id']}  {n['unit']}  {n['indicator']}  {n['month']}  {n['text']}"
                                    + "".join(f"\n    ↳ {r['user']}: {r['text']}" for r in n["replies"])
                                    for n in rows))
                return 0
            if args.note_command == "add":
                ctx = _open_context(args)
                entry = notes.add_note(data_dir, actor, unit=args.unit, indicator=args.indicator, month=args.month,
                                       text=args.text, indicators=[i.name for i in ctx.registry.indicators],
                                       units=[u.code for u in ctx.ref.units], config=config)
            else:
                entry = notes.add_reply(data_dir, actor, args.id, args.text, config=config)
            out(entry, t("cli_note_saved", lang, id=entry["id"]))
            return 0
        if args.duban_command == "open":
            ctx = _open_context(args)
            try:
                year, mon = parse_month(args.month)
            except SnapshotError:
                raise UsageError(t("cli_snap_bad_month", lang, value=args.month)) from None
            as_of = month_end(year, mon)
            refuse_past_data(ctx, as_of, lang)  # a month end the data has not reached opens nothing
            new = duban.open_for_month(data_dir, actor, ctx.progress(year, as_of), args.month, config, lang)
            out(new, t("duban_opened", lang, opened=sum(e["event"] == "open" for e in new),
                       reopened=sum(e["event"] == "reopen" for e in new),
                       escalated=sum(e["event"] == "escalate" for e in new)))
            return 0
        if args.duban_command == "list":
            rows = [it for it in duban.items(data_dir, units=own, state=args.state)
                    if not args.unit or it["unit"] == args.unit]
            out(rows, "\n".join(t("cli_duban_line", lang, id=it["id"], state=t("duban_state_" + it["state"], lang),
                                   month=it["opened_month"], due=it["due_on"]) for it in rows))
            return 0
        step = duban.feedback if args.duban_command == "feedback" else duban.close
        ev = step(data_dir, actor, args.id, args.text, config)
        out(ev, t("duban_done", lang, id=args.id))
        return 0
    except FollowupConfigError as exc:
        raise UsageError(t("fu_config_error", lang, error=exc)) from None
    except FollowupError as exc:
        details = dict(exc.details)
        if details.get("state") in duban.STATES:
            details["state"] = t("duban_state_" + details["state"], lang)
        raise UsageError(t("fu_e_" + exc.code, lang, **details)) from None


if __name__ == "__main__":
    sys.exit(main())
