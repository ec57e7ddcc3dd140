"""The one writer of the data directory: raw uploads, partitions, quarantine files, history.

Layout under the data directory:
    raw/<sha256>.<type>                 every upload kept byte for byte as received
    uploads/<time>-<sha12>.json          one record per upload attempt (who, when, period, counts, status)
    quarantine/<sha12>-<name>.csv        quarantined rows with their reasons (formulas neutralised)
    extracts/<extract>/year=YYYY/month=MM/part-0.parquet
    .ingest.lock, .ingest-journal.json   the commit protocol

Commit protocol (why a kill -9 at any moment leaves the old or the new state):
1. under an exclusive lock, every new partition file is written completely as
   `.part-0.parquet.<pid>.tmp` (a dot-name ending .tmp: no reader glob matches it);
2. the journal (the list of renames + the history record) is written to a temporary name and
   renamed to `.ingest-journal.json`: that rename is the commit point;
3. the temporary files are renamed over the partitions (os.replace: atomic per file), the
   history record is written, the journal is deleted.
`recover()` (run before every commit and by the CLI/page) rolls a committed journal forward
and deletes temporary files left by a transaction that never reached its commit point.
A corrected file for a unit-month replaces that unit-month's rows and nothing else.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from target_monitor.ingest.normalise import neutralise
from target_monitor.ingest.problems import Report
from target_monitor.ingest.records import ARROW_TYPES, Parsed, arrow_schema  # noqa: F401 - ARROW_TYPES re-exported
from target_monitor.paths import extracts_dir
from target_monitor.registry import Extract

JOURNAL = ".ingest-journal.json"
PART = "part-0.parquet"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _fsync_write(tmp, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def locked(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".ingest.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def schema_for(ext: Extract) -> pa.Schema:
    return arrow_schema(ext)


# --------------------------------------------------------------------------- recovery


def _roll_forward(data_dir: Path) -> bool:
    journal = data_dir / JOURNAL
    if not journal.exists():
        return False
    plan = json.loads(journal.read_text(encoding="utf-8"))
    for tmp, final in plan["renames"]:
        tmp_p, final_p = data_dir / tmp, data_dir / final
        if tmp_p.exists():
            final_p.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_p, final_p)
    for gone in plan.get("deletes", []):
        (data_dir / gone).unlink(missing_ok=True)
    if plan.get("history_path"):
        write_atomic(data_dir / plan["history_path"], json.dumps(plan["history"], ensure_ascii=False,
                                                                 indent=1).encode("utf-8"))
    journal.unlink()
    return True


def _sweep_tmp(data_dir: Path) -> int:
    n = 0
    for sub in ("extracts", "raw", "uploads", "quarantine", "reference", "aggregates"):
        root = data_dir / sub
        if not root.is_dir():
            continue
        for dirpath, _, files in os.walk(root):
            for f in files:
                if f.startswith(".") and f.endswith(".tmp"):
                    (Path(dirpath) / f).unlink(missing_ok=True)
                    n += 1
    for f in data_dir.glob(".*.tmp"):
        f.unlink(missing_ok=True)
    return n


def recover(data_dir: Path) -> dict:
    """Finish a committed transaction, drop the leftovers of an uncommitted one."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return {"rolled_forward": False, "swept": 0}
    with locked(data_dir):
        rolled = _roll_forward(data_dir)
        swept = _sweep_tmp(data_dir)
        if rolled:
            _refresh_aggregates(data_dir)
    return {"rolled_forward": rolled, "swept": swept}


# --------------------------------------------------------------------------- history


def history(data_dir: Path) -> list[dict]:
    """Every upload record, newest first."""
    folder = Path(data_dir) / "uploads"
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.glob("*.json"), reverse=True):
        if p.name.startswith("."):
            continue
        try:
            out.append(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return out


def previous_take(data_dir: Path, digest: str, extract: str, sheet: str | None, period: str | None,
                  basis: str | None = None) -> dict | None:
    if not any((Path(data_dir) / "raw").glob(f"{digest}.*")):
        return None  # every upload's bytes are kept before its record is written: never seen, no need to read them all
    for rec in history(data_dir):
        if (rec.get("sha256") == digest and rec.get("status") == "taken" and rec.get("extract") == extract
                and (rec.get("sheet") or None) == (sheet or None) and (rec.get("declared_period") or None) == (period or None)
                and (rec.get("declared_basis") or None) == (basis or None)):
            return rec
    return None


def _history_name(now: datetime, digest: str) -> str:
    return f"uploads/{now.strftime('%Y%m%dT%H%M%S%f')}-{digest[:12]}.json"


def save_raw(data_dir: Path, data: bytes, digest: str, file_type: str) -> str:
    rel = f"raw/{digest}.{file_type or 'bin'}"
    path = Path(data_dir) / rel
    if not path.exists():
        write_atomic(path, data)
    return rel


def record(data_dir: Path, report: Report, *, who: str, declared_period: str | None, now: datetime) -> dict:
    rec = {
        "file": report.file, "sha256": report.sha256, "size_bytes": report.size_bytes, "uploaded_by": who,
        "uploaded_at": now.isoformat(timespec="seconds"), "declared_period": declared_period or "",
        "declared_basis": report.basis,
        "extract": report.extract, "sheet": report.sheet, "status": report.status, "file_type": report.file_type,
        "period": report.period, "months": report.months, "rows_read": report.rows_read,
        "accepted": report.accepted, "quarantined": report.quarantined, "skipped": report.skipped,
        "warnings": len(report.warnings), "problems": len(report.problems), "raw_file": report.raw_file,
        "quarantine_file": report.quarantine_file, "revisions": report.revisions,
        "reasons": [p.reason_zh for p in report.problems if p.level == "R"],
    }
    return rec


def write_history(data_dir: Path, rec: dict, now: datetime) -> str:
    rel = _history_name(now, rec["sha256"] or "0" * 12)
    write_atomic(Path(data_dir) / rel, json.dumps(rec, ensure_ascii=False, indent=1).encode("utf-8"))
    return rel


# --------------------------------------------------------------------------- quarantine


def write_quarantine(data_dir: Path, parsed: Parsed, digest: str) -> str:
    if not parsed.quarantine:
        return ""
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", Path(parsed.report.file).stem)[:60]
    rel = f"quarantine/{digest[:12]}-{stem}.csv"
    rows = []
    for q in parsed.quarantine:
        for p in q["problems"]:
            row = {"file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column, "raw_value": p.raw_value,
                   "reason_zh": p.reason_zh, "reason_en": p.reason_en, "fix": p.fix}
            for k, v in q["cells"].items():
                row[f"原始:{k}"] = v
            rows.append(row)
    frame = pd.DataFrame(rows).map(neutralise)
    write_atomic(Path(data_dir) / rel, frame.to_csv(index=False).encode("utf-8-sig"))
    return rel


# --------------------------------------------------------------------------- partitions


def _read_partition(folder: Path, schema: pa.Schema) -> tuple[pa.Table | None, list[Path]]:
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith(".")) if folder.is_dir() else []
    if not files:
        return None, []
    tables = [pq.read_table(p).select(schema.names).cast(schema) for p in files]
    return pa.concat_tables(tables), files


def _measure_columns(ext: Extract) -> list[str]:
    return [c.name for c in ext.columns if c.type == "DOUBLE"]


KEY_SEP = "\x1f"


def _replace_key(table: pa.Table, ext: Extract) -> pa.Array:
    """What a re-sent file replaces: the unit code (records), or unit code + indicator (reported figures)."""
    units = table.column("unit_code").combine_chunks()
    if not ext.is_reported:
        return units
    return pc.binary_join_element_wise(units, table.column("indicator").combine_chunks(), KEY_SEP)


def _unit_totals(table: pa.Table, ext: Extract) -> dict[str, tuple[int, float | None]]:
    """Rows and the first measure's total (nulls as 0) per replace key (`_replace_key`)."""
    enc = pc.dictionary_encode(_replace_key(table, ext))
    codes = enc.indices.to_numpy(zero_copy_only=False)
    counts = np.bincount(codes, minlength=len(enc.dictionary))
    cols = _measure_columns(ext)
    if not cols:
        return {u: (int(c), None) for u, c in zip(enc.dictionary.to_pylist(), counts)}
    values = pc.fill_null(table.column(cols[0]), 0.0).to_numpy()[np.argsort(codes, kind="stable")]
    groups = np.split(values, np.cumsum(counts)[:-1])
    return {u: (int(c), float(g.sum())) for u, c, g in zip(enc.dictionary.to_pylist(), counts, groups)}


def _canonical(accepted, schema: pa.Schema) -> pa.Table:
    if isinstance(accepted, pd.DataFrame):
        return pa.Table.from_pandas(accepted[schema.names], schema=schema, preserve_index=False)
    return accepted.select(schema.names).cast(schema)


def plan_partitions(data_dir: Path, ext: Extract, accepted: pa.Table | pd.DataFrame,
                    before_write=None) -> tuple[list, list, list]:
    """Write every new partition under a temporary name. Returns (renames, deletes, revisions).

    `accepted` is Arrow (or a DataFrame) with the extract's columns; other columns (`_row`) are
    dropped. Within a partition, the units in the file replace their old rows; old rows of other
    units are kept first, in their order, then the file's rows in file order.

    before_write: called with {`<extract>/year=YYYY/month=MM`: the partition's whole new content}
    before any file is written (ingest starts computing their aggregates from it meanwhile)."""
    schema = schema_for(ext)
    # record ids and person keys are unique per row: a dictionary and min/max statistics are work for nothing
    encoded = [c.name for c in ext.columns if c.name != ext.key and not c.mask]
    renames, deletes, revisions, planned = [], [], [], []
    new = _canonical(accepted, schema)
    days = new.column(ext.partition_date)
    ym = pc.fill_null(pc.add(pc.multiply(pc.year(days), 100), pc.month(days)), -1).to_numpy()
    root = extracts_dir(data_dir) / ext.name
    # a corrected file replaces what it covers: a unit-month of records; for reported figures a
    # unit-month of each indicator it reports (a file with one indicator leaves the others alone)
    for key in np.unique(ym[ym >= 0]).tolist():
        year, month = divmod(key, 100)
        in_month = ym == key
        part = new if in_month.all() else new.filter(pa.array(in_month))
        folder = root / f"year={year:04d}" / f"month={month:02d}"
        old, old_files = _read_partition(folder, schema)
        combined = part
        if old is not None:
            hit = pc.fill_null(pc.is_in(_replace_key(old, ext), value_set=pc.unique(_replace_key(part, ext))), False)
            replaced, kept = old.filter(hit), old.filter(pc.invert(hit))
            if replaced.num_rows:
                before, after = _unit_totals(replaced, ext), _unit_totals(part, ext)
                for key in sorted(before):
                    (o_rows, o_total), (n_rows, n_total) = before[key], after[key]
                    unit, _, indicator = key.partition(KEY_SEP)
                    revisions.append({"unit_code": unit, "month": f"{year}-{month:02d}",
                                      **({"indicator": indicator} if ext.is_reported else {}), "old_rows": o_rows,
                                      "new_rows": n_rows, "old_total": o_total, "new_total": n_total})
            if kept.num_rows:
                combined = pa.concat_tables([kept, part])
        planned.append((folder, combined, old_files))
    if before_write is not None and planned:
        before_write({folder.relative_to(extracts_dir(data_dir)).as_posix(): combined
                      for folder, combined, _ in planned})
    for folder, combined, old_files in planned:
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / PART
        tmp = folder / f".{PART}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            pq.write_table(combined, fh, use_dictionary=encoded, write_statistics=encoded)
            fh.flush()
            os.fsync(fh.fileno())
        renames.append((str(tmp.relative_to(data_dir)), str(final.relative_to(data_dir))))
        deletes.extend(str(p.relative_to(data_dir)) for p in old_files if p.name != PART)
    return renames, deletes, revisions


def commit(data_dir: Path, ext: Extract, parsed: Parsed, data: bytes, *, who: str, declared_period: str | None,
           now: datetime | None = None) -> Report:
    """Store a parsed upload: raw bytes, quarantine file, partitions, history (see module doc)."""
    data_dir = Path(data_dir)
    now = now or datetime.now()
    report = parsed.report
    ahead = _Ahead(data_dir, ext)
    with locked(data_dir):
        try:
            _roll_forward(data_dir)
            _sweep_tmp(data_dir)
            report.raw_file = save_raw(data_dir, data, report.sha256, report.file_type)
            report.quarantine_file = write_quarantine(data_dir, parsed, report.sha256)
            renames, deletes, revisions = ([], [], [])
            accepted = parsed.accepted_table(ext)
            if accepted is not None and accepted.num_rows:
                renames, deletes, revisions = plan_partitions(data_dir, ext, accepted, before_write=ahead.start)
            report.revisions = revisions
            report.status = "taken"
            rec = record(data_dir, report, who=who, declared_period=declared_period, now=now)
            plan = {"renames": renames, "deletes": deletes, "history_path": _history_name(now, report.sha256),
                    "history": rec}
            write_atomic(data_dir / JOURNAL, json.dumps(plan, ensure_ascii=False).encode("utf-8"))  # commit point
            _roll_forward(data_dir)
        finally:
            precomputed = ahead.result()
        _refresh_aggregates(data_dir, precomputed)
    return report


class _Ahead:
    """The new partitions' aggregates, computed on a thread while their Parquet files are written
    (DuckDB and the Parquet writer both release the GIL; on two cores they overlap). Any failure
    here only means the refresh reads the files back instead: never a wrong number."""

    def __init__(self, data_dir: Path, ext: Extract):
        self.data_dir, self.ext, self.thread, self.out = data_dir, ext, None, None

    def start(self, tables: dict[str, pa.Table]) -> None:
        if self.ext.is_reported:  # few rows; what they add is rebuilt from all of them anyway
            return
        import threading

        def work() -> None:
            from target_monitor.aggregates import precompute

            try:
                self.out = precompute(self.data_dir, self.ext.name, tables)
            except Exception:  # noqa: BLE001 - the refresh computes them from the files instead
                import logging

                logging.getLogger(__name__).warning("aggregates ahead of the write failed", exc_info=True)
                self.out = None

        self.thread = threading.Thread(target=work, name="aggregates-ahead", daemon=True)
        self.thread.start()

    def result(self) -> dict | None:
        if self.thread is not None:
            self.thread.join()
        return self.out


def _refresh_aggregates(data_dir: Path, precomputed: dict | None = None) -> None:
    """Rebuild the monthly aggregates of the partitions this commit touched.

    Incremental (only partitions whose files changed) and outside the commit point: if it is
    killed, the aggregates' manifest no longer matches the extracts and readers count from the
    records until the next refresh, so the numbers are right either way. `precomputed`: the new
    partitions' aggregates from their tables (`_Ahead`), written instead of reading the files back.
    """
    from target_monitor.aggregates import refresh

    refresh(data_dir, precomputed=precomputed)


def record_only(data_dir: Path, report: Report, data: bytes, *, who: str, declared_period: str | None,
                now: datetime | None = None) -> None:
    """A rejected or no-op upload: keep the bytes and the record; touch no partition."""
    data_dir = Path(data_dir)
    now = now or datetime.now()
    with locked(data_dir):
        report.raw_file = save_raw(data_dir, data, report.sha256, report.file_type or "bin")
        write_history(data_dir, record(data_dir, report, who=who, declared_period=declared_period, now=now), now)


__all__ = ["commit", "record_only", "recover", "history", "previous_take", "sha256"]
