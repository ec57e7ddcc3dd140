"""Timing harness: medians of the overview's queries, pages, and a pandas baseline.

    uv run python -m benchmarks.run --tier district [--runs 5] [--out benchmarks/RESULTS.md]

Reports medians of ≥5 runs after a warm-up (speed is measured, never asserted):
- each overview query (DuckDB, cache-cold = a fresh store; warm = the same store again);
- the whole progress table (what the overview, comparison and CLI compute);
- the same actuals computed with pandas over the same Parquet, and the ratio;
- each page's server time through AppTest, cache-cold (Streamlit caches cleared) and warm;
- the explorer's pivot (自助分析) for a few pivots, at a month end and mid-month: from the
  per-dimension aggregates (cache-cold and warm), from the raw-path views, and counted from the
  records the way the explorer did before the aggregates (`records_pivot_sql`), and whether the
  aggregate and record numbers agree;
- peak resident memory of this process;
- with --server (or only that: --server-only), a real `streamlit run app.py` over the data, its
  pages opened in headless Chromium: time to healthy and to the overview shown after a fresh
  start, each page's time in the browser, the server process's peak resident memory
  (benchmarks/server.py).
Results go to stdout and, with --out, are appended to a Markdown file with the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

from benchmarks.generate import TIERS, generate
from target_monitor.context import Context
from target_monitor.paths import REPO_ROOT
from target_monitor.registry import load_registry

PAGES = ["overview.py", "compare.py", "trend.py", "unit_detail.py", "explore.py"]

# the explorer's pivots measured: (indicator, rows, columns); the first is the page's default
EXPLORER_PIVOTS = [
    ("urban_new_employment", "unit_code", "group"),
    ("urban_new_employment", "group", "form"),
    ("guarantee_loans", "bank", "borrower_type"),
    ("graduate_employment_rate", "month", None),
]


def say(msg: str) -> None:
    """Progress on stderr: a national run takes minutes."""
    import sys

    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median_ms(fn, runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def pandas_actuals(data_dir: Path, year: int, as_of: date) -> pd.DataFrame:
    """The actuals_as_of query done with pandas: read, filter, group. The baseline."""
    registry = load_registry()
    frames = []
    needed: dict[str, set[str]] = {}
    import pyarrow.dataset as pads

    for ind in registry.record_indicators:  # read only the columns the indicators use, as a fair baseline would
        cols = needed.setdefault(ind.extract, {"unit_code"})
        cols |= {c for c in (ind.date_column, ind.column, ind.year_column, ind.denominator_date_column,
                             ind.numerator_date_column) if c} | set(ind.filter)
    # an optional column the tier's files do not have (the category flags) reads as missing: its
    # filter matches nothing, as the store reads it as NULL
    present = {name: set(pads.dataset(data_dir / "extracts" / name, partitioning="hive").schema.names)
               for name in needed if (data_dir / "extracts" / name).is_dir()}
    cache = {name: pd.read_parquet(data_dir / "extracts" / name, columns=sorted(cols & present[name]))
             for name, cols in needed.items() if name in present}
    for ind in registry.record_indicators:
        if ind.extract not in cache:  # an extract the tier has no file of (the small internship ones)
            continue
        df = cache[ind.extract]
        for col, values in ind.filter.items():
            df = df[df[col].isin(values)] if col in df.columns else df.iloc[0:0]
        if ind.kind == "cumulative":
            day = pd.to_datetime(df[ind.date_column])
            df = df[(day.dt.year == year) & (day <= pd.Timestamp(as_of))]
            value = 1.0 if ind.measure == "count" else df[ind.column].astype(float) * ind.scale
            part = pd.DataFrame({"unit_code": df["unit_code"].astype(str), "num": value, "den": 0.0})
        else:
            reg = pd.to_datetime(df[ind.denominator_date_column])
            ok = pd.to_datetime(df[ind.numerator_date_column])
            cohort = df[df[ind.year_column] == year]
            reg, ok = reg[cohort.index], ok[cohort.index]
            succeeded = ok.notna() & (ok.where(ok > reg, reg) <= pd.Timestamp(as_of))
            part = pd.DataFrame({"unit_code": cohort["unit_code"].astype(str),
                                 "num": succeeded.astype(float), "den": (reg <= pd.Timestamp(as_of)).astype(float)})
        out = part.groupby("unit_code", as_index=False, observed=True)[["num", "den"]].sum()
        out["indicator"] = ind.name
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def as_sent(table):
    """The upload as the generator writes its tables: text with few distinct values (unit codes,
    groups, forms) dictionary-encoded, as the store before the table format also kept them (its
    files were the generator's). Delta's data files hold plain strings; sending those instead would
    measure a different file, not a different store."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_string(col.type) and table.num_rows and \
                len(pc.unique(col)) <= max(1, table.num_rows // 10):
            col = pc.dictionary_encode(col)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def ingest_rate(data_dir: Path, max_rows: int = 200_000, runs: int = 5, batch_months: int = 4) -> dict:
    """Rows/s of `ingest` (parse in a child process, validate, store, refresh aggregates) of new
    employment from the tier, re-sent as Parquet files:

    - `slice`: the first `max_rows` rows of one month (March of the last year), one file, into a
      fresh scratch data dir each run (the first round's measure);
    - `month`: that whole month as one file, into a fresh scratch data dir;
    - `batch`: months 1..`batch_months` of that year, one file each, through `ingest_many` (what
      `target-monitor ingest a.parquet b.parquet …` does: the next file is parsed while one is
      stored), into a fresh scratch data dir;
    - `unit_fix`: one unit's corrected March (its rows, one fewer) into a copy of the whole tier
      (hard links: nothing is written in place), so the partition it lands in is full: the
      latency of a township's upload in a deployment of this size.

    The first ingest of a process also starts the sandbox's zygote (interpreter and imports,
    once per server): it is reported on its own (`cold_*`). Medians of `runs` after it."""
    import shutil
    import subprocess
    import tempfile

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from target_monitor.ingest import ingest, ingest_many

    from target_monitor.tables_delta import committed_files

    root = data_dir / "extracts" / "new_employment"
    months = committed_files(data_dir, "new_employment").files
    month = sorted(f for f in months if f.parent.name == "month=03")[-1]
    year = month.parent.parent.name[5:]
    period = f"{year}-03"
    out: dict = {"runs": runs}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def upload(table, name: str) -> Path:
            path = tmp / name
            pq.write_table(table, path)
            return path

        march = as_sent(pq.ParquetFile(month).read())
        files = {"slice": [upload(march.slice(0, min(max_rows, march.num_rows)), "slice.parquet")],
                 "month": [upload(march, "month.parquet")],
                 "batch": [upload(as_sent(pq.ParquetFile(p).read()), f"batch-{p.parent.name}.parquet")
                           for p in sorted(f for f in months if f.parent.parent.name == f"year={year}")
                           [:batch_months]]}

        def scratch(i: int) -> Path:
            d = tmp / f"data{i}"
            shutil.copytree(data_dir / "reference", d / "reference")
            return d

        def once(kind: str, d: Path) -> tuple[float, int, str]:
            t0 = time.perf_counter()
            if kind == "batch":
                reports = list(ingest_many([(p.name, p.read_bytes) for p in files[kind]], data_dir=d,
                                           extract="new_employment"))
            else:
                reports = [ingest(files[kind][0].read_bytes(), files[kind][0].name, data_dir=d,
                                  extract="new_employment", period=period)]
            seconds = time.perf_counter() - t0
            status = ",".join(sorted({r.status for r in reports}))
            return seconds, (sum(r.rows_read for r in reports), sum(r.accepted for r in reports)), status

        i = 0
        for kind in ("slice", "month", "batch"):
            samples = []
            for run_no in range(runs + (1 if kind == "slice" else 0)):
                i += 1
                d = scratch(i)
                seconds, (rows, accepted), status = once(kind, d)
                shutil.rmtree(d)
                samples.append(seconds)
            if kind == "slice":
                out["cold_seconds"] = round(samples[0], 2)
                out["cold_rows_per_second"] = round(rows / samples[0])
                samples = samples[1:]
            warm = statistics.median(samples)
            out[kind] = {"rows": rows, "accepted": accepted, "files": len(files[kind]), "status": status,
                         "seconds": round(warm, 3),
                         "rows_per_second": round(rows / warm)}

        # one unit's corrected month into a full copy of the tier
        codes = pc.cast(march.column("unit_code"), "string")
        counts = pc.value_counts(codes)
        unit = counts.field("values")[pc.index(counts.field("counts"), pc.max(counts.field("counts"))).as_py()].as_py()
        mine = march.filter(pc.equal(codes, unit))
        fix = upload(mine.slice(1), "unit_fix.parquet")
        samples = []
        for run_no in range(max(1, min(runs, 3))):
            d = tmp / f"full{run_no}"
            subprocess.run(["cp", "-al", str(data_dir), str(d)], check=True)  # hard links: new files only
            t0 = time.perf_counter()
            # a declared replacement of the unit's month (a corrected file: one record fewer)
            report = ingest(fix.read_bytes(), fix.name, data_dir=d, extract="new_employment", period=period,
                            replace=True)
            samples.append(time.perf_counter() - t0)
            shutil.rmtree(d)
        out["unit_fix"] = {"unit": unit, "rows": report.rows_read, "accepted": report.accepted, "status": report.status,
                           "partition_rows": march.num_rows, "seconds": round(statistics.median(samples), 3)}
    return out


def explorer_times(data_dir: Path, ctx: Context, raw_ctx: Context, year: int, runs: int) -> tuple[dict, bool]:
    """label -> (aggregates cache-cold, aggregates warm, raw-path views warm, records pivot warm) in ms,
    and whether the three give the same pivot for every pivot and date measured."""
    from target_monitor.explore import PivotSpec, pivot_long, records_pivot_long

    def cells(long: pd.DataFrame) -> dict:
        return {(str(r.r), str(r.c), bool(r.total_r), bool(r.total_c)): (0.0 if pd.isna(r.value) else r.value,
                                                                          int(r.records))
                for r in long.itertuples(index=False)}

    out, agrees = {}, True
    for as_of in (date(year, 6, 30), date(year, 6, 15)):
        for indicator, rows, cols in EXPLORER_PIVOTS:
            spec = PivotSpec(indicator, year, as_of, rows, cols)
            label = f"{indicator}: {rows} × {cols or '—'}, as of {as_of.isoformat()}"
            out[label] = (
                median_ms(lambda: pivot_long(Context(data_dir).store, ctx.registry, spec), runs),
                median_ms(lambda: pivot_long(ctx.store, ctx.registry, spec), runs),
                median_ms(lambda: pivot_long(raw_ctx.store, raw_ctx.registry, spec), runs),
                median_ms(lambda: records_pivot_long(ctx.store, ctx.registry, spec), runs),
            )
            agg = cells(pivot_long(ctx.store, ctx.registry, spec))
            for other in (cells(pivot_long(raw_ctx.store, raw_ctx.registry, spec)),
                          cells(records_pivot_long(ctx.store, ctx.registry, spec))):
                agrees = agrees and agg.keys() == other.keys() and all(
                    abs(agg[k][0] - other[k][0]) <= 1e-9 * max(1.0, abs(agg[k][0])) and agg[k][1] == other[k][1]
                    for k in agg)
    return out, agrees


def page_times(data_dir: Path, runs: int) -> dict[str, tuple[float, float]]:
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    for name in ("streamlit", "streamlit.runtime.caching.cache_data_api",
                 "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).setLevel(logging.ERROR)  # "no runtime" chatter: AppTest is bare mode

    os.environ["TARGET_MONITOR_DATA"] = str(data_dir)
    out = {}
    shared: dict = {}
    for page in PAGES:
        def once(clear: bool) -> float:
            if clear:
                st.cache_data.clear()
                st.cache_resource.clear()
            at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=600)
            # A server scans the installed packages for custom components once, at start; each new
            # AppTest does it on its first run (~50 ms, see component_scan_ms). Share one scan so
            # the time measured is the script's.
            if shared.get("components") is not None and hasattr(at, "_bidi_component_manager"):
                at._bidi_component_manager = shared["components"]
            t0 = time.perf_counter()
            at.run()
            shared.setdefault("components", getattr(at, "_bidi_component_manager", None))
            if page != "overview.py":
                at.switch_page(f"pages/{page}")
                at.run()
            assert not at.exception, at.exception
            return (time.perf_counter() - t0) * 1000

        once(True)  # warm-up: imports
        cold = statistics.median(once(True) for _ in range(runs))
        warm = statistics.median(once(False) for _ in range(runs))
        out[page] = (cold, warm)
    return out


def component_scan_ms(runs: int) -> float:
    """What a new AppTest adds to its first run and a server pays once at start: the scan of the
    installed packages for custom components (reported, not included in the page times)."""
    from streamlit.components.v2.component_manager import BidiComponentManager

    return median_ms(lambda: BidiComponentManager().discover_and_register_components(start_file_watching=False), runs)


def run(tier: str, runs: int = 5, data_dir: Path | None = None, pages: bool = True, server: bool = False,
        starts: int = 3, bytecode: Path | None = None) -> dict:
    data_dir = data_dir or (REPO_ROOT / "benchmarks" / "data" / tier)
    gen = None
    if not (data_dir / "extracts").is_dir():
        gen = generate(tier, data_dir)
    from target_monitor.aggregates import refresh

    say("refreshing the aggregates (full)")
    t0 = time.perf_counter()
    full = refresh(data_dir, full=True).as_dict()
    full["wall_seconds"] = round(time.perf_counter() - t0, 2)
    ctx = Context(data_dir)
    assert ctx.store.uses_aggregates
    raw_ctx = Context(data_dir, aggregates=False)
    year = ctx.default_year()
    as_of = date(year, 6, 30)
    results: dict = {"tier": tier, "data_dir": str(data_dir), "as_of": as_of.isoformat(), "generated": gen,
                     "refresh_full": full}

    # the rollup the overview asks for: every unit shown under the root's child it belongs to
    units = ctx.ref.units
    root = units.root().code
    owner = {root: root}
    for child in units.children(root):
        owner.update({code: child.code for code in units.subtree(child.code)})
    rollup = {"unit_codes": list(owner), "shown_codes": list(owner.values())}
    every = [u.code for u in units]
    identity = {"unit_codes": every, "shown_codes": every}
    queries = {
        "actuals_as_of": dict(year=year, as_of=as_of, **rollup),
        "actuals_as_of (last year)": dict(year=year - 1, as_of=date(year - 1, 6, 30), **rollup),
        "monthly_by_unit": dict(first_year=year - 1, last_year=year - 1, as_of=date(year - 1, 12, 31), **rollup),
        "data_bounds": {},
    }
    q = {}
    say("timing the overview queries")
    for label, params in queries.items():
        name = label.split(" ")[0]
        cold = median_ms(lambda: Context(data_dir).store.query(name, **params), runs)
        warm = median_ms(lambda: ctx.store.query(name, **params), runs)
        raw = median_ms(lambda: raw_ctx.store.query(name, **params), runs)
        q[label] = (cold, warm, raw)
    results["queries_ms"] = q
    say("timing the progress table")
    results["progress_table_ms"] = (
        median_ms(lambda: Context(data_dir).progress(year, as_of), runs),
        median_ms(lambda: ctx.progress(year, as_of), runs),
        median_ms(lambda: raw_ctx.progress(year, as_of), runs),
    )
    children = ctx.ref.units.children(ctx.ref.units.root().code)
    results["drilldown_ms"] = median_ms(lambda: ctx.progress(year, as_of, parent_code=children[0].code), runs) \
        if ctx.ref.units.children(children[0].code) else None
    say("timing the explorer's pivots")
    results["explorer_ms"], results["explorer_agrees"] = explorer_times(data_dir, ctx, raw_ctx, year, runs)
    say("pandas baseline")
    duck = ctx.store.query("actuals_as_of", year=year, as_of=as_of, **identity)  # per unit, as pandas gives
    pand = pandas_actuals(data_dir, year, as_of)
    merged = duck.merge(pand, on=["unit_code", "indicator"], how="outer").fillna(0)
    results["pandas_agrees"] = bool(((merged["numerator"] - merged["num"]).abs() < 1e-6).all()
                                    and ((merged["denominator"] - merged["den"]).abs() < 1e-6).all())
    pandas_ms = median_ms(lambda: pandas_actuals(data_dir, year, as_of), max(1, min(runs, 3)))
    results["pandas_actuals_ms"] = pandas_ms
    results["ratio_pandas_over_duckdb_warm"] = pandas_ms / q["actuals_as_of"][1]
    results["ratio_pandas_over_progress_warm"] = pandas_ms / results["progress_table_ms"][1]
    say("ingest")
    results["ingest"] = ingest_rate(data_dir, runs=max(1, runs))
    if pages:
        say("pages through AppTest")
        results["pages_ms"] = page_times(data_dir, runs)
        results["component_scan_ms"] = component_scan_ms(runs)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if server:
        say("a real server, pages in Chromium")
        from benchmarks.server import server_times

        results["server"] = server_times(data_dir, starts, bytecode=bytecode, say=say)
    return results


def run_server(tier: str, data_dir: Path | None = None, starts: int = 3, bytecode: Path | None = None,
               restart: bool = True) -> dict:
    """Only the real server (benchmarks/server.py): no refresh unless the aggregates are stale, no
    harness measurements, so the data is only read (a national tier's harness run peaks at 6 GB)."""
    from benchmarks.server import server_times
    from target_monitor.aggregates import is_fresh, refresh

    data_dir = data_dir or (REPO_ROOT / "benchmarks" / "data" / tier)
    gen = None
    if not (data_dir / "extracts").is_dir():
        gen = generate(tier, data_dir)
    if not is_fresh(data_dir):  # the server would count from the records: not what is measured here
        say("the aggregates are stale: refreshing them")
        refresh(data_dir, full=True)
    ctx = Context(data_dir)
    year = ctx.default_year()
    results: dict = {"tier": tier, "data_dir": str(data_dir), "as_of": ctx.latest_day(year).isoformat(),
                     "generated": gen}
    del ctx
    say("a real server, pages in Chromium")
    results["server"] = server_times(data_dir, starts, bytecode=bytecode, restart=restart, say=say)
    return results


def to_markdown(r: dict) -> str:
    lines = [f"## Tier `{r['tier']}` — {time.strftime('%Y-%m-%d %H:%M')}", "",
             f"Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores; "
             f"as-of {r['as_of']}.", ""]
    if r.get("generated"):
        g = r["generated"]
        lines += [f"Generated {sum(g['rows'].values()):,} rows ({g['rows']}) for {g['leaves']} leaf units "
                  f"in {g['seconds']} s.", ""]
    if "refresh_full" not in r:  # --server-only
        from benchmarks.server import to_markdown as server_markdown

        return "\n".join(lines + server_markdown(r["server"]) + [""])
    f = r["refresh_full"]
    lines += [f"Full aggregate refresh: {f['source_rows']:,} rows in {f['wall_seconds']} s "
              f"({f['rows_per_second'] or 0:,} rows/s), {f['aggregate_rows']:,} aggregate rows, "
              f"{f.get('dimension_rows', 0):,} per-dimension aggregate rows.", ""]
    lines += ["| measure | aggregates, cache-cold ms | aggregates, warm ms | raw records, warm ms |",
              "|---|---:|---:|---:|"]
    for label, (cold, warm, raw) in r["queries_ms"].items():
        lines.append(f"| query `{label}` | {cold:.1f} | {warm:.1f} | {raw:.1f} |")
    cold, warm, raw = r["progress_table_ms"]
    lines.append(f"| progress table (all overview queries + logic) | {cold:.1f} | {warm:.1f} | {raw:.1f} |")
    if r.get("drilldown_ms"):
        lines.append(f"| one child's drill-down (progress of its children) | | {r['drilldown_ms']:.1f} | |")
    for page, (cold, warm) in r.get("pages_ms", {}).items():
        lines.append(f"| page `{page}` via AppTest | {cold:.1f} | {warm:.1f} | |")
    if r.get("explorer_ms"):
        lines += ["", "Explorer (自助分析) pivots; same numbers on every path: "
                  f"{r['explorer_agrees']}.", "",
                  "| pivot | aggregates, cache-cold ms | aggregates, warm ms | raw-path views, warm ms "
                  "| records pivot (before), warm ms |", "|---|---:|---:|---:|---:|"]
        for label, (cold, warm, raw, rec) in r["explorer_ms"].items():
            lines.append(f"| {label} | {cold:.1f} | {warm:.1f} | {raw:.1f} | {rec:.1f} |")
    if r.get("component_scan_ms"):
        lines += ["", f"Page times exclude AppTest's scan of the installed packages for custom components "
                  f"({r['component_scan_ms']:.1f} ms per new AppTest; a server does it once at start)."]
    ing = r.get("ingest")
    if ing:
        lines += ["", f"Ingest of new employment as Parquet (child-process parse, columnar validation, atomic store, "
                  f"aggregate refresh), medians of {ing['runs']}:", "",
                  "| what | files | rows | status | seconds | rows/s |", "|---|---:|---:|---|---:|---:|"]
        labels = {"slice": "one file: the first rows of a month, into an empty data dir",
                  "month": "one file: a whole month, into an empty data dir",
                  "batch": "several months, one file each, `ingest_many` (the CLI), into an empty data dir"}
        for kind, label in labels.items():
            if kind in ing:
                m = ing[kind]
                lines.append(f"| {label} | {m['files']} | {m['rows']:,} | {m['status']} | {m['seconds']} | "
                             f"{m['rows_per_second']:,} |")
        if "unit_fix" in ing:
            u = ing["unit_fix"]
            lines += ["", f"One unit's corrected month ({u['unit']}, {u['rows']:,} rows, {u['status']}) into a full "
                      f"copy of the tier, its partition holding {u['partition_rows']:,} rows: {u['seconds']} s "
                      f"(the partition is rewritten and its aggregates rebuilt)."]
        lines += ["", f"The first ingest of the process, which also starts the sandbox's zygote: "
                  f"{ing['cold_seconds']} s ({ing['cold_rows_per_second']:,} rows/s)."]
    lines += ["", f"pandas baseline for `actuals_as_of`: {r['pandas_actuals_ms']:.1f} ms "
              f"(same numbers: {r['pandas_agrees']}); pandas ÷ DuckDB warm = "
              f"{r['ratio_pandas_over_duckdb_warm']:.1f}× (pandas ÷ the whole warm progress table: "
              f"{r['ratio_pandas_over_progress_warm']:.1f}×).", "",
              f"Peak resident memory of the harness process: {r['peak_rss_mb']:.0f} MB.", ""]
    if r.get("server"):
        from benchmarks.server import to_markdown as server_markdown

        lines += server_markdown(r["server"]) + [""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", choices=list(TIERS), required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--no-pages", action="store_true")
    p.add_argument("--server", action="store_true",
                   help="also measure a real `streamlit run app.py` in headless Chromium (benchmarks/server.py)")
    p.add_argument("--server-only", action="store_true",
                   help="only the real server: no refresh (unless stale), no harness measurements")
    p.add_argument("--starts", type=int, default=3, help="fresh server starts to take the medians of (default 3)")
    p.add_argument("--bytecode", type=Path, nargs="?", const=Path(tempfile.gettempdir()) / "target_monitor_pycache",
                   help="run the server with compiled bytecode kept in this folder (PYTHONPYCACHEPREFIX), "
                        "compiled first; default folder: $TMPDIR/target_monitor_pycache")
    p.add_argument("--out", type=Path, help="append the Markdown report here (e.g. benchmarks/RESULTS.md)")
    args = p.parse_args(argv)
    if args.server_only:
        r = run_server(args.tier, args.data_dir, args.starts, args.bytecode)
    else:
        r = run(args.tier, args.runs, args.data_dir, pages=not args.no_pages, server=args.server,
                starts=args.starts, bytecode=args.bytecode)
    md = to_markdown(r)
    print(md)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
