"""Tables the 数据管理 page shows, built here so the page stays thin (no logic, no aggregation)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from target_monitor.i18n import TEXT, t
from target_monitor.ingest import storage
from target_monitor.ingest.normalise import neutralise
from target_monitor.ingest.problems import Report
from target_monitor.reference import Reference
from target_monitor.registry import Registry

STATUSES = ("taken", "rejected", "noop", "error", "preview", "held", "undone")


def status_text(status: str, lang: str) -> str:
    return t("ingest_status_" + status, lang) if status in STATUSES else status


def summary(report: Report, lang: str) -> str:
    return t("ingest_summary", lang, file=report.file, status=status_text(report.status, lang),
             rows_read=report.rows_read, accepted=report.accepted, quarantined=report.quarantined,
             skipped=report.skipped, warnings=len(report.warnings))


def rejection_lines(report: Report, lang: str, limit: int = 5) -> list[str]:
    """Why a file was rejected and what to do, one line per reason (the first few)."""
    return [f"{p.reason(lang)} {p.fix_text(lang)}".strip() for p in report.problems if p.level == "R"][:limit]


REPORTED_ROLES = {"unit": "unit_code", "month": "report_month"}  # reported.py's header roles → columns


def mapping_table(report: Report, registry: Registry, lang: str) -> pd.DataFrame:
    ext = registry.extracts.get(report.extract)
    rows = []
    for source, column in report.mapping.items():
        if ext is not None and ext.is_reported:  # value:<indicator>:<basis>, or a role
            column, *rest = column.split(":")
            column = REPORTED_ROLES.get(column, column)
            extra = [registry.get(r).label[lang] if r in registry.names else r for r in rest]
            desc = ext.column(column).description[lang] if column in ext.column_names else ""
            desc = " · ".join([desc, *extra]) if extra else desc
            rows.append({t("col_source_header", lang): source, t("col_canonical", lang): f"{column}（{desc}）"})
            continue
        desc = ext.column(column).description[lang] if ext and column in ext.column_names else ""
        rows.append({t("col_source_header", lang): source, t("col_canonical", lang): f"{column}（{desc}）" if desc else column})
    return pd.DataFrame(rows)


def problems_table(report: Report, lang: str) -> pd.DataFrame:
    rows = [{
        t("col_level", lang): p.level, t("col_row", lang): p.row if p.row is not None else "",
        t("col_column", lang): p.column, t("col_raw", lang): p.raw_value,
        t("col_reason", lang): p.reason(lang), t("col_fix", lang): p.fix_text(lang),
    } for p in [*report.problems, *report.warnings]]
    return pd.DataFrame(rows).map(neutralise) if rows else pd.DataFrame()


def normalised_table(report: Report, lang: str) -> pd.DataFrame:
    rows = [{t("col_column", lang): n.column,
             t("col_kind", lang): t("norm_" + n.kind, lang) if "norm_" + n.kind in TEXT else n.kind,
             t("col_count", lang): n.count,
             t("col_example", lang): f"{n.example_raw} → {n.example_value}" if n.example_raw else ""}
            for n in report.normalised]
    return pd.DataFrame(rows)


def preview_frame(accepted: pd.DataFrame | None, ref: Reference, limit: int = 20) -> pd.DataFrame:
    if accepted is None or accepted.empty:
        return pd.DataFrame()
    out = accepted.head(limit).copy()
    if "unit_code" in out:
        names = {u.code: u.name for u in ref.units}
        out.insert(list(out.columns).index("unit_code") + 1, "unit_name", out["unit_code"].map(names))
    if "_row" in out:
        out = out[["_row", *[c for c in out.columns if c != "_row"]]].rename(columns={"_row": "row"})
    return out.map(neutralise)


def revisions_lines(revisions: list[dict], ref: Reference, lang: str, registry: Registry | None = None) -> list[str]:
    names = {u.code: (u.name_en if lang == "en" else u.name) for u in ref.units}
    labels = {i.name: i.label[lang] for i in registry.indicators} if registry else {}

    def who(r: dict) -> str:  # a reported figure's revision names its indicator too
        name = names.get(r["unit_code"], r["unit_code"])
        return f"{name} · {labels.get(r['indicator'], r['indicator'])}" if r.get("indicator") else name

    return [t("ingest_revision", lang, unit=who(r), month=r["month"],
              old_rows=r["old_rows"], new_rows=r["new_rows"],
              old_total="-" if r["old_total"] is None else f"{r['old_total']:,.0f}",
              new_total="-" if r["new_total"] is None else f"{r['new_total']:,.0f}") for r in revisions]


def history_table(data_dir: Path, lang: str, registry: Registry | None = None) -> pd.DataFrame:
    labels = {n: e.label[lang] for n, e in registry.extracts.items()} if registry else {}
    labels["targets"] = t("page_targets_label", lang)
    rows = [{
        t("col_time", lang): rec.get("uploaded_at", ""), t("col_file", lang): rec.get("file", ""),
        t("col_extract", lang): labels.get(rec.get("extract", ""), rec.get("extract", "")),
        t("col_period", lang): rec.get("period") or rec.get("declared_period", ""),
        t("col_status", lang): status_text(rec.get("status", ""), lang),
        t("col_rows_read", lang): rec.get("rows_read", 0), t("col_accepted", lang): rec.get("accepted", 0),
        t("col_quarantined", lang): rec.get("quarantined", 0), t("col_skipped", lang): rec.get("skipped", 0),
        t("col_who", lang): rec.get("uploaded_by", ""), t("col_sha", lang): rec.get("sha256", ""),
    } for rec in storage.history(data_dir)]
    return pd.DataFrame(rows).map(neutralise) if rows else pd.DataFrame()


def quarantine_downloads(data_dir: Path) -> list[tuple[str, str, bytes]]:
    """(label, file name, bytes) of every quarantine file in the history, newest first."""
    out, seen = [], set()
    for rec in storage.history(data_dir):
        rel = rec.get("quarantine_file")
        if not rel or rel in seen:
            continue
        seen.add(rel)
        path = Path(data_dir) / rel
        if path.exists():
            out.append((f"{rec.get('file')} · {rec.get('uploaded_at')}", path.name, path.read_bytes()))
    return out


def compare_table(cmp: pd.DataFrame, ref: Reference, registry: Registry, lang: str) -> pd.DataFrame:
    if cmp is None or cmp.empty:
        return pd.DataFrame()
    names = {u.code: (u.name_en if lang == "en" else u.name) for u in ref.units}
    labels = {i.name: i.label[lang] for i in registry.indicators}
    return pd.DataFrame({
        t("col_unit", lang): cmp["unit_code"].map(names),
        t("col_indicator", lang): cmp["indicator"].map(lambda n: labels.get(n, n)),
        t("col_current", lang): cmp["current"],
        t("col_new", lang): [f"{c}{v:g}{u}" + (f"（{n}）" if n else "") for c, v, u, n in
                             zip(cmp["comparator"].str.replace(">=", "≥").str.replace("<=", "≤"), cmp["value"],
                                 cmp["unit"], cmp["note"])],
        t("col_change", lang): cmp["change"].map(lambda c: t("change_" + c, lang)),
    })


def versions_table(ref: Reference, registry: Registry, year: int, lang: str) -> pd.DataFrame:
    rows = ref.targets[ref.targets["year"] == year]
    if rows.empty:
        return pd.DataFrame()
    names = {u.code: (u.name_en if lang == "en" else u.name) for u in ref.units}
    labels = {i.name: i.label[lang] for i in registry.indicators}
    rows = rows.sort_values(["unit_code", "indicator", "effective_from"])
    return pd.DataFrame({
        t("col_unit", lang): rows["unit_code"].map(names),
        t("col_indicator", lang): rows["indicator"].map(lambda n: labels.get(n, n)),
        t("target", lang): rows["value"].map(lambda v: f"{v:g}") + rows["unit"],
        t("col_effective", lang): rows["effective_from"].astype(str),
    })


def reported_falls_table(ctx, year: int, registry: Registry, lang: str) -> pd.DataFrame:
    """Reported 累计 figures that fall below an earlier month's (queries/reported_falls.sql)."""
    df = ctx.store.query("reported_falls", year=year)
    if df.empty:
        return pd.DataFrame()
    names = {u.code: (u.name_en if lang == "en" else u.name) for u in ctx.ref.units}
    labels = {i.name: i.label[lang] for i in registry.indicators}
    return pd.DataFrame({
        t("col_unit", lang): df["unit_code"].map(lambda c: names.get(c, c)),
        t("col_indicator", lang): df["indicator"].map(lambda n: labels.get(n, n)),
        t("col_month", lang): pd.to_datetime(df["report_month"]).dt.strftime("%Y-%m"),
        t("col_value", lang): df["value"].map(lambda v: f"{v:,.2f}".rstrip("0").rstrip(".")),
        t("col_prev_month", lang): pd.to_datetime(df["earlier_month"]).dt.strftime("%Y-%m"),
        t("col_prev_value", lang): df["earlier_value"].map(lambda v: f"{v:,.2f}".rstrip("0").rstrip(".")),
    })


# --- the change preview, versions and undo ---------------------------------------------------------


def _unit_names(ref: Reference, lang: str) -> dict[str, str]:
    return {u.code: (u.name_en if lang == "en" else u.name) for u in ref.units}


def changes_frame(changes: list[dict], ref: Reference, lang: str) -> pd.DataFrame:
    """Per unit-month: records before -> after, added / corrected / removed."""
    names = _unit_names(ref, lang)
    rows = [{t("col_unit_month", lang): f"{names.get(c['unit_code'], c['unit_code'])} {c['month']}",
             t("col_records_before", lang): c["before"], t("col_records_after", lang): c["after"],
             t("col_added", lang): c["added"], t("col_replaced", lang): c["replaced"],
             t("col_removed", lang): c["removed"]} for c in changes]
    return pd.DataFrame(rows)


def figures_frame(figures: list[dict], ref: Reference, registry: Registry, lang: str) -> pd.DataFrame:
    """Per unit-month and indicator: the figure its records count, before -> after."""
    names = _unit_names(ref, lang)
    labels = {i.name: i.label[lang] for i in registry.indicators}
    rows = [{t("col_unit_month", lang): f"{names.get(f['unit_code'], f['unit_code'])} {f['month']}",
             t("col_indicator", lang): labels.get(f["indicator"], f["indicator"]),
             t("col_figure_before", lang): "—" if f["before"] is None else f["before"],
             t("col_figure_after", lang): "—" if f["after"] is None else f["after"]} for f in figures]
    return pd.DataFrame(rows)


def shrink_text(shrinking: list[dict], share: float, ref: Reference, lang: str) -> str:
    names = _unit_names(ref, lang)
    items = "; ".join(f"{names.get(c['unit_code'], c['unit_code'])} {c['month']} {c['before']}→{c['after']}"
                      for c in shrinking)
    return t("shrink_warning", lang, n=len(shrinking), share=round(share * 100), items=items)


def version_kind(kind: str, lang: str) -> str:
    """What made a table version, in the UI's language (an unknown kind shows as itself)."""
    from target_monitor.i18n import TEXT

    key = f"version_kind_{kind}"
    return t(key, lang) if key in TEXT else kind


def imports_frame(rows: list[dict], registry: Registry, lang: str) -> pd.DataFrame:
    """Every version of every extract table, newest first (imports list)."""
    labels = {n: e.label[lang] for n, e in registry.extracts.items()}
    out = [{"ID": r["id"], t("col_time", lang): r["time"], t("col_extract", lang): labels.get(r["extract"], r["extract"]),
            t("col_file", lang): r["file"], t("col_who", lang): r["who"], t("col_status", lang): version_kind(r["kind"], lang),
            t("col_added", lang): r["added"], t("col_replaced", lang): r["replaced"],
            t("col_removed", lang): r["removed"],
            t("col_note", lang): (t("imports_note_undone", lang, by=r["undone_by"]) if r["undone_by"] else
                                  t("imports_note_undoes", lang, id=r["undoes"]) if r["undoes"] else "")}
           for r in rows]
    return pd.DataFrame(out).map(neutralise) if out else pd.DataFrame()
