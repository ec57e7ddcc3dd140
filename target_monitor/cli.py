"""`target-monitor`: the command line used by scheduled jobs and to check the pages' numbers.

    target-monitor demo [--data-dir DIR]
    target-monitor progress --year 2020 --as-of 2020-06-30 [--format csv|json|table] [--data-dir DIR]
    target-monitor sql "SELECT ..." [--format csv|json] [--timeout S] [--data-dir DIR]
    target-monitor snapshot --month 2020-06 [--data-dir DIR] [--force]
    target-monitor aggregates refresh [--full] [--json] [--data-dir DIR]

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

    # issue 6: the SQL console's sandbox from the command line
    sq = sub.add_parser("sql", help="run one read-only SELECT in the SQL console's sandbox")
    sq.add_argument("query", help='one SELECT (or WITH ... SELECT) statement, e.g. "select * from units"')
    sq.add_argument("--format", choices=["csv", "json"], default="csv")
    sq.add_argument("--timeout", type=float, default=10.0, help="seconds, 5-30 (default 10)")
    sq.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")

    # issue 7: the monthly aggregate layer
    ag = sub.add_parser("aggregates", help="the monthly aggregates the pages read")
    ag_sub = ag.add_subparsers(dest="action", required=True)
    ar = ag_sub.add_parser("refresh", help="rebuild the aggregates of changed partitions (all with --full)")
    ar.add_argument("--full", action="store_true", help="rebuild every partition")
    ar.add_argument("--json", action="store_true", help="print the report as JSON")
    ar.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")

    # issue 5: monthly snapshots
    sn = sub.add_parser("snapshot", help="freeze a month-end report into <data-dir>/snapshots/YYYY-MM/")
    sn.add_argument("--month", required=True, help="YYYY-MM; the snapshot is as of the month's last day")
    sn.add_argument("--force", action="store_true",
                    help="build again although the month has a snapshot (the earlier one is kept beside it)")
    sn.add_argument("--no-pdf", action="store_true", help="skip the PNG charts and the PDF (faster)")
    sn.add_argument("--data-dir", help="data directory (default: $TARGET_MONITOR_DATA or ./data)")
    # issue 3: ingest and targets import
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
    ti.add_argument("--json", action="store_true", help="print the full report as JSON")
    return p


def cmd_sql(args) -> int:
    """Issue 6: exit 0 with the rows on stdout; exit 2 with one line on stderr when refused or failed."""
    from target_monitor.downloads import neutralise
    from target_monitor.sandbox import MAX_DOWNLOAD_ROWS, MAX_TIMEOUT_S, MIN_TIMEOUT_S, Sandbox, SqlError

    lang = args.lang
    if not MIN_TIMEOUT_S <= args.timeout <= MAX_TIMEOUT_S:
        raise UsageError(t("cli_sql_bad_timeout", lang, value=f"{args.timeout:g}"))
    ctx = _open_context(args)
    sandbox = Sandbox(ctx)
    try:
        result = sandbox.run(args.query, timeout=args.timeout, max_rows=MAX_DOWNLOAD_ROWS, source="cli")
    except SqlError as exc:
        raise UsageError(exc.text(lang)) from None
    finally:
        sandbox.close()
    df = result.frame
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
    """Issue 7: refresh the monthly aggregates; exit 2 for a missing or empty data directory."""
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
    """issue 5: build a snapshot; exit 2 (one line) for a bad month, no data, or an existing snapshot."""
    from target_monitor.snapshots import SnapshotError, SnapshotExists, build_snapshot, snapshots_dir

    lang = args.lang
    data_dir = _data_dir(args)
    try:
        snap = build_snapshot(data_dir, args.month, force=args.force, lang=lang, pdf=not args.no_pdf)
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
    return 0


# --- issue 3: ingest and targets import ------------------------------------------------------


def _print_report(report, lang: str, as_json: bool, summary_key: str = "ingest_summary", **extra) -> None:
    if as_json:
        return
    status = t("ingest_status_" + report.status, lang) if report.status in (
        "taken", "rejected", "noop", "error", "preview") else report.status
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
    if args.period:
        try:
            parse_period(args.period)
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
    # in order; the next file is parsed while one is stored (ingest_many)
    for report in ingest_many([(p.name, p.read_bytes) for p in files], data_dir=data_dir, extract=args.extract,
                              period=args.period, sheet=args.sheet, basis=args.basis,
                              column_map=column_map or None):
        reports.append(report)
        _print_report(report, lang, args.json)
    if args.json:
        payload = [r.as_json(lang) for r in reports]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=1, default=str))
    return 2 if any(r.status == "rejected" for r in reports) else 0


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
                            effective_from=effective, source=args.source, sheet=args.sheet, write=True)
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "progress":
            return cmd_progress(args)
        if args.command == "sql":  # issue 6
            return cmd_sql(args)
        if args.command == "aggregates":  # issue 7
            return cmd_aggregates(args)
        if args.command == "snapshot":  # issue 5
            return cmd_snapshot(args)
        if args.command == "ingest":  # issue 3
            return cmd_ingest(args)
        if args.command == "targets":  # issue 3
            return cmd_targets_import(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a scheduled job needs one line, not a traceback
        print(t("cli_internal", args.lang, error=f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
