"""A report pack per unit (`snapshot --per-unit`): each unit's own part of one frozen snapshot.

    <snapshot>/units/<unit code>/<code>.xlsx   its row of the official table, ranks and statuses,
                                               its paragraph, its 情况说明 and its open 督办 items
    <snapshot>/units/<code>/<code>.pdf         the same, with the snapshot's charts

Written inside the snapshot's build folder before it is sealed, so the manifest hashes every pack.
The figures are the snapshot's byte for byte: the row is written by the very functions that write
the official table of report.xlsx and report.pdf (`excel._cells`, `pdf._cells`) from the same
frozen progress table, so a cell of the pack and the unit's cell of the report are the same bytes
(tests/test_followup_packs.py compares them). The notes and items are those frozen with the
snapshot (`<snapshot>/followup/`).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import xlsxwriter

from target_monitor.exports import report_for
from target_monitor.exports.excel import _cells as xl_cells
from target_monitor.exports.excel import _Writer, group_header, sub_headers
from target_monitor.exports.pdf import CSS
from target_monitor.exports.pdf import _cells as pdf_cells
from target_monitor.exports.report import Report
from target_monitor.i18n import status_label, t
from target_monitor.present import _label_in_sentence, fmt_number, is_missing, not_reported_text, pace_phrase
from target_monitor.progress import BASIS_OWN

UNITS = "units"


def pack_dir(snapshot_folder: Path, code: str) -> Path:
    return Path(snapshot_folder) / UNITS / code


def pack_files(snapshot_folder: Path, code: str) -> dict[str, Path]:
    """The unit's pack files that exist ({"xlsx": path, "pdf": path})."""
    d = pack_dir(snapshot_folder, code)
    return {ext: d / f"{code}.{ext}" for ext in ("xlsx", "pdf") if (d / f"{code}.{ext}").exists()}


def _ranked_count(r: Report, ind) -> int:
    p = r.progress
    rows = p[(p["level"] == "child") & (p["indicator"] == ind.name) & (p["target_basis"] == BASIS_OWN)]
    return int(rows["rank"].notna().sum())


def rank_rows(r: Report, code: str) -> list[dict]:
    """Per indicator: its label, the status word, the rank among the ranked units (or None)."""
    out = []
    for ind in r.registry.indicators:
        row = r.row(code, ind)
        if row is None:
            continue
        rank = None if is_missing(row["rank"]) else int(row["rank"])
        out.append({"indicator": ind, "status": row["status"], "rank": rank, "of": _ranked_count(r, ind)})
    return out


def unit_paragraph(r: Report, code: str) -> str:
    """The unit's own paragraph of the 通报: per indicator its figure, pace and rank, in one text."""
    lang = r.lang
    parts = []
    for item in rank_rows(r, code):
        ind, row = item["indicator"], r.row(code, item["indicator"])
        if is_missing(row["target"]):
            continue
        label = _label_in_sentence(ind, lang)
        if ind.is_rate:
            value = "—" if is_missing(row["actual"]) else f"{fmt_number(ind, row['actual'])}%"
            text = t("pack_rate_part", lang, label=label, value=value, status=status_label(row["status"], lang,
                                                                                          symbol=False))
        else:
            pace = pace_phrase(row, lang) or status_label(row["status"], lang, symbol=False)
            text = t("pack_count_part", lang, label=label, value=fmt_number(ind, row["actual"], sep=(lang == "en")),
                     unit_of=ind.unit[lang], completion=f"{row['completion_pct']:.1f}", pace=pace)
        if item["rank"] is not None:
            text += t("pack_rank_part", lang, rank=item["rank"], n=item["of"])
        parts.append(text)
    lead = r.unit_name(code) + ("：" if lang == "zh" else ": ")
    body = ("；" if lang == "zh" else "; ").join(parts) if parts else t("pack_no_targets", lang)
    mark = not_reported_text(code, r.missing, lang)
    end = "。" if lang == "zh" else "."
    return lead + body + (("，" if lang == "zh" else ", ") + mark if mark else "") + end


def _notes_and_items(frozen, code: str, month: str):
    from target_monitor.followup.duban import items
    from target_monitor.followup.notes import notes_for

    notes = notes_for(frozen.data_dir, month=month, unit=code)
    latest = {}
    for n in notes:
        latest[n["indicator"]] = n
    open_items = [it for it in items(frozen.data_dir, units={code}) if it["state"] != "closed"]
    return list(latest.values()), open_items


def _label(r: Report, name: str) -> str:
    ind = next((i for i in r.registry.indicators if i.name == name), None)
    return ind.label[r.lang] if ind is not None else name


def _item_line(r: Report, it: dict) -> list[str]:
    lang = r.lang
    return [_label(r, it["indicator"]), t("duban_state_" + it["state"], lang), it.get("opened_month") or "",
            it.get("due_on") or "", it.get("feedback") or "",
            (it.get("escalation") or "") if it.get("escalated") else ""]


def _item_heads(lang: str) -> list[str]:
    return [t(k, lang) for k in ("indicator", "duban_col_state", "duban_col_month", "duban_col_due",
                                 "duban_col_feedback", "duban_col_escalation")]


def _note_line(r: Report, n: dict) -> list[str]:
    replies = "；".join(f"{x['user']}：{x['text']}" for x in n.get("replies", []))
    return [_label(r, n["indicator"]), n["text"], n["user"], replies]


def _note_heads(lang: str) -> list[str]:
    return [t(k, lang) for k in ("indicator", "notes_col_text", "notes_col_user", "notes_col_replies")]


def write_xlsx(r: Report, code: str, paragraph: str, notes: list, open_items: list, path: Path) -> Path:
    lang = r.lang
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    props = {"title": t("pack_title", lang, unit=r.unit_name(code), title=r.title()),
             "subject": r.snapshot_id or "", "comments": "target-monitor"}
    if r.created_utc is not None:  # the pack is as reproducible as the report it comes from
        props["created"] = r.created_utc.replace(tzinfo=None)
    wb.set_properties(props)
    w = _Writer(wb)
    ws = wb.add_worksheet(t("pack_sheet_unit", lang))
    inds = r.registry.indicators
    ncols = 2 + 4 * len(inds)
    border = {"border": 1}
    head = w.fmt(bold=True, align="center", text_wrap=True, bg_color="#DDEBF7", **border)
    w.merge(ws, 0, 0, 0, ncols - 1, props["title"], w.fmt(bold=True, font_size=14, align="center"))
    w.merge(ws, 1, 0, 1, ncols - 1, t("xl_subtitle", lang, pct=f"{r.time_progress_pct:.1f}",
                                      snap=r.snapshot_id or t("xl_live", lang)), w.fmt(font_size=10, align="right"))
    # the official table's header and the unit's row, at the same rows and columns as report.xlsx
    w.merge(ws, 2, 0, 3, 0, t("seq_no", lang), head)
    w.merge(ws, 2, 1, 3, 1, t("unit_name", lang), head)
    for i, ind in enumerate(inds):
        c = 2 + 4 * i
        w.merge(ws, 2, c, 2, c + 3, group_header(ind, lang), head)
        for j, label in enumerate(sub_headers(ind, lang)):
            w.text(ws, 3, c + j, label, head)
    seq = r.children().index(code) + 1
    w.text(ws, 4, 0, str(seq), w.fmt(align="center", **border))
    w.text(ws, 4, 1, r.unit_name(code), w.fmt(**border))
    xl_cells(w, ws, 4, r, code, BASIS_OWN)
    ws.set_row(2, 36)
    ws.set_row(3, 30)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 16)
    ws.set_column(2, ncols - 1, 10.5)
    # ranks and statuses
    row = 6
    heads = [t("indicator", lang), t("status", lang), t("pack_rank", lang)]
    for j, h in enumerate(heads):
        w.text(ws, row, 1 + j, h, head)
    for item in rank_rows(r, code):
        row += 1
        w.text(ws, row, 1, item["indicator"].label[lang], w.fmt(**border))
        w.text(ws, row, 2, status_label(item["status"], lang), w.fmt(**border))
        w.text(ws, row, 3, "—" if item["rank"] is None else t("pack_rank_of", lang, rank=item["rank"], n=item["of"]),
               w.fmt(align="center", **border))
    row += 2
    w.text(ws, row, 1, t("pack_paragraph", lang), w.fmt(bold=True))
    w.merge(ws, row + 1, 1, row + 1, ncols - 1, paragraph, w.fmt(text_wrap=True, valign="top"))
    ws.set_row(row + 1, 20 * max(2, len(paragraph) // 90 + 1))
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)

    for sheet, heads, lines, widths in (
            (t("pack_sheet_notes", lang), _note_heads(lang), [_note_line(r, n) for n in notes], (24, 70, 24, 50)),
            (t("pack_sheet_duban", lang), _item_heads(lang), [_item_line(r, it) for it in open_items],
             (24, 16, 12, 12, 60, 40))):
        ws2 = wb.add_worksheet(sheet)
        for j, h in enumerate(heads):
            w.text(ws2, 0, j, h, head)
            ws2.set_column(j, j, widths[j])
        for i, line in enumerate(lines, start=1):
            for j, v in enumerate(line):
                w.text(ws2, i, j, v, w.fmt(text_wrap=True, valign="top", **border))
        if not lines:
            w.text(ws2, 1, 0, t("pack_none", lang))
    wb.close()
    return path


def _e(x) -> str:
    return html.escape(str(x))


def _html_table(heads: list[str], lines: list[list[str]], empty: str) -> str:
    if not lines:
        return f'<p class="note">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in line) + "</tr>" for line in lines)
    return f'<table class="official list"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


PACK_CSS = """
table.list td { white-space: normal; font-size: 9pt; }
table.list th { font-size: 9pt; }
.para { font-size: 12pt; line-height: 1.8; text-indent: 2em; margin: 3mm 0; }
h1.pack { font-size: 18pt; margin: 0 0 3mm 0; text-align: center; }
"""


def pack_html(r: Report, code: str, paragraph: str, notes: list, open_items: list, pngs: list[Path]) -> str:
    lang = r.lang
    head1 = [f'<th rowspan="2">{_e(t("seq_no", lang))}</th>', f'<th rowspan="2">{_e(t("unit_name", lang))}</th>']
    head2 = []
    for ind in r.registry.indicators:
        head1.append(f'<th colspan="4">{_e(group_header(ind, lang))}</th>')
        head2 += [f"<th>{_e(h)}</th>" for h in sub_headers(ind, lang)]
    seq = r.children().index(code) + 1
    # the same cells as the unit's row of report.pdf's official table
    row = f'<tr><td class="c">{seq}</td><td class="name">{_e(r.unit_name(code))}</td>{pdf_cells(r, code, BASIS_OWN)}</tr>'
    ranks = _html_table([t("indicator", lang), t("status", lang), t("pack_rank", lang)],
                        [[it["indicator"].label[lang], status_label(it["status"], lang),
                          "—" if it["rank"] is None else t("pack_rank_of", lang, rank=it["rank"], n=it["of"])]
                         for it in rank_rows(r, code)], t("pack_none", lang))
    charts = "".join(f'<div class="chart"><img src="data:image/png;base64,'
                     f'{base64.b64encode(Path(p).read_bytes()).decode()}"></div>' for p in pngs)
    title = t("pack_title", lang, unit=r.unit_name(code), title=r.title())
    sub = t("xl_subtitle", lang, pct=f"{r.time_progress_pct:.1f}", snap=r.snapshot_id or t("xl_live", lang))
    demo = f'<div class="demo">{_e(t("demo_note", lang))}</div>' if r.is_demo else ""
    stamp = ""
    if r.created_utc is not None:
        s = r.created_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        stamp = f'<meta name="dcterms.created" content="{s}"><meta name="dcterms.modified" content="{s}">'
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>{stamp}<style>{CSS}{PACK_CSS}</style></head><body>"
        f'<h1 class="pack">{_e(title)}</h1><div class="sub">{_e(sub)}</div>'
        f'<h2>{_e(t("pack_paragraph", lang))}</h2><p class="para">{_e(paragraph)}</p>{demo}'
        f'<h2>{_e(t("pack_row", lang))}</h2>'
        f'<table class="official"><thead><tr>{"".join(head1)}</tr><tr>{"".join(head2)}</tr></thead>'
        f"<tbody>{row}</tbody></table>"
        f'<h2 style="margin-top:5mm">{_e(t("pack_ranks", lang))}</h2>{ranks}'
        f'<div class="page"><h2>{_e(t("pack_sheet_notes", lang))}</h2>'
        f'{_html_table(_note_heads(lang), [_note_line(r, n) for n in notes], t("pack_none", lang))}'
        f'<h2 style="margin-top:5mm">{_e(t("pack_sheet_duban", lang))}</h2>'
        f'{_html_table(_item_heads(lang), [_item_line(r, it) for it in open_items], t("pack_none", lang))}</div>'
        + (f'<div class="page"><h2>{_e(t("pdf_charts", lang))}</h2>{charts}</div>' if charts else "")
        + "</body></html>"
    )


def write_packs(frozen, folder: Path, *, lang: str = "zh", pdf: bool = True) -> dict[str, dict[str, Path]]:
    """Every child unit's pack under `folder`/units/ (the snapshot's build folder)."""
    r = report_for(frozen, lang)
    month = f"{r.as_of.year:04d}-{r.as_of.month:02d}"
    pngs = sorted((Path(folder) / "charts").glob("*.png")) if pdf else []
    out = {}
    for code in r.children():
        d = pack_dir(folder, code)
        d.mkdir(parents=True, exist_ok=True)
        paragraph = unit_paragraph(r, code)
        notes, open_items = _notes_and_items(frozen, code, month)
        files = {"xlsx": write_xlsx(r, code, paragraph, notes, open_items, d / f"{code}.xlsx")}
        if pdf:
            from weasyprint import HTML

            path = d / f"{code}.pdf"
            HTML(string=pack_html(r, code, paragraph, notes, open_items, pngs), base_url=str(d)).write_pdf(str(path))
            files["pdf"] = path
        out[code] = files
    return out
