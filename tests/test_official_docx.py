"""The 通报 .docx as an official document (GB/T 9704-2012): the page, the header, the grid of 22
lines × 28 characters, the date in Chinese, the page numbers; rendered with LibreOffice headless
and read back, and its pages kept as PNG in tests/artifacts/official_docx/ to look at."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from target_monitor.briefing import Briefing, build_briefing
from target_monitor.exports.official import (
    FONT_BODY, FONT_HEADING, FONT_TITLE, chinese_date, docx_to_pdf, load_header, soffice, title_lines,
)

AS_OF = date(2020, 6, 30)
ISSUED = date(2020, 7, 3)
ARTIFACTS = Path(__file__).resolve().parents[1] / "tests" / "artifacts" / "official_docx"


@pytest.fixture(scope="module")
def brief(demo_ctx) -> Briefing:
    p = demo_ctx.progress(2020, AS_OF)
    return build_briefing(demo_ctx.registry, demo_ctx.ref.units, p, demo_ctx.missing_months(2020, AS_OF), 2020,
                          AS_OF, "zh", is_demo=True)


@pytest.fixture(scope="module")
def header():
    return load_header("zh", issued_on=ISSUED, number=15)


@pytest.fixture(scope="module")
def doc(brief, header):
    return Document(io.BytesIO(brief.to_docx(header)))


def _need_soffice():
    if soffice() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install LibreOffice (.ci/run installs libreoffice-writer-nogui)")
        pytest.skip("LibreOffice is not installed (Debian: libreoffice-writer-nogui)")


def _east_asian_font(run) -> str | None:
    fonts = run._element.rPr.rFonts if run._element.rPr is not None else None
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


# --- words and numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("d, text", [
    (date(2020, 7, 3), "二〇二〇年七月三日"), (date(2020, 10, 10), "二〇二〇年十月十日"),
    (date(2021, 12, 31), "二〇二一年十二月三十一日"), (date(2020, 1, 20), "二〇二〇年一月二十日"),
    (date(2019, 11, 1), "二〇一九年十一月一日"),
])
def test_date_in_chinese_numerals(d, text):
    assert chinese_date(d) == text


def test_document_number_is_configured_or_left_blank():
    assert load_header("zh", issued_on=ISSUED, number=15).doc_number == "九龙坡就业〔2020〕15号"
    # no number yet: room to write it in by hand, the year from the date of issue
    assert load_header("zh", issued_on=date(2021, 1, 5)).doc_number == "九龙坡就业〔2021〕\u3000\u3000号"
    assert load_header("en", issued_on=ISSUED, number=15).doc_number == "Jiulongpo Employment [2020] No. 15"


def test_long_title_turns_where_a_word_ends():
    assert title_lines("关于九龙坡区2020年就业目标任务完成情况的通报") == ["关于九龙坡区2020年", "就业目标任务完成情况的通报"]
    assert title_lines("关于就业情况的通报") == ["关于就业情况的通报"]


# --- the .docx as Word reads it -------------------------------------------------------------------


def test_page_margins_and_grid(doc):
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)  # A4, not US Letter
    assert [round(x.mm) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == \
        [37, 35, 28, 26]
    grid = sec._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    assert Mm(225).pt - 3 < int(grid.get(qn("w:linePitch"))) / 20 * 22 <= Mm(225).pt  # 22 lines fill the 版心


def test_header_title_addressees_body_signature(doc, brief, header):
    paras = [p for p in doc.paragraphs if p.text]
    texts = [p.text for p in paras]
    issuer, number = paras[0], paras[1]
    assert issuer.text == "重庆市九龙坡区就业和人才服务局"
    assert str(issuer.runs[0].font.color.rgb) == "FF0000" and _east_asian_font(issuer.runs[0]) == FONT_TITLE
    assert number.text == "九龙坡就业〔2020〕15号"
    assert number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:color")) == "FF0000"  # the red rule
    title = paras[2]
    assert title.text.replace("\n", "") == brief.title
    assert all(r.font.size.pt == 22 and _east_asian_font(r) == FONT_TITLE for r in title.runs if r.text.strip())
    assert texts[3] == brief.subtitle
    assert texts[4] == "各镇人民政府、街道办事处，区级有关部门："
    headings = {h for h, _ in brief.sections}
    for p in paras[5:-2]:
        run = p.runs[0]
        assert run.font.size.pt == 16, p.text
        assert _east_asian_font(run) == (FONT_HEADING if p.text in headings else FONT_BODY), p.text
        assert round(p.paragraph_format.first_line_indent.pt) == 32  # two characters
    assert texts[-2:] == ["重庆市九龙坡区就业和人才服务局", "二〇二〇年七月三日"]
    # the text in between is the briefing's, in order and untouched
    body = [line for h, ps in brief.sections for line in [h, *ps]]
    assert texts[5:-2] == body


def test_page_numbers_odd_right_even_left(doc):
    sec = doc.sections[0]
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, side in ((sec.footer, "right"), (sec.even_page_footer, "left")):
        p = footer.paragraphs[0]
        xml = p._p.xml
        assert 'w:instr="PAGE"' in xml
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert str(p.alignment).lower().startswith(f"{side}")


# --- rendered -----------------------------------------------------------------------------------


def _pdftotext(pdf: Path, page: int) -> list[str]:
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [line.replace(" ", "") for line in out.splitlines() if line.strip()]


def test_rendered_pages(brief, header, tmp_path):
    """LibreOffice renders the 通报: A4 pages numbered — n —, the header on page 1; the PNGs are
    kept to look at."""
    from pypdf import PdfReader

    _need_soffice()
    docx = tmp_path / "tongbao.docx"
    docx.write_bytes(brief.to_docx(header))
    pdf = docx_to_pdf(docx, tmp_path)
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert (round(float(page.mediabox.width) / 72 * 25.4), round(float(page.mediabox.height) / 72 * 25.4)) == \
            (210, 297)
    first = _pdftotext(pdf, 1)
    assert first[0] == "重庆市九龙坡区就业和人才服务局" and first[1] == "九龙坡就业〔2020〕15号"
    assert "关于九龙坡区2020年" in first and "就业目标任务完成情况的通报" in first
    for n in range(1, len(reader.pages) + 1):
        assert _pdftotext(pdf, n)[-1] == f"—{n}—", n
    last = _pdftotext(pdf, len(reader.pages))
    assert last[-3:-1] == ["重庆市九龙坡区就业和人才服务局", "二〇二〇年七月三日"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / "tongbao")], check=True)


def test_rendered_grid_is_22_lines_of_28_characters(header, tmp_path):
    """A body of plain characters (no punctuation to squeeze or push): 28 to a line, the first
    two in from the indent, and 22 lines to a full page."""
    _need_soffice()
    text = "九龙坡区就业工作目标任务完成" * 200  # 14 × 200 characters: well over two pages
    plain = Briefing(title="关于测试的通报", subtitle="", sections=[("一、正文", [text])])
    docx = tmp_path / "grid.docx"
    docx.write_bytes(plain.to_docx(header))
    pdf = docx_to_pdf(docx, tmp_path)
    page2 = _pdftotext(pdf, 2)
    body, number = page2[:-1], page2[-1]
    assert number == "—2—"
    assert len(body) == 22
    assert {len(line) for line in body} == {28}


# --- the command line ---------------------------------------------------------------------------


def _cli(*args) -> tuple[int, str, str]:
    import contextlib

    from target_monitor.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_the_official_docx(demo_dir, tmp_path, brief):
    out = tmp_path / "通报.docx"
    code, stdout, err = _cli("briefing", "--out", str(out), "--as-of", "2020-06-30", "--number", "15",
                             "--date", "2020-07-03", "--data-dir", str(demo_dir))
    assert code == 0, err
    assert stdout.strip() == f"已写出 {out}（九龙坡就业〔2020〕15号）"
    texts = [p.text for p in Document(out).paragraphs if p.text]
    assert texts[:2] == ["重庆市九龙坡区就业和人才服务局", "九龙坡就业〔2020〕15号"]
    assert texts[-1] == "二〇二〇年七月三日"
    assert brief.sections[0][1][0] in texts  # the same text as the 通报 page
    # bad input: one line, exit 2, nothing written
    code, _, err = _cli("briefing", "--out", str(tmp_path / "x.txt"), "--data-dir", str(demo_dir))
    assert code == 2 and err.strip() == f"输出文件须以 .docx 结尾：{tmp_path / 'x.txt'}"
    code, _, err = _cli("briefing", "--out", str(tmp_path / "y.docx"), "--date", "2020-13-01",
                        "--data-dir", str(demo_dir))
    assert code == 2 and len(err.strip().splitlines()) == 1 and not (tmp_path / "y.docx").exists()
