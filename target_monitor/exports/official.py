"""The drafted 通报 as an official document: a .docx laid out after GB/T 9704-2012.

Only the container is decided here; the words (title, the note under it, the numbered sections)
come from `target_monitor.briefing.Briefing` as they are. The layout:

- A4 (210 × 297 mm); margins top 37, bottom 35, left 28, right 26 mm: a 156 × 225 mm 版心;
- 22 lines of 28 characters: a line grid (Word's 文档网格, 22 lines) and an exact line pitch of
  225 mm / 22; 3号 characters are 16 pt and 28 of them are 448 pt, 6 pt wider than the 版心, so
  the body's characters are set 0.25 pt closer (character spacing), which gives 28 a line in
  Word and in LibreOffice alike (a character grid does not: LibreOffice then gives each 16 pt
  character two 15.8 pt cells, 14 a line). No widow control: every page is filled;
- 版头: the issuing body (发文机关标志) in red 小标宋, centred, sized to fit the 版心; two lines
  below it the document number (发文字号) in 3号仿宋; 4 mm below that a red rule as wide as the
  版心;
- the title in 2号小标宋, centred, two lines below the rule; the note under it in 3号楷体;
- one line below, the addressees (主送机关) flush left, ending in a full-width colon;
- the body in 3号仿宋, every paragraph indented two characters; the first-level headings
  (一、…) in 3号黑体;
- the issuing body's name and the date (成文日期) in Chinese numerals, placed as the standard
  places them on a document without a seal: the name two characters in from the right, the
  date's first character two characters right of the name's first;
- page numbers "— 1 —" in 4号 digits under the 版心, right on odd pages and left on even pages,
  one character in from the edge of the 版心.

Fonts are named as the standard names them (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312), which
an office's Word has. A machine without them substitutes: `docx_to_pdf` renders with
LibreOffice and a fontconfig file (fonts.conf beside this module) that maps them to Noto Serif
CJK SC (小标宋, 仿宋, 楷体) and Noto Sans CJK SC (黑体), Debian's fonts-noto-cjk.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import yaml

from target_monitor.paths import SHIPPED_REFERENCE_DIR

CONFIG_FILE = "official_document.yaml"
FONTS_CONF = Path(__file__).with_name("fonts.conf")

# GB/T 9704-2012: page, margins and the 版心
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
TEXT_WIDTH_MM = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]  # 156
TEXT_HEIGHT_MM = PAGE_MM[1] - MARGINS_MM["top"] - MARGINS_MM["bottom"]  # 225
LINES, CHARS = 22, 28

# 号 sizes in points
SIZE_2 = 22.0  # 2号: the title
SIZE_3 = 16.0  # 3号: the body, the document number, the addressees
SIZE_4 = 14.0  # 4号: page numbers

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEADING = "黑体"
FONT_NOTE = "楷体_GB2312"
FONT_LATIN = "Times New Roman"
RED = "FF0000"

_PT_PER_MM = 72 / 25.4
# 225 mm / 22 = 28.96 pt, taken a twip under 28.95 pt: at the full pitch LibreOffice's rounding
# leaves room for only 21 lines
LINE_PITCH_PT = (int(TEXT_HEIGHT_MM * _PT_PER_MM / LINES * 20) - 1) / 20  # 28.90 pt
CHAR_PITCH_PT = TEXT_WIDTH_MM * _PT_PER_MM / CHARS  # 15.79 pt
BODY_CONDENSE_TWIPS = -5  # 3号 characters 0.25 pt closer: 28 × 15.75 pt fit the 442 pt 版心


@dataclass
class OfficialHeader:
    """What the office sets (official_document.yaml), and the date of this document."""

    issuer: str
    doc_number: str  # already formatted: 九龙坡就业〔2020〕15号 (or with the number left blank)
    addressees: str
    signer: str
    issued_on: date


def beijing_today() -> date:
    return datetime.now(timezone(timedelta(hours=8))).date()


def load_header(lang: str = "zh", *, issued_on: date | None = None, number: int | str | None = None,
                reference_dir: Path | None = None) -> OfficialHeader:
    """The header for a document issued on `issued_on` (default: today in Beijing), with the
    configured words. `number` overrides the file's; without either, the number is left blank."""
    path = Path(reference_dir or SHIPPED_REFERENCE_DIR) / CONFIG_FILE
    if not path.exists():
        path = SHIPPED_REFERENCE_DIR / CONFIG_FILE
    cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    def word(key: str) -> str:
        value = cfg.get(key)
        if isinstance(value, dict):
            value = value.get(lang) or value.get("zh")
        return str(value or "")

    issued_on = issued_on or beijing_today()
    number = cfg.get("number") if number is None else number
    blank = "\u3000\u3000" if lang == "zh" else "____"  # room to write the number in by hand
    doc_number = word("doc_number").format(year=issued_on.year, number=blank if number in (None, "") else number)
    issuer = word("issuer")
    return OfficialHeader(issuer=issuer, doc_number=doc_number, addressees=word("addressees"),
                          signer=word("signer") or issuer, issued_on=issued_on)


_DIGITS = "〇一二三四五六七八九"


def _small_number(n: int) -> str:
    """1..31 in Chinese numerals as dates write them: 三, 十, 十二, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def chinese_date(d: date) -> str:
    """date(2020, 7, 3) -> '二〇二〇年七月三日' (the year digit by digit, month and day as numbers)."""
    year = "".join(_DIGITS[int(ch)] for ch in f"{d.year:04d}")
    return f"{year}年{_small_number(d.month)}月{_small_number(d.day)}日"


def _english_date(d: date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


# --- the .docx ------------------------------------------------------------------------------------


def official_docx(title: str, note: str, sections: list[tuple[str, list[str]]], header: OfficialHeader,
                  lang: str = "zh") -> bytes:
    """The .docx bytes: 版头, title, the note under it, addressees, sections, signature and date."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt, RGBColor

    doc = Document()
    _page_setup(doc)
    _normal_style(doc)

    def para(text: str = "", *, size: float = SIZE_3, face: str = FONT_BODY, align=None, bold: bool = False,
             indent_chars: float = 0, colour: str | None = None, before_pt: float = 0):
        p = doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(max(LINE_PITCH_PT, size * 1.25))
        fmt.space_before, fmt.space_after = Pt(before_pt), Pt(0)
        fmt.widow_control = False
        if align is not None:
            p.alignment = align
        if indent_chars:
            fmt.first_line_indent = Pt(indent_chars * (SIZE_3 + BODY_CONDENSE_TWIPS / 20))
        if text:
            run = p.add_run(text)
            _font(run, face, size, bold=bold)
            if colour:
                run.font.color.rgb = RGBColor.from_string(colour)
        return p

    centre, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    # 版头: the issuing body in red, sized so the whole name fits the 版心 on one line
    width_pt = TEXT_WIDTH_MM * _PT_PER_MM
    issuer_size = min(36.0, width_pt / max(_char_count(header.issuer), 1) * 0.98)
    # its top edge 35 mm below the 版心's (the space above, less the mark's own line)
    para(header.issuer, size=issuer_size, face=FONT_TITLE, align=centre, colour=RED,
         before_pt=35 * _PT_PER_MM - max(LINE_PITCH_PT, issuer_size * 1.25))
    para()
    para()
    number = para(header.doc_number, align=centre)
    _rule_below(number, space_pt=4 * _PT_PER_MM)
    para()
    para()
    title_para = para(size=SIZE_2, align=centre)
    for i, line in enumerate(title_lines(title, lang)):
        if i:
            title_para.add_run().add_break()
        _font(title_para.add_run(line), FONT_TITLE, SIZE_2)
    if note:
        para(note, face=FONT_NOTE, align=centre)
    para()
    para(header.addressees + ("：" if lang == "zh" else ":"))
    for heading, paragraphs in sections:
        para(heading, face=FONT_HEADING, indent_chars=2)
        for text in paragraphs:
            para(text, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    # signature and date without a seal: the name two characters in from the right, the date's
    # first character two characters right of the name's (the date longer: it is two in)
    when = chinese_date(header.issued_on) if lang == "zh" else _english_date(header.issued_on)
    signer_right, date_right = _signature_indents(_char_count(header.signer), _char_count(when))
    para()
    signer = para(header.signer, align=right)
    signer.paragraph_format.right_indent = Pt(signer_right * SIZE_3)
    dated = para(when, align=right)
    dated.paragraph_format.right_indent = Pt(date_right * SIZE_3)
    _page_numbers(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# where a title may turn to its next line without splitting a word: after these, or before 的通报
_TITLE_BREAK_AFTER = ("年", "关于", "任务", "工作", "情况", "、", "，")
_TITLE_BREAK_BEFORE = ("的通报", "的通知", "的报告")


def title_lines(title: str, lang: str = "zh") -> list[str]:
    """The title as it is set: one line when it fits the 版心 in 2号, else two lines broken where
    a word ends (after 年, 任务, 情况 …) with the lengths as even as possible, as the standard asks
    (回行时词意完整、排列对称). A title without such a place wraps where the line is full."""
    per_line = TEXT_WIDTH_MM * _PT_PER_MM / SIZE_2
    if lang != "zh" or _char_count(title) <= per_line:
        return [title]
    cuts = {i + len(tok) for tok in _TITLE_BREAK_AFTER for i in range(len(title)) if title.startswith(tok, i)}
    cuts |= {i for tok in _TITLE_BREAK_BEFORE for i in range(len(title)) if title.startswith(tok, i)}
    fitting = [c for c in cuts if 0 < c < len(title)
               and max(_char_count(title[:c]), _char_count(title[c:])) <= per_line]
    if not fitting:
        return [title]
    best = min(fitting, key=lambda c: abs(_char_count(title[:c]) - _char_count(title[c:])))
    return [title[:best], title[best:]]


def _char_count(text: str) -> float:
    """Width in Chinese characters: a Latin letter or digit is half a character."""
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5 for ch in text)


def _signature_indents(signer: float, when: float) -> tuple[float, float]:
    """Right indents (in characters) of the 署名 and the 成文日期 (GB/T 9704-2012 7.3.5.2)."""
    signer_right = 2.0
    date_right = signer_right + signer - when - 2
    if date_right < 2:  # the date is the longer: it sits two in, the name moves left
        date_right = 2.0
        signer_right = date_right - signer + when + 2
    return signer_right, date_right


def _font(run, face: str, size: float, *, bold: bool = False) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size)
    run.font.bold = bold
    if size == SIZE_3:
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(BODY_CONDENSE_TWIPS))
        run._element.get_or_add_rPr().append(spacing)
    run.font.name = FONT_LATIN
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), face)
    fonts.set(qn("w:ascii"), FONT_LATIN)
    fonts.set(qn("w:hAnsi"), FONT_LATIN)


def _page_setup(doc) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    sec.top_margin, sec.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    sec.left_margin, sec.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    sec.header_distance = Mm(15)
    # the page number's top 7 mm below the 版心: its 4号 line ends about 5 mm lower
    sec.footer_distance = Mm(MARGINS_MM["bottom"] - 7 - 6)
    sect = sec._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))  # twentieths of a point


def _normal_style(doc) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style = doc.styles["Normal"]
    style.font.size = Pt(SIZE_3)
    style.font.name = FONT_LATIN
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT_BODY)


def _rule_below(paragraph, *, space_pt: float) -> None:
    """A red rule as wide as the 版心, `space_pt` below the paragraph's text (its bottom border)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "12")  # eighths of a point: 1.5 pt
    bottom.set(qn("w:space"), str(min(31, round(space_pt))))
    bottom.set(qn("w:color"), RED)
    borders.append(bottom)
    ppr.append(borders)


def _page_numbers(doc) -> None:
    """'— 1 —' in 4号 under the 版心: right on odd pages, left on even pages, one character in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc.settings.odd_and_even_pages_header_footer = True
    sec = doc.sections[0]
    for footer, align in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT), (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(SIZE_4)
        else:
            p.paragraph_format.left_indent = Pt(SIZE_4)
        _font(p.add_run("— "), "宋体", SIZE_4)
        _page_field(p)
        _font(p.add_run(" —"), "宋体", SIZE_4)


def _page_field(paragraph) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), str(int(SIZE_4 * 2)))
    rpr.append(size)
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), "宋体")
    rpr.insert(0, fonts)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


# --- rendering (for a look, and for the tests) -----------------------------------------------------


def soffice() -> str | None:
    """LibreOffice's command line, or None (Debian: libreoffice-writer-nogui)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: Path, out_dir: Path, timeout: float = 120) -> Path:
    """Render a .docx to PDF with LibreOffice headless, the official fonts mapped to installed CJK
    fonts (fonts.conf). Its own profile folder, so it runs beside an open LibreOffice."""
    exe = soffice()
    if exe is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed; Debian: apt install libreoffice-writer-nogui")
    docx, out_dir = Path(docx), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tm-soffice-") as profile:
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF), "HOME": profile}
        subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)],
                       check=True, capture_output=True, timeout=timeout, env=env)
    return out_dir / (docx.stem + ".pdf")
