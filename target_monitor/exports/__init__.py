"""Exports of a report: CSV, the official-layout Excel workbook, PNG charts and the PDF.

`write_exports(ctx, folder)` writes all of them for a Context (live or a snapshot) at its
latest as-of date; the snapshot builder calls it on the frozen context, so every export of a
snapshot is computed from frozen inputs. See README.md in this folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from target_monitor.exports.report import Report
from target_monitor.exports.safe import neutralise, neutralise_frame, to_csv_bytes

XLSX = "report.xlsx"
PDF = "report.pdf"
CSV = "progress.csv"
CHARTS = "charts"


def report_for(ctx, lang: str = "zh", year: int | None = None, as_of=None) -> Report:
    """Gather what the exports need from a Context (a SnapshotContext gives its frozen tables)."""
    snap = getattr(ctx, "snapshot", None)
    year = year or (snap.year if snap else ctx.default_year())
    as_of = as_of or (snap.as_of if snap else ctx.latest_day(year))
    targets = ctx.ref.targets
    sources = sorted({s for s in targets.loc[targets["year"] == year, "source"] if isinstance(s, str) and s})
    revisions = ctx.revisions() if snap else None
    compared = None
    if revisions is not None and "compared_with" in revisions.columns:
        compared = (snap.manifest.get("compared_with") if snap else None)
    progress = ctx.progress(year, as_of)
    return Report(
        registry=ctx.registry, units=ctx.ref.units, year=year, as_of=as_of,
        progress=progress, monthly=ctx.monthly(year, as_of), lang=lang,
        missing=ctx.missing_months(year, as_of), scores=_scores(ctx, progress, year, lang),
        revisions=revisions, compared_with=compared,
        snapshot_id=snap.snapshot_id if snap else None,
        created_at=_created(snap.created_at, lang) if snap else None,
        created_utc=_created_utc(snap.created_at) if snap else None,
        data_through=_through(snap.manifest) if snap else None,
        is_demo=ctx.is_demo, target_sources=sources, notes=_notes(ctx, as_of),
    )


def _notes(ctx, as_of) -> list:
    """The month's 情况说明 (a snapshot: those frozen in its folder at build)."""
    from target_monitor.followup.notes import current, month_of

    return list(current(ctx.data_dir, month_of(as_of)).values())


def _scores(ctx, progress, year: int, lang: str):
    """The assessment scores as the 考核评分 page shows them, or None if not configured."""
    from target_monitor.i18n import unit_label
    from target_monitor.paths import reference_dir
    from target_monitor.scoring import (ScoringConfigError, load_scoring, load_work_items, score_table,
                                        score_units, work_items_path)

    if getattr(ctx, "snapshot", None) is not None:
        from target_monitor.snapshots.frozen import REFERENCE

        ref = ctx.data_dir / REFERENCE  # the scoring config frozen with the snapshot
    else:
        ref = reference_dir(ctx.data_dir)
    try:
        config = load_scoring(ref, ctx.registry)
        values = load_work_items(work_items_path(ctx.data_dir), config, year)
    except (ScoringConfigError, OSError, ValueError):
        return None
    if not progress["target"].notna().any():
        return None  # no task breakdown table for the year: nothing to score
    names = {u.code: unit_label(u, lang) for u in ctx.ref.units}
    return score_table(score_units(progress, config, values), config, ctx.registry, names, lang)


def _created(created_at: str, lang: str) -> str:
    from target_monitor.snapshots.frozen import created_local

    return created_local(created_at, lang)


def _created_utc(created_at: str):
    from datetime import datetime, timezone

    try:
        d = datetime.fromisoformat(created_at)
    except (TypeError, ValueError):
        return None
    return d.replace(tzinfo=d.tzinfo or timezone.utc).astimezone(timezone.utc)


def _through(manifest: dict):
    from datetime import date

    value = manifest.get("data_through")
    return date.fromisoformat(value) if value else None


def write_exports(ctx, folder: Path, *, lang: str = "zh", step: Callable[[float, str], None] | None = None,
                  pdf: bool = True) -> dict[str, Path]:
    """Write progress.csv, report.xlsx, charts/*.png and report.pdf into `folder`."""
    from target_monitor.exports.excel import write_workbook

    step = step or (lambda fraction, key: None)
    folder = Path(folder)
    report = report_for(ctx, lang)
    out: dict[str, Path] = {}
    step(0.0, "snap_step_csv")
    csv_path = folder / CSV
    csv_path.write_bytes(to_csv_bytes(report.progress))
    out["csv"] = csv_path
    step(0.1, "snap_step_xlsx")
    out["xlsx"] = write_workbook(report, folder / XLSX)
    if pdf:
        from target_monitor.exports.images import write_chart_pngs
        from target_monitor.exports.pdf import write_pdf

        step(0.3, "snap_step_charts")
        pngs = write_chart_pngs(report, folder / CHARTS)
        out.update({f"png:{p.stem}": p for p in pngs})
        step(0.7, "snap_step_pdf")
        out["pdf"] = write_pdf(report, pngs, folder / PDF)
    step(1.0, "snap_step_done")
    return out


__all__ = ["Report", "neutralise", "neutralise_frame", "report_for", "to_csv_bytes", "write_exports"]
