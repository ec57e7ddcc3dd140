"""The one writer of the data directory: raw uploads, extract tables, quarantine files, history.

Layout under the data directory:
    raw/<sha256>.<type>                 every upload kept byte for byte as received
    uploads/<time>-<sha12>.json          one record per upload attempt (who, when, period, counts, status)
    quarantine/<sha12>-<name>.csv        quarantined rows with their reasons (formulas neutralised)
    extracts/<extract>/                  a Delta Lake table per extract (target_monitor/tables_delta.py)
    .ingest.lock                         one writer at a time

An upload is one commit of its extract's table (docs/store.md): the partitions it touches are
rewritten with their whole new content in one `write_deltalake(mode="overwrite", predicate=...)`,
whose log entry is the commit point, so a reader sees the old version or the new one and a writer
killed at any step leaves nothing to recover (unreferenced files only, removed by `store vacuum`).
The commit carries the upload's own record (who, file, rows added / replaced / removed per
unit-month), so `imports list` never depends on a second file being written.

What an upload changes (`plan`):
- by default, rows are added and corrected by record key (`ext.key`: record_id, loan_id,
  graduate_key): a known key replaces that record wherever it is stored, a new key adds one;
  nothing else is touched;
- a declared replacement (`replace_months`) also removes every stored row of the file's units
  in those months (a unit re-sends its June); rows outside the declared months are quarantined
  by the parser before they get here;
- reported figures (one value per unit, indicator and month) always replace that unit-month's
  figure of each indicator the file reports.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
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
from target_monitor.objectstore import StoreConflict
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
    """Finish a transaction of the protocol before the table format (a journal left by an older
    version of the app), drop leftover temporary files. Table commits need no recovery."""
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


def _measure_columns(ext: Extract) -> list[str]:
    return [c.name for c in ext.columns if c.type == "DOUBLE"]


KEY_SEP = "\x1f"


def _replace_key(table: pa.Table, ext: Extract) -> pa.Array:
    """What a re-sent reported figure replaces: unit code + indicator (within its month)."""
    units = table.column("unit_code").combine_chunks()
    if not ext.is_reported:
        return units
    return pc.binary_join_element_wise(units, table.column("indicator").combine_chunks(), KEY_SEP)


def _unit_totals(table: pa.Table, ext: Extract) -> dict[str, tuple[int, float | None]]:
    """Rows and the first measure's total (nulls as 0) per replace key (`_replace_key`)."""
    if table.num_rows == 0:
        return {}
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


def _year_month(table: pa.Table, ext: Extract) -> np.ndarray:
    days = table.column(ext.partition_date)
    return pc.fill_null(pc.add(pc.multiply(pc.year(days), 100), pc.month(days)), -1).to_numpy()


def _read_files(files: list[Path], schema: pa.Schema) -> pa.Table:
    if not files:
        return schema.empty_table()
    # ParquetFile, not read_table: read_table would add year=/month= from the path as columns
    return pa.concat_tables([_conform(pq.ParquetFile(f), schema) for f in files])


def _conform(file: pq.ParquetFile, schema: pa.Schema) -> pa.Table:
    """A stored file's rows in `schema`; a column the registry added after the file was written
    (an optional one, such as a category flag) reads as NULL, as the store's readers read it."""
    have = set(file.schema_arrow.names)
    table = file.read(columns=[n for n in schema.names if n in have])
    for name in schema.names:
        if name not in have:
            table = table.append_column(schema.field(name), pa.nulls(table.num_rows, schema.field(name).type))
    return table.select(schema.names).cast(schema)


def _count_by_unit(table: pa.Table) -> dict[str, int]:
    if table.num_rows == 0:
        return {}
    vc = pc.value_counts(table.column("unit_code").combine_chunks())
    return {v["values"].as_py(): v["counts"].as_py() for v in vc}


def _key_partitions(files: list[Path], root: Path, key: str, keys: pa.Array) -> set[str]:
    """The partitions (`<extract>/year=YYYY/month=MM`) whose stored rows hold any of `keys`.

    A corrected record may have moved to another month: its old row must go wherever it is, so
    every file's key column is read (one column; DuckDB, on all cores)."""
    if not files or len(keys) == 0:
        return set()
    import duckdb

    con = duckdb.connect(":memory:", config={"threads": 2, "autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    try:
        con.register("new_keys", pa.table({"k": keys}))
        listed = [str(f) for f in files]
        rows = con.execute(
            "select distinct filename from read_parquet($files, filename = true) "
            f"where {_quote(key)} in (select k from new_keys)", {"files": listed}).fetchall()
    finally:
        con.close()
    return {Path(r[0]).parent.relative_to(root).as_posix() for r in rows}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Plan:
    """What one upload would do to its extract's table (computed before anything is written)."""
    extract: str
    base_version: int | None
    partitions: dict[str, pa.Table] = field(default_factory=dict)  # `<extract>/year=YYYY/month=MM` -> new content
    old: dict[str, pa.Table] = field(default_factory=dict)  # the same partitions' stored content
    revisions: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # per unit-month: rows before/after, added, replaced, removed

    @property
    def months(self) -> list[tuple[int, int]]:
        out = []
        for part in self.partitions:
            _, y, m = part.split("/")
            out.append((int(y.split("=")[1]), int(m.split("=")[1])))
        return sorted(out)

    def shrinking(self, share: float) -> list[dict]:
        """Unit-months whose records fall by more than `share` of what was stored."""
        return [c for c in self.changes if c["before"] > 0 and c["after"] < c["before"] * (1 - share)]


def plan(data_dir: Path, ext: Extract, accepted, replace_months: set[tuple[int, int]] | None = None) -> Plan:
    """The new content of every partition the upload touches (module docstring: what changes)."""
    from target_monitor.tables_delta import committed_files

    data_dir = Path(data_dir)
    schema = schema_for(ext)
    root = extracts_dir(data_dir)
    current = committed_files(data_dir, ext.name)
    files_by_part: dict[str, list[Path]] = {}
    for f in current.files:
        files_by_part.setdefault(f.parent.relative_to(root).as_posix(), []).append(f)
    out = Plan(ext.name, current.version)
    new = _canonical(accepted, schema)
    ym = _year_month(new, ext)
    keep = ym >= 0
    if not keep.all():
        new, ym = new.filter(pa.array(keep)), ym[keep]
    new_keys = pc.unique(new.column(ext.key).combine_chunks()) if not ext.is_reported else pa.array([], pa.string())
    parts_new = {f"{ext.name}/year={k // 100:04d}/month={k % 100:02d}": k for k in np.unique(ym).tolist()}
    touched = set(parts_new)
    if not ext.is_reported:
        touched |= _key_partitions(list(current.files), root, ext.key, new_keys)
    replace_months = replace_months or set()
    for part in sorted(touched):
        key = parts_new.get(part)
        if key is None:
            piece = new.slice(0, 0)
        else:
            piece = new if (ym == key).all() else new.filter(pa.array(ym == key))
        old = _read_files(files_by_part.get(part, []), schema)
        if ext.is_reported:
            hit = pc.fill_null(pc.is_in(_replace_key(old, ext), value_set=pc.unique(_replace_key(piece, ext))), False) \
                if old.num_rows else pa.array([], pa.bool_())
            by_key = hit
        else:
            by_key = pc.fill_null(pc.is_in(old.column(ext.key), value_set=new_keys), False)
            hit = by_key
            y, m = (int(x.split("=")[1]) for x in part.split("/")[1:])
            if (y, m) in replace_months and piece.num_rows:
                units = pc.unique(piece.column("unit_code").combine_chunks())
                hit = pc.or_(hit, pc.fill_null(pc.is_in(old.column("unit_code"), value_set=units), False))
        replaced_rows, kept = old.filter(hit), old.filter(pc.invert(hit))
        combined = pa.concat_tables([kept, piece]) if kept.num_rows else piece
        out.partitions[part] = combined
        out.old[part] = old
        month = _part_month(part)
        if replaced_rows.num_rows and piece.num_rows:
            before, after = _unit_totals(replaced_rows, ext), _unit_totals(piece, ext)
            for rk in sorted(set(before) & set(after)):
                (o_rows, o_total), (n_rows, n_total) = before[rk], after[rk]
                unit, _, indicator = rk.partition(KEY_SEP)
                out.revisions.append({"unit_code": unit, "month": month,
                                      **({"indicator": indicator} if ext.is_reported else {}), "old_rows": o_rows,
                                      "new_rows": n_rows, "old_total": o_total, "new_total": n_total})
        # per unit-month counts: replaced = an old row whose record came again; removed = an old row
        # dropped by a declared replacement (or a record that moved to another month); added = new keys
        before_u, after_u = _count_by_unit(old), _count_by_unit(combined)
        again = old.filter(by_key)
        replaced_u = _count_by_unit(again)
        removed_u = _count_by_unit(old.filter(pc.and_(hit, pc.invert(by_key)))) if not ext.is_reported else {}
        if ext.is_reported:
            added_u = {u: max(0, after_u.get(u, 0) - before_u.get(u, 0) + replaced_u.get(u, 0))
                       for u in set(after_u) | set(before_u)}
        else:
            fresh = pc.invert(pc.fill_null(pc.is_in(piece.column(ext.key), value_set=old.column(ext.key)), False)) \
                if old.num_rows else pa.array(np.ones(piece.num_rows, dtype=bool))
            added_u = _count_by_unit(piece.filter(fresh))
            if key is None:  # records that moved out of this month: their old rows are removed here
                removed_u = {u: removed_u.get(u, 0) + n for u, n in replaced_u.items()}
                replaced_u = {}
        for unit in sorted(set(before_u) | set(after_u)):
            c = {"unit_code": unit, "month": month, "before": before_u.get(unit, 0), "after": after_u.get(unit, 0),
                 "added": added_u.get(unit, 0), "replaced": replaced_u.get(unit, 0), "removed": removed_u.get(unit, 0)}
            if c["before"] != c["after"] or c["added"] or c["replaced"] or c["removed"]:
                out.changes.append(c)
    return out


def figures(plan_: Plan, registry=None) -> list[dict]:
    """Each indicator's figure per unit-month before -> after: what the records of the touched
    partitions count (a cumulative indicator's sum; a rate's successes / registrations)."""
    import duckdb

    from target_monitor.registry import load_registry
    from target_monitor.sqlfiles import load_queries
    from target_monitor.store import _empty_view_sql, extract_view_over_sql, indicator_events_sql

    registry = registry or load_registry()
    ext = registry.extracts[plan_.extract]
    if ext.is_reported:
        return _reported_figures(plan_)
    inds = [i for i in registry.indicators if i.extract == ext.name]
    if not inds or not plan_.partitions:
        return []
    wanted = {(c["unit_code"], c["month"]) for c in plan_.changes}
    kinds = {i.name: i.kind for i in inds}
    sql = load_queries()["preview_figures"].sql
    out: dict[tuple, dict] = {}
    con = duckdb.connect(":memory:", config={"threads": 2})
    try:
        with con.cursor() as cur:
            for other in registry.extracts.values():
                if other.name != ext.name:
                    cur.execute(_empty_view_sql("ext_" + other.name, other))
            cur.register("partition_rows", schema_for(ext).empty_table())  # views bind when created
            cur.execute(extract_view_over_sql(ext, "partition_rows"))
            cur.execute(indicator_events_sql(registry))
            for part in sorted(plan_.partitions):
                month = _part_month(part)
                for side, table in (("before", plan_.old[part]), ("after", plan_.partitions[part])):
                    cur.register("partition_rows", table)
                    res = cur.execute(sql).fetchall()
                    for ind, unit, num, den in res:
                        if (unit, month) not in wanted:
                            continue
                        rec = out.setdefault((unit, month, ind), {"unit_code": unit, "month": month,
                                                                  "indicator": ind, "before": None, "after": None})
                        if kinds[ind] == "cumulative":
                            rec[side] = round(float(num), 2)
                        else:  # a rate: successes of the month's registrations / registrations
                            rec[side] = round(float(num) / float(den) * 100, 1) if den else None
    finally:
        con.close()
    return [v for _, v in sorted(out.items()) if v["before"] != v["after"]]


def _part_month(part: str) -> str:
    """"YYYY-MM" of a partition path "<extract>/year=YYYY/month=MM"."""
    return f"{part.split('/')[1][5:]}-{part.split('/')[2][6:]}"


def _reported_figures(plan_: Plan) -> list[dict]:
    """A 月报表 or a form: each figure a unit declares (one indicator, one month) before -> after,
    as declared (当月 or 累计 alike), the figures a reviewer compares before approving."""
    out: dict[tuple, dict] = {}
    for part in sorted(plan_.partitions):
        month = _part_month(part)
        for side, table in (("before", plan_.old.get(part)), ("after", plan_.partitions[part])):
            if table is None:
                continue
            for unit, ind, value in zip(table.column("unit_code").to_pylist(), table.column("indicator").to_pylist(),
                                        table.column("value").to_pylist()):
                rec = out.setdefault((unit, month, ind), {"unit_code": unit, "month": month, "indicator": ind,
                                                          "before": None, "after": None})
                rec[side] = None if value is None else round(float(value), 2)
    return [v for _, v in sorted(out.items()) if v["before"] != v["after"]]


def shrink_share(data_dir: Path) -> float:
    """The share by which a unit-month may shrink before the uploader must tick a warning."""
    from target_monitor.ingest.records import load_rules
    from target_monitor.paths import SHIPPED_REFERENCE_DIR, reference_dir

    rules = load_rules(reference_dir(Path(data_dir)), SHIPPED_REFERENCE_DIR)
    return float(rules.get("replace_shrink_warn_share", 0.2))


def _write_plan(data_dir: Path, ext: Extract, p: Plan, meta: dict) -> int | None:
    """One commit of the extract's table with the plan's partitions. Returns the new version."""
    from target_monitor.tables_delta import create_empty, with_partitions, write

    if not p.partitions:
        return None
    schema = schema_for(ext)
    create_empty(data_dir, ext.name, schema)
    table = pa.concat_tables([t for _, t in sorted(p.partitions.items())])
    table = with_partitions(table, ext.partition_date)
    # on top of the version the plan read (a table created just now: its empty version 0), so a
    # commit another writer made since to these partitions makes this one a conflict, not a loss
    return write(data_dir, ext.name, table, p.months, meta,
                 base_version=p.base_version if p.base_version is not None else 0)


def ensure_migrated(data_dir: Path, registry=None) -> list[str]:
    """Convert every extract still in the layout before the table format (under the lock)."""
    from target_monitor.registry import load_registry
    from target_monitor.tables_delta import legacy_files, migrate, table_path

    registry = registry or load_registry()
    done = []
    for ext in registry.extracts.values():
        if legacy_files(table_path(data_dir, ext.name)):
            if migrate(data_dir, ext.name, schema_for(ext), ext.partition_date):
                done.append(ext.name)
    return done


FIGURES_MAX_CHANGES = 2000  # a national re-send touches thousands of unit-months: the counts say enough


def commit(data_dir: Path, ext: Extract, parsed: Parsed, data: bytes, *, who: str, declared_period: str | None,
           now: datetime | None = None, replace_months: set[tuple[int, int]] | None = None,
           allow_shrink: bool = True, meta_extra: dict | None = None) -> Report:
    """Store a parsed upload: raw bytes, quarantine file, one table commit, history (module doc).

    meta_extra: more fields for the version's metadata (an approved submission: its id, who
    submitted and who approved, kind "submission").

    allow_shrink=False: when a unit-month would lose more than `shrink_share` of its records, write
    nothing and return the report with status "held" and the changes (the CLI without --yes)."""
    data_dir = Path(data_dir)
    now = now or datetime.now()
    report = parsed.report
    ahead = _Ahead(data_dir, ext)
    with locked(data_dir):
        try:
            _sweep_tmp(data_dir)
            ensure_migrated(data_dir)
            accepted = parsed.accepted_table(ext)
            p = plan(data_dir, ext, accepted if accepted is not None else schema_for(ext).empty_table(),
                     replace_months)
            report.revisions = p.revisions
            report.changes = p.changes
            if len(p.changes) <= FIGURES_MAX_CHANGES:
                report.figures = figures(p)
            if not allow_shrink and p.shrinking(shrink_share(data_dir)):
                report.status = "held"
                return report
            report.raw_file = save_raw(data_dir, data, report.sha256, report.file_type)
            report.quarantine_file = write_quarantine(data_dir, parsed, report.sha256)
            report.status = "taken"
            rec = record(data_dir, report, who=who, declared_period=declared_period, now=now)
            rec["replace_months"] = [f"{y}-{m:02d}" for y, m in sorted(replace_months or ())]
            if p.partitions:
                ahead.start(p.partitions)
                meta = {"kind": "import", "who": who, "file": report.file, "sha256": report.sha256,
                        "at": rec["uploaded_at"], "base_version": p.base_version,
                        "replace_months": rec["replace_months"], "changes": p.changes, **(meta_extra or {})}
                try:
                    report.version = _write_plan(data_dir, ext, p, meta)
                except StoreConflict:
                    # another machine committed to these partitions since the plan read them: nothing of
                    # this upload is visible, the other one's rows stay; the uploader sends it again
                    _conflict(report, ext.name)
                    rec.update(status="conflict", reasons=[report.message_zh])
                    write_history(data_dir, rec, now)
                    return report  # no aggregate refresh: the ahead-computed partitions were not committed
                rec["version"] = report.version
            write_history(data_dir, rec, now)
        finally:
            precomputed = ahead.result()
        _refresh_aggregates(data_dir, precomputed)
    return report


def _conflict(report: Report, extract: str) -> None:
    from target_monitor.i18n import t

    report.status = "conflict"
    report.version = None
    report.message_zh = t("store_conflict", "zh", extract=extract)
    report.message_en = t("store_conflict", "en", extract=extract)


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

    Incremental (only partitions whose files changed) and after the commit: if it is killed,
    the aggregates' manifest no longer matches the extracts' committed files and readers count
    from the records until the next refresh, so the numbers are right either way. `precomputed`:
    the new partitions' aggregates from their tables (`_Ahead`), written instead of reading the
    files back.
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


__all__ = ["commit", "plan", "figures", "Plan", "record_only", "recover", "history", "previous_take", "sha256",
           "ensure_migrated", "shrink_share"]
