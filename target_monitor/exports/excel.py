"""The Excel workbook in the official layout (xlsxwriter).

Sheet 1 is the table the leadership group reads on paper: a title row, two-row merged headers
(each indicator over 目标 / 完成 / 完成率 / 与序时进度差), 序号 and 街镇名称 first, one row per
unit in the breakdown table's order, the 合计 row (sum of allocations) and the district's own
target row, a traffic-light legend and a 数据截至 footnote; panes frozen below the headers,
printed A4 landscape, fitted to the page width, header rows repeated on every page.

Numbers are written as numbers (so the workbook can be checked and re-used); the status is
shown by fill *and* by a symbol in the number format, never by colour alone. Every text cell
goes through `safe.neutralise` and is written with write_string, so no text becomes a formula.
Extra sheets: trends, ranks (the scores hook), the briefing text, the record of revisions, and
the machine-readable progress rows.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import xlsxwriter

from target_monitor.exports.briefing import briefing_lines
from target_monitor.exports.report import LEGEND_STATUSES, STATUS_FILL, Report, target_note, total_row
from target_monitor.exports.safe import neutralise
from target_monitor.i18n import STATUS_SYMBOL, status_label, t
from target_monitor.progress import BASIS_ALLOCATION, BASIS_OWN, CONTRACT_COLUMNS
from target_monitor.registry import Indicator

FONT = "SimSun"  # what the bureau's printers and Excel expect; falls back to any CJK font
PARTS = ("target", "actual", "completion", "gap")


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def _num_format(ind: Indicator) -> str:
    if ind.is_rate or ind.format in ("pct1", "float1"):
        return "0.0"
    if ind.format == "int":
        return "#,##0"
    return "#,##0.00"


def sub_headers(ind: Indicator, lang: str) -> list[str]:
    if ind.is_rate:
        return [t("target", lang), t("actual", lang), t("xl_rate_status", lang), t("gap_to_target", lang)]
    return [t("target", lang), t("actual", lang), t("completion", lang), t("xl_gap_pace", lang)]


def group_header(ind: Indicator, lang: str) -> str:
    return t("xl_group", lang, label=ind.label[lang], unit=ind.unit[lang])


class _Writer:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self._formats: dict[tuple, object] = {}

    def fmt(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            base = {"font_name": FONT, "font_size": 11, "valign": "vcenter"}
            base.update(props)
            self._formats[key] = self.wb.add_format(base)
        return self._formats[key]

    def text(self, ws, row: int, col: int, value, fmt=None):
        if _missing(value) or value == "":
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_string(row, col, neutralise(str(value)), fmt)

    def number(self, ws, row: int, col: int, value, fmt=None):
        if _missing(value):
            ws.write_string(row, col, "—", fmt)
        else:
            ws.write_number(row, col, float(value), fmt)

    def merge(self, ws, r1, c1, r2, c2, value, fmt):
        ws.merge_range(r1, c1, r2, c2, "", fmt)
        self.text(ws, r1, c1, value, fmt)


def write_workbook(report: Report, path: Path) -> Path:
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    props = {"title": report.title(), "subject": report.snapshot_id or "", "comments": "target-monitor"}
    if report.created_utc is not None:
        # xlsxwriter stamps "now" otherwise; a snapshot's files must not depend on when they were built
        props["created"] = report.created_utc.replace(tzinfo=None)
    wb.set_properties(props)
    w = _Writer(wb)
    _official_sheet(w, report)
    _trend_sheet(w, report)
    _rank_sheet(w, report)
    _scores_sheet(w, report)
    _briefing_sheet(w, report)
    _revision_sheet(w, report)
    _data_sheet(w, report)
    wb.close()
    return path


def _official_sheet(w: _Writer, r: Report) -> None:
    lang = r.lang
    ws = w.wb.add_worksheet(t("xl_sheet_table", lang))
    inds = r.registry.indicators
    ncols = 2 + 4 * len(inds)
    border = {"border": 1}
    head = w.fmt(bold=True, align="center", text_wrap=True, bg_color="#DDEBF7", **border)
    title = w.fmt(bold=True, font_size=16, align="center")
    sub = w.fmt(font_size=10, align="right")

    w.merge(ws, 0, 0, 0, ncols - 1, r.title(), title)
    ws.set_row(0, 32)
    stamp = t("xl_subtitle", lang, pct=f"{r.time_progress_pct:.1f}",
              snap=r.snapshot_id or t("xl_live", lang))
    w.merge(ws, 1, 0, 1, ncols - 1, stamp, sub)

    # two-row merged header: 序号 and 街镇名称 span both rows, each indicator spans four columns
    w.merge(ws, 2, 0, 3, 0, t("seq_no", lang), head)
    w.merge(ws, 2, 1, 3, 1, t("unit_name", lang), head)
    for i, ind in enumerate(inds):
        c = 2 + 4 * i
        w.merge(ws, 2, c, 2, c + 3, group_header(ind, lang), head)
        for j, label in enumerate(sub_headers(ind, lang)):
            w.text(ws, 3, c + j, label, head)
    ws.set_row(2, 36)
    ws.set_row(3, 30)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 16)
    ws.set_column(2, ncols - 1, 10.5)

    row = 4
    for seq, code in enumerate(r.children(), start=1):
        w.text(ws, row, 0, str(seq), w.fmt(align="center", **border))
        w.text(ws, row, 1, r.unit_name(code), w.fmt(**border))
        _cells(w, ws, row, r, code, BASIS_OWN)
        row += 1
    root = r.units.root().code
    bold = {"bold": True}
    w.text(ws, row, 0, t("total_row", lang), w.fmt(align="center", bg_color="#F2F2F2", **bold, **border))
    w.text(ws, row, 1, t("allocation_sum", lang), w.fmt(bg_color="#F2F2F2", **bold, **border))
    _cells(w, ws, row, r, root, BASIS_ALLOCATION, total=True)
    row += 1
    w.text(ws, row, 0, "", w.fmt(bg_color="#F2F2F2", **border))
    w.text(ws, row, 1, t("district_own_row", lang), w.fmt(bg_color="#F2F2F2", text_wrap=True, **bold, **border))
    _cells(w, ws, row, r, root, BASIS_OWN, bold=True)
    ws.set_row(row, 30)
    last_table_row = row

    # legend: each status in its fill, with its symbol and word
    row += 2
    w.text(ws, row, 1, t("xl_legend", lang), w.fmt(bold=True))
    for k, status in enumerate(LEGEND_STATUSES):
        c = 2 + 2 * k
        w.merge(ws, row, c, row, c + 1, status_label(status, lang),
                w.fmt(bg_color=STATUS_FILL[status], align="center", **border))
    # footnotes: 数据截至, method, sources
    notes = [t("xl_footnote_asof", lang, date=r.date_long(), through=(r.data_through or r.as_of).isoformat(),
               snap=r.snapshot_id or t("xl_live", lang), created=r.created_at or "—"),
             t("xl_footnote_method", lang, pct=f"{r.time_progress_pct:.1f}")]
    if r.target_sources:
        notes.append(t("xl_footnote_source", lang, sources="；".join(r.target_sources)))
    if r.is_demo:
        notes.append(t("demo_note", lang))
    for note in notes:
        row += 1
        w.merge(ws, row, 0, row, ncols - 1, note, w.fmt(font_size=10, text_wrap=True, align="left"))
        ws.set_row(row, 30)

    ws.freeze_panes(4, 2)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(2, 3)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.print_area(0, 0, row, ncols - 1)
    ws.set_footer(t("xl_page_footer", lang))
    ws.hide_gridlines(0)
    ws.activate()
    del last_table_row


def _cells(w: _Writer, ws, row: int, r: Report, code: str, basis: str, *, total: bool = False,
           bold: bool = False) -> None:
    lang = r.lang
    border = {"border": 1, "bold": bold, **({"bg_color": "#F2F2F2"} if total or bold else {})}
    for i, ind in enumerate(r.registry.indicators):
        c = 2 + 4 * i
        data = r.row(code, ind, basis)
        nf = _num_format(ind)
        if total:
            _total_cells(w, ws, row, c, r, ind, border)
            continue
        if data is None:
            for j in range(4):
                w.text(ws, row, c + j, "—", w.fmt(align="center", **border))
            continue
        status = data["status"]
        fill = {"bg_color": STATUS_FILL.get(status, "#FFFFFF")}
        if ind.is_rate:
            op = "≥" if data["comparator"] in (">=", None) else "≤"
            if _missing(data["target"]):
                w.text(ws, row, c, "—", w.fmt(align="center", **border))
            else:
                w.number(ws, row, c, data["target"], w.fmt(num_format=f'"{op}"0.0"%"', **border))
            w.number(ws, row, c + 1, data["actual"], w.fmt(num_format=nf + '"%"', **border))
            w.text(ws, row, c + 2, status_label(status, lang), w.fmt(align="center", **{**border, **fill}))
            w.number(ws, row, c + 3, data["gap_pp"], w.fmt(num_format="+0.0;-0.0;0.0", **{**border, **fill}))
        else:
            w.number(ws, row, c, data["target"], w.fmt(num_format=target_format(ind, data["target"],
                                                                                target_note(data)), **border))
            w.number(ws, row, c + 1, data["actual"], w.fmt(num_format=nf, **border))
            symbol = STATUS_SYMBOL.get(status, "")
            w.number(ws, row, c + 2, data["completion_pct"],
                     w.fmt(num_format=f'0.0"% {symbol}"', **{**border, **fill}))
            w.number(ws, row, c + 3, data["gap_pp"], w.fmt(num_format="+0.0;-0.0;0.0", **{**border, **fill}))


def target_format(ind: Indicator, value, note: str | None = None) -> str:
    """A target prints as the published table prints it: whole numbers without decimals (165,
    not 165.00), and a note beside the figure kept as published ("3000(创业培训)")."""
    whole = not _missing(value) and float(value).is_integer()
    if note:
        shown = '"(' + note.replace('"', "'") + ')"'
        return ("0" if whole else "0.00") + shown
    return "#,##0" if whole and not ind.is_rate else _num_format(ind)


def _total_cells(w: _Writer, ws, row: int, c: int, r: Report, ind: Indicator, border: dict) -> None:
    """The 合计 row of one indicator (report.total_row): completion and gap from the unrounded
    totals, shown to two decimals so 49.98% is not printed as 50.0%."""
    tot = total_row(r, ind)
    centre = w.fmt(align="center", **border)
    if tot is None:
        for j in range(4):
            w.text(ws, row, c + j, "—", centre)
        return
    fill = {"bg_color": STATUS_FILL.get(tot["status"], "#F2F2F2")} if tot["status"] else {}
    if ind.is_rate:
        if tot["target"] is None:
            w.text(ws, row, c, "—", centre)
        else:
            op = "≥" if tot["comparator"] in (">=", None) else "≤"
            w.number(ws, row, c, tot["target"], w.fmt(num_format=f'"{op}"0.0"%"', **border))
        w.number(ws, row, c + 1, tot["actual"], w.fmt(num_format='0.0"%"', **border))
        if tot["status"]:
            w.text(ws, row, c + 2, status_label(tot["status"], r.lang), w.fmt(align="center", **{**border, **fill}))
        else:
            w.text(ws, row, c + 2, "—", centre)
        if tot["gap"] is None:
            w.text(ws, row, c + 3, "—", centre)
        else:
            w.number(ws, row, c + 3, tot["gap"], w.fmt(num_format="+0.0;-0.0;0.0", **{**border, **fill}))
        return
    w.number(ws, row, c, tot["target"], w.fmt(num_format=target_format(ind, tot["target"]), **border))
    w.number(ws, row, c + 1, tot["actual"], w.fmt(num_format=_num_format(ind), **border))
    symbol = STATUS_SYMBOL.get(tot["status"], "")
    w.number(ws, row, c + 2, tot["completion"], w.fmt(num_format=f'0.00"% {symbol}"', **{**border, **fill}))
    w.number(ws, row, c + 3, tot["gap"], w.fmt(num_format="+0.00;-0.00;0.00", **{**border, **fill}))


def _table(w: _Writer, ws, df: pd.DataFrame, start_row: int = 0, widths: dict[int, float] | None = None) -> int:
    head = w.fmt(bold=True, bg_color="#DDEBF7", border=1, text_wrap=True, align="center")
    for c, name in enumerate(df.columns):
        w.text(ws, start_row, c, str(name), head)
    for i, values in enumerate(df.itertuples(index=False), start=start_row + 1):
        for c, v in enumerate(values):
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not _missing(v):
                ws.write_number(i, c, float(v), w.fmt(border=1))
            elif _missing(v):
                ws.write_blank(i, c, None, w.fmt(border=1))
            else:
                w.text(ws, i, c, str(v), w.fmt(border=1))
    for c in range(len(df.columns)):
        ws.set_column(c, c, (widths or {}).get(c, 12))
    if len(df.columns):
        ws.autofilter(start_row, 0, start_row + max(len(df), 1), len(df.columns) - 1)
        ws.freeze_panes(start_row + 1, 0)
    return start_row + len(df) + 1


def _trend_sheet(w: _Writer, r: Report) -> None:
    lang = r.lang
    ws = w.wb.add_worksheet(t("xl_sheet_trend", lang))
    m = r.monthly
    names = {u.code: r.unit_name(u.code) for u in r.units}
    labels = {i.name: i.label[lang] for i in r.registry.indicators}
    order = {i.name: i.order for i in r.registry.indicators}
    sort_of = {u.code: (0 if u.code == r.units.root().code else 1, u.sort_order) for u in r.units}
    df = m.assign(_i=m["indicator"].map(order), _u=m["unit_code"].map(sort_of))
    df = df.sort_values(["_i", "_u", "year", "month"])
    out = pd.DataFrame({
        t("unit_name", lang): df["unit_code"].map(names),
        t("indicator", lang): df["indicator"].map(labels),
        t("year", lang): df["year"].astype(int),
        t("xl_month", lang): df["month"].astype(int),
        t("legend_monthly", lang): df["value"].round(4),
        t("legend_cumulative", lang): df["cumulative"].round(4),
    })
    _table(w, ws, out, widths={0: 16, 1: 30})


def _rank_sheet(w: _Writer, r: Report) -> None:
    """Ranks per indicator (completion for amounts, the rate for rates). The assessment
    scores have their own sheet (考核评分)."""
    lang = r.lang
    ws = w.wb.add_worksheet(t("xl_sheet_rank", lang))
    rows = []
    for code in r.children():
        line = {t("unit_name", lang): r.unit_name(code)}
        for ind in r.registry.indicators:
            data = r.row(code, ind)
            label = ind.short_label[lang]
            score = None if data is None else (data["actual"] if ind.is_rate else data["completion_pct"])
            line[t("xl_rank_score", lang, label=label)] = score
            line[t("xl_rank_rank", lang, label=label)] = None if data is None or _missing(data["rank"]) \
                else int(data["rank"])
        rows.append(line)
    _table(w, ws, pd.DataFrame(rows), widths={0: 16})


def _scores_sheet(w: _Writer, r: Report) -> None:
    """The assessment scores (the method and config of data/reference/scoring.yaml), as frozen with the snapshot."""
    if r.scores is None or r.scores.empty:
        return
    ws = w.wb.add_worksheet(t("xl_sheet_scores", r.lang))
    end = _table(w, ws, r.scores, widths={1: 16})
    if r.scores.attrs.get("note"):  # the weights are local settings: say so beside the scores
        w.text(ws, end + 1, 0, r.scores.attrs["note"], w.fmt(bold=True, font_color="#A31F00"))


def _briefing_sheet(w: _Writer, r: Report) -> None:
    ws = w.wb.add_worksheet(t("xl_sheet_brief", r.lang))
    ws.set_column(0, 0, 120)
    w.text(ws, 0, 0, r.title(), w.fmt(bold=True, font_size=14))
    for i, line in enumerate(briefing_lines(r.progress, r.registry, r.units, r.as_of, r.lang,
                                            missing=r.missing, year=r.year, is_demo=r.is_demo, notes=r.notes),
                         start=2):
        w.text(ws, i, 0, line, w.fmt(text_wrap=True))
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


def _revision_sheet(w: _Writer, r: Report) -> None:
    lang = r.lang
    ws = w.wb.add_worksheet(t("xl_sheet_revisions", lang))
    revs = r.revisions
    if r.compared_with is None:
        w.text(ws, 0, 0, t("rev_none_earlier", lang), w.fmt(bold=True))
        ws.set_column(0, 0, 80)
        return
    if revs is None or revs.empty:
        w.text(ws, 0, 0, t("rev_no_change", lang, snap=r.compared_with), w.fmt(bold=True))
        ws.set_column(0, 0, 80)
        return
    w.text(ws, 0, 0, t("rev_heading", lang, snap=r.compared_with, n=len(revs)), w.fmt(bold=True))
    _table(w, ws, revision_table(revs, r), start_row=2, widths={0: 16, 1: 30})


def revision_table(revs: pd.DataFrame, r: Report) -> pd.DataFrame:
    lang = r.lang
    names = {u.code: r.unit_name(u.code) for u in r.units}
    labels = {i.name: i.label[lang] for i in r.registry.indicators}
    return pd.DataFrame({
        t("unit_name", lang): revs["unit_code"].map(names).fillna(revs["unit_code"]),
        t("indicator", lang): revs["indicator"].map(labels).fillna(revs["indicator"]),
        t("year", lang): revs["year"].astype(int),
        t("xl_month", lang): revs["month"].astype(int),
        t("rev_old", lang): revs["old_value"].round(4),
        t("rev_new", lang): revs["new_value"].round(4),
        t("rev_change", lang): revs["change"].round(4),
    })


def _data_sheet(w: _Writer, r: Report) -> None:
    """The progress rows as `target-monitor progress --format csv` prints them (English names)."""
    ws = w.wb.add_worksheet(t("xl_sheet_data", r.lang))
    df = r.progress[CONTRACT_COLUMNS + ["target_basis"]].copy()
    df["rank"] = df["rank"].astype("float64")
    _table(w, ws, df, widths={1: 16, 2: 26})
