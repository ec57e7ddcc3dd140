"""The in-app form (在线填报): one line per indicator a unit reports, 当月 or 累计, for one month.

    indicators_for(ctx, unit, year)                 -> [Indicator]   the counts and amounts the unit has targets for
    check_lines(ctx, unit, period, lines)           -> [problem]     empty when the lines may be submitted
    to_report_csv(ctx, unit, period, lines)         -> bytes          the lines as a 月报表 (long layout)

A form becomes a submission exactly like a 月报表 file: `to_report_csv` writes the lines in the
long layout the ingest reads (单位, 月份, 指标, 口径, 数值), and `submissions.submit` parses it with
the ingest's own reported-figures path (ingest/reported.py), so what counts is what a file of the
same figures would count. Before that, the form checks what a person typing can get wrong, with
the ingest's own rules: a number (a whole number for counts, never negative, amounts in the
indicator's unit: 万元), and a 累计 figure not below the unit's year-to-date figure at the end of
the month before (a 累计 cannot fall). Each problem names the line, the indicator, the value and
what to do (i18n keys `subf_e_<code>`).
"""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date

BASES = ("当月", "累计")


def indicators_for(ctx, unit: str, year: int) -> list:
    """The cumulative indicators (counts, amounts) the unit has a target for in `year`; all of
    them when the unit has no targets (rates are computed from records, never reported)."""
    counted = [i for i in ctx.registry.indicators if i.kind == "cumulative"]
    targets = ctx.ref.targets
    names = set(targets.loc[(targets["year"] == year) & (targets["unit_code"] == unit), "indicator"])
    chosen = [i for i in counted if i.name in names]
    return chosen or counted


def _year_to_date(ctx, unit: str, year: int, month: int) -> dict[str, float]:
    """The unit's official year-to-date figures at the end of the month before `month`."""
    from target_monitor.access.scope import EVERYTHING, using
    from target_monitor.progress import progress_table

    if month <= 1 or not ctx.store.has_data:
        return {}
    end = date(year, month - 1, calendar.monthrange(year, month - 1)[1])
    with using(EVERYTHING):  # the clerk's own unit's figure, read to check its own form
        df = progress_table(ctx.store, ctx.ref, year, end)
    rows = df[df["unit_code"] == unit]
    return {str(r.indicator): float(r.actual) for r in rows.itertuples(index=False) if r.actual == r.actual}


def check_lines(ctx, unit: str, period: str, lines: list[dict]) -> list[dict]:
    """Problems of the form's lines ({indicator, basis, value}); a line with no value is left out.
    Each problem: {code, line, indicator, value, ...} for the message `subf_e_<code>`."""
    from target_monitor.ingest import normalise as nz
    from target_monitor.ingest.reported import _value

    year, month = int(period[:4]), int(period[5:7])
    problems: list[dict] = []
    filled = [(n, ln) for n, ln in enumerate(lines, 1) if not nz.is_missing(ln.get("value"))]
    if not filled:
        return [{"code": "empty", "line": 0, "indicator": "", "value": ""}]
    previous = None
    for n, line in filled:
        ind = ctx.registry.get(line["indicator"])
        label, raw = ind.label["zh"], str(line["value"]).strip()
        where = {"line": n, "indicator": label, "value": raw, "unit": ind.unit["zh"],
                 "indicator_en": ind.label["en"], "unit_en": ind.unit["en"]}
        if line.get("basis") not in BASES:
            problems.append({"code": "basis", **where})
            continue
        try:
            value = _value(raw, ind, "")
        except nz.ValueProblem as vp:
            problems.append({"code": "not_whole" if vp.code == "not_whole" else
                             "negative" if vp.code == "bounds" else "not_number", **where})
            continue
        if value is None:
            problems.append({"code": "not_number", **where})
            continue
        if line["basis"] == "累计":
            if previous is None:
                previous = _year_to_date(ctx, unit, year, month)
            before = previous.get(ind.name)
            if before is not None and value < before - 1e-9:
                problems.append({"code": "falls", **where, "before": f"{before:g}", "prev_month": month - 1})
    return problems


def to_report_csv(ctx, unit: str, period: str, lines: list[dict]) -> bytes:
    """The filled lines as a 月报表 in the long layout (UTF-8 with BOM, as a spreadsheet saves it)."""
    from target_monitor.ingest import normalise as nz

    name = ctx.ref.units[unit].name
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["单位", "月份", "指标", "口径", "数值"])
    for line in lines:
        if nz.is_missing(line.get("value")):
            continue
        w.writerow([name, period, ctx.registry.get(line["indicator"]).label["zh"], line["basis"],
                    str(line["value"]).strip()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def file_name(unit: str, period: str) -> str:
    return f"在线填报_{unit}_{period}.csv"


__all__ = ["BASES", "check_lines", "file_name", "indicators_for", "to_report_csv"]
