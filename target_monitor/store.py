"""The store: one in-memory DuckDB per process, with views over the Parquet extracts.

Invariants (why the numbers can be trusted):
- The app never opens a DuckDB *file*: the database is in memory and holds only views, so
  ingest can always write the Parquet underneath without a lock conflict.
- Views read `<abs path>/**/*.parquet`. Writers create files under a dot-name ending `.tmp`
  and rename them, so a glob never sees half a file.
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


def parquet_files(data_dir: Path) -> list[Path]:
    """Every visible Parquet file under extracts/ (dot-files are writes in progress)."""
    root = extracts_dir(data_dir)
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".parquet") and not f.startswith("."))
    return found


def data_version(data_dir: Path) -> str:
    """Changes whenever an extract file, the reference data or the registry changes.

    Used as a cache key: a new upload shows on the next rerun without a server restart.
    """
    h = hashlib.sha256()
    ref = reference_dir(data_dir)
    manifest = Path(data_dir) / "aggregates" / "manifest.json"  # a refresh switches raw -> aggregates
    extra = [manifest] if manifest.exists() else []
    for path in [*parquet_files(data_dir), *sorted(ref.glob("*.csv")), REGISTRY_PATH, *extra]:
        st = path.stat()
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


def derived_views_sql(aggregates: Path | None) -> list[str]:
    """`unit_keys` and `indicator_monthly` computed from `indicator_events` (the raw path; also
    what a frozen snapshot uses over its facts). The live store's aggregate path is in
    `live_views_sql`."""
    if aggregates is not None:
        raise ValueError("derived_views_sql computes from indicator_events; use live_views_sql for the aggregates")
    return [
        "create or replace view unit_keys as select unit_code, "
        "cast(row_number() over (order by unit_code) as integer) as unit_key "
        "from (select distinct unit_code from indicator_events)",
        "create or replace view indicator_monthly as select e.indicator, k.unit_key, e.year, "
        "cast(date_trunc('month', e.event_on) as date) as event_month, sum(e.num) as num, sum(e.den) as den, "
        "min(e.event_on) as first_event_on, max(e.event_on) as last_event_on, count(*) as event_count "
        "from indicator_events as e join unit_keys as k on k.unit_code = e.unit_code "
        "group by e.indicator, k.unit_key, e.year, date_trunc('month', e.event_on)",
    ]


def reported_figures_sql(registry: Registry, has_reports: bool) -> str:
    """`reported_figures`: the reported extract's rows for cumulative indicators (the only ones a
    unit can report as a number; a rate needs its register)."""
    cols = "cast(null as varchar) as indicator, cast(null as varchar) as unit_code, " \
           "cast(null as date) as report_month, cast(null as varchar) as basis, cast(null as double) as value"
    ext = registry.reported_extract
    names = [i.name for i in registry.indicators if i.kind == "cumulative"]
    if ext is None or not has_reports or not names:
        return f"create or replace view reported_figures as select {cols} where false"
    return (
        "create or replace view reported_figures as select indicator, unit_code, report_month, basis, value "
        f"from {quote_ident('ext_' + ext.name)} where value is not null and report_month is not null "
        f"and basis in ('当月', '累计') and indicator in ({', '.join(quote_literal(n) for n in names)})"
    )


def record_monthly_from_aggregates_sql(aggregates: Path) -> list[str]:
    """`unit_keys` and `record_monthly` over the record aggregates (what reported figures are
    checked against; the aggregate refresh uses it to build the reported months' aggregates)."""
    keys = quote_literal(str((aggregates / "unit_keys.parquet").resolve()))
    monthly = quote_literal(str((aggregates / "indicator_monthly").resolve() / "**" / "*.parquet"))
    return [
        f"create or replace view unit_keys as select unit_code, cast(unit_key as integer) as unit_key "
        f"from read_parquet({keys})",
        "create or replace view record_monthly as select m.indicator, k.unit_code, m.year, m.event_month, m.num "
        f"from read_parquet({monthly}, hive_partitioning = false) as m join unit_keys as k on k.unit_key = m.unit_key",
    ]


def live_views_sql(registry: Registry, aggregates: Path | None, has_reports: bool) -> list[str]:
    """The views the queries read, after the `ext_<extract>` views:

    record_events      every event counted from records (indicator_events_sql)
    reported_events    what reported figures add, in unit-months without records
                       (queries/reported_events.sql over `record_monthly` and `reported_figures`;
                       on the aggregate path read back from `aggregates/reported_monthly/`,
                       where the refresh stores them, since they depend on every record month)
    indicator_events   record_events + reported_events: every counted event, one shape
    unit_keys, indicator_monthly   over the aggregate files when fresh, else computed from
                       indicator_events, with the same numbers
    """
    ddl = [indicator_events_sql(registry, view="record_events")]
    union = ("create or replace view indicator_events as select indicator, unit_code, year, event_on, num, den "
             "from record_events union all select indicator, unit_code, year, event_on, num, den from reported_events")
    if aggregates is None:
        ddl += [
            "create or replace view record_monthly as select indicator, unit_code, year, "
            "cast(date_trunc('month', event_on) as date) as event_month, sum(num) as num "
            "from record_events group by indicator, unit_code, year, date_trunc('month', event_on)",
            reported_figures_sql(registry, has_reports),
            "create or replace view reported_events as " + load_queries()["reported_events"].sql,
            union,
        ]
        return ddl + derived_views_sql(None)
    keys = quote_literal(str((aggregates / "unit_keys.parquet").resolve()))
    globs = [aggregates / "indicator_monthly"]
    reported = aggregates / "reported_monthly"
    if has_reports:
        globs.append(reported)
    files = "[" + ", ".join(quote_literal(str(g.resolve() / "**" / "*.parquet")) for g in globs) + "]"
    cols = "indicator, unit_key, year, event_month, num, den, first_event_on, last_event_on, event_count"
    ddl += [
        reported_figures_sql(registry, has_reports),  # the reported rows themselves (checks on the data page)
        f"create or replace view unit_keys as select unit_code, cast(unit_key as integer) as unit_key "
        f"from read_parquet({keys})",
        # several source partitions can add to one event month (a rate's later successes); every
        # query sums, so the view does not regroup (that would re-aggregate all years each time)
        f"create or replace view indicator_monthly as select {cols} "
        f"from read_parquet({files}, hive_partitioning = false)",
    ]
    if has_reports:
        ddl.append(
            "create or replace view reported_events as select m.indicator, k.unit_code, m.year, "
            "m.last_event_on as event_on, m.num, m.den "
            f"from read_parquet({quote_literal(str(reported.resolve() / '**' / '*.parquet'))}, "
            "hive_partitioning = false) as m join unit_keys as k on k.unit_key = m.unit_key"
        )
    else:
        ddl.append("create or replace view reported_events as select indicator, unit_code, year, event_on, num, den "
                   "from record_events where false")
    return ddl + [union]


def has_reported_files(data_dir: Path, registry: Registry) -> bool:
    ext = registry.reported_extract
    if ext is None:
        return False
    folder = extracts_dir(Path(data_dir)) / ext.name
    return folder.is_dir() and any(
        f.endswith(".parquet") and not f.startswith(".") for _, _, fs in os.walk(folder) for f in fs
    )


def _filter_sql(ind: Indicator) -> list[str]:
    return [
        f"{quote_ident(col)} in ({', '.join(quote_literal(v) for v in values)})"
        for col, values in sorted(ind.filter.items())
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
    return f"create or replace view {quote_ident(view)} as\n" + "\nunion all\n".join(parts)


# --- per-dimension events and monthly sums (issue 7; the explorer reads these) ----------------


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


def indicator_dimension_events_sql(registry: Registry) -> str:
    """`indicator_dimension_events`: every event counted from the records (`record_events`; a
    figure reported by a unit has no dimensions), once per dimension set of its indicator
    (`dimension_sets`), with the values of that set.

    Columns: indicator, dimension, value, dimension2, value2 (NULL when the set is smaller),
    unit_code, year, event_on, num, den (as in `indicator_events`), record_on (the day the record
    is dated: the registration day for a rate, whose success counts on a later event_on) and
    records (1 per record: a rate's success event carries 0).
    """
    parts = []
    for ind in registry.indicators:
        src = quote_ident("ext_" + ind.extract)
        where = _filter_sql(ind)
        dims = list(ind.dimensions)
        dim_cols = "".join(f", cast({quote_ident(d)} as varchar) as dim_{i}" for i, d in enumerate(dims))
        branches = []
        if ind.kind == "cumulative":
            day = quote_ident(ind.date_column)
            value = "1.0" if ind.measure == "count" else f"cast({quote_ident(ind.column)} as double)"
            if ind.scale != 1.0:
                value = f"{value} * {float(ind.scale)!r}"
            branches.append(
                f"select unit_code, cast(year({day}) as integer) as year, cast({day} as date) as event_on, "
                f"cast({day} as date) as record_on, {value} as num, 0.0 as den, 1 as records{dim_cols} "
                f"from {src} where {' and '.join([f'{day} is not null', *where])}"
            )
        else:
            cohort = quote_ident(ind.year_column)
            reg = quote_ident(ind.denominator_date_column)
            ok = quote_ident(ind.numerator_date_column)
            base = [f"{reg} is not null", *where]
            branches.append(
                f"select unit_code, cast({cohort} as integer) as year, cast({reg} as date) as event_on, "
                f"cast({reg} as date) as record_on, 0.0 as num, 1.0 as den, 1 as records{dim_cols} "
                f"from {src} where {' and '.join(base)}"
            )
            branches.append(
                f"select unit_code, cast({cohort} as integer) as year, "
                f"cast(greatest({reg}, {ok}) as date) as event_on, "
                f"cast({reg} as date) as record_on, 1.0 as num, 0.0 as den, 0 as records{dim_cols} "
                f"from {src} where {' and '.join([*base, f'{ok} is not null'])}"
            )

        def value_of(slot: str) -> str:
            if not dims:
                return "cast(null as varchar)"
            whens = " ".join(f"when {quote_literal(d)} then e.dim_{i}" for i, d in enumerate(dims))
            return f"case s.{slot} {whens} end"

        sets = ", ".join(f"({_dim_literal(a)}, {_dim_literal(b)})" for a, b in dimension_sets(ind))
        parts.append(
            f"select {quote_literal(ind.name)} as indicator, s.dimension, {value_of('dimension')} as value, "
            f"s.dimension2, {value_of('dimension2')} as value2, e.unit_code, e.year, e.event_on, e.record_on, "
            f"e.num, e.den, e.records from ({' union all '.join(branches)}) as e "
            f"cross join (values {sets}) as s(dimension, dimension2)"
        )
    return "create or replace view indicator_dimension_events as\n" + "\nunion all\n".join(parts)


def dimension_views_sql(registry: Registry, aggregates: Path | None) -> list[str]:
    """`indicator_dimension_events` (always from the records) and `indicator_dimension_monthly`:
    over the aggregate files when they are fresh, else the same sums computed from the events by
    the query the refresh writes them with (`queries/aggregate_dimension_partition.sql`), so the
    numbers never depend on whether a refresh ran. Needs `unit_keys` (see live_views_sql)."""
    views = [indicator_dimension_events_sql(registry)]
    parts = []
    if aggregates is not None:
        # one branch per indicator, its name a constant: a query for one indicator (the explorer's)
        # drops the other branches when it is planned and opens only its own extract's files
        root = (aggregates / "indicator_dimension_monthly").resolve()
        cols = "dimension, value, dimension2, value2, unit_key, year, event_month, record_month, num, den, records"
        for ind in registry.indicators:
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

class Store:
    """Views over one data directory, and the named queries of `queries/`."""

    def __init__(self, data_dir: Path, registry: Registry | None = None, *, threads: int = 2,
                 aggregates: bool | None = None):
        """aggregates: None = use them when fresh; False = always count from the records."""
        self.data_dir = Path(data_dir).resolve()
        self.registry = registry or load_registry()
        self.queries: dict[str, QueryFile] = load_queries()
        self.files = parquet_files(self.data_dir)
        self.con = duckdb.connect(":memory:", config={"threads": threads})
        root = extracts_dir(self.data_dir)
        from target_monitor.aggregates import aggregates_dir, is_fresh

        self.uses_aggregates = aggregates is not False and bool(self.files) and is_fresh(self.data_dir, self.registry)
        self.has_reports = has_reported_files(self.data_dir, self.registry)
        if self.uses_aggregates and self.has_reports and not any((aggregates_dir(self.data_dir) / "reported_monthly").rglob("*.parquet")):
            self.uses_aggregates = False  # reports newer than the last refresh's format: count from the records
        with self.con.cursor() as cur:
            for ext in self.registry.extracts.values():
                cur.execute(extract_view_sql(ext, root))
            agg = aggregates_dir(self.data_dir) if self.uses_aggregates else None
            for ddl in [*live_views_sql(self.registry, agg, self.has_reports),
                        *dimension_views_sql(self.registry, agg)]:
                cur.execute(ddl)

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
        try:
            with self.con.cursor() as cur:
                return cur.execute(q.sql, params).df()
        except duckdb.IOException:
            if not self.uses_aggregates:
                raise
            # the aggregate files moved under us (a full refresh or a cleanup): count from the records
            self.uses_aggregates = False
            with self.con.cursor() as cur:
                for ddl in [*live_views_sql(self.registry, None, self.has_reports),
                            *dimension_views_sql(self.registry, None)]:
                    cur.execute(ddl)
                return cur.execute(q.sql, params).df()

    def close(self) -> None:
        self.con.close()
