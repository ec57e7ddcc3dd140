"""Reading a snapshot: its manifest, its frozen tables, and a Context over its frozen inputs.

A snapshot folder (see README.md) is self-contained: the aggregated facts (`facts.parquet`,
the shape of the `indicator_events` view summed per unit and day), a copy of the reference
data and of the indicator registry. `SnapshotContext` is a `Context` whose store reads the
frozen facts instead of the live extracts, so every page and every export computes from the
same frozen inputs; the progress and monthly tables it returns for the snapshot's own as-of
date are the frozen Parquet files themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd

from target_monitor.context import Context
from target_monitor.reference import load_reference
from target_monitor.registry import Registry, load_registry
from target_monitor.sqlfiles import load_queries
from target_monitor.store import Store, _empty_view_sql, derived_views_sql, dimension_views_sql, quote_literal, scoped_rows

SNAPSHOTS = "snapshots"
MANIFEST = "manifest.json"
FACTS = "facts.parquet"
PROGRESS = "progress.parquet"
MONTHLY = "monthly.parquet"
REVISIONS = "revisions.parquet"
INPUTS = "inputs"
REFERENCE = "inputs/reference"
REGISTRY = "inputs/indicators.yaml"
VERSION_PREFIX = "snapshot:"

# 2020-06 (the first snapshot of a month), 2020-06-v2, -v3 ... (rebuilt with --force)
SNAPSHOT_ID_RE = re.compile(r"^(\d{4})-(\d{2})(?:-v(\d+))?$")


class SnapshotError(ValueError):
    """A snapshot cannot be built, found or read; the message says which and what to do."""


def snapshots_dir(data_dir: Path) -> Path:
    return Path(data_dir) / SNAPSHOTS


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    path: Path
    month: str
    year: int
    as_of: date
    created_at: str
    version: int
    manifest: dict

    @property
    def label(self) -> str:
        return self.snapshot_id


def read_manifest(path: Path) -> dict:
    try:
        return json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{path}: {MANIFEST} unreadable ({exc})") from None


def info(path: Path) -> SnapshotInfo:
    m = read_manifest(path)
    return SnapshotInfo(
        snapshot_id=m["snapshot_id"], path=Path(path), month=m["month"], year=int(m["year"]),
        as_of=date.fromisoformat(m["as_of"]), created_at=m["created_at"], version=int(m.get("version", 1)),
        manifest=m,
    )


def list_snapshots(data_dir: Path) -> list[SnapshotInfo]:
    """Every finished snapshot of the data directory, newest month first (then newest version)."""
    root = snapshots_dir(data_dir)
    if not root.is_dir():
        return []
    out = []
    for p in root.iterdir():
        # dot-folders are builds in progress; a folder without manifest is not a snapshot
        if p.is_dir() and SNAPSHOT_ID_RE.match(p.name) and (p / MANIFEST).exists():
            try:
                out.append(info(p))
            except (SnapshotError, KeyError, ValueError):
                continue
    return sorted(out, key=lambda s: (s.month, s.version), reverse=True)


def find_snapshot(data_dir: Path, snapshot_id: str) -> SnapshotInfo:
    """The snapshot with this id (`2020-06`, `2020-06-v2`); a bare month means its latest version."""
    snaps = list_snapshots(data_dir)
    for s in snaps:
        if s.snapshot_id == snapshot_id:
            return s
    for s in snaps:  # newest version first
        if s.month == snapshot_id:
            return s
    known = ", ".join(s.snapshot_id for s in snaps) or "—"
    raise SnapshotError(snapshot_id + "|" + known)


def frozen_events_sql(facts: Path) -> str:
    """DDL: the `indicator_events` view over a snapshot's frozen facts (same columns as live)."""
    return (
        "create or replace view indicator_events as select indicator, unit_code, "
        "cast(year as integer) as year, cast(event_on as date) as event_on, num, den "
        f"from read_parquet({quote_literal(str(Path(facts).resolve()))})"
    )


class FrozenStore(Store):
    """A Store over a snapshot's facts: the same named queries, no live extracts.

    The record-level `ext_<extract>` views exist but are empty: a snapshot keeps aggregated
    facts only, never the records (they may hold personal data and are not needed to rebuild
    a report).
    """

    def __init__(self, snapshot_dir: Path, registry: Registry, *, threads: int = 2):
        self.data_dir = Path(snapshot_dir).resolve()
        self.registry = registry
        self.queries = load_queries()
        facts = self.data_dir / FACTS
        self.files = [facts] if facts.exists() else []
        self.con = duckdb.connect(":memory:", config={"threads": threads})
        with self.con.cursor() as cur:
            for ext in registry.extracts.values():
                cur.execute(_empty_view_sql("ext_" + ext.name, ext))
            if self.files:
                ddl = frozen_events_sql(facts)
            else:
                ddl = ("create or replace view indicator_events as select cast(null as varchar) as indicator, "
                       "cast(null as varchar) as unit_code, cast(null as integer) as year, "
                       "cast(null as date) as event_on, cast(null as double) as num, cast(null as double) as den "
                       "where false")
            cur.execute(ddl)
            self.uses_aggregates = False
            for view in derived_views_sql(None):  # indicator_monthly and unit_keys over the frozen facts
                cur.execute(view)
            for view in dimension_views_sql(registry, None):  # empty: a snapshot keeps no records
                cur.execute(view)


def _read_table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


class SnapshotContext(Context):
    """A Context that reads one snapshot: frozen facts, frozen reference and registry."""

    def __init__(self, snapshot_dir: Path):
        snapshot_dir = Path(snapshot_dir).resolve()
        self.snapshot = info(snapshot_dir)
        self.data_dir = snapshot_dir
        self.version = VERSION_PREFIX + self.snapshot.manifest.get("outputs", {}).get(PROGRESS, "")[:16]
        registry = load_registry(snapshot_dir / REGISTRY)
        self.store = FrozenStore(snapshot_dir, registry)
        self.ref = load_reference(snapshot_dir / REFERENCE)
        self.is_demo = bool(self.snapshot.manifest.get("is_demo"))
        self._bounds = None
        self._progress = _read_table(snapshot_dir / PROGRESS)
        self._monthly = _read_table(snapshot_dir / MONTHLY)

    def years(self) -> list[int]:
        return [self.snapshot.year]

    def latest_day(self, year: int) -> date:
        return self.snapshot.as_of if year == self.snapshot.year else date(year, 12, 31)

    def progress(self, year: int, as_of: date, parent_code: str | None = None) -> pd.DataFrame:
        if (year, as_of, parent_code) == (self.snapshot.year, self.snapshot.as_of, None):
            return scoped_rows(self._progress.copy())  # the frozen table itself, under the access scope
        return super().progress(year, as_of, parent_code)

    def monthly(self, year: int, as_of: date, unit_codes=None, parent_code: str | None = None) -> pd.DataFrame:
        if (year, as_of, parent_code) == (self.snapshot.year, self.snapshot.as_of, None):
            df = self._monthly
            if unit_codes is not None:
                df = df[df["unit_code"].isin(unit_codes)]
            return scoped_rows(df.reset_index(drop=True))
        return super().monthly(year, as_of, unit_codes, parent_code)

    def revisions(self) -> pd.DataFrame:
        return _read_table(self.data_dir / REVISIONS)

    def rebuild_progress(self) -> pd.DataFrame:
        """Recompute the progress table from the frozen inputs (not the frozen result)."""
        return Context.progress(self, self.snapshot.year, self.snapshot.as_of)

    def rebuild_monthly(self) -> pd.DataFrame:
        return Context.monthly(self, self.snapshot.year, self.snapshot.as_of)


BEIJING = timezone(timedelta(hours=8), "UTC+8")  # China has one time zone and no summer time


def created_local(created_at: str, lang: str | None = None) -> str:
    """'2026-11-22T01:40:00+00:00' -> '2026-11-22 09:40 北京时间' (or 'Beijing time'; without a
    language, '2026-11-22 09:40 UTC+8'): the bureau reads its own clock, not UTC."""
    try:
        d = datetime.fromisoformat(created_at)
    except ValueError:
        return created_at
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)  # the manifest writes UTC
    stamp = d.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    if lang is None:
        return f"{stamp} UTC+8"
    from target_monitor.i18n import t

    return t("beijing_time", lang, stamp=stamp)
