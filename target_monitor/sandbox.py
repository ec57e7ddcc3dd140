"""The SQL sandbox: read-only SQL over documented views, for the console page and `target-monitor sql`.

DuckDB says it has no privilege boundary inside a connection, so this module stacks guards and
relies on none alone:

1. Its own DuckDB instance (in memory), never the app's store. The views it offers are built
   first and hold the data *in memory*: the extracts (person keys already masked), the indicator
   events, monthly aggregates, targets, units, indicators and progress.
2. Then, in this order: `allowed_directories = []`, `enable_external_access = false`,
   `lock_configuration = true`; threads and memory capped, no temp directory (no spilling to
   disk), Python replacement scans and extension auto-loading off.
   Why `allowed_directories` is empty rather than the extracts folder: on DuckDB 2.0 an allowed
   directory is writable too (`COPY ... TO '<allowed>/x.csv'` and `EXPORT DATABASE` succeed
   there), so the only way the data folder can never be written through the console is for
   the console not to see it at all. The views need no directory because they are in memory.
3. Every statement is checked before it runs: `extract_statements` must yield exactly one
   statement of type SELECT (which includes WITH … SELECT, FROM-first, DESCRIBE, SHOW); its
   parse tree (`json_serialize_sql`) may call no table function except range/generate_series/
   unnest and name no file as a table.
4. A timeout calls `interrupt()` on the very cursor running the query (threading.Timer), so
   the query stops and the sandbox stays usable; results are fetched up to a row cap.
5. Every query is logged (time, SQL hash, duration, rows, status) to a JSON-lines file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from functools import lru_cache
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from target_monitor.i18n import t

if TYPE_CHECKING:
    import pandas as pd

    from target_monitor.registry import Registry

# Only duckdb, pyarrow and the text table are imported here: the query's child process is
# `python -m target_monitor.sandbox` when the command line runs a query, and its start is part
# of every query's time. pandas, yaml and the store are imported where the views are built.

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
MIN_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 30.0
DEFAULT_DISPLAY_ROWS = 1_000
MAX_DISPLAY_ROWS = 10_000
MAX_DOWNLOAD_ROWS = 100_000
MAX_SQL_CHARS = 20_000
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
FILE_FUNCTION_HINTS = ("read_", "glob", "parquet_", "sniff_csv", "csv", "json", "text", "blob", "query")
LOG_ENV_VAR = "TARGET_MONITOR_SQL_LOG"

PROGRESS_COLUMNS = [
    "unit_code", "unit_name", "indicator", "target", "actual", "completion_pct", "time_progress_pct", "gap_pp",
    "status", "rank", "projected_year_end", "required_monthly", "target_basis", "level", "kind", "comparator",
    "numerator", "denominator", "last_year_actual", "yoy_change",
]


class SqlError(Exception):
    """A statement refused or failed. `status` is refused | timeout | failed; text(lang) says why."""

    def __init__(self, status: str, key: str, **values):
        self.status = status
        self.key = key
        self.values = values
        super().__init__(t(key, "en", **values))

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


@dataclass
class SqlResult:
    frame: pd.DataFrame  # up to the row cap asked for
    truncated: bool  # more rows existed than the cap
    duration_s: float
    sql_hash: str

    @property
    def rows(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class ViewDoc:
    name: str
    description: dict[str, str]
    columns: tuple[tuple[str, str, dict[str, str]], ...]  # (name, type, {zh, en})


def clamp_timeout(seconds: float | None) -> float:
    if seconds is None:
        return DEFAULT_TIMEOUT_S
    return min(MAX_TIMEOUT_S, max(MIN_TIMEOUT_S, float(seconds)))


def sql_hash(sql: str) -> str:
    return hashlib.sha256(sql.strip().encode("utf-8")).hexdigest()[:16]


def default_log_path(data_dir: Path) -> Path:
    env = os.environ.get(LOG_ENV_VAR)
    return Path(env) if env else Path(data_dir) / "logs" / "sql_console.jsonl"


@lru_cache(maxsize=1)
def _console_view_specs() -> dict:
    import yaml

    from target_monitor.registry import REGISTRY_PATH

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: a tenth of the time
    with open(REGISTRY_PATH, encoding="utf-8") as fh:
        return (yaml.load(fh, Loader=loader) or {}).get("console_views") or {}


# scalar functions that reveal the server's settings, paths or environment
REFUSED_FUNCTIONS = frozenset({"current_setting", "getenv", "current_database", "current_schemas",
                               "current_catalog", "current_schema", "pg_get_viewdef"})
# catalogue views that list the server's settings, files, extensions and databases
REFUSED_TABLE_PREFIXES = ("duckdb_", "sqlite_", "pragma_", "pg_")


def _walk_scalars(node, found: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "FUNCTION":
            found.append(str(node.get("function_name", "")).lower())
        for v in node.values():
            _walk_scalars(v, found)
    elif isinstance(node, list):
        for v in node:
            _walk_scalars(v, found)


def _walk(node, found_functions: list[str], found_tables: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "TABLE_FUNCTION":
            fn = node.get("function") or {}
            found_functions.append(str(fn.get("function_name", "")).lower())
        if node.get("type") == "BASE_TABLE":
            found_tables.append(str(node.get("table_name", "")))
        for v in node.values():
            _walk(v, found_functions, found_tables)
    elif isinstance(node, list):
        for v in node:
            _walk(v, found_functions, found_tables)


class Sandbox:
    """One locked-down DuckDB instance over a data directory's data, for one year and as-of date."""

    def __init__(self, ctx, year: int | None = None, as_of: date | None = None, *, threads: int = 1,
                 memory_limit: str = "1GB", log_path: Path | None = None, database: str = ":memory:"):
        """database: a file to build the views into instead of memory (`build_file`: the console's
        child processes open it read-only)."""
        self.data_dir = ctx.data_dir
        self.registry: Registry = ctx.registry
        self.year = year or ctx.default_year()
        self.as_of = as_of or ctx.latest_day(self.year)
        self.log_path = Path(log_path) if log_path else default_log_path(ctx.data_dir)
        self._log_lock = threading.Lock()
        self.con = duckdb.connect(database, config={
            "threads": threads,
            "memory_limit": memory_limit,
            "temp_directory": "",  # no spilling: nothing of the console is ever written to disk
            "python_enable_replacements": False,  # a query cannot name a Python variable
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "allow_community_extensions": False,
        })
        self._build(ctx)
        # The order matters: allowed_directories can only be set while external access is on,
        # and nothing can be changed once the configuration is locked.
        self.con.execute("set allowed_directories = []")
        self.con.execute("set enable_external_access = false")
        self.con.execute("set lock_configuration = true")
        self.views = self._catalog()

    # --- building the views (before the lock; no user input involved) ----------------------

    def _load_frame(self, name: str, df: pd.DataFrame) -> None:
        self.con.register("_incoming", df)
        try:
            self.con.execute(_create_table_sql(name, "_incoming"))
        finally:
            self.con.unregister("_incoming")

    def _build(self, ctx) -> None:
        import pandas as pd

        from target_monitor.masking import mask_sql
        from target_monitor.paths import extracts_dir
        from target_monitor.sqlfiles import load_queries
        from target_monitor.store import derived_views_sql, extract_view_sql, quote_ident, record_views_sql

        root = extracts_dir(self.data_dir)
        con = self.con
        for ext in self.registry.extracts.values():
            view = "ext_" + ext.name
            con.execute(extract_view_sql(ext, root))  # a view over the Parquet, read once below
            cols = ", ".join(
                (mask_sql(quote_ident(c.name)) if c.mask else quote_ident(c.name)) + " as " + quote_ident(c.name)
                for c in ext.columns
            )
            # materialise with person keys masked and only the access scope's units (fail closed:
            # no scope, no rows), then drop the file-backed view
            con.execute(_masked_table_sql("_" + view, cols, view) + _scope_filter(), _scope_params())
            con.execute("drop view " + quote_ident(view))
            con.execute("alter table " + quote_ident("_" + view) + " rename to " + quote_ident(view))
        # indicator_events = record events + what reported figures add (its helper views stay
        # queryable but are not in the catalogue: the documented shape is indicator_events)
        for ddl in [*record_views_sql(self.registry, None, None, has_reports=True), *derived_views_sql(None)]:
            con.execute(ddl)
        con.execute("create view monthly as " + load_queries()["console_monthly"].sql)

        targets = ctx.ref.targets.copy()
        targets = targets[[_sees_figures(c) for c in targets["unit_code"]]] if len(targets) else targets
        self._load_frame("targets", targets)
        units = pd.DataFrame([
            {"unit_code": u.code, "name": u.name, "name_en": u.name_en, "short_name": u.short_name,
             "unit_type": u.unit_type, "parent_code": u.parent_code, "sort_order": u.sort_order}
            for u in ctx.ref.units
        ])
        self._load_frame("units", units)
        indicators = pd.DataFrame([
            {"indicator": i.name, "label_zh": i.label["zh"], "label_en": i.label["en"], "unit_zh": i.unit["zh"],
             "kind": i.kind, "extract": i.extract}
            for i in self.registry.indicators
        ])
        self._load_frame("indicators", indicators)
        progress = ctx.progress(self.year, self.as_of)[PROGRESS_COLUMNS].copy()
        progress.insert(0, "as_of", self.as_of)
        progress.insert(0, "year", self.year)
        for col in ("target", "actual", "completion_pct", "time_progress_pct", "gap_pp", "projected_year_end",
                    "required_monthly", "numerator", "denominator", "last_year_actual", "yoy_change"):
            progress[col] = pd.to_numeric(progress[col], errors="coerce").astype("float64")
        progress["rank"] = pd.to_numeric(progress["rank"], errors="coerce").astype("Int64")
        self._load_frame("progress", progress)

    def _catalog(self) -> tuple[ViewDoc, ...]:
        """Every view the console offers, with its columns' types and descriptions from the registry."""
        specs = _console_view_specs()
        docs = []
        for ext in self.registry.extracts.values():
            docs.append(ViewDoc("ext_" + ext.name, dict(ext.label),
                                tuple((c.name, c.type, dict(c.description)) for c in ext.columns)))
        for name, spec in specs.items():
            with self.con.cursor() as cur:
                types = dict(cur.execute(
                    "select column_name, data_type from information_schema.columns where table_name = $name "
                    "order by ordinal_position", {"name": name}).fetchall())
            cols = spec.get("columns") or {}
            docs.append(ViewDoc(name, dict(spec.get("description") or {}),
                                tuple((c, types.get(c, "?"), dict(cols.get(c) or {})) for c in types)))
        return tuple(docs)

    # --- checking and running ------------------------------------------------------------

    def check(self, sql: str) -> str:
        """The single SELECT statement in `sql`, or SqlError(refused) saying why not."""
        if not sql or not sql.strip():
            raise SqlError("refused", "sql_empty")
        if len(sql) > MAX_SQL_CHARS:
            raise SqlError("refused", "sql_too_long", limit=MAX_SQL_CHARS)
        try:
            with self.con.cursor() as cur:  # never the shared connection itself: sessions run in parallel
                statements = cur.extract_statements(sql)
        except duckdb.Error as exc:
            raise SqlError("refused", "sql_syntax", error=_first_line(exc)) from None
        if not statements:
            raise SqlError("refused", "sql_empty")
        if len(statements) != 1:
            raise SqlError("refused", "sql_multi", n=len(statements))
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise SqlError("refused", "sql_not_select", kind=kind.name)
        with self.con.cursor() as cur:
            tree = json.loads(cur.execute("select json_serialize_sql($sql)", {"sql": sql}).fetchone()[0])
        if tree.get("error"):
            raise SqlError("refused", "sql_syntax", error=tree.get("error_message", ""))
        functions: list[str] = []
        tables: list[str] = []
        _walk(tree.get("statements"), functions, tables)
        for fn in functions:
            if fn not in ALLOWED_TABLE_FUNCTIONS:
                if any(h in fn for h in FILE_FUNCTION_HINTS) or fn.startswith("duckdb_") or "secret" in fn:
                    raise SqlError("refused", "sql_file_function", name=fn)
                raise SqlError("refused", "sql_table_function", name=fn, allowed=", ".join(sorted(ALLOWED_TABLE_FUNCTIONS)))
        for name in tables:
            if any(ch in name for ch in "/\\:.~"):
                raise SqlError("refused", "sql_file_table", name=name)
            if name.lower().startswith(REFUSED_TABLE_PREFIXES):
                raise SqlError("refused", "sql_catalog_refused", name=name)
        scalars: list[str] = []
        _walk_scalars(tree.get("statements"), scalars)
        for fn in scalars:
            if fn in REFUSED_FUNCTIONS:
                raise SqlError("refused", "sql_function_refused", name=fn)
        return statements[0].query

    def run(self, sql: str, *, timeout: float | None = None, max_rows: int = DEFAULT_DISPLAY_ROWS,
            source: str = "console") -> SqlResult:
        """Check and run one SELECT; at most `max_rows` rows come back (truncated says if there were more)."""
        table, truncated, duration, digest = self.run_arrow(sql, timeout=timeout, max_rows=max_rows, source=source)
        return SqlResult(table.to_pandas(), truncated, duration, digest)

    def run_arrow(self, sql: str, *, timeout: float | None = None, max_rows: int = DEFAULT_DISPLAY_ROWS,
                  source: str = "console") -> tuple[pa.Table, bool, float, str]:
        """`run` without pandas (the child process hands the rows on as Arrow): the rows,
        truncated, the duration and the SQL's hash."""
        timeout, max_rows, digest, started = _prepare(sql, timeout, max_rows)
        try:
            self.check(sql)
            table, truncated = self._execute(sql, timeout, max_rows)
        except SqlError as exc:
            self._log(digest, time.perf_counter() - started, 0, exc.status, source, exc.key)
            raise
        duration = time.perf_counter() - started
        self._log(digest, duration, table.num_rows, "ok", source, "truncated" if truncated else "")
        return table, truncated, duration, digest

    def _execute(self, sql: str, timeout: float, max_rows: int) -> tuple[pa.Table, bool]:
        cur = self.con.cursor()
        timed_out = threading.Event()

        def stop():
            timed_out.set()
            cur.interrupt()

        timer = threading.Timer(timeout, stop)
        timer.daemon = True
        timer.start()
        try:
            # a relation streams: only about max_rows rows are ever materialised
            reader = cur.sql(sql).to_arrow_reader(min(max_rows + 1, 10_000))
            batches, count = [], 0
            for batch in reader:
                batches.append(batch)
                count += batch.num_rows
                if count > max_rows:
                    break
            table = pa.Table.from_batches(batches, schema=reader.schema)
        except duckdb.InterruptException:
            raise SqlError("timeout", "sql_timeout", seconds=f"{timeout:g}") from None
        except duckdb.PermissionException as exc:
            raise SqlError("refused", "sql_permission", error=_first_line(exc)) from None
        except duckdb.OutOfMemoryException:
            raise SqlError("failed", "sql_memory", mb=_limit_mb()) from None
        except duckdb.Error as exc:
            if timed_out.is_set():
                raise SqlError("timeout", "sql_timeout", seconds=f"{timeout:g}") from None
            raise SqlError("failed", "sql_failed", error=_first_line(exc)) from None
        finally:
            timer.cancel()
            cur.close()
        truncated = table.num_rows > max_rows
        return table.slice(0, max_rows), truncated

    def _log(self, digest: str, duration: float, rows: int, status: str, source: str, detail: str) -> None:
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "sql_hash": digest, "duration_ms": round(duration * 1000, 1), "rows": rows,
            "status": status, "source": source, "detail": detail,
        }
        try:
            with self._log_lock:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.log_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        except OSError as exc:  # a read-only data folder must not stop the console
            log.warning("cannot write the SQL console log %s: %s", self.log_path, exc)

    def close(self) -> None:
        self.con.close()


def _prepare(sql: str, timeout: float | None, max_rows: int) -> tuple[float, int, str, float]:
    """What every run starts with, in the server and in the child alike: the timeout clamped to
    5-30 s, the row cap to 1-100,000, the statement's hash and the start time."""
    return (clamp_timeout(timeout), max(1, min(int(max_rows), MAX_DOWNLOAD_ROWS)), sql_hash(sql or ""),
            time.perf_counter())


def _scope_filter() -> str:
    from target_monitor.access.scope import current

    scope = current()
    return "" if scope is not None and scope.all_records else " where list_contains($scope_units, unit_code)"


def _scope_params() -> dict | None:
    from target_monitor.access.scope import current

    scope = current()
    if scope is not None and scope.all_records:
        return None
    return {"scope_units": sorted(scope.record_units) if scope is not None else []}


def _sees_figures(unit_code: str) -> bool:
    from target_monitor.access.scope import current

    scope = current()
    return scope is not None and scope.may_see_figures(unit_code)


def _create_table_sql(name: str, source: str) -> str:
    from target_monitor.store import quote_ident

    return "create table " + quote_ident(name) + " as select * from " + quote_ident(source)


def _masked_table_sql(name: str, cols: str, source: str) -> str:
    from target_monitor.store import quote_ident

    return "create table " + quote_ident(name) + " as select " + cols + " from " + quote_ident(source)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__).rstrip("!.。 ")


EXAMPLES: tuple[tuple[str, str], ...] = (
    ("sql_example_progress",
     "select unit_name, indicator, target, actual, completion_pct, gap_pp, status\n"
     "from progress\nwhere level = 'child' and indicator = 'urban_new_employment'\norder by completion_pct desc"),
    ("sql_example_groups",
     "select u.name, m.month, sum(m.numerator) as records\nfrom monthly m join units u using (unit_code)\n"
     "where m.indicator = 'urban_new_employment' and m.year = (select max(year) from monthly)\ngroup by u.name, m.month\norder by u.name, m.month"),
    ("sql_example_loans",
     "select bank, borrower_type, count(*) as loans, round(sum(amount_yuan) / 10000, 1) as amount_wan_yuan\n"
     "from ext_loans\nwhere year(disbursed_on) = (select max(year) from progress)\ngroup by bank, borrower_type\norder by amount_wan_yuan desc"),
    ("sql_example_targets",
     "select t.unit_code, u.name, t.indicator, t.comparator, t.value, t.unit\n"
     "from targets t join units u using (unit_code)\nwhere t.year = (select max(year) from progress)\norder by u.sort_order, t.indicator"),
)


# --- the console in a child process: a query cannot take the server's memory or time ----------
#
# The views are built once per (data, year, as-of date, access scope) into a DuckDB file in a
# private folder (`build_file`). Each query then runs in a child process forked from the ingest
# sandbox's warm parent (ingest/zygote.py) that opens that file read-only, locks the
# configuration as above, limits its own address space (RLIMIT_AS) and is killed at the timeout
# plus one second whatever it is doing. DuckDB's memory_limit does not bound everything (a list
# or string of gigabytes is allocated outside it); the address-space limit does. The server
# reads back `result.json` and the rows as Arrow IPC; nothing is unpickled.

DEFAULT_CHILD_MEMORY_MB = 1536
MEMORY_ENV_VAR = "TARGET_MONITOR_SQL_MEMORY_MB"
HARD_KILL_MARGIN_S = 1.0
MAX_VIEW_FILES = 16  # as many as ui._sandbox keeps
_FILES_LOCK = threading.Lock()
_FILES: dict[str, tuple[Path, tuple]] = {}
_FOLDER: list[Path] = []


def _limit_mb() -> str:
    import resource

    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    return str(soft // 2**20) if soft not in (resource.RLIM_INFINITY, -1) else "1024"


def child_memory_mb() -> int:
    try:
        return max(256, int(os.environ.get(MEMORY_ENV_VAR) or DEFAULT_CHILD_MEMORY_MB))
    except ValueError:
        return DEFAULT_CHILD_MEMORY_MB


def _private_folder() -> Path:
    import atexit
    import shutil
    import tempfile

    if not _FOLDER:
        shm = Path("/dev/shm")
        folder = Path(tempfile.mkdtemp(prefix="tm-console-", dir=str(shm) if os.access(shm, os.W_OK) else None))
        os.chmod(folder, 0o700)
        atexit.register(shutil.rmtree, folder, True)
        _FOLDER.append(folder)
    return _FOLDER[0]


def build_file(ctx, year: int | None = None, as_of: date | None = None) -> tuple[Path, tuple[ViewDoc, ...], int, date]:
    """The console's views for the current access scope as a DuckDB file (built once per key)."""
    from target_monitor.access.scope import key as scope_key

    year = year or ctx.default_year()
    as_of = as_of or ctx.latest_day(year)
    key = hashlib.sha256(f"{ctx.data_dir}|{ctx.version}|{year}|{as_of}|{scope_key()}".encode()).hexdigest()[:24]
    with _FILES_LOCK:
        if key in _FILES and _FILES[key][0].exists():
            path, views = _FILES[key]
            return path, views, year, as_of
        path = _private_folder() / f"{key}.duckdb"
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        sb = Sandbox(ctx, year, as_of, database=str(tmp))
        views = sb.views
        sb.close()
        os.replace(tmp, path)
        _FILES[key] = (path, views)
        while len(_FILES) > MAX_VIEW_FILES:  # older data versions: the oldest file goes
            old, _ = _FILES.pop(next(iter(_FILES)))
            old.unlink(missing_ok=True)
        return path, views, year, as_of


class FreshChild:
    """The query's child process as a fresh interpreter, started before the views are built so
    that its own start (Python, duckdb, pyarrow: nothing else) overlaps with theirs. For the
    command line, which runs one query and exits: a fork server would first import everything
    the ingest children need, and that costs more than it saves. It waits on stdin for the
    query's folder; `run` sends it and kills the child at the deadline, whatever it is doing."""

    def __init__(self):
        import subprocess
        import sys

        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT")}
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        self._proc = subprocess.Popen([sys.executable, "-m", __name__, "-"], stdin=subprocess.PIPE,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)

    def run(self, folder: Path, timeout_s: float) -> tuple[dict, str]:
        """The outcome as zygote.run gives it, and what the child wrote on stderr."""
        import subprocess

        try:
            _, err = self._proc.communicate((str(folder) + "\n").encode("utf-8"), timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.close()
            return {"status": "timeout"}, ""
        except OSError:  # the child died before it read the folder (killed, out of memory)
            self.close()
            return {"status": "signal", "signal": 9}, ""
        code = self._proc.returncode
        text = err.decode("utf-8", "replace")
        return ({"status": "signal", "signal": -code} if code < 0 else {"status": "exit", "code": code}), text

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()


class IsolatedSandbox:
    """The console: the same `views`, `check` and `run` as Sandbox, each query in a child process."""

    def __init__(self, ctx, year: int | None = None, as_of: date | None = None, *, log_path: Path | None = None,
                 memory_mb: int | None = None, child: FreshChild | None = None):
        """child: a started FreshChild for the next query (the command line); without one, every
        query is forked from the ingest sandbox's warm parent (the server)."""
        self._ctx = ctx
        self._fresh = child
        self.path, self.views, self.year, self.as_of = build_file(ctx, year, as_of)
        self.data_dir = ctx.data_dir
        self.log_path = Path(log_path) if log_path else default_log_path(ctx.data_dir)
        self.memory_mb = memory_mb or child_memory_mb()

    def _spawn(self, folder: Path, deadline_s: float) -> tuple[dict, str]:
        if self._fresh is not None:
            child, self._fresh = self._fresh, None  # one query each
            return child.run(folder, deadline_s)
        from target_monitor.ingest import zygote
        from target_monitor.ingest.sandbox import _run_fresh

        outcome = zygote.run(__name__, folder, deadline_s)
        if outcome is None:  # no fork server here: a fresh interpreter, same limits
            return _run_fresh(__name__, folder, deadline_s)
        log_file = folder / "child.log"
        return outcome, (log_file.read_text("utf-8", "replace") if log_file.exists() else "")

    def run(self, sql: str, *, timeout: float | None = None, max_rows: int = DEFAULT_DISPLAY_ROWS,
            source: str = "console") -> SqlResult:
        import tempfile

        timeout, max_rows, digest, started = _prepare(sql, timeout, max_rows)
        if not self.path.exists():  # pruned after newer data came in: build it again
            self.path, self.views, _, _ = build_file(self._ctx, self.year, self.as_of)
        with tempfile.TemporaryDirectory(prefix="tm-sql-", dir=str(_private_folder())) as tmp:
            folder = Path(tmp)
            request = {"database": str(self.path), "sql": sql, "timeout": timeout, "max_rows": max_rows,
                       "memory_mb": self.memory_mb, "log_path": str(self.log_path), "source": source}
            (folder / "request.json").write_text(json.dumps(request), encoding="utf-8")
            outcome, log_text = self._spawn(folder, timeout + HARD_KILL_MARGIN_S)
            result = folder / "result.json"
            payload = json.loads(result.read_text(encoding="utf-8")) if result.exists() else None
            if payload is None or (outcome.get("status") != "exit" or outcome.get("code") != 0):
                if payload is not None and payload.get("error"):
                    err = payload["error"]
                    raise SqlError(err["status"], err["key"], **err["values"])
                if outcome.get("status") == "timeout":
                    exc = SqlError("timeout", "sql_timeout", seconds=f"{timeout:g}")
                elif "MemoryError" in log_text or "Out of Memory" in log_text or outcome.get("signal") in (9, 6, 11):
                    exc = SqlError("failed", "sql_memory", mb=self.memory_mb)
                else:
                    exc = SqlError("failed", "sql_failed", error=(log_text.strip().splitlines() or ["crashed"])[-1][:200])
                _append_log(self.log_path, digest, time.perf_counter() - started, 0, exc.status, source, exc.key)
                raise exc
            if payload.get("error"):
                err = payload["error"]
                raise SqlError(err["status"], err["key"], **err["values"])
            table = pa.ipc.open_file(pa.memory_map(str(folder / "rows.arrow"))).read_all()
            frame = table.to_pandas()
        return SqlResult(frame, bool(payload["truncated"]), time.perf_counter() - started, digest)

    def close(self) -> None:  # the file is shared by every session with this scope; kept until exit
        if self._fresh is not None:
            self._fresh.close()
            self._fresh = None


def _append_log(path: Path, digest: str, duration: float, rows: int, status: str, source: str, detail: str) -> None:
    entry = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "sql_hash": digest,
             "duration_ms": round(duration * 1000, 1), "rows": rows, "status": status, "source": source,
             "detail": detail}
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError as exc:
        log.warning("cannot write the SQL console log %s: %s", path, exc)


class _OpenedSandbox(Sandbox):
    """A Sandbox over a file `build_file` wrote, opened read-only and locked (in the child)."""

    def __init__(self, database: str, log_path: Path):
        self.log_path = Path(log_path)
        self._log_lock = threading.Lock()
        self.con = duckdb.connect(database, read_only=True, config={
            "threads": 1, "memory_limit": "1GB", "temp_directory": "", "python_enable_replacements": False,
            "autoload_known_extensions": False, "autoinstall_known_extensions": False,
            "allow_community_extensions": False,
        })
        self.con.execute("set allowed_directories = []")
        self.con.execute("set enable_external_access = false")
        self.con.execute("set lock_configuration = true")


def _write_result(folder: Path, payload: dict) -> None:
    """The child's answer, written atomically (as the ingest sandbox's children write theirs; not
    imported from there, which would import the parsers into this lean child)."""
    tmp = folder / ".result.json.tmp"
    tmp.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, folder / "result.json")


def _child(folder: Path) -> int:
    """In the child process: limit the address space, run the query, write the answer."""
    import resource

    req = json.loads((Path(folder) / "request.json").read_text(encoding="utf-8"))
    limit = int(req["memory_mb"]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        sb = _OpenedSandbox(req["database"], Path(req["log_path"]))
        table, truncated, _, _ = sb.run_arrow(req["sql"], timeout=float(req["timeout"]), max_rows=int(req["max_rows"]),
                                              source=req["source"])
    except SqlError as exc:
        _write_result(Path(folder), {"error": {"status": exc.status, "key": exc.key,
                                               "values": {k: str(v) for k, v in exc.values.items()}}})
        return 0
    except MemoryError:
        _write_result(Path(folder), {"error": {"status": "failed", "key": "sql_memory",
                                               "values": {"mb": str(req["memory_mb"])}}})
        return 0
    with pa.OSFile(str(Path(folder) / "rows.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    _write_result(Path(folder), {"truncated": truncated, "rows": table.num_rows})
    return 0


if __name__ == "__main__":
    import sys

    # `-`: a FreshChild, started ahead; the query's folder comes on stdin (nothing: the parent gave up)
    where = sys.stdin.readline().strip() if sys.argv[1] == "-" else sys.argv[1]
    sys.exit(_child(Path(where)) if where else 0)
