"""The PDF report (WeasyPrint): A4 landscape, Chinese glyphs embedded (Noto Sans CJK subset).

Cover with the headline sentences, the official table (same layout and fills as the Excel
sheet), one chart per indicator, and the briefing text. HTML is built here with every value
escaped; WeasyPrint embeds the subset of the fonts used, so the PDF reads the same on a
machine without Chinese fonts.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from target_monitor.exports.briefing import headline_sentences
from target_monitor.exports.excel import group_header, sub_headers
from target_monitor.exports.report import LEGEND_STATUSES, STATUS_FILL, Report, target_note, total_row
from target_monitor.i18n import STATUS_SYMBOL, status_label, t
from target_monitor.present import fmt_number, fmt_pp, is_missing
from target_monitor.progress import BASIS_ALLOCATION, BASIS_OWN

CSS = """
@page { size: A4 landscape; margin: 12mm 12mm 14mm 12mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555;
                        font-family: "Noto Sans CJK SC", sans-serif; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif; color: #111; }
h1 { font-size: 22pt; text-align: center; margin: 40mm 0 6mm 0; }
h2 { font-size: 15pt; margin: 0 0 4mm 0; border-left: 5px solid #0072B2; padding-left: 6px; }
.sub { text-align: center; font-size: 11pt; color: #333; margin-bottom: 12mm; }
.headlines p { font-size: 13pt; line-height: 1.8; margin: 0 0 3mm 0; }
.demo { color: #D55E00; font-weight: bold; text-align: center; margin-top: 8mm; }
.page { page-break-before: always; }
table.official { border-collapse: collapse; width: 100%; font-size: 7.2pt; }
table.official th, table.official td { border: 0.6pt solid #555; padding: 0.7mm 0.7mm; line-height: 1.25; }
table.official th { background: #DDEBF7; font-weight: bold; text-align: center; }
table.official td.num { text-align: right; white-space: nowrap; }
table.official td.c { text-align: center; white-space: nowrap; }
table.official td.name { white-space: nowrap; }
table.official td.noted { text-align: right; font-size: 6.4pt; }
table.official tr { page-break-inside: avoid; }
table.official tr.total td { background: #F2F2F2; font-weight: bold; }
table.official thead { display: table-header-group; }
.title { font-size: 13pt; font-weight: bold; text-align: center; margin-bottom: 2mm; }
.legend span { display: inline-block; padding: 0.6mm 2.5mm; margin-right: 2mm; border: 0.5pt solid #888; font-size: 8pt; }
.note { font-size: 8pt; color: #222; margin-top: 2mm; line-height: 1.5; }
.chart { page-break-inside: avoid; margin-bottom: 4mm; }
.chart img { display: block; margin: 0 auto; width: auto; height: auto; max-width: 100%; max-height: 84mm; }
.brief p { font-size: 11pt; line-height: 1.8; margin: 0 0 2.5mm 0; text-indent: 2em; }
.brief p.h { font-weight: bold; margin-top: 4mm; }
.brief p.note-line { text-indent: 0; color: #333; }
"""


def _e(x) -> str:
    return html.escape(str(x))


def _cells(r: Report, code: str, basis: str, total: bool = False) -> str:
    out = []
    for ind in r.registry.indicators:
        row = r.row(code, ind, basis)
        if total:
            out.append(_total_cells(r, ind))
            continue
        if row is None:
            out.append('<td class="c">—</td>' * 4)
            continue
        fill = f' style="background:{STATUS_FILL.get(row["status"], "#fff")}"'
        if ind.is_rate:
            op = "≥" if row["comparator"] in (">=", None) else "≤"
            target = "—" if is_missing(row["target"]) else f"{op}{fmt_number(ind, row['target'])}%"
            actual = "—" if is_missing(row["actual"]) else f"{fmt_number(ind, row['actual'])}%"
            out.append(f'<td class="c">{target}</td><td class="num">{actual}</td>'
                       f'<td class="c"{fill}>{_e(status_label(row["status"], r.lang))}</td>'
                       f'<td class="num"{fill}>{fmt_pp(row["gap_pp"])}</td>')
        else:
            comp = "—" if is_missing(row["completion_pct"]) else \
                f'{row["completion_pct"]:.1f}% {STATUS_SYMBOL.get(row["status"], "")}'
            note = target_note(row)
            target = fmt_number(ind, row["target"], sep=note is None, trim=True) + (f"({note})" if note else "")
            cls = "noted" if note else "num"  # a note may wrap under its figure; the unit names may not
            out.append(f'<td class="{cls}">{_e(target)}</td>'
                       f'<td class="num">{fmt_number(ind, row["actual"])}</td>'
                       f'<td class="num"{fill}>{_e(comp)}</td><td class="num"{fill}>{fmt_pp(row["gap_pp"])}</td>')
    return "".join(out)


def _total_cells(r: Report, ind) -> str:
    """The 合计 row of one indicator (report.total_row), as the workbook prints it."""
    tot = total_row(r, ind)
    if tot is None:
        return '<td class="c">—</td>' * 4
    fill = f' style="background:{STATUS_FILL[tot["status"]]}"' if tot["status"] in STATUS_FILL else ""
    gap = "—" if tot["gap"] is None else (f'{tot["gap"]:+.1f}' if ind.is_rate else f'{tot["gap"]:+.2f}')
    if ind.is_rate:
        op = "≥" if tot["comparator"] in (">=", None) else "≤"
        target = "—" if tot["target"] is None else f"{op}{fmt_number(ind, tot['target'])}%"
        actual = "—" if is_missing(tot["actual"]) else f"{fmt_number(ind, tot['actual'])}%"
        status = _e(status_label(tot["status"], r.lang)) if tot["status"] else "—"
        return (f'<td class="c">{target}</td><td class="num">{actual}</td><td class="c"{fill}>{status}</td>'
                f'<td class="num"{fill}>{gap}</td>')
    comp = "—" if tot["completion"] is None else \
        f'{tot["completion"]:.2f}% {STATUS_SYMBOL.get(tot["status"], "")}'
    return (f'<td class="num">{fmt_number(ind, tot["target"], trim=True)}</td>'
            f'<td class="num">{fmt_number(ind, tot["actual"])}</td>'
            f'<td class="num"{fill}>{_e(comp)}</td><td class="num"{fill}>{gap}</td>')


def table_html(r: Report) -> str:
    lang = r.lang
    head1 = [f'<th rowspan="2">{_e(t("seq_no", lang))}</th>', f'<th rowspan="2">{_e(t("unit_name", lang))}</th>']
    head2 = []
    for ind in r.registry.indicators:
        head1.append(f'<th colspan="4">{_e(group_header(ind, lang))}</th>')
        head2 += [f"<th>{_e(h)}</th>" for h in sub_headers(ind, lang)]
    body = []
    for seq, code in enumerate(r.children(), start=1):
        body.append(f'<tr><td class="c">{seq}</td><td class="name">{_e(r.unit_name(code))}</td>{_cells(r, code, BASIS_OWN)}</tr>')
    root = r.units.root().code
    body.append(f'<tr class="total"><td class="c">{_e(t("total_row", lang))}</td><td>{_e(t("allocation_sum", lang))}</td>'
                f'{_cells(r, root, BASIS_ALLOCATION, total=True)}</tr>')
    body.append(f'<tr class="total"><td></td><td>{_e(t("district_own_row", lang))}</td>{_cells(r, root, BASIS_OWN)}</tr>')
    legend = "".join(f'<span style="background:{STATUS_FILL[s]}">{_e(status_label(s, lang))}</span>'
                     for s in LEGEND_STATUSES)
    notes = [t("xl_footnote_asof", lang, date=r.date_long(), through=(r.data_through or r.as_of).isoformat(),
               snap=r.snapshot_id or t("xl_live", lang), created=r.created_at or "—"),
             t("xl_footnote_method", lang, pct=f"{r.time_progress_pct:.1f}")]
    if r.target_sources:
        notes.append(t("xl_footnote_source", lang, sources="；".join(r.target_sources)))
    return (f'<div class="title">{_e(r.title())}</div>'
            f'<table class="official"><thead><tr>{"".join(head1)}</tr><tr>{"".join(head2)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>'
            f'<div class="legend note">{_e(t("xl_legend", lang))} {legend}</div>'
            + "".join(f'<div class="note">{_e(n)}</div>' for n in notes))


def _briefing_html(r: Report) -> str:
    """The drafted 通报 (the same text as the page and the workbook's sheet): the note, then each
    section's heading set apart in bold, then its paragraphs indented."""
    from target_monitor.briefing import build_briefing

    b = build_briefing(r.registry, r.units, r.progress, r.missing or {}, r.year, r.as_of, r.lang, is_demo=r.is_demo,
                       notes=r.notes)
    out = [f'<p class="note-line">{_e(b.subtitle)}</p>']
    for heading, paragraphs in b.sections:
        out.append(f'<p class="h">{_e(heading)}</p>')
        out += [f"<p>{_e(s)}</p>" for s in paragraphs]
    return "".join(out)


def report_html(r: Report, pngs: list[Path]) -> str:
    lang = r.lang
    cover_sub = t("pdf_cover_sub", lang, snap=r.snapshot_id or t("xl_live", lang), created=r.created_at or "—")
    heads = "".join(f"<p>{_e(s)}</p>" for s in headline_sentences(r.progress, r.registry, r.as_of, lang))
    demo = f'<div class="demo">{_e(t("demo_note", lang))}</div>' if r.is_demo else ""
    # inline (data: URIs), not file paths: WeasyPrint names each image after its address, and a
    # snapshot is built in a temporary folder, so a path would make every build's PDF differ
    charts = "".join(f'<div class="chart"><img src="data:image/png;base64,'
                     f'{base64.b64encode(Path(p).read_bytes()).decode()}"></div>' for p in pngs)
    brief = _briefing_html(r)
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{_e(r.title())}</title>{_created_meta(r)}<style>{CSS}</style></head><body>"
        f"<h1>{_e(r.title())}</h1><div class=\"sub\">{_e(cover_sub)}</div>"
        f'<h2>{_e(t("pdf_headlines", lang))}</h2><div class="headlines">{heads}</div>{demo}'
        f'<div class="page">{table_html(r)}</div>'
        f'<div class="page"><h2>{_e(t("pdf_charts", lang))}</h2>{charts}</div>'
        f'<div class="page"><h2>{_e(t("pdf_briefing", lang))}</h2><div class="brief">{brief}</div></div>'
        "</body></html>"
    )


def _created_meta(r: Report) -> str:
    """The PDF's creation date is the manifest's (WeasyPrint writes no date without it)."""
    if r.created_utc is None:
        return ""
    stamp = r.created_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'<meta name="dcterms.created" content="{stamp}"><meta name="dcterms.modified" content="{stamp}">'


def write_pdf(r: Report, pngs: list[Path], path: Path) -> Path:
    from weasyprint import HTML

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    HTML(string=report_html(r, pngs), base_url=str(path.parent)).write_pdf(str(tmp))
    tmp.replace(path)
    return path
