"""Building a monthly snapshot: freeze the inputs, compute from the frozen copy, export, seal.

Invariants (why a snapshot can be trusted months later):
- Everything a report needs is copied into the folder first (aggregated facts, reference
  data, registry); the progress table is then computed *from that copy* through the same
  code as the live dashboard. Rebuilding from the folder gives the same numbers by design,
  and `tests/test_snapshots.py` checks it.
- The folder is written under a unique `.<id>.*.tmp` and renamed when complete, so a half-built
  snapshot is never listed; its files are then made read-only. A second build of the same
  month refuses unless forced; a forced build gets the next id (`2020-06-v2`) and the
  earlier folder stays beside it.
- The manifest records the SHA-256 of every input file (each extract Parquet, the targets,
  units and rules files, the registry, the SQL files), of every output file, the code
  version and the creation time. If an extract changes while the snapshot is being built,
  the build stops rather than freeze a mixture.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from target_monitor.context import Context
from target_monitor.paths import QUERIES_DIR, REPO_ROOT, reference_dir
from target_monitor.registry import REGISTRY_PATH
from target_monitor.snapshots.frozen import (
    FACTS, MANIFEST, MONTHLY, PROGRESS, REFERENCE, REGISTRY, REVISIONS, SNAPSHOT_ID_RE, SnapshotContext,
    SnapshotError, list_snapshots, snapshots_dir,
)
from target_monitor.store import NoDataError, parquet_files

Step = Callable[[float, str], None]  # (fraction done 0..1, i18n key of the step)

REFERENCE_FILES = ("units.csv", "targets.csv", "rules.yaml", "scoring.yaml", "flags.yaml")


class SnapshotExists(SnapshotError):
    """The month already has a snapshot and --force was not given."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def parse_month(text: str) -> tuple[int, int]:
    """'2020-06' -> (2020, 6); anything else raises SnapshotError('bad_month')."""
    m = SNAPSHOT_ID_RE.match(str(text).strip())
    if not m or m.group(3) or not 1 <= int(m.group(2)) <= 12:
        raise SnapshotError("bad_month")
    return int(m.group(1)), int(m.group(2))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def code_version() -> dict:
    """The package version, the git commit (and whether the tree had local changes), and a
    hash of the SQL files, since the SQL decides the numbers as much as the Python does."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg = version("target-monitor")
    except PackageNotFoundError:
        pkg = None
    commit, dirty = None, None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                                    capture_output=True, text=True, timeout=5, check=True).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    h = hashlib.sha256()
    for p in sorted(QUERIES_DIR.glob("*.sql")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return {"package": pkg, "git_commit": commit, "git_dirty": dirty, "queries_sha256": h.hexdigest()}


def _input_hashes(data_dir: Path, store_versions: dict[str, int] | None = None) -> dict:
    files = parquet_files(data_dir, store_versions)
    ref = reference_dir(data_dir)
    return {
        # the extract tables' versions the snapshot read: `snapshot --rebuild` reads them again
        "store_versions": dict(sorted((store_versions or {}).items())),
        "extracts": {str(p.relative_to(data_dir)): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                     for p in files},
        "reference_dir": str(ref),
        "reference": {name: sha256_file(ref / name) for name in REFERENCE_FILES if (ref / name).exists()},
        "registry": {"path": str(REGISTRY_PATH), "sha256": sha256_file(REGISTRY_PATH)},
    }


def created_now() -> datetime:
    """The build's creation time (UTC, whole seconds), the one timestamp every export carries.
    SOURCE_DATE_EPOCH (the reproducible-builds convention) pins it, so two builds from the same
    inputs give byte-identical report.xlsx and report.pdf."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


def _next_id(data_dir: Path, year: int, month: int, force: bool) -> tuple[str, int, str | None]:
    base = f"{year:04d}-{month:02d}"
    same = [s for s in list_snapshots(data_dir) if s.month == base]
    if same and not force:
        raise SnapshotExists(same[0].snapshot_id)
    if not same:
        # a crashed forced build could leave a folder without manifest: never overwrite it
        return (base, 1, None) if not (snapshots_dir(data_dir) / base).exists() else (f"{base}-v2", 2, None)
    newest = max(s.version for s in same)
    version = newest + 1
    while (snapshots_dir(data_dir) / f"{base}-v{version}").exists():
        version += 1
    return f"{base}-v{version}", version, max(same, key=lambda s: s.version).snapshot_id


def _previous(data_dir: Path, as_of: date) -> SnapshotContext | None:
    """The newest earlier snapshot with an as-of date on or before this one (for revisions)."""
    for s in list_snapshots(data_dir):
        if s.as_of <= as_of:
            return SnapshotContext(s.path)
    return None


def _write_parquet(df, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)


def _seal(folder: Path) -> None:
    """Make every file read-only: a snapshot is a record, not a working folder."""
    for dirpath, _, filenames in os.walk(folder):
        for f in filenames:
            p = Path(dirpath) / f
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def build_snapshot(data_dir: Path, month: str, *, force: bool = False, lang: str = "zh",
                   step: Step | None = None, exports: bool = True,
                   pdf: bool = True, rebuild_of: str | None = None, per_unit: bool = False) -> SnapshotContext:
    """Build `<data_dir>/snapshots/<id>/` for `month` ('YYYY-MM'); returns a context over it.

    Raises SnapshotError('bad_month'), SnapshotError('no_data_month|<latest day>'),
    SnapshotExists(<existing id>), NoDataError.
    """
    step = step or (lambda fraction, key: None)
    data_dir = Path(data_dir).resolve()
    year, mon = parse_month(month)
    as_of = month_end(year, mon)

    step(0.02, "snap_step_check")
    original = None
    if rebuild_of is not None:  # the same extract versions as that snapshot, whatever was imported since
        from target_monitor.snapshots.frozen import read_manifest

        original = read_manifest(snapshots_dir(data_dir) / rebuild_of)
        force = True
    pinned = (original or {}).get("inputs", {}).get("store_versions") or None
    ctx = Context(data_dir, store_versions=pinned)  # raises NoDataError when there are no extracts
    if year not in ctx.years() or ctx.bounds().query("year == @year")["first_event_on"].iloc[0].month > mon:
        latest = max((ctx.latest_day(y) for y in ctx.years()), default=None)
        raise SnapshotError(f"no_data_month|{latest}")
    data_through = min(ctx.latest_day(year), as_of)
    snapshot_id, version, supersedes = _next_id(data_dir, year, mon, force)

    step(0.08, "snap_step_hash")
    before = _input_hashes(data_dir, ctx.store.versions)
    root = snapshots_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    # unique per build: two sessions of one Streamlit process may build at the same moment
    tmp = Path(tempfile.mkdtemp(prefix=f".{snapshot_id}.", suffix=".tmp", dir=root))
    (tmp / REFERENCE).mkdir(parents=True)
    try:
        step(0.15, "snap_step_freeze")
        ref_dir = reference_dir(data_dir)
        for name in REFERENCE_FILES:
            if (ref_dir / name).exists():
                shutil.copy2(ref_dir / name, tmp / REFERENCE / name)
        shutil.copy2(REGISTRY_PATH, tmp / REGISTRY)
        # the assessment's manual work items, so the frozen scores can be rebuilt
        from target_monitor.scoring import work_items_path

        if work_items_path(data_dir).exists():
            work_items_path(tmp).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work_items_path(data_dir), work_items_path(tmp))
        facts = ctx.store.query("snapshot_facts", first_year=year - 1, last_year=year, as_of=as_of)
        _write_parquet(facts, tmp / FACTS)
        after = _input_hashes(data_dir, ctx.store.versions)
        if after != before:
            raise SnapshotError("changed_during_build")

        manifest = {
            "snapshot_id": snapshot_id,
            "month": f"{year:04d}-{mon:02d}",
            "year": year,
            "as_of": as_of.isoformat(),
            "data_through": data_through.isoformat(),
            "version": version,
            "supersedes": supersedes,
            "created_at": created_now().isoformat(),
            "data_dir": str(data_dir),
            "is_demo": ctx.is_demo,
            "code_version": code_version(),
            "inputs": before,
            "rebuild_of": rebuild_of,
            "frozen": {FACTS: {"rows": int(len(facts)), "first_year": year - 1, "last_year": year}},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

        # compute from the frozen copy, through the same code as the dashboard
        step(0.25, "snap_step_progress")
        frozen = SnapshotContext(tmp)
        progress = frozen.rebuild_progress()
        monthly = frozen.rebuild_monthly()
        _write_parquet(progress, tmp / PROGRESS)
        _write_parquet(monthly, tmp / MONTHLY)
        # 情况说明 and 督办: the month end opens its items, then both are frozen with the snapshot
        # (a rebuild reproduces the numbers; it does not open items again)
        from target_monitor.followup.freeze import freeze_followup

        freeze_followup(data_dir, tmp, progress, f"{year:04d}-{mon:02d}", open_items=rebuild_of is None)

        step(0.35, "snap_step_revisions")
        from target_monitor.snapshots.compare import revisions

        prev = _previous(data_dir, as_of)
        if original is not None:  # compared with what the original was compared with
            prev = SnapshotContext(snapshots_dir(data_dir) / original["compared_with"]) \
                if original.get("compared_with") else None
        revs = revisions(prev.monthly(prev.snapshot.year, prev.snapshot.as_of), monthly, min(prev.snapshot.as_of, as_of))\
            if prev is not None else revisions(None, monthly, as_of)
        revs.insert(0, "compared_with", prev.snapshot.snapshot_id if prev is not None else None)
        _write_parquet(revs, tmp / REVISIONS)
        manifest["compared_with"] = prev.snapshot.snapshot_id if prev is not None else None
        # on disk before the exports open the folder: their 修订记录 sheet reads it from the manifest
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

        frozen = SnapshotContext(tmp)  # re-open: now with its progress, monthly and revisions
        if exports:
            from target_monitor.exports import write_exports

            write_exports(frozen, tmp, lang=lang, pdf=pdf, step=lambda f, key: step(0.4 + 0.55 * f, key))
            if per_unit:  # every unit's own pack, from the same frozen tables and charts
                from target_monitor.snapshots.per_unit import write_packs

                write_packs(frozen, tmp, lang=lang, pdf=pdf)

        step(0.97, "snap_step_seal")
        outputs = {}
        for dirpath, _, filenames in os.walk(tmp):
            for f in sorted(filenames):
                p = Path(dirpath) / f
                rel = str(p.relative_to(tmp))
                if rel != MANIFEST:
                    outputs[rel] = sha256_file(p)
        manifest["outputs"] = dict(sorted(outputs.items()))
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        _seal(tmp)
        final = root / snapshot_id
        try:
            os.rename(tmp, final)  # never replaces a non-empty folder: a concurrent build that won stays
        except OSError:
            if final.exists():
                raise SnapshotExists(snapshot_id) from None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    step(1.0, "snap_step_done")
    return SnapshotContext(final)


def verify_snapshot(path: Path) -> list[str]:
    """Output files whose SHA-256 no longer matches the manifest (empty list: intact)."""
    from target_monitor.snapshots.frozen import read_manifest

    m = read_manifest(path)
    bad = []
    for rel, digest in m.get("outputs", {}).items():
        p = Path(path) / rel
        if not p.exists() or sha256_file(p) != digest:
            bad.append(rel)
    return bad


__all__ = ["build_snapshot", "verify_snapshot", "SnapshotExists", "SnapshotError", "NoDataError", "parse_month"]
