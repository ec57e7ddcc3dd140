"""Tables the 月度快照 page shows (layout and labels only; no Streamlit, no SQL)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from target_monitor.i18n import status_label, t, unit_label
from target_monitor.snapshots.build import verify_snapshot
from target_monitor.snapshots.compare import movement, revisions
from target_monitor.snapshots.frozen import REVISIONS, SnapshotContext, SnapshotInfo, created_local


def snapshot_list(snaps: list[SnapshotInfo], lang: str) -> pd.DataFrame:
    rows = []
    for s in snaps:
        revs = s.path / REVISIONS
        n_revs = len(pd.read_parquet(revs, columns=["unit_code"])) if revs.exists() else 0
        rows.append({
            t("snap_col_id", lang): s.snapshot_id,
            t("snap_col_as_of", lang): s.as_of.isoformat(),
            t("snap_col_created", lang): created_local(s.created_at),
            t("snap_col_compared", lang): s.manifest.get("compared_with") or "—",
            t("snap_col_revisions", lang): n_revs,
            t("snap_col_intact", lang): t("snap_intact_yes" if not verify_snapshot(s.path) else "snap_intact_no", lang),
        })
    return pd.DataFrame(rows)


def compare_sources(old: SnapshotContext, new, new_as_of: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(revisions, movement) between a snapshot and another snapshot or today's data.

    Today's data (a plain Context) is read at the old snapshot's as-of date unless told
    otherwise, so the comparison shows exactly what was revised since the report was filed.
    """
    o = old.snapshot
    snap = getattr(new, "snapshot", None)
    n_year, n_as_of = (snap.year, snap.as_of) if snap else (o.year, new_as_of or o.as_of)
    revs = revisions(old.monthly(o.year, o.as_of), new.monthly(n_year, n_as_of), min(o.as_of, n_as_of))
    moves = movement(old.progress(o.year, o.as_of), new.progress(n_year, n_as_of))
    return revs, moves


def revisions_display(revs: pd.DataFrame, ctx, lang: str) -> pd.DataFrame:
    units, registry = ctx.ref.units, ctx.registry
    names = {u.code: unit_label(u, lang) for u in units}
    labels = {i.name: i.label[lang] for i in registry.indicators}
    return pd.DataFrame({
        t("unit_name", lang): revs["unit_code"].map(names).fillna(revs["unit_code"]),
        t("indicator", lang): revs["indicator"].map(labels).fillna(revs["indicator"]),
        t("snap_period", lang): [t("snap_period_value", lang, y=int(y), m=int(m))
                                 for y, m in zip(revs["year"], revs["month"])],
        t("rev_old", lang): revs["old_value"].round(2),
        t("rev_new", lang): revs["new_value"].round(2),
        t("rev_change", lang): revs["change"].round(2),
    })


def _rank(r) -> str:
    return "—" if pd.isna(r) else str(int(r))


def movement_display(moves: pd.DataFrame, ctx, lang: str, *, changed_only: bool = False) -> pd.DataFrame:
    units, registry = ctx.ref.units, ctx.registry
    names = {u.code: unit_label(u, lang) for u in units}
    labels = {i.name: i.label[lang] for i in registry.indicators}
    m = moves
    if changed_only:
        m = m[(m["actual_change"].fillna(0) != 0) | (m["old_status"] != m["new_status"])]

    def status(s) -> str:
        return status_label(s, lang) if isinstance(s, str) else "—"

    unit_col = [names.get(c, c) + ("" if b == "own" else f"（{t('allocation_sum', lang)}）")
                for c, b in zip(m["unit_code"], m["target_basis"])]
    return pd.DataFrame({
        t("unit_name", lang): unit_col,
        t("indicator", lang): m["indicator"].map(labels).fillna(m["indicator"]),
        t("snap_old_actual", lang): m["old_actual"],
        t("snap_new_actual", lang): m["new_actual"],
        t("rev_change", lang): m["actual_change"].round(2),
        t("snap_old_completion", lang): m["old_completion_pct"],
        t("snap_new_completion", lang): m["new_completion_pct"],
        t("snap_old_status", lang): m["old_status"].map(status),
        t("snap_new_status", lang): m["new_status"].map(status),
        t("snap_old_rank", lang): m["old_rank"].map(_rank),
        t("snap_new_rank", lang): m["new_rank"].map(_rank),
    })
