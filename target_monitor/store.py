"""The store: one in-memory DuckDB per process, with views over the Parquet extracts.

Invariants (why the numbers can be trusted):
- The app never opens a DuckDB *file*: the database is in memory and holds only views, so
  ingest can always write the Parquet underneath without a lock conflict.
- Views read `<abs path>/**/*.parquet` (the aggregates: the files their manifest lists). Writers
  create files under a dot-name ending `.tmp` and rename them, so a glob never sees half a file.
- Every query runs on its own cursor: one DuckDB connection used by several Streamlit threads
  at once gives wrong answers silently.
- The only SQL built here is the DDL compiled from the registry (identifiers validated against
  the declared schema and quoted; literals quoted). Every query the app runs lives in
  `queries/*.sql` and receives its values as bound `$params`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd

from target_monitor.paths import extracts_dir, reference_dir
from target_monitor.registry import REGISTRY_PATH, Extract, Indicator, Registry, load_registry
from target_monitor.sqlfiles import QueryFile, load_queries


class NoDataError(RuntimeError):
    """The data directory holds no extracts."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _parquet_entries(root: Path) -> list[os.DirEntry]:
    """Every visible Parquet file under `root` as directory entries, folders sorted and walked
    depth-first (os.scandir: no Path object per file, the sidebar asks on every rerun)."""
    found: list[os.DirEntry] = []
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        subdirs = []
        for e in entries:
            if e.name.startswith("."):
                continue  # dot-files and dot-folders are writes in progress
            if e.is_dir():
                if not e.is_symlink():  # as os.walk: a linked folder is not walked into
                    subdirs.append(e.path)
            elif e.name.endswith(".parquet"):
                found.append(e)
        stack.extend(reversed(subdirs))
    return found


def parquet_files(data_dir: Path) -> list[Path]:
    """Every visible Parquet file under extracts/ (dot-files are writes in progress)."""
    root = extracts_dir(data_dir)
    if not root.is_dir():
        return []
    return [Path(e.path) for e in _parquet_entries(root)]


def has_extracts(data_dir: Path) -> bool:
    """Whether extracts/ holds any visible Parquet file (stops at the first)."""
    root = extracts_dir(data_dir)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(f.endswith(".parquet") and not f.startswith(".") for f in filenames):
            return True
    return False


def data_version(data_dir: Path) -> str:
    """Changes whenever an extract file, the reference data or the registry changes.

    Used as a cache key: a new upload shows on the next rerun without a server restart.
    """
    h = hashlib.sha256()
    ref = reference_dir(data_dir)
    manifest = Path(data_dir) / "aggregates" / "manifest.json"  # a refresh switches raw -> aggregates
    extra = [manifest] if manifest.exists() else []
    root = extracts_dir(data_dir)
    entries = _parquet_entries(root) if root.is_dir() else []
    for path, st in [*((e.path, e.stat()) for e in entries),
                     *((str(p), p.stat()) for p in [*sorted(ref.glob("*.csv")), REGISTRY_PATH, *extra])]:
        h.update(f"{path}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def is_demo(data_dir: Path) -> bool:
    marker = extracts_dir(data_dir) / "_demo.json"
    if not marker.exists():
        return False
    try:
        return bool(json.loads(marker.read_text(encoding="utf-8")).get("demo"))
    except (OSError, ValueError):
        return False


# --- DDL compiled from the registry -------------------------------------------------------


def _empty_view_sql(view: str, ext: Extract) -> str:
    cols = ", ".join(f"cast(null as {c.type}) as {quote_ident(c.name)}" for c in ext.columns)
    return f"create or replace view {quote_ident(view)} as select {cols} where false"


def extract_view_sql(ext: Extract, root: Path) -> str:
    """`ext_<name>`: the extract's canonical columns, typed, over all its Parquet files."""
    view = "ext_" + ext.name
    folder = root / ext.name
    has_files = folder.is_dir() and any(
        f.endswith(".parquet") and not f.startswith(".") for _, _, fs in os.walk(folder) for f in fs
    )
    if not has_files:
        return _empty_view_sql(view, ext)
    pattern = quote_literal(str(folder.resolve() / "**" / "*.parquet"))
    cols = ", ".join(f"cast({quote_ident(c.name)} as {c.type}) as {quote_ident(c.name)}" for c in ext.columns)
    return (
        f"create or replace view {quote_ident(view)} as select {cols} "
        f"from read_parquet({pattern}, hive_partitioning = true, union_by_name = true)"
    )


def extract_files_view_sql(ext: Extract, files: list[Path]) -> str:
    """`ext_<name>` over an explicit list of files (one source partition, for the aggregates)."""
    file_list = "[" + ", ".join(quote_literal(str(f)) for f in files) + "]"
    cols = ", ".join(f"cast({quote_ident(c.name)} as {c.type}) as {quote_ident(c.name)}" for c in ext.columns)
    return (f"create or replace view {quote_ident('ext_' + ext.name)} as select {cols} "
            f"from read_parquet({file_list}, union_by_name = true)")


def extract_units_sql(ext: Extract) -> str:
    """Row count and distinct unit codes of `ext_<name>` (one row: rows, codes)."""
    return f"select count(*), list(distinct unit_code) from {quote_ident('ext_' + ext.name)}"


def derived_views_sql(aggregates: Path | None, files: dict[str, list[Path]] | None = None) -> list[str]:
    """`unit_keys`, `indicator_monthly` and `year_bounds_parts`: over the aggregates' files when
    they are fresh (`aggregates.fresh_files`), else computed from `indicator_events`, with the
    same columns and the same numbers."""
    if aggregates is not None:
        if not files:
            raise ValueError("the aggregate views need the aggregates' files (aggregates.fresh_files)")
        listed = {k: "[" + ", ".join(quote_literal(str(Path(f).resolve())) for f in v) + "]" for k, v in files.items()}
        keys = quote_literal(str((aggregates / "unit_keys.parquet").resolve()))
        return [
            f"create or replace view unit_keys as select unit_code, cast(unit_key as integer) as unit_key "
            f"from read_parquet({keys})",
            # several source partitions can add to one event month (a rate's later successes); every
            # query sums, so the view does not regroup (that would re-aggregate all years each time)
            "create or replace view indicator_monthly as select indicator, unit_key, year, event_month, "
            "num, den, first_event_on, last_event_on, event_count "
            f"from read_parquet({listed['compact']}, hive_partitioning = false)",
            # a few rows per compact file: its first/last day and event count per event year
            "create or replace view year_bounds_parts as select year, first_event_on, last_event_on, event_count "
            f"from read_parquet({listed['bounds']}, hive_partitioning = false)",
        ]
    # schema-qualified: a query bound with the closed-months schema first must still see the records here
    return [
        "create or replace view unit_keys as select unit_code, "
        "cast(row_number() over (order by unit_code) as integer) as unit_key "
        "from (select distinct unit_code from main.indicator_events)",
        "create or replace view indicator_monthly as select e.indicator, k.unit_key, e.year, "
        "cast(date_trunc('month', e.event_on) as date) as event_month, sum(e.num) as num, sum(e.den) as den, "
        "min(e.event_on) as first_event_on, max(e.event_on) as last_event_on, count(*) as event_count "
        "from main.indicator_events as e join main.unit_keys as k on k.unit_code = e.unit_code "
        "group by e.indicator, k.unit_key, e.year, date_trunc('month', e.event_on)",
        "create or replace view year_bounds_parts as select cast(year(event_month) as integer) as year, "
        "first_event_on, last_event_on, event_count from main.indicator_monthly",
    ]


# A query that names none of these reads no records; see Store.query.
_RECORD_VIEWS = re.compile(r"\b(indicator_events|ext_[a-z0-9_]+)\b")
CLOSED_SCHEMA = "closed_months"
_CLOSED_SEARCH_PATH = f"set search_path = {quote_literal(CLOSED_SCHEMA + ',main')}"


def closed_months_sql() -> list[str]:
    """Schema `closed_months`: an empty `indicator_events` with the real one's columns.

    A query whose records part covers only a month that is already closed (and so counted in
    the aggregates) runs with this schema first on its search path: it binds no Parquet file of
    the records at all (binding the records' views re-reads every extract file's footer).
    """
    return [
        f"create schema if not exists {CLOSED_SCHEMA}",
        f"create or replace view {CLOSED_SCHEMA}.indicator_events as select cast(null as varchar) as indicator, "
        "cast(null as varchar) as unit_code, cast(null as integer) as year, cast(null as date) as event_on, "
        "cast(null as double) as num, cast(null as double) as den where false",
    ]


def _filter_sql(ind: Indicator) -> list[str]:
    return [
        f"{quote_ident(col)} in ({', '.join(quote_literal(v) for v in values)})"
        for col, values in sorted(ind.filter.items())
    ]


def indicator_events_sql(registry: Registry) -> str:
    """`indicator_events`: one row per counted event, for every indicator, in one shape.

    Columns: indicator, unit_code, year, event_on, num, den. A cumulative indicator has
    den = 0 and its value in num; a rate has one row with den = 1 per registration and one
    row with num = 1 per success (dated when both have happened), so any as-of rate is
    sum(num) / sum(den) over event_on <= as_of: never pro-rated.
    """
    parts = []
    for ind in registry.indicators:
        src = quote_ident("ext_" + ind.extract)
        name = quote_literal(ind.name)
        where = _filter_sql(ind)
        if ind.kind == "cumulative":
            day = quote_ident(ind.date_column)
            value = "1.0" if ind.measure == "count" else f"cast({quote_ident(ind.column)} as double)"
            if ind.scale != 1.0:
                value = f"{value} * {float(ind.scale)!r}"
            cond = " and ".join([f"{day} is not null", *where])
            parts.append(
                f"select {name} as indicator, unit_code, cast(year({day}) as integer) as year, "
                f"cast({day} as date) as event_on, {value} as num, 0.0 as den from {src} where {cond}"
            )
        else:
            cohort = quote_ident(ind.year_column)
            reg = quote_ident(ind.denominator_date_column)
            ok = quote_ident(ind.numerator_date_column)
            base = [f"{reg} is not null", *where]
            parts.append(
                f"select {name} as indicator, unit_code, cast({cohort} as integer) as year, "
                f"cast({reg} as date) as event_on, 0.0 as num, 1.0 as den from {src} where {' and '.join(base)}"
            )
            parts.append(
                f"select {name} as indicator, unit_code, cast({cohort} as integer) as year, "
                f"cast(greatest({reg}, {ok}) as date) as event_on, 1.0 as num, 0.0 as den from {src} "
                f"where {' and '.join([*base, f'{ok} is not null'])}"
            )
    return "create or replace view indicator_events as\n" + "\nunion all\n".join(parts)


class Store:
    """Views over one data directory, and the named queries of `queries/`.

    With fresh aggregates the views over the records (`ext_<extract>`, `indicator_events`) are
    created only when a query first needs them: creating them reads every extract file's footer
    (a national tier: 240 files), and at a month-end as-of date the pages need none of it.
    `store.con` hands out the connection with every view in place.
    """

    def __init__(self, data_dir: Path, registry: Registry | None = None, *, threads: int = 2,
                 aggregates: bool | None = None):
        """aggregates: None = use them when fresh; False = always count from the records."""
        self.data_dir = Path(data_dir).resolve()
        self.registry = registry or load_registry()
        self.queries: dict[str, QueryFile] = load_queries()
        self.files = parquet_files(self.data_dir)
        self._lock = threading.RLock()
        self._records_ready = False
        self._con = duckdb.connect(":memory:", config={"threads": threads})
        from target_monitor.aggregates import aggregates_dir, fresh_files

        fresh = fresh_files(self.data_dir, self.registry) if aggregates is not False and self.files else None
        self.uses_aggregates = fresh is not None
        with self._con.cursor() as cur:
            for ddl in closed_months_sql():
                cur.execute(ddl)
            if self.uses_aggregates:
                for ddl in derived_views_sql(aggregates_dir(self.data_dir), fresh):
                    cur.execute(ddl)
            else:
                self._create_record_views(cur)
                for ddl in derived_views_sql(None):
                    cur.execute(ddl)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection, with every view in place (use a cursor per query)."""
        self._ensure_records()
        return self._con

    @con.setter
    def con(self, value: duckdb.DuckDBPyConnection) -> None:
        # a subclass that creates every view itself (snapshots.frozen.FrozenStore)
        self._con = value
        self._records_ready = True

    @property
    def records_ready(self) -> bool:
        """Whether the views over the records exist yet (see the class docstring)."""
        return self._records_ready

    def _create_record_views(self, cur) -> None:
        for ext in self.registry.extracts.values():
            cur.execute(extract_view_sql(ext, extracts_dir(self.data_dir)))
        cur.execute(indicator_events_sql(self.registry))
        self._records_ready = True

    def _ensure_records(self) -> None:
        if self._records_ready:
            return
        with self._lock:
            if not self._records_ready:
                with self._con.cursor() as cur:
                    self._create_record_views(cur)

    def _needs_records(self, q: QueryFile, params: dict) -> bool:
        """Whether answering `q` with these params reads any record (else the aggregates suffice)."""
        if not self.uses_aggregates:
            return True  # indicator_monthly itself is counted from the records
        if not _RECORD_VIEWS.search(q.sql):
            return False
        if q.records_month_of is None:
            return True
        day = params[q.records_month_of]
        return (day + timedelta(days=1)).day != 1  # the month in progress is not closed yet

    @property
    def has_data(self) -> bool:
        return bool(self.files)

    def query(self, name: str, **params) -> pd.DataFrame:
        """Run `queries/<name>.sql` with its declared `$params` bound."""
        q = self.queries[name]
        missing = set(q.params) - set(params)
        extra = set(params) - set(q.params)
        if missing or extra:
            raise TypeError(f"query {name}: missing params {sorted(missing)}, unexpected {sorted(extra)}")
        from_aggregates = self.uses_aggregates
        try:
            return self._run(q, params)
        except duckdb.IOException:
            if not from_aggregates:
                raise
            # the aggregate files moved under us (a full refresh or a cleanup): count from the records
            self._fall_back_to_records()
            return self._run(q, params)

    def query_many(self, calls: list[tuple[str, dict]]) -> list[pd.DataFrame]:
        """Several `query(name, **params)` at once, each on its own cursor; results in order.

        DuckDB runs them side by side (it releases the GIL), so the parts of each that use one
        core (binding the rollup lists, building the frame) overlap: the overview's three queries
        take ~15% less time together than one after the other on two cores. Only when the
        aggregates answer all of them: queries over the records run one after the other.
        """
        if len(calls) <= 1 or any(self._needs_records(self.queries[name], params) for name, params in calls):
            # queries over the records are heavy (seconds, GBs): side by side they only compete
            return [self.query(name, **params) for name, params in calls]
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = [pool.submit(self.query, name, **params) for name, params in calls]
            return [f.result() for f in futures]

    def _fall_back_to_records(self) -> None:
        with self._lock:  # once, even when several sessions' queries fail together
            if not self.uses_aggregates:
                return
            self._ensure_records()
            with self._con.cursor() as cur:
                for ddl in derived_views_sql(None):
                    cur.execute(ddl)
            self.uses_aggregates = False

    def _run(self, q: QueryFile, params: dict) -> pd.DataFrame:
        closed = not self._needs_records(q, params)
        if not closed:
            self._ensure_records()
        with self._con.cursor() as cur:
            if closed:  # the records' part covers no day: bind it to the empty view
                cur.execute(_CLOSED_SEARCH_PATH)
            return cur.execute(q.sql, params).df()

    def close(self) -> None:
        self._con.close()
