"""The aggregate layer: monthly sums per indicator × unit (and × declared dimension), kept
beside the raw extracts.

Layout (written only by ingest, the demo and `target-monitor aggregates refresh`):

    <data>/aggregates/unit_keys.parquet                     unit_code -> unit_key (INTEGER, never renumbered)
    <data>/aggregates/indicator_monthly/<extract>/year=YYYY/month=MM/part-0.parquet
    <data>/aggregates/reported_monthly/year=YYYY/month=MM/part-0.parquet   what figures reported by
                                                            units add (same columns), per report month
    <data>/aggregates/indicator_dimension_monthly/<extract>/year=YYYY/month=MM/part-0.parquet
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
(few rows) from the record aggregates whenever a refresh changed anything.

Invariants:
- Freshness is decided by comparing the manifest with the source files (name, size, mtime)
  and the registry's hash. The store uses the aggregates only when they are fresh; otherwise it
  computes the same `indicator_monthly` view from the raw rows, so the numbers never depend on
  whether a refresh has run, only the speed does.
- The manifest is written last, atomically: a refresh killed half-way leaves the old manifest,
  which no longer matches, so readers fall back to raw rows until the next refresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute  # noqa: F401 (pa.compute)
import pyarrow.parquet as pq

from target_monitor.paths import extracts_dir
from target_monitor.registry import REGISTRY_PATH, Registry, load_registry
from target_monitor.sqlfiles import load_queries

AGG_DIRNAME = "aggregates"
MANIFEST = "manifest.json"
UNIT_KEYS = "unit_keys.parquet"
MONTHLY = "indicator_monthly"
REPORTED = "reported_monthly"  # what reported figures add, per report month (see _refresh_reported)
DIM_MONTHLY = "indicator_dimension_monthly"
FORMAT_VERSION = 2  # 2: with indicator_dimension_monthly


def aggregates_dir(data_dir: Path) -> Path:
    return Path(data_dir) / AGG_DIRNAME


def _registry_hash() -> str:
    return hashlib.sha256(REGISTRY_PATH.read_bytes()).hexdigest()[:16]


def source_partitions(data_dir: Path, registry: Registry) -> dict[str, list[Path]]:
    """`<extract>/year=YYYY/month=MM` -> its visible Parquet files (dot-files are writes in progress)."""
    root = extracts_dir(Path(data_dir))
    out: dict[str, list[Path]] = {}
    for name in registry.extracts:
        folder = root / name
        if not folder.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            files = sorted(Path(dirpath) / f for f in filenames if f.endswith(".parquet") and not f.startswith("."))
            if files:
                out[Path(dirpath).relative_to(root).as_posix()] = files
    return out


def _signature(files: list[Path]) -> list[list]:
    return [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]


def read_manifest(data_dir: Path) -> dict | None:
    path = aggregates_dir(data_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_fresh(data_dir: Path, registry: Registry | None = None) -> bool:
    """True when every source partition has an aggregate built from exactly its current files."""
    registry = registry or load_registry()
    manifest = read_manifest(data_dir)
    if not manifest or manifest.get("format") != FORMAT_VERSION or manifest.get("registry") != _registry_hash():
        return False
    current = {key: _signature(files) for key, files in source_partitions(data_dir, registry).items()}
    return current == manifest.get("partitions")


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


def _write_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    pq.write_table(table, tmp, compression="zstd")
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
    return any(not (agg / REPORTED / part / "part-0.parquet").exists() for part in _reported_parts(sources, registry))


def _refresh_reported(data_dir: Path, registry: Registry, agg: Path, sources: dict[str, list[Path]],
                      threads: int) -> int:
    """`aggregates/reported_monthly/year=/month=/part-0.parquet`: the events reported figures add
    (queries/reported_events.sql: only unit-months without records), summed like every aggregate,
    one file per reported month (written even when empty, so readers know it was built)."""
    from target_monitor.store import (extract_view_sql, record_monthly_from_aggregates_sql, reported_figures_sql)

    parts = _reported_parts(sources, registry)
    out = agg / REPORTED
    rows = 0
    if parts:
        queries = load_queries()
        con = duckdb.connect(":memory:", config={"threads": threads})
        try:
            with con.cursor() as cur:
                for ext in registry.extracts.values():
                    cur.execute(extract_view_sql(ext, extracts_dir(data_dir)))
                for ddl in record_monthly_from_aggregates_sql(agg):
                    cur.execute(ddl)
                cur.execute(reported_figures_sql(registry, True))
                cur.execute("create or replace view indicator_events as " + queries["reported_events"].sql)
                table = cur.sql(queries["aggregate_partition"].sql).to_arrow_table()
        finally:
            con.close()
        months = pa.compute.strftime(table.column("event_month"), format="year=%Y/month=%m")
        for part in parts:
            piece = table.filter(pa.compute.equal(months, part))
            _write_atomic(piece, out / part / "part-0.parquet")
            rows += piece.num_rows
    if out.is_dir():  # months whose reports are gone
        for stale in {p.parent.relative_to(out).as_posix() for p in out.glob("*/*/part-0.parquet")} - set(parts):
            shutil.rmtree(out / stale)
    return rows


def refresh(data_dir: Path, *, full: bool = False, threads: int = 2) -> RefreshReport:
    """Rebuild the aggregates of every source partition that changed (all of them with full=True)."""
    from target_monitor.store import (_empty_view_sql, extract_files_view_sql, extract_units_sql,
                                      indicator_dimension_events_sql, indicator_events_sql)

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
    sql = load_queries()["aggregate_partition"].sql
    dim_sql = load_queries()["aggregate_dimension_partition"].sql

    con = duckdb.connect(":memory:", config={"threads": threads})
    try:
        for part, files in sorted(sources.items()):
            sig = _signature(files)
            if old.get(part) == sig:
                report.unchanged += 1
                continue
            extract = part.split("/", 1)[0]
            with con.cursor() as cur:
                for ext in registry.extracts.values():
                    if ext.name != extract:
                        cur.execute(_empty_view_sql("ext_" + ext.name, ext))
                        continue
                    cur.execute(extract_files_view_sql(ext, files))
                cur.execute(indicator_events_sql(registry))
                cur.execute(indicator_dimension_events_sql(registry))
                # new unit codes get the next keys; existing keys never change
                rows, codes = cur.execute(extract_units_sql(registry.extracts[extract])).fetchall()[0]
                last = max(keys.values(), default=0)  # once, not per new code (6,000 new codes: 0.15 s)
                for code in sorted(c for c in codes if c is not None):
                    if code not in keys:
                        last += 1
                        keys[code] = last
                report.source_rows += rows
                key_table = pa.table({"unit_code": list(keys), "unit_key": pa.array(list(keys.values()), pa.int32())})
                cur.register("unit_keys", key_table)
                table = cur.sql(sql).to_arrow_table()
                dim_table = cur.sql(dim_sql).to_arrow_table()
                cur.unregister("unit_keys")
            _write_atomic(pa.table({"unit_code": list(keys), "unit_key": pa.array(list(keys.values()), pa.int32())}),
                          agg / UNIT_KEYS)
            _write_atomic(table, agg / MONTHLY / part / "part-0.parquet")
            _write_atomic(dim_table, agg / DIM_MONTHLY / part / "part-0.parquet")
            report.rebuilt.append(part)
            report.aggregate_rows += table.num_rows
            report.dimension_rows += dim_table.num_rows
    finally:
        con.close()
    if report.rebuilt or full or _reported_missing(agg, sources, registry):
        # what reported figures add depends on every record month of their units: rebuilt whenever
        # anything changed (the reported rows are few; the records are read from the aggregates)
        report.reported = _refresh_reported(data_dir, registry, agg, sources, threads)
    built = {p.parent.relative_to(agg / kind).as_posix()
             for kind in (MONTHLY, DIM_MONTHLY) for p in (agg / kind).glob("*/*/*/part-0.parquet")}
    for part in sorted((set(old) | built) - set(sources)):
        for kind in (MONTHLY, DIM_MONTHLY):
            folder = agg / kind / part
            if folder.exists():
                shutil.rmtree(folder)
        report.removed.append(part)
    agg.mkdir(parents=True, exist_ok=True)
    _write_json_atomic({"format": FORMAT_VERSION, "registry": _registry_hash(),
                        "partitions": {k: _signature(v) for k, v in sorted(sources.items())},
                        "built": time.strftime("%Y-%m-%dT%H:%M:%S")}, agg / MANIFEST)
    report.seconds = time.perf_counter() - t0
    return report
