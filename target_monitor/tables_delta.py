"""The extracts as Delta Lake tables (delta-rs, `deltalake`): one table per extract.

    <data>/extracts/<extract>/_delta_log/00000000000000000NNN.json   the table's versions
    <data>/extracts/<extract>/year=YYYY/month=MM/part-*.parquet        data files (of every version)

Why a table format: a reader must see a committed version, never a file a writer is still
placing, and every import must be a version that can be read again (snapshots) and undone
exactly. Delta gives that with one atomic step per commit: the writer places new data files
first (no reader lists them: readers read the file list of a committed version, never a glob)
and then creates the next `_delta_log/<N>.json` without replacing an existing one; that file's
appearance is the commit. A writer killed before it leaves unreferenced files (removed by
`vacuum`), never a half state.

The one place readers get their files is `committed_files` (the file list of one version,
loaded once per version and cached: a version never changes). `store.Store` builds its views
from it; an access layer that filters by unit adds its filter where those views are created.

On object storage (`TARGET_MONITOR_STORE=s3://bucket/prefix`, target_monitor/objectstore.py) the
tables live at `<store>/extracts/<extract>` and the local `<data>/extracts/<extract>/` folder is
this machine's read cache of their data files, same relative paths: a Delta data file never
changes once written (every write makes new names), so a file cached is a file correct for every
version that lists it. `committed_files` lists a version's files from its log and downloads the
missing ones (pyarrow's S3 filesystem); every reader then reads local Parquet as on local disk.

A data directory written before the table format (`year=/month=/part-0.parquet` without a
`_delta_log`) is still read as it is (`legacy` files) until `target-monitor store migrate`
or the next import converts it (`migrate`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from target_monitor.paths import extracts_dir

LOG_DIR = "_delta_log"
PARTITIONS = ["year", "month"]
COMMIT_KEY = "target_monitor"  # the commit's own record (who, file, counts), in the commit itself
_VERSION_FILE = re.compile(r"^(\d{20})\.json$")
_UNSUPPORTED_READER_FEATURES = {"deletionVectors", "columnMapping"}


def table_path(data_dir: Path, extract: str) -> Path:
    return extracts_dir(Path(data_dir)) / extract


def is_table(path: Path) -> bool:
    return latest_version(path) is not None


def _store():
    from target_monitor.objectstore import location

    return location()


def _uri(path: Path) -> str:
    """Where the table of the local folder `<data>/extracts/<extract>` lives: the folder itself, or
    on object storage `<store>/extracts/<extract>` (the folder is then its read cache)."""
    loc = _store()
    return f"{loc.uri}/extracts/{Path(path).name}" if loc is not None else str(path)


def table_uri(data_dir: Path, extract: str) -> str:
    """The table's location for delta-rs (a local path, or s3://...); with `store_options()`."""
    return _uri(table_path(data_dir, extract))


def store_options() -> dict | None:
    """delta-rs' storage options for the tables (None on local disk)."""
    return _options()


def _options() -> dict | None:
    if _store() is None:
        return None
    from target_monitor.objectstore import storage_options

    return storage_options()


LIST_TTL_S = 1.0  # how long an object store's newest version is reused (the sidebar asks on every rerun)
_listed: dict[str, tuple[float, int | None]] = {}


def latest_version(path: Path, *, fresh: bool = False) -> int | None:
    """The newest committed version, from the log folder's names alone (no table load: the
    sidebar asks on every rerun). None when the folder is not a Delta table. On object storage one
    LIST of the log, reused for LIST_TTL_S unless `fresh`."""
    if _store() is not None:
        return _s3_latest_version(_uri(path), fresh)
    try:
        with os.scandir(Path(path) / LOG_DIR) as it:
            numbers = [int(m.group(1)) for e in it if (m := _VERSION_FILE.match(e.name))]
    except (FileNotFoundError, NotADirectoryError):
        return None
    return max(numbers) if numbers else None


def _s3_latest_version(uri: str, fresh: bool) -> int | None:
    from pyarrow import fs as pafs

    from target_monitor.objectstore import filesystem

    now = time.monotonic()
    hit = _listed.get(uri)
    if hit is not None and not fresh and now - hit[0] < LIST_TTL_S:
        return hit[1]
    infos = filesystem().get_file_info(pafs.FileSelector(f"{uri.removeprefix('s3://')}/{LOG_DIR}",
                                                         allow_not_found=True))
    numbers = [int(m.group(1)) for i in infos if (m := _VERSION_FILE.match(i.base_name))]
    found = max(numbers) if numbers else None
    _listed[uri] = (now, found)
    return found


def store_versions(data_dir: Path, names) -> dict[str, int]:
    """{extract: its newest version} for every extract stored as a table: the store's version."""
    out = {}
    for name in names:
        v = latest_version(table_path(data_dir, name))
        if v is not None:
            out[name] = v
    return out


def open_table(data_dir: Path, extract: str, version: int | None = None):
    from deltalake import DeltaTable

    path = table_path(data_dir, extract)
    return DeltaTable(_uri(path), version=version, storage_options=_options())


@dataclass(frozen=True)
class TableFiles:
    """One extract's files at one version. `dataset` is True when the table's protocol needs a
    reader that applies deletion vectors or column mapping (a table written by another tool):
    then the files alone are not the rows, and readers go through the Arrow dataset instead."""
    extract: str
    version: int | None  # None: the legacy layout (no table yet)
    files: tuple[Path, ...]
    dataset: bool = False


_cache: dict[tuple, TableFiles] = {}
_cache_lock = threading.Lock()


def committed_files(data_dir: Path, extract: str, version: int | None = None) -> TableFiles:
    """The data files of `extract` at `version` (default: the newest committed one)."""
    path = table_path(data_dir, extract)
    v = latest_version(path) if version is None else version
    if v is None:
        return TableFiles(extract, None, tuple(legacy_files(path)))
    try:  # a table deleted and written again (the demo) starts at version 0 again: key on the entry itself
        st = (path / LOG_DIR / f"{v:020d}.json").stat()
        stamp = (st.st_ino, st.st_mtime_ns)
    except FileNotFoundError:  # a checkpointed version whose entry was cleaned up, or object storage
        stamp = None
    key = (str(path.resolve()), _uri(path), extract, v, stamp)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    dt = open_table(data_dir, extract, v)
    features = set(dt.protocol().reader_features or [])
    uris = dt.file_uris()
    if _store() is not None:
        files = _cached(path, _uri(path), uris)
    else:
        files = [Path(u.removeprefix("file://")) for u in uris]
    found = TableFiles(extract, v, tuple(sorted(files)), dataset=bool(features & _UNSUPPORTED_READER_FEATURES))
    with _cache_lock:
        if len(_cache) > 512:
            _cache.clear()
        _cache[key] = found
    return found


CACHE_THREADS = 4


def _cached(folder: Path, uri: str, uris: list[str]) -> list[Path]:
    """The local copies of a version's data files (object storage), downloading those missing.
    A file is placed under a temporary name and renamed, so a reader never sees half of one."""
    from concurrent.futures import ThreadPoolExecutor

    from target_monitor.objectstore import filesystem

    pairs = []
    for u in uris:
        rel = u[len(uri):].lstrip("/") if u.startswith(uri) else u.rsplit("/", 1)[-1]
        pairs.append((u, folder / rel))
    missing = [(u, p) for u, p in pairs if not p.exists()]
    if missing:
        fs = filesystem()

        def fetch(item) -> None:
            u, p = item
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_name(f".{p.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                with fs.open_input_stream(u.removeprefix("s3://")) as src, open(tmp, "wb") as dst:
                    while chunk := src.read(8 << 20):
                        dst.write(chunk)
                os.replace(tmp, p)
            finally:
                tmp.unlink(missing_ok=True)

        with ThreadPoolExecutor(max_workers=min(CACHE_THREADS, len(missing))) as pool:
            list(pool.map(fetch, missing))
    return [p for _, p in pairs]


def legacy_files(folder: Path) -> list[Path]:
    """Parquet files of the layout before the table format (dot-files were writes in progress).
    None on object storage: the local folder is then the read cache of the table's files."""
    if not folder.is_dir() or (folder / LOG_DIR).is_dir() or _store() is not None:
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(".parquet") and not f.startswith(".")]
    return out


def partition_of(root: Path, file: Path) -> str:
    """`<extract>/year=YYYY/month=MM` of a data file under the extracts folder `root`."""
    return file.parent.relative_to(root).as_posix()


def with_partitions(table: pa.Table, date_column: str) -> pa.Table:
    """The table plus the partition columns year ("YYYY") and month ("MM") from `date_column`."""
    import pyarrow.compute as pc

    days = table.column(date_column)
    # integer parts, then text (strftime over every row costs ~3 µs a row: 0.5 s for a city's month)
    year = pc.utf8_lpad(pc.cast(pc.year(days), pa.string()), 4, "0")
    month = pc.utf8_lpad(pc.cast(pc.month(days), pa.string()), 2, "0")
    return table.append_column("year", year).append_column("month", month)


def partition_predicate(months: list[tuple[int, int]]) -> str:
    """A Delta predicate matching exactly these partitions (literals are digits only)."""
    return " OR ".join(f"(year = '{int(y):04d}' AND month = '{int(m):02d}')" for y, m in sorted(set(months)))


def write(data_dir: Path, extract: str, table: pa.Table, months: list[tuple[int, int]], meta: dict,
          *, create_schema: pa.Schema | None = None, base_version: int | None = None) -> int:
    """One commit: the partitions `months` become exactly `table`'s rows of those months (which
    carries the year/month columns). Returns the new version. `meta` is stored in the commit.

    base_version: the version `table` was computed from. The commit is made on top of it, so if
    another writer (another machine on the same object store) committed to these partitions
    since, delta-rs refuses the commit and this raises `objectstore.StoreConflict`: nothing of
    this upload is visible and the other writer's rows are kept (never a lost write)."""
    from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
    from deltalake.exceptions import CommitFailedError

    from target_monitor.objectstore import StoreConflict

    path = table_path(data_dir, extract)
    if _store() is None:
        path.mkdir(parents=True, exist_ok=True)
    props = CommitProperties(custom_metadata={COMMIT_KEY: json.dumps(meta, ensure_ascii=False, default=str)})
    writer = WriterProperties(compression="SNAPPY")  # delta-rs' default; ZSTD cost 50% more write time
    try:
        if base_version is None and latest_version(path, fresh=True) is None:
            write_deltalake(_uri(path), table, partition_by=PARTITIONS, mode="append", commit_properties=props,
                            writer_properties=writer, storage_options=_options())
        else:
            target = DeltaTable(_uri(path), version=base_version if base_version is not None else None,
                                storage_options=_options())
            # merge: a column the registry added since the table was created (the category flags) is
            # added to the table; ingest has already checked the rows against the registry's schema
            write_deltalake(target, table, mode="overwrite", predicate=partition_predicate(months),
                            commit_properties=props, writer_properties=writer, schema_mode="merge")
    except CommitFailedError as exc:
        raise StoreConflict(str(exc)) from exc
    return latest_version(path, fresh=True)


def rewrite_partition(data_dir: Path, extract: str, year: int, month: int, table: pa.Table, date_column: str,
                      meta: dict | None = None) -> int:
    """One commit: partition year/month holds exactly `table`'s rows (none: the partition is
    removed). For maintenance and tests; imports go through ingest.storage."""
    return write(data_dir, extract, with_partitions(table, date_column), [(year, month)], meta or {"kind": "rewrite"})


def read_partition(data_dir: Path, extract: str, year: int, month: int) -> pa.Table:
    """The committed rows of one partition (newest version), without the partition columns."""
    import pyarrow.parquet as pq

    folder = f"year={year:04d}/month={month:02d}"
    files = [f for f in committed_files(data_dir, extract).files if f.parent.as_posix().endswith(folder)]
    return pa.concat_tables([pq.ParquetFile(f).read() for f in files])


def read_table(data_dir: Path, extract: str, version: int | None = None) -> pa.Table:
    """Every committed row of one extract at `version` (default the newest), files in path order."""
    import pyarrow.parquet as pq

    files = committed_files(data_dir, extract, version).files
    return pa.concat_tables([pq.ParquetFile(f).read() for f in files]) if files else pa.table({})


def create_empty(data_dir: Path, extract: str, schema: pa.Schema) -> None:
    from deltalake import DeltaTable

    path = table_path(data_dir, extract)
    if latest_version(path, fresh=True) is None:
        if _store() is None:
            path.mkdir(parents=True, exist_ok=True)
        full = schema.append(pa.field("year", pa.string())).append(pa.field("month", pa.string()))
        try:
            DeltaTable.create(_uri(path), full, partition_by=PARTITIONS, mode="ignore", storage_options=_options())
        except Exception:  # noqa: BLE001 - another writer created it at the same moment: use theirs
            if latest_version(path, fresh=True) is None:
                raise


def history(data_dir: Path, extract: str) -> list[dict]:
    """Every commit of one extract's table, oldest first, with its own record decoded (`meta`)."""
    path = table_path(data_dir, extract)
    if latest_version(path) is None:
        return []
    out = []
    for h in open_table(data_dir, extract).history():
        raw = h.get(COMMIT_KEY)
        try:
            meta = json.loads(raw) if raw else {}
        except ValueError:
            meta = {}
        out.append({"extract": extract, "version": h.get("version"), "timestamp": h.get("timestamp"),
                    "operation": h.get("operation"), "meta": meta})
    return sorted(out, key=lambda h: h["version"])


def restore(data_dir: Path, extract: str, version: int, meta: dict) -> int:
    """A new version whose content is exactly `version`'s (itself undoable)."""
    from deltalake import CommitProperties
    from deltalake.exceptions import CommitFailedError

    from target_monitor.objectstore import StoreConflict

    dt = open_table(data_dir, extract)
    try:
        dt.restore(version, commit_properties=CommitProperties(
            custom_metadata={COMMIT_KEY: json.dumps(meta, ensure_ascii=False, default=str)}))
    except CommitFailedError as exc:
        raise StoreConflict(str(exc)) from exc
    return latest_version(table_path(data_dir, extract), fresh=True)


def compact(data_dir: Path, extract: str) -> dict:
    """Merge small files per partition into a new version (the old files stay for undo)."""
    from deltalake import CommitProperties

    dt = open_table(data_dir, extract)
    meta = {"kind": "compact"}
    metrics = dt.optimize.compact(commit_properties=CommitProperties(
        custom_metadata={COMMIT_KEY: json.dumps(meta)}))
    latest_version(table_path(data_dir, extract), fresh=True)  # this process reads its own commit at once
    return metrics


def vacuum(data_dir: Path, extract: str, keep_days: float, dry_run: bool = False) -> list[str]:
    """Delete data files no version of the last `keep_days` days needs (and no kept snapshot:
    `keep_versions`). Never automatic."""
    dt = open_table(data_dir, extract)
    gone = dt.vacuum(retention_hours=int(keep_days * 24), dry_run=dry_run, enforce_retention_duration=False)
    if _store() is not None and not dry_run:  # the read cache keeps no file the store no longer has
        folder = table_path(data_dir, extract)
        for rel in gone:
            (folder / rel.split("/extracts/" + extract + "/", 1)[-1]).unlink(missing_ok=True)
    return gone


def migrate(data_dir: Path, extract: str, schema: pa.Schema, date_column: str) -> bool:
    """Convert one extract of the layout before the table format into a table (version 0 holds
    every row). The old folder is kept beside it as `extracts/.<extract>.before-delta-<time>`
    (a dot-name: no reader looks there) until the operator deletes it. Returns False when there
    was nothing to convert."""
    import pyarrow.parquet as pq

    folder = table_path(data_dir, extract)
    files = legacy_files(folder)
    if not files:
        return False
    tables = [pq.ParquetFile(f).read().select(schema.names).cast(schema) for f in files]
    table = with_partitions(pa.concat_tables(tables), date_column)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    staging = folder.parent / f".{extract}.delta-{stamp}"
    if staging.exists():
        shutil.rmtree(staging)
    from deltalake import CommitProperties, write_deltalake

    write_deltalake(str(staging), table, partition_by=PARTITIONS, mode="error",
                    commit_properties=CommitProperties(custom_metadata={COMMIT_KEY: json.dumps(
                        {"kind": "migrate", "files": len(files), "rows": table.num_rows})}))
    backup = folder.parent / f".{extract}.before-delta-{stamp}"
    os.replace(folder, backup)  # two renames: between them the extract reads as empty, so only under
    os.replace(staging, folder)  # the writers' lock, from `store migrate` or an import (see docs/store.md)
    return True


__all__ = ["committed_files", "latest_version", "store_versions", "write", "restore", "history", "compact",
           "vacuum", "migrate", "TableFiles", "with_partitions", "legacy_files"]
