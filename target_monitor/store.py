"""The store: one in-memory DuckDB per process, with views over the Parquet extracts.

Invariants (why the numbers can be trusted):
- The app never opens a DuckDB *file*: the database is in memory and holds only views, so
  ingest can always write the Parquet underneath without a lock conflict.
- Views read the data files of one committed version of each extract's Delta table (the list
  loaded once per version: `tables_delta.committed_files`), never a glob, so a file a writer is
  still placing, or one an older version used, is never read (the aggregates: the files their
  manifest lists). `_create_record_views` is the one place the extracts' views are created.
- Every query runs on its own cursor: one DuckDB connection used by several Streamlit threads
  at once gives wrong answers silently.
- The only SQL built here is the DDL compiled from the registry (identifiers validated against
  the declared schema and quoted; literals quoted). Every query the app runs lives in
  `queries/*.sql` and receives its values as bound `$params`.
"""

from __future__ import annotations

import contextvars
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


def _extract_names(data_dir: Path) -> list[str]:
    root = extracts_dir(Path(data_dir))
    try:
        with os.scandir(root) as it:
            return sorted(e.name for e in it if e.is_dir() and not e.name.startswith("."))
    except (FileNotFoundError, NotADirectoryError):
        return []


def parquet_files(data_dir: Path, versions: dict[str, int] | None = None) -> list[Path]:
    """Every data file of the extracts' committed versions (the newest, or `versions`)."""
    from target_monitor.tables_delta import committed_files

    out: list[Path] = []
    for name in _extract_names(data_dir):
        out.extend(committed_files(Path(data_dir), name, (versions or {}).get(name)).files)
    return out


def has_extracts(data_dir: Path) -> bool:
    """Whether any extract holds a committed data file."""
    return bool(parquet_files(data_dir))


def data_version(data_dir: Path) -> str:
    """Changes whenever an extract's table gets a new version, or the reference data or the
    registry changes.

    Used as a cache key: a new upload shows on the next rerun without a server restart. Reads
    only the tables' log folder names (no table load; the sidebar asks on every rerun).
    """
    from target_monitor.tables_delta import latest_version, legacy_files

    h = hashlib.sha256()
    ref = reference_dir(data_dir)
    manifest = Path(data_dir) / "aggregates" / "manifest.json"  # a refresh switches raw -> aggregates
    extra = [manifest] if manifest.exists() else []
    root = extracts_dir(data_dir)
    stats = []
    for name in _extract_names(data_dir):
        v = latest_version(root / name)
        if v is not None:  # and the entry's time: a table deleted and written again starts at 0 again
            try:
                stamp = (root / name / "_delta_log" / f"{v:020d}.json").stat().st_mtime_ns
            except FileNotFoundError:
                stamp = 0
            h.update(f"{name}@{v}|{stamp}\n".encode())
        else:  # the layout before the table format
            stats += [(str(p), p.stat()) for p in legacy_files(root / name)]
    for path, st in [*stats, *((str(p), p.stat()) for p in [*sorted(ref.glob("*.csv")), REGISTRY_PATH, *extra])]:
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


def extract_view_sql(ext: Extract, root: Path, files=None) -> str:
    """`ext_<name>`: the extract's canonical columns, typed, over the data files of one committed
    version of its table (`files`: a `tables_delta.TableFiles`; default the newest version under
    `root`, the extracts folder)."""
    from target_monitor.tables_delta import committed_files

    view = "ext_" + ext.name
    if files is None:
        files = committed_files(Path(root).parent, ext.name)
    if not files.files:
        return _empty_view_sql(view, ext)
    listed = "[" + ", ".join(quote_literal(str(Path(f).resolve())) for f in files.files) + "]"
    cols = ", ".join(f"cast({quote_ident(c.name)} as {c.type}) as {quote_ident(c.name)}" for c in ext.columns)
    return (
        f"create or replace view {quote_ident(view)} as select {cols} "
        f"from {_with_optional(ext, f'read_parquet({listed}, hive_partitioning = true, union_by_name = true)')}"
    )


def _with_optional(ext: Extract, relation: str) -> str:
    """`relation`, or, when the extract has optional columns (added after data was stored), the
    relation with those columns NULL in files written before them: UNION ALL BY NAME with an
    empty row of them fills what the files lack (union_by_name alone needs one file to have it)."""
    optional = [c for c in ext.columns if c.optional]
    if not optional:
        return relation
    nulls = ", ".join(f"cast(null as {c.type}) as {quote_ident(c.name)}" for c in optional)
    return f"(select * from {relation} union all by name select {nulls} where false)"


def dataset_table_name(ext: Extract) -> str:
    return "delta_rows_" + ext.name


def extract_files_view_sql(ext: Extract, files: list[Path]) -> str:
    """`ext_<name>` over an explicit list of files (one source partition, for the aggregates)."""
    file_list = "[" + ", ".join(quote_literal(str(f)) for f in files) + "]"
    return extract_view_over_sql(ext, f"read_parquet({file_list}, union_by_name = true)")


def extract_view_over_sql(ext: Extract, relation: str) -> str:
    """`ext_<name>`: the extract's columns, typed, from `relation` (a table function or a
    registered Arrow table's name)."""
    cols = ", ".join(f"cast({quote_ident(c.name)} as {c.type}) as {quote_ident(c.name)}" for c in ext.columns)
    return f"create or replace view {quote_ident('ext_' + ext.name)} as select {cols} from {_with_optional(ext, relation)}"


def dataset_copy_sql(name: str) -> str:
    """DDL (identifiers only): a table of this database from the registered Arrow dataset."""
    return f"create or replace table {quote_ident(name)} as select * from delta_dataset"


def scoped_view_sql(catalog: str, view: str) -> str:
    """DDL (identifiers only): a cursor's temporary view of `view` holding only the rows of the
    units in temp.scope_units, shadowing the database's own for that cursor."""
    return (f"create temp view {quote_ident(view)} as select * from {quote_ident(catalog)}.main.{quote_ident(view)} "
            "where unit_code in (select unit_code from temp.scope_units)")


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
_RECORD_VIEWS = re.compile(r"\b(indicator_events|indicator_dimension_events|indicator_dimension_month_events|"
                           r"indicator_dimension_monthly|"
                           r"reported_figures|reported_events|record_events|ext_[a-z0-9_]+)\b")
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


def _event_branches(ind: Indicator) -> list[dict[str, str]]:
    """The events one indicator counts, as SQL expressions over `ext_<extract>`, one dict per
    branch: year, event_on, record_on (the day the record is dated), num, den, records (1 per
    record) and where. The one place the registry's kinds become events: `indicator_events_sql`
    and `indicator_dimension_events_sql` both select from these."""
    where = _filter_sql(ind)
    if ind.kind == "cumulative":
        day = quote_ident(ind.date_column)
        value = "1.0" if ind.measure == "count" else f"cast({quote_ident(ind.column)} as double)"
        if ind.scale != 1.0:
            value = f"{value} * {float(ind.scale)!r}"
        return [dict(year=f"cast(year({day}) as integer)", event_on=f"cast({day} as date)",
                     record_on=f"cast({day} as date)", num=value, den="0.0", records="1",
                     where=" and ".join([f"{day} is not null", *where]))]
    cohort = quote_ident(ind.year_column)
    reg = quote_ident(ind.denominator_date_column)
    ok = quote_ident(ind.numerator_date_column)
    base = [f"{reg} is not null", *where]
    return [
        # one registration: den = 1 on the registration day
        dict(year=f"cast({cohort} as integer)", event_on=f"cast({reg} as date)", record_on=f"cast({reg} as date)",
             num="0.0", den="1.0", records="1", where=" and ".join(base)),
        # one success: num = 1 once both have happened (the record is still dated at registration)
        dict(year=f"cast({cohort} as integer)", event_on=f"cast(greatest({reg}, {ok}) as date)",
             record_on=f"cast({reg} as date)", num="1.0", den="0.0", records="0",
             where=" and ".join([*base, f"{ok} is not null"])),
    ]


def indicator_events_sql(registry: Registry, view: str = "indicator_events") -> str:
    """`indicator_events` (or `view`): one row per event counted from *records*, for every
    indicator, in one shape (the live store names it `record_events` and adds reported figures).

    Columns: indicator, unit_code, year, event_on, num, den. A cumulative indicator has
    den = 0 and its value in num; a rate has one row with den = 1 per registration and one
    row with num = 1 per success (dated when both have happened), so any as-of rate is
    sum(num) / sum(den) over event_on <= as_of: never pro-rated.
    """
    parts = []
    for ind in registry.record_indicators:  # reported figures come in through reported_events
        src = quote_ident("ext_" + ind.extract)
        name = quote_literal(ind.name)
        for b in _event_branches(ind):
            parts.append(
                f"select {name} as indicator, unit_code, {b['year']} as year, {b['event_on']} as event_on, "
                f"{b['num']} as num, {b['den']} as den from {src} where {b['where']}"
            )
    return f"create or replace view {quote_ident(view)} as\n" + "\nunion all\n".join(parts)


# --- per-dimension events and monthly sums (the explorer reads these) ----------------


def dimension_sets(ind: Indicator) -> list[tuple[str | None, str | None]]:
    """The dimension sets an indicator is summed by: none, each declared dimension, each pair of
    them (in declared order). The explorer needs at most two at once (rows × columns, or one of
    them and a filter); a pair costs rows for the combinations present, not for every dimension's
    product, so the aggregate grows with the square of the declared dimensions, not their product."""
    dims = list(ind.dimensions)
    pairs = [(a, b) for i, a in enumerate(dims) for b in dims[i + 1:]]
    return [(None, None), *[(d, None) for d in dims], *pairs]


def _dim_literal(dim: str | None) -> str:
    return "cast(null as varchar)" if dim is None else quote_literal(dim)


def indicator_dimension_events_sql(registry: Registry, grain: str = "day") -> str:
    """`indicator_dimension_events`: every event counted from the records (`record_events`; a
    figure reported by a unit has no dimensions), once per dimension set of its indicator
    (`dimension_sets`), with the values of that set.

    Columns: indicator, dimension, value, dimension2, value2 (NULL when the set is smaller),
    unit_code, year, event_on, num, den (as in `indicator_events`), record_on (the day the record
    is dated: the registration day for a rate, whose success counts on a later event_on) and
    records (1 per record: a rate's success event carries 0).

    grain="month": `indicator_dimension_month_events`, the same sums with event_month and
    record_month (first days) in place of event_on and record_on, the records summed per unit,
    months and values of *every* dimension before they are repeated per dimension set: a
    month's records of one unit take a few hundred value combinations, so the sets multiply
    those rows instead of every record (a national month's dimension aggregates: 0.72 s -> 0.28 s).
    Nothing but sums is lost: aggregate_dimension_partition.sql sums these rows again per set.
    """
    monthly = grain == "month"
    parts = []
    for ind in registry.record_indicators:
        src = quote_ident("ext_" + ind.extract)
        dims = list(ind.dimensions)
        dim_cols = "".join(f", cast({quote_ident(d)} as varchar) as dim_{i}" for i, d in enumerate(dims))
        branches = [
            f"select unit_code, {b['year']} as year, {b['event_on']} as event_on, {b['record_on']} as record_on, "
            f"{b['num']} as num, {b['den']} as den, {b['records']} as records{dim_cols} from {src} where {b['where']}"
            for b in _event_branches(ind)
        ]
        events = " union all ".join(branches)
        if monthly:
            dim_names = "".join(f", dim_{i}" for i in range(len(dims)))
            events = (
                "select unit_code, year, cast(date_trunc('month', event_on) as date) as event_on, "
                "cast(date_trunc('month', record_on) as date) as record_on, sum(num) as num, sum(den) as den, "
                f"cast(sum(records) as bigint) as records{dim_names} from ({events}) as r "
                f"group by unit_code, year, date_trunc('month', event_on), date_trunc('month', record_on){dim_names}"
            )

        def value_of(slot: str) -> str:
            if not dims:
                return "cast(null as varchar)"
            whens = " ".join(f"when {quote_literal(d)} then e.dim_{i}" for i, d in enumerate(dims))
            return f"case s.{slot} {whens} end"

        days = "e.event_on as event_month, e.record_on as record_month" if monthly else "e.event_on, e.record_on"
        sets = ", ".join(f"({_dim_literal(a)}, {_dim_literal(b)})" for a, b in dimension_sets(ind))
        parts.append(
            f"select {quote_literal(ind.name)} as indicator, s.dimension, {value_of('dimension')} as value, "
            f"s.dimension2, {value_of('dimension2')} as value2, e.unit_code, e.year, {days}, "
            f"e.num, e.den, e.records from ({events}) as e "
            f"cross join (values {sets}) as s(dimension, dimension2)"
        )
    view = "indicator_dimension_month_events" if monthly else "indicator_dimension_events"
    return f"create or replace view {view} as\n" + "\nunion all\n".join(parts)


def dimension_views_sql(registry: Registry, aggregates: Path | None) -> list[str]:
    """`indicator_dimension_events` (always from the records) and `indicator_dimension_monthly`:
    over the aggregate files when they are fresh, else the same sums computed from the events by
    the query the refresh writes them with (`queries/aggregate_dimension_partition.sql`), so the
    numbers never depend on whether a refresh ran. Needs `unit_keys` (Store creates them after it)."""
    views = [indicator_dimension_events_sql(registry), indicator_dimension_events_sql(registry, "month")]
    parts = []
    if aggregates is not None:
        # one branch per indicator, its name a constant: a query for one indicator (the explorer's)
        # drops the other branches when it is planned and opens only its own extract's files
        root = (aggregates / "indicator_dimension_monthly").resolve()
        cols = "dimension, value, dimension2, value2, unit_key, year, event_month, record_month, num, den, records"
        for ind in registry.record_indicators:
            folder, name = root / ind.extract, quote_literal(ind.name)
            if folder.is_dir() and any(folder.glob("*/*/part-0.parquet")):  # else: no records, no rows
                files = quote_literal(str(folder / "**" / "*.parquet"))
                parts.append(f"select {name} as indicator, {cols} "
                             f"from read_parquet({files}, hive_partitioning = false) where indicator = {name}")
    if parts:
        views.append("create or replace view indicator_dimension_monthly as\n" + "\nunion all\n".join(parts))
    else:
        views.append("create or replace view indicator_dimension_monthly as "
                     + load_queries()["aggregate_dimension_partition"].sql)
    return views

def reported_figures_sql(registry: Registry, has_reports: bool) -> str:
    """`reported_figures`: the reported extract's rows for cumulative indicators and for rates
    that only units report (城镇登记失业率); a rate with a register is counted from the register.
    `is_rate` marks a rate's figure: a standing figure (the rate at the month end), not a count."""
    cols = "cast(null as varchar) as indicator, cast(null as varchar) as unit_code, " \
           "cast(null as date) as report_month, cast(null as varchar) as basis, cast(null as double) as value, " \
           "false as is_rate"
    ext = registry.reported_extract
    names = [i.name for i in registry.indicators if i.kind == "cumulative"]
    rates = [i.name for i in registry.indicators if i.is_rate and i.reported_only]
    if ext is None or not has_reports or not names + rates:
        return f"create or replace view reported_figures as select {cols} where false"
    is_rate = f"indicator in ({', '.join(quote_literal(n) for n in rates)})" if rates else "false"
    return (
        "create or replace view reported_figures as select indicator, unit_code, report_month, basis, value, "
        f"{is_rate} as is_rate "
        f"from {quote_ident('ext_' + ext.name)} where value is not null and report_month is not null "
        f"and basis in ('当月', '累计') and indicator in ({', '.join(quote_literal(n) for n in names + rates)})"
    )


def record_views_sql(registry: Registry, aggregates: Path | None, files: dict | None, has_reports: bool) -> list[str]:
    """The views over the records, created when a query first needs them (Store docstring):

    record_events      every event counted from records (indicator_events_sql)
    reported_figures   the rows of the reported extract for cumulative indicators
    reported_events    what reported figures add, in unit-months without records
                       (queries/reported_events.sql over `record_monthly`); on the aggregate path
                       read back from the reported months' aggregate files, where the refresh
                       stores them (they depend on every record month, so pages never recompute them)
    indicator_events   record_events + reported_events: every counted event, one shape
    (the `ext_<extract>` views come first, and the dimension views after: dimension_views_sql)
    """
    ddl = [indicator_events_sql(registry, view="record_events"), reported_figures_sql(registry, has_reports)]
    reported = (files or {}).get("reported") or []
    if aggregates is None:
        ddl += [
            "create or replace view record_monthly as select indicator, unit_code, year, "
            "cast(date_trunc('month', event_on) as date) as event_month, sum(num) as num "
            "from record_events group by indicator, unit_code, year, date_trunc('month', event_on)",
            "create or replace view reported_events as " + load_queries()["reported_events"].sql,
        ]
    elif has_reports and reported:
        listed = "[" + ", ".join(quote_literal(str(Path(f).resolve())) for f in reported) + "]"
        ddl.append(
            "create or replace view reported_events as select m.indicator, k.unit_code, m.year, "
            "m.last_event_on as event_on, m.num, m.den "
            f"from read_parquet({listed}, hive_partitioning = false) as m join main.unit_keys as k on k.unit_key = m.unit_key"
        )
    else:
        ddl.append("create or replace view reported_events as select indicator, unit_code, year, event_on, num, den "
                   "from record_events where false")
    ddl.append("create or replace view indicator_events as select indicator, unit_code, year, event_on, num, den "
               "from record_events union all select indicator, unit_code, year, event_on, num, den from reported_events")
    return ddl


def record_monthly_from_aggregates_sql(aggregates: Path, files: list[Path]) -> list[str]:
    """`unit_keys` and `record_monthly` over the given record aggregates (what reported figures are
    checked against; the aggregate refresh uses it to build the reported months' aggregates)."""
    keys = quote_literal(str((aggregates / "unit_keys.parquet").resolve()))
    listed = "[" + ", ".join(quote_literal(str(Path(f).resolve())) for f in files) + "]"
    monthly = ("create or replace view record_monthly as select m.indicator, k.unit_code, m.year, m.event_month, m.num "
               f"from read_parquet({listed}, hive_partitioning = false) as m join unit_keys as k on k.unit_key = m.unit_key"
               if files else
               "create or replace view record_monthly as select cast(null as varchar) as indicator, "
               "cast(null as varchar) as unit_code, cast(null as integer) as year, cast(null as date) as event_month, "
               "cast(null as double) as num where false")
    return [
        f"create or replace view unit_keys as select unit_code, cast(unit_key as integer) as unit_key "
        f"from read_parquet({keys})",
        monthly,
    ]


def has_reported_files(data_dir: Path, registry: Registry, versions: dict[str, int] | None = None) -> bool:
    from target_monitor.tables_delta import committed_files

    ext = registry.reported_extract
    if ext is None:
        return False
    return bool(committed_files(Path(data_dir), ext.name, (versions or {}).get(ext.name)).files)


class Store:
    """Views over one data directory, and the named queries of `queries/`.

    With fresh aggregates the views over the records (`ext_<extract>`, `indicator_events`) are
    created only when a query first needs them: creating them reads every extract file's footer
    (a national tier: 240 files), and at a month-end as-of date the pages need none of it.
    `store.con` hands out the connection with every view in place.
    """

    def __init__(self, data_dir: Path, registry: Registry | None = None, *, threads: int = 2,
                 aggregates: bool | None = None, versions: dict[str, int] | None = None):
        """aggregates: None = use them when fresh; False = always count from the records.
        versions: {extract: table version} to read (a snapshot's); default the newest of each."""
        from target_monitor.tables_delta import committed_files

        self.data_dir = Path(data_dir).resolve()
        self.registry = registry or load_registry()
        self.queries: dict[str, QueryFile] = load_queries()
        # the file list of each extract's version, loaded once: every view below reads exactly these
        self.tables = {name: committed_files(self.data_dir, name, (versions or {}).get(name))
                       for name in self.registry.extracts}
        self.versions = {name: tf.version for name, tf in self.tables.items() if tf.version is not None}
        self.files = [f for tf in self.tables.values() for f in tf.files]
        self._lock = threading.RLock()
        self._records_ready = False
        self._con = duckdb.connect(":memory:", config={"threads": threads})
        from target_monitor.aggregates import aggregates_dir, fresh_files

        fresh = fresh_files(self.data_dir, self.registry, self.tables) \
            if aggregates is not False and self.files else None
        self.uses_aggregates = fresh is not None
        self._fresh = fresh
        rep = self.registry.reported_extract
        self.has_reports = rep is not None and bool(self.tables[rep.name].files)
        with self._con.cursor() as cur:
            for ddl in closed_months_sql():
                cur.execute(ddl)
            if self.uses_aggregates:
                for ddl in derived_views_sql(aggregates_dir(self.data_dir), fresh):
                    cur.execute(ddl)
            else:
                self._create_record_views(cur)
                for ddl in [*derived_views_sql(None), *dimension_views_sql(self.registry, None)]:
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

    def _create_record_views(self, cur, aggregates: bool | None = None) -> None:
        from target_monitor.aggregates import aggregates_dir

        agg = aggregates_dir(self.data_dir) if (self.uses_aggregates if aggregates is None else aggregates) else None
        for ext in self.registry.extracts.values():
            # the one place the extracts are read: an access filter (by unit) belongs here
            files = self.tables[ext.name]
            if files.dataset:
                cur.execute(self._dataset_view_sql(ext))
            else:
                cur.execute(extract_view_sql(ext, extracts_dir(self.data_dir), files))
        for ddl in record_views_sql(self.registry, agg, self._fresh if agg else None, self.has_reports):
            cur.execute(ddl)
        if agg is not None:  # on the records path they need unit_keys first (see __init__)
            for ddl in dimension_views_sql(self.registry, agg):
                cur.execute(ddl)
        self._records_ready = True

    def _dataset_view_sql(self, ext: Extract) -> str:
        """A table written by another tool with deletion vectors or column mapping: its files
        alone are not its rows, so read them once through delta-rs's Arrow dataset into a table
        of this in-memory database (slower: 3-5x; tables this app writes never need it)."""
        from target_monitor.tables_delta import open_table

        tf = self.tables[ext.name]
        dataset = open_table(self.data_dir, ext.name, tf.version).to_pyarrow_dataset()
        name = dataset_table_name(ext)
        with self._con.cursor() as cur:
            cur.register("delta_dataset", dataset)
            cur.execute(dataset_copy_sql(name))
            cur.unregister("delta_dataset")
        return extract_view_over_sql(ext, quote_ident(name))

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
            # each in a copy of this thread's context: the access scope goes with the query
            futures = [pool.submit(contextvars.copy_context().run, self.query, name, **params)
                       for name, params in calls]
            return [f.result() for f in futures]

    def _fall_back_to_records(self) -> None:
        with self._lock:  # once, even when several sessions' queries fail together
            if not self.uses_aggregates:
                return
            with self._con.cursor() as cur:
                self._create_record_views(cur, aggregates=False)  # records all the way, no aggregate file
                for ddl in [*derived_views_sql(None), *dimension_views_sql(self.registry, None)]:
                    cur.execute(ddl)
            self.uses_aggregates = False

    def _run(self, q: QueryFile, params: dict) -> pd.DataFrame:
        closed = not self._needs_records(q, params)
        if not closed:
            self._ensure_records()
        with self._con.cursor() as cur:
            if closed:  # the records' part covers no day: bind it to the empty view
                cur.execute(_CLOSED_SEARCH_PATH)
            return _scoped_figures(cur.execute(q.sql, params).df())

    # --- access scope: applied here, below every page, CLI command and export --------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for reading *records* (record lists, the explorer's record path, the console's
        views) under the current access scope (target_monitor/access/scope.py).

        Every `ext_<extract>` view is shadowed on this cursor by a temporary view holding only
        the scope's units; the views built on them (indicator_events, the dimension views)
        resolve to the shadows too, so nothing read through this cursor leaves the scope. No
        scope set: the shadows hold no row (fail closed). Close it (use `with`).
        """
        from target_monitor.access.scope import current

        self._ensure_records()
        scope = current()
        cur = self._con.cursor()
        if scope is not None and scope.all_records:
            return cur
        codes = [] if scope is None else sorted(scope.record_units)
        catalog = cur.execute("select current_database()").fetchone()[0]
        cur.execute("create temp table scope_units as select unnest($codes::varchar[]) as unit_code", {"codes": codes})
        for ext in self.registry.extracts.values():
            cur.execute(scoped_view_sql(catalog, "ext_" + ext.name))
        # reported figures on the aggregate path are read from their files, not from an ext_ view
        cur.execute(scoped_view_sql(catalog, "reported_events"))
        return cur

    def close(self) -> None:
        self._con.close()


def _scoped_figures(df: pd.DataFrame) -> pd.DataFrame:
    """A named query's answer under the current scope: nothing without one (fail closed).

    Named queries return figures (sums), which a scope that limits figures still needs for every
    unit (ranks, the district's rows); which rows are *shown* is cut by `scoped_rows`
    (Context.progress and Context.monthly call it)."""
    from target_monitor.access.scope import current

    return df.iloc[0:0] if current() is None else df


def scoped_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of a figures table (progress, monthly) the current scope may see."""
    from target_monitor.access.scope import current

    scope = current()
    if scope is None:
        return df.iloc[0:0]
    if scope.all_figures or "unit_code" not in df.columns:
        return df
    return df[df["unit_code"].isin(scope.figure_units)].reset_index(drop=True)
