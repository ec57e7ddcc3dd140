"""The aggregate layer: monthly sums per indicator × unit (and × declared dimension), kept
beside the raw extracts.

Layout (written only by ingest, the demo and `target-monitor aggregates refresh`):

    <data>/aggregates/unit_keys.parquet                     unit_code -> unit_key (INTEGER, never renumbered)
    <data>/aggregates/indicator_monthly/<extract>/year=YYYY/month=MM/part-0.parquet
    <data>/aggregates/indicator_monthly/reported_monthly/year=YYYY/month=MM/part-0.parquet   what
                                                            figures reported by units add, per report month
    <data>/aggregates/indicator_dimension_monthly/<extract>/year=YYYY/month=MM/part-0.parquet
    <data>/aggregates/compact/year=YYYY.parquet             every indicator_monthly part-0 file of source year YYYY in one
    <data>/aggregates/bounds/year=YYYY.parquet              that file's first/last day and count per event year
    <data>/aggregates/manifest.json                         what each aggregate was built from

One aggregate file of each kind per *source* partition (the extract's year=/month= folder): an
ingest that replaces March's loans rebuilds exactly those two files. An `indicator_monthly` file
holds `indicator, unit_key, year, event_month, num, den, first_event_on, last_event_on,
event_count` for the events of its source rows (a rate's success can fall in a later month than
the registration's partition, so several files may add to one event month; readers sum them).

An `indicator_dimension_monthly` file holds, in long format,
`indicator, dimension, value, dimension2, value2, unit_key, year, event_month, record_month,
num, den, records`: the same events summed once per dimension set of each indicator (no
dimension: both NULL; each dimension of `dimensions:` in the registry: dimension2 NULL; each pair
of them, in declared order), so the explorer can slice any two dimensions (rows × columns, or one
and a filter) from it. record_month is the month the record is dated in (a rate's registration
month; event_month for cumulative indicators); records counts source records (a rate's success
event adds 0). The rows are `queries/aggregate_dimension_partition.sql`; when the aggregates are
stale the store computes the same query over all records instead.

Reported figures (extract `reported_monthly`) count only in unit-months without records, so what
they add depends on every record month of their units: `_refresh_reported` rebuilds all of them
(few rows) from the record aggregates whenever a refresh changed anything, as the part-0 files of
the reported extract's partitions (so they are compacted like the others).

Ingest does not read a partition it has just written back: `storage.commit` calls `precompute`
with the partitions' new Arrow tables on a thread while their Parquet files are written, and
passes the result to `refresh(precomputed=...)`, which writes those rows (and the unit keys they
were given) for exactly those partitions; anything else stale is built from its files as always.

Readers never open the per-partition files: a national deployment has 240 of them and opening
that many files cost more than summing their rows. They read `compact/`, one file per source
year (all extracts), rows sorted by year, event month, indicator and unit so a query for one
year skips the other years' row groups. A refresh rewrites the compact file of every year in
which a partition was rebuilt or removed (one year's files: a fraction of a second), and beside
it the few rows `data_bounds` needs from it (min, max and count per event year), so the year
picker and the default as-of date do not sum every aggregate row of every year on a cold start.

Invariants:
- Freshness is decided by comparing the manifest with the source files of the extract tables'
  committed versions (name, size, mtime) and the registry's hash: aggregates are derived and
  rebuildable, keyed on the table versions' files, so an undo (a restore re-adds the old files)
  or a snapshot of an older version reads from the records until the aggregates match. The store uses the aggregates only when they are fresh; otherwise it
  computes the same `indicator_monthly` view from the raw rows, so the numbers never depend on
  whether a refresh has run, only the speed does.
- The manifest is written last, atomically: a refresh killed half-way leaves the old manifest,
  which no longer matches, so readers fall back to raw rows until the next refresh.
- The manifest lists the compact files; the store reads exactly those (never a glob), so a
  compact file that goes missing is an error the store falls back from, never a silent gap.
"""

from __future__ import annotations

import dataclasses

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from target_monitor.paths import extracts_dir
from target_monitor.registry import REGISTRY_PATH, Registry, load_registry
from target_monitor.sqlfiles import load_queries

AGG_DIRNAME = "aggregates"
MANIFEST = "manifest.json"
UNIT_KEYS = "unit_keys.parquet"
MONTHLY = "indicator_monthly"
DIM_MONTHLY = "indicator_dimension_monthly"
COMPACT = "compact"
BOUNDS = "bounds"
FORMAT_VERSION = 3  # 2: readers read compact/; 3: with indicator_dimension_monthly and reported months
COMPACT_ROW_GROUP = 65_536  # rows per row group: ~8 per national year, so a year's query skips most


def aggregates_dir(data_dir: Path) -> Path:
    return Path(data_dir) / AGG_DIRNAME


def _registry_hash() -> str:
    return hashlib.sha256(REGISTRY_PATH.read_bytes()).hexdigest()[:16]


def source_partitions(data_dir: Path, registry: Registry, tables: dict | None = None) -> dict[str, list[Path]]:
    """`<extract>/year=YYYY/month=MM` -> its data files in the extract table's committed version
    (`tables`: {extract: TableFiles} a store already loaded; default the newest versions)."""
    from target_monitor.tables_delta import committed_files

    root = extracts_dir(Path(data_dir))
    out: dict[str, list[Path]] = {}
    for name in registry.extracts:
        tf = (tables or {}).get(name) or committed_files(Path(data_dir), name)
        for f in tf.files:
            out.setdefault(f.parent.relative_to(root).as_posix(), []).append(f)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _signature(files: list[Path]) -> list[list]:
    return [[f.name, st.st_size, st.st_mtime_ns] for f in files for st in [f.stat()]]


def _current_signatures(data_dir: Path, registry: Registry, tables: dict | None = None) -> dict[str, list[list]]:
    """`source_partitions` with each partition's `_signature` (every store opened checks freshness)."""
    return {part: _signature(files) for part, files in source_partitions(data_dir, registry, tables).items()}


def read_manifest(data_dir: Path) -> dict | None:
    path = aggregates_dir(data_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def fresh_files(data_dir: Path, registry: Registry | None = None, tables: dict | None = None) -> dict[str, list[Path]] | None:
    """The files readers read, {"compact": [...], "bounds": [...], "reported": [...]}, when every source partition has
    an aggregate built from exactly its current files (and those files exist); None when the
    aggregates are not fresh."""
    registry = registry or load_registry()
    manifest = read_manifest(data_dir)
    if not manifest or manifest.get("format") != FORMAT_VERSION or manifest.get("registry") != _registry_hash():
        return None
    try:
        current = _current_signatures(data_dir, registry, tables)
    except FileNotFoundError:  # a version whose files were vacuumed: not fresh (the store says why)
        return None
    if current != manifest.get("partitions"):
        return None
    agg = aggregates_dir(data_dir)
    names = manifest.get("compact", [])
    reported = [agg / MONTHLY / p / "part-0.parquet" for p in sorted(manifest.get("partitions", {}))
                if registry.reported_extract is not None and p.split("/", 1)[0] == registry.reported_extract.name]
    files = {"compact": [agg / COMPACT / n for n in names], "bounds": [agg / BOUNDS / n for n in names],
             "reported": reported}
    if not names or not all(f.exists() for group in files.values() for f in group):
        return None
    return files


def is_fresh(data_dir: Path, registry: Registry | None = None) -> bool:
    """True when every source partition has an aggregate built from exactly its current files."""
    return fresh_files(data_dir, registry) is not None


def _compact_name(part: str) -> str:
    """The compact file a partition goes to: its source year's (`loans/year=2020/month=03` -> `year=2020.parquet`)."""
    year = next((p for p in part.split("/") if p.startswith("year=")), "year=none")
    return f"{year}.parquet"


def _compact(agg: Path, name: str, parts: list[str]) -> int:
    """Write `compact/<name>` from the partitions' part-0 files, sorted for row-group skipping."""
    # ParquetFile, not read_table: read_table would add year=/month= from the path as columns
    tables = [pq.ParquetFile(agg / MONTHLY / part / "part-0.parquet").read() for part in sorted(parts)]
    key = ["indicator", "unit_key", "year", "event_month"]
    # one row per key: a rate's successes come from several registration months' partitions, so a
    # third of a national year's rows share their key with another (readers sum them either way)
    merged = pa.concat_tables(tables).group_by(key, use_threads=False).aggregate(
        [("num", "sum"), ("den", "sum"), ("first_event_on", "min"), ("last_event_on", "max"), ("event_count", "sum")])
    table = pa.table({
        **{k: merged[k] for k in key},
        "num": merged["num_sum"], "den": merged["den_sum"], "first_event_on": merged["first_event_on_min"],
        "last_event_on": merged["last_event_on_max"], "event_count": merged["event_count_sum"],
    }).sort_by([("year", "ascending"), ("event_month", "ascending"), ("indicator", "ascending"),
                ("unit_key", "ascending")])
    _write_atomic(table, agg / COMPACT / name, row_group_size=COMPACT_ROW_GROUP)
    # its share of data_bounds: first and last day and event count per event year
    parts = pa.table({"year": pc.cast(pc.year(table["event_month"]), pa.int32()),
                      "first_event_on": table["first_event_on"], "last_event_on": table["last_event_on"],
                      "event_count": table["event_count"]})
    bounds = parts.group_by("year").aggregate(
        [("first_event_on", "min"), ("last_event_on", "max"), ("event_count", "sum")])
    _write_atomic(pa.table({"year": bounds["year"], "first_event_on": bounds["first_event_on_min"],
                            "last_event_on": bounds["last_event_on_max"], "event_count": bounds["event_count_sum"]}),
                  agg / BOUNDS / name)
    return table.num_rows


@dataclass
class RefreshReport:
    rebuilt: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    source_rows: int = 0
    aggregate_rows: int = 0
    reported: int = 0  # unit-months counted from reported figures
    dimension_rows: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"rebuilt": len(self.rebuilt), "removed": len(self.removed), "unchanged": self.unchanged,
                "source_rows": self.source_rows, "aggregate_rows": self.aggregate_rows, "reported": self.reported,
                "dimension_rows": self.dimension_rows,
                "seconds": round(self.seconds, 2),
                "rows_per_second": round(self.source_rows / self.seconds) if self.seconds else None}


def _write_atomic(table: pa.Table, path: Path, row_group_size: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_size)
    os.replace(tmp, path)


def _write_json_atomic(obj: dict, path: Path) -> None:
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=0), encoding="utf-8")
    os.replace(tmp, path)


def _load_keys(agg: Path) -> dict[str, int]:
    path = agg / UNIT_KEYS
    if not path.exists():
        return {}
    t = pq.read_table(path)
    return dict(zip(t.column("unit_code").to_pylist(), t.column("unit_key").to_pylist()))


def _reported_parts(sources: dict[str, list[Path]], registry: Registry) -> list[str]:
    ext = registry.reported_extract
    return sorted(p.split("/", 1)[1] for p in sources if ext is not None and p.split("/", 1)[0] == ext.name)


def _reported_missing(agg: Path, sources: dict[str, list[Path]], registry: Registry) -> bool:
    name = registry.reported_extract.name if registry.reported_extract else ""
    return any(not (agg / MONTHLY / name / part / "part-0.parquet").exists() for part in _reported_parts(sources, registry))


def _refresh_reported(data_dir: Path, registry: Registry, agg: Path, sources: dict[str, list[Path]],
                      threads: int) -> int:
    """The part-0 files of the reported extract's partitions: the events reported figures add
    (queries/reported_events.sql: only unit-months without records), summed like every aggregate,
    one file per reported month (written even when empty), compacted with the others."""
    from target_monitor.store import extract_view_sql, record_monthly_from_aggregates_sql, reported_figures_sql

    parts = _reported_parts(sources, registry)
    if not parts:
        return 0
    out = agg / MONTHLY / registry.reported_extract.name
    record_files = [agg / MONTHLY / p / "part-0.parquet" for p in sorted(sources)
                    if p.split("/", 1)[0] != registry.reported_extract.name]
    queries = load_queries()
    con = duckdb.connect(":memory:", config={"threads": threads})
    try:
        with con.cursor() as cur:
            for ext in registry.extracts.values():
                cur.execute(extract_view_sql(ext, extracts_dir(data_dir)))
            for ddl in record_monthly_from_aggregates_sql(agg, record_files):
                cur.execute(ddl)
            cur.execute(reported_figures_sql(registry, True))
            cur.execute("create or replace view indicator_events as " + queries["reported_events"].sql)
            table = cur.sql(queries["aggregate_partition"].sql).to_arrow_table()
    finally:
        con.close()
    months = pc.strftime(table.column("event_month"), format="year=%Y/month=%m")
    rows = 0
    for part in parts:
        piece = table.filter(pc.equal(months, part))
        _write_atomic(piece, out / part / "part-0.parquet")
        rows += piece.num_rows
    return rows


def _keys_table(keys: dict[str, int]) -> pa.Table:
    return pa.table({"unit_code": list(keys), "unit_key": pa.array(list(keys.values()), pa.int32())})


def _build_partition(con: duckdb.DuckDBPyConnection, registry: Registry, extract: str,
                     source: list[Path] | pa.Table, keys: dict[str, int]) -> tuple[int, pa.Table, pa.Table]:
    """One source partition's (rows, indicator_monthly rows, indicator_dimension_monthly rows),
    from its files or from the Arrow table being written as them. New unit codes get the next
    keys in `keys` (updated in place); existing keys never change."""
    from target_monitor.store import (_empty_view_sql, extract_files_view_sql, extract_units_sql,
                                      extract_view_over_sql, indicator_dimension_events_sql, indicator_events_sql)

    queries = load_queries()
    # the events views over this extract's indicators only: the other extracts' views would be
    # empty, and binding their branches in every partition's two queries cost most of a refresh
    own = tuple(i for i in registry.record_indicators if i.extract == extract)
    if own:
        registry = dataclasses.replace(registry, indicators=own)
    with con.cursor() as cur:
        for ext in registry.extracts.values():
            if ext.name != extract:
                if not own:
                    cur.execute(_empty_view_sql("ext_" + ext.name, ext))
            elif isinstance(source, pa.Table):
                cur.register("partition_rows", source)
                cur.execute(extract_view_over_sql(ext, "partition_rows"))
            else:
                cur.execute(extract_files_view_sql(ext, source))
        cur.execute(indicator_events_sql(registry))
        cur.execute(indicator_dimension_events_sql(registry, "month"))
        rows, codes = cur.execute(extract_units_sql(registry.extracts[extract])).fetchall()[0]
        last = max(keys.values(), default=0)  # once, not per new code (6,000 new codes: 0.15 s)
        for code in sorted(c for c in codes if c is not None):
            if code not in keys:
                last += 1
                keys[code] = last
        cur.register("unit_keys", _keys_table(keys))
        table = cur.sql(queries["aggregate_partition"].sql).to_arrow_table()
        dim_table = cur.sql(queries["aggregate_dimension_partition"].sql).to_arrow_table()
        cur.unregister("unit_keys")
        if isinstance(source, pa.Table):
            cur.unregister("partition_rows")
    return rows, table, dim_table


def precompute(data_dir: Path, extract: str, tables: dict[str, pa.Table], *, threads: int = 2) -> dict:
    """The aggregates of source partitions about to be written, from their Arrow tables (ingest
    computes them while the Parquet files are being written: on two cores the two overlap).
    Pass the result to `refresh(precomputed=...)` once the files are in place: it writes these
    instead of reading the files back. `tables`: `<extract>/year=YYYY/month=MM` -> the partition's
    whole new content (exactly what its file will hold)."""
    registry = load_registry()
    keys = _load_keys(aggregates_dir(Path(data_dir)))
    con = duckdb.connect(":memory:", config={"threads": threads})
    try:
        parts = {part: _build_partition(con, registry, extract, table, keys) for part, table in sorted(tables.items())}
    finally:
        con.close()
    return {"keys": keys, "parts": parts}


def refresh(data_dir: Path, *, full: bool = False, threads: int = 2, precomputed: dict | None = None) -> RefreshReport:
    """Rebuild the aggregates of every source partition that changed (all of them with full=True).

    precomputed: `precompute`'s result for partitions whose new files are now in place (ingest)."""
    t0 = time.perf_counter()
    data_dir = Path(data_dir).resolve()
    registry = load_registry()
    agg = aggregates_dir(data_dir)
    manifest = None if full else read_manifest(data_dir)
    if manifest and (manifest.get("format") != FORMAT_VERSION or manifest.get("registry") != _registry_hash()):
        manifest = None  # the registry changed: every indicator may be counted differently
    # a full rebuild overwrites every file in place (never deletes first: a reader may be using them)
    old = (manifest or {}).get("partitions", {})
    sources = source_partitions(data_dir, registry)
    report = RefreshReport()
    keys = _load_keys(agg)

    pre = precomputed or {}
    if pre.get("keys") and all(keys.get(c) == k for c, k in pre["keys"].items() if c in keys):
        keys.update(pre["keys"])  # the keys it assigned (the same numbering: a superset of the file's)
    else:
        pre = {}
    con = duckdb.connect(":memory:", config={"threads": threads})
    try:
        for part, files in sorted(sources.items()):
            sig = _signature(files)
            if old.get(part) == sig and (agg / MONTHLY / part / "part-0.parquet").exists():
                report.unchanged += 1
                continue
            if part in pre.get("parts", {}):
                rows, table, dim_table = pre["parts"][part]
            else:
                rows, table, dim_table = _build_partition(con, registry, part.split("/", 1)[0], files, keys)
            report.source_rows += rows
            _write_atomic(_keys_table(keys), agg / UNIT_KEYS)
            _write_atomic(table, agg / MONTHLY / part / "part-0.parquet")
            _write_atomic(dim_table, agg / DIM_MONTHLY / part / "part-0.parquet")
            report.rebuilt.append(part)
            report.aggregate_rows += table.num_rows
            report.dimension_rows += dim_table.num_rows
    finally:
        con.close()
    reported_years: set[str] = set()
    if report.rebuilt or full or _reported_missing(agg, sources, registry):
        # what reported figures add depends on every record month of their units: rebuilt whenever
        # anything changed (the reported rows are few; the records are read from the aggregates)
        report.reported = _refresh_reported(data_dir, registry, agg, sources, threads)
        name = registry.reported_extract.name if registry.reported_extract else ""
        reported_years = {_compact_name(f"{name}/{p}") for p in _reported_parts(sources, registry)}
    built = {p.parent.relative_to(agg / kind).as_posix()
             for kind in (MONTHLY, DIM_MONTHLY) for p in (agg / kind).glob("*/*/*/part-0.parquet")}
    for part in sorted((set(old) | built) - set(sources)):
        for kind in (MONTHLY, DIM_MONTHLY):
            folder = agg / kind / part
            if folder.exists():
                shutil.rmtree(folder)
        report.removed.append(part)
    # the compact files: rewrite every source year that changed (or has none yet), drop emptied years
    groups: dict[str, list[str]] = {}
    for part in sources:
        groups.setdefault(_compact_name(part), []).append(part)
    touched = {_compact_name(p) for p in [*report.rebuilt, *report.removed]} | reported_years
    for name, parts in sorted(groups.items()):
        if name in touched or not (agg / COMPACT / name).exists() or not (agg / BOUNDS / name).exists():
            _compact(agg, name, parts)
    for folder in (agg / COMPACT, agg / BOUNDS):
        for path in folder.glob("*.parquet") if folder.is_dir() else []:
            if path.name not in groups:
                path.unlink()
    agg.mkdir(parents=True, exist_ok=True)
    _write_json_atomic({"format": FORMAT_VERSION, "registry": _registry_hash(),
                        "partitions": {k: _signature(v) for k, v in sorted(sources.items())},
                        "compact": sorted(groups),
                        "built": time.strftime("%Y-%m-%dT%H:%M:%S")}, agg / MANIFEST)
    report.seconds = time.perf_counter() - t0
    return report
