"""Read an uploaded file into a grid of cells: type by content (magic bytes), never by name.

- sniff(): parquet (PAR1), xlsx (a zip with xl/), xls (an OLE compound file with a Workbook
  stream), text (CSV/TSV); password-protected xlsx, WPS documents, PDFs, images, executables
  and zip bombs are rejected before any parser sees them.
- decode_text(): utf-8-sig first, then UTF-16 (BOM or NUL pattern), then gb18030, all strict;
  a file mixing UTF-8 and GBK lines is rejected with the line number. Never errors="replace".
- read_delimited(): delimiter sniffed among , tab ; ， | — only when one candidate is clearly
  consistent across the lines.
- read_excel(): python-calamine; merged ranges are reported so the caller fills only inside them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from target_monitor.ingest.problems import reject

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
OTHER_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"\x7fELF": "ELF",
    b"MZ": "EXE",
    b"Rar!": "RAR",
    b"7z\xbc\xaf": "7z",
    b"\x1f\x8b": "gzip",
    b"{\\rtf": "RTF",
}
DELIMITERS = [",", "\t", ";", "，", "|"]
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "，": "fullwidth-comma", "|": "pipe"}
MAX_ZIP_RATIO = 100  # a real xlsx compresses 5-20x; a bomb 1000x


@dataclass
class Grid:
    """Cells as read: rows[i] is the i-th physical row; numbers[i] its 1-based row/line number."""

    rows: list[list]
    numbers: list[int]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    sheet: str = ""
    file_type: str = ""
    encoding: str = ""
    delimiter: str = ""
    sheets: list[str] = field(default_factory=list)


def sniff(data: bytes, file: str, max_bytes: int) -> str:
    """parquet | xlsx | xls | text; raises Rejected for anything else."""
    if len(data) == 0:
        raise reject("empty", file=file)
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:4] == ZIP_MAGIC:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise reject("corrupt", file=file, kind="zip") from None
        names = {i.filename for i in infos}
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > max_bytes * 20 or total / packed > MAX_ZIP_RATIO:
            raise reject("zip_bomb", file=file, size_mb=round(total / 1e6, 1))
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        kind = "docx" if any(n.startswith("word/") for n in names) else "zip"
        raise reject("wrong_type", file=file, kind=kind)
    if data[:8] == OLE_MAGIC:
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise reject("encrypted", file=file)
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            return "xls"
        raise reject("wrong_type", file=file, kind="OLE (.wps/.doc/.et)")
    for magic, kind in OTHER_MAGIC.items():
        if data.startswith(magic):
            raise reject("wrong_type", file=file, kind=kind)
    if data[-4:] == b"PAR1":
        return "parquet"
    head = data[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(head):
        return "text"
    if b"\x00" in head:
        raise reject("wrong_type", file=file, kind="binary")
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if controls > len(head) * 0.05:
        raise reject("wrong_type", file=file, kind="binary")
    return "text"


def _looks_utf16(head: bytes) -> bool:
    if len(head) < 8:
        return False
    odd_nuls = head[1::2].count(0) / max(1, len(head[1::2]))
    even_nuls = head[0::2].count(0) / max(1, len(head[0::2]))
    return odd_nuls > 0.3 or even_nuls > 0.3


def _first_bad_line(data: bytes, encoding: str) -> int | None:
    for i, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            return i
    return None


def decode_text(data: bytes, file: str) -> tuple[str, str]:
    """(text, encoding name). utf-8-sig → UTF-16 → gb18030, strict; mixed files are rejected."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(data[:4096]):
        enc = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else (
            "utf-16-le" if data[1::2][:2048].count(0) > data[0::2][:2048].count(0) else "utf-16-be")
        try:
            return data.decode(enc), "UTF-16"
        except UnicodeDecodeError:
            raise reject("utf16_bad", file=file) from None
    try:
        return data.decode("utf-8-sig"), "UTF-8-BOM" if data[:3] == b"\xef\xbb\xbf" else "UTF-8"
    except UnicodeDecodeError:
        pass
    # Lines that are valid UTF-8 *with* non-ASCII text next to lines that are not: a mixed file.
    # (Decoding it all as gb18030 would succeed and silently turn the UTF-8 part into mojibake.)
    utf8_line = None
    bad_line = None
    for i, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
            if utf8_line is None and any(b > 127 for b in line):
                utf8_line = i
        except UnicodeDecodeError:
            bad_line = bad_line or i
    if utf8_line is not None and bad_line is not None:
        raise reject("mixed_encoding", file=file, row=bad_line, line=bad_line, utf8_line=utf8_line)
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        line = _first_bad_line(data, "gb18030")
        raise reject("undecodable", file=file, row=line, line=line) from None


def _pick_delimiter(lines: list[str], file: str) -> str:
    scores = {}
    for d in DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        mode, freq = Counter(multi).most_common(1)[0]
        scores[d] = (freq / len(lines), mode)
    if not scores:
        return ","
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))
    best = ranked[0]
    if len(ranked) > 1:
        second = ranked[1]
        # Two delimiters that both split most lines into the same shape: we cannot tell.
        if second[1][0] >= 0.6 and best[1][0] - second[1][0] < 0.2:
            names = "、".join(DELIMITER_NAMES[d] for d, _ in ranked[:2])
            raise reject("delimiter_ambiguous", file=file, candidates=names)
    return best[0]


def read_delimited(data: bytes, file: str) -> Grid:
    text, encoding = decode_text(data, file)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise reject("empty", file=file)
    sample = [ln for ln in text.splitlines()[:50] if ln.strip()]
    delimiter = _pick_delimiter(sample, file)
    rows, numbers = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last = 0
    try:
        for row in reader:
            rows.append(row)
            numbers.append(last + 1)
            last = reader.line_num
    except csv.Error as exc:
        raise reject("csv_broken", file=file, row=last + 1, line=last + 1, error=str(exc)) from None
    return Grid(rows=rows, numbers=numbers, file_type="csv", encoding=encoding,
                delimiter=DELIMITER_NAMES[delimiter])


def read_excel(data: bytes, file: str, file_type: str, sheet: str | None) -> Grid:
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(wb.sheet_names)
    except pc.PasswordError:
        raise reject("encrypted", file=file) from None
    except Exception as exc:  # calamine raises several types for a damaged workbook
        raise reject("corrupt", file=file, kind=f"{file_type}: {type(exc).__name__}") from None
    if not names:
        raise reject("empty", file=file)
    if sheet is None:
        if len(names) > 1:
            raise reject("several_sheets", file=file, sheets="、".join(names))
        sheet = names[0]
    if sheet not in names:
        raise reject("no_such_sheet", file=file, sheet=sheet, sheets="、".join(names))
    try:
        ws = wb.get_sheet_by_name(sheet)
        rows = ws.to_python(skip_empty_area=False)
        merged = [tuple(map(tuple, r)) for r in (ws.merged_cell_ranges or [])]
    except Exception as exc:
        raise reject("corrupt", file=file, kind=f"{file_type}: {type(exc).__name__}") from None
    width = max((len(r) for r in rows), default=0)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    return Grid(rows=rows, numbers=list(range(1, len(rows) + 1)), merged=merged, sheet=sheet,
                file_type=file_type, sheets=names)
