"""Generate the bad-input fixture corpus: deterministic files, one manifest entry per case.

    uv run python tests/make_fixtures.py [OUT_DIR]      (default: tests/artifacts/corpus)

Every row of ../shared/design/BAD_INPUT.md is covered by at least one entry (`case` names the
row; tests/test_ingest_corpus.py checks the coverage and each entry's outcome and message).
Files are built from random.Random(42), so the same bytes come out every time.
Entry fields: file, kind (extract | targets), extract, period, sheet, year, expect
(taken | rejected), codes (problem codes that must appear), warn (warning codes that must
appear), contains (text that must appear in the Chinese messages), counts (optional exact
accepted/quarantined/skipped), max_bytes (optional cap for the oversize case), case.
"""

from __future__ import annotations

import io
import json
import random
import sys
import zipfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
TODAY = "2020-12-31"  # the corpus is parsed as if today were this day

STREETS = ["杨家坪街道", "谢家湾街道", "石坪桥街道", "黄桷坪街道", "石桥铺街道", "二郎街道", "渝州路街道", "中梁山街道",
           "九龙镇", "华岩镇", "西彭镇", "铜罐驿镇", "陶家镇"]
HEADERS = {
    "new_employment": ["记录编号", "街镇名称", "身份证号", "就业日期", "人员类别", "就业形式"],
    "training": ["记录编号", "街镇名称", "身份证号", "结业日期", "培训类型", "培训补贴(元)"],
    "loans": ["贷款编号", "街镇名称", "借款人类型", "发放日期", "发放金额(元)", "经办银行"],
    "graduates": ["毕业生标识", "街镇名称", "届别", "登记日期", "就业日期"],
}
GROUPS = ["高校毕业生", "就业困难人员", "失业人员再就业", "农村劳动力", "退役军人", "其他"]
FORMS = ["单位就业", "灵活就业", "自主创业"]
TRAINING = ["就业技能培训", "岗位技能提升培训", "创业培训"]
BANKS = ["重庆农村商业银行", "中国建设银行", "中国工商银行"]

# The case column of every table in BAD_INPUT.md, in order.
BAD_INPUT_CASES = [
    "CSV saved by Chinese Excel", "UTF-8 with BOM", "mixed or undecodable bytes", "UTF-16 \"Unicode text\" export",
    "delimiter variants", "empty file / header only", "wrong format behind a right name",
    "corrupt or crafted Parquet", "schema drift", "oversize",
    "title rows above the header", "two-row / merged headers", "vertically merged cells in data", "header noise",
    "missing / duplicate / unknown column", "several sheets", "合计/小计/总计 rows", "note rows",
    "full-width digits", "thousands separators and units", "percent forms", "comparator targets",
    "annotated cells", "missing tokens", "Chinese numerals", "invisible characters", "unit name variants",
    "ID numbers mangled by Excel", "codes that lost leading zeros", "dates in many forms",
    "`2020.10` typed as a number", "future dates, dates outside the declared period",
    "negative or implausible values", "duplicate rows in a file", "re-submission of a month",
    "cumulative vs monthly figures", "formula text",
    "allocations do not sum to the parent's own target (41000 vs 31000 in Jiulongpo 2020)",
    "the file's 合计 row disagrees with its detail rows", "missing indicator, duplicate (unit, indicator, year)",
    "indicator name variants (`新增就业人数` vs `城镇新增就业`)", "a target changed mid-year",
]


class Corpus:
    def __init__(self, out: Path):
        self.out = out
        self.rng = random.Random(42)
        self.entries: list[dict] = []
        out.mkdir(parents=True, exist_ok=True)

    def add(self, file: str, case: str, expect: str, *, kind="extract", extract=None, period=None, sheet=None,
            year=2020, codes=(), warn=(), contains=(), counts=None, max_bytes=None, normalised=(), basis=None):
        self.entries.append({"file": file, "case": case, "expect": expect, "kind": kind, "extract": extract,
                             "period": period, "sheet": sheet, "year": year, "basis": basis, "codes": list(codes),
                             "warn": list(warn), "contains": list(contains), "counts": counts,
                             "max_bytes": max_bytes, "normalised": list(normalised)})

    def write(self, name: str, data: bytes) -> str:
        (self.out / name).write_bytes(data)
        return name

    # ---------------------------------------------------------------- rows
    def person(self, year=1990) -> str:
        r = self.rng
        body = f"500107{year + r.randint(0, 9)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(0, 999):03d}"
        return body + r.choice("0123456789X")

    def day(self, month=3, year=2020) -> str:
        return date(year, month, self.rng.randint(1, 28)).isoformat()

    def rows(self, extract: str, n: int, month=3, start=1) -> list[list]:
        r = self.rng
        out = []
        for i in range(start, start + n):
            unit = r.choice(STREETS)
            if extract == "new_employment":
                out.append([f"NE2020-{month:02d}{i:04d}", unit, self.person(), self.day(month), r.choice(GROUPS),
                            r.choice(FORMS)])
            elif extract == "training":
                out.append([f"TR2020-{month:02d}{i:04d}", unit, self.person(), self.day(month), r.choice(TRAINING),
                            str(r.choice([800, 1000, 1500, 3000]))])
            elif extract == "loans":
                out.append([f"LN2020-{month:02d}{i:04d}", unit, r.choice(["个人", "小微企业"]), self.day(month),
                            str(r.choice([100000, 150000, 200000])), r.choice(BANKS)])
            else:
                out.append([f"GR2020-{month:02d}{i:04d}", unit, "2020", self.day(month),
                            r.choice(["", self.day(min(12, month + 2))])])
        return out


def csv_bytes(rows: list[list], *, delimiter=",", encoding="utf-8", newline="\r\n") -> bytes:
    def cell(v) -> str:
        s = "" if v is None else str(v)
        if any(ch in s for ch in (delimiter, '"', "\n", "\r")):
            s = '"' + s.replace('"', '""') + '"'
        return s

    text = newline.join(delimiter.join(cell(v) for v in row) for row in rows) + newline
    return text.encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None, numeric=True) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([_num(v) if numeric else v for v in row])
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return _stable_zip(buf.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and a fixed docProps date, so the bytes are deterministic."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                body = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*<", rb"<dcterms:\1\2>2020-01-01T00:00:00Z<",
                              body)
            zi = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)
    return out.getvalue()


def _num(v):
    if isinstance(v, str) and v.isdigit() and not v.startswith("0") and len(v) < 12:
        return int(v)
    return v


def xls_bytes(rows: list[list], merges: list[tuple[int, int, int, int]] = (), sheet="Sheet1") -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    merged_cells = set()
    for r0, r1, c0, c1 in merges:
        ws.write_merge(r0, r1, c0, c1, rows[r0][c0])
        merged_cells |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if (r, c) not in merged_cells and v not in ("", None):
                ws.write(r, c, _num(v))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def build(out: Path) -> list[dict]:  # noqa: C901 - one flat list of cases reads best
    c = Corpus(Path(out))
    H = HEADERS

    # ---- files and encodings ---------------------------------------------------------
    good = [H["new_employment"], *c.rows("new_employment", 12)]
    c.add(c.write("ne_good_utf8.csv", csv_bytes(good)), "delimiter variants", "taken", extract="new_employment",
          counts={"accepted": 12, "quarantined": 0, "skipped": 0})
    c.add(c.write("ne_gb18030.csv", csv_bytes(good, encoding="gb18030")), "CSV saved by Chinese Excel", "taken",
          extract="new_employment", counts={"accepted": 12, "quarantined": 0, "skipped": 0})
    c.add(c.write("ne_gbk_title.csv", csv_bytes([["九龙坡区城镇新增就业登记表（2020年3月）"], *good], encoding="gbk")),
          "CSV saved by Chinese Excel", "taken", extract="new_employment")
    c.add(c.write("ne_utf8_bom.csv", b"\xef\xbb\xbf" + csv_bytes(good)), "UTF-8 with BOM", "taken",
          extract="new_employment", counts={"accepted": 12, "quarantined": 0, "skipped": 0})
    mixed = csv_bytes(good[:6]) + csv_bytes(good[6:], encoding="gbk")
    c.add(c.write("ne_mixed_utf8_gbk.csv", mixed), "mixed or undecodable bytes", "rejected",
          extract="new_employment", codes=["mixed_encoding"], contains=["第 7 行", "UTF-8"])
    c.add(c.write("ne_undecodable.csv", csv_bytes(good[:3], encoding="gbk") + b"\x81\x20\xff\xfe\x30,1\r\n"),
          "mixed or undecodable bytes", "rejected", extract="new_employment", codes=["undecodable"],
          contains=["第 4 行"])
    c.add(c.write("ne_utf16_unicode_text.txt", b"\xff\xfe" + csv_bytes(good, delimiter="\t", encoding="utf-16-le")),
          "UTF-16 \"Unicode text\" export", "taken", extract="new_employment",
          counts={"accepted": 12, "quarantined": 0, "skipped": 0})
    c.add(c.write("ne_tab.tsv", csv_bytes(good, delimiter="\t")), "delimiter variants", "taken",
          extract="new_employment", counts={"accepted": 12, "quarantined": 0, "skipped": 0})
    c.add(c.write("ne_semicolon.csv", csv_bytes(good, delimiter=";")), "delimiter variants", "taken",
          extract="new_employment", counts={"accepted": 12, "quarantined": 0, "skipped": 0})
    c.add(c.write("ne_fullwidth_comma.csv", csv_bytes(good, delimiter="，")), "delimiter variants", "taken",
          extract="new_employment", counts={"accepted": 12, "quarantined": 0, "skipped": 0})
    ambiguous = [["记录编号,街镇名称;身份证号,就业日期"], ["a,b;c,d"], ["e,f;g,h"], ["i,j;k,l"]]
    c.add(c.write("ne_ambiguous_delimiter.csv", csv_bytes(ambiguous, delimiter="\x00").replace(b"\x00", b"")),
          "delimiter variants", "rejected", extract="new_employment", codes=["delimiter_ambiguous"])
    c.add(c.write("empty.csv", b""), "empty file / header only", "rejected", extract="loans", codes=["empty"],
          contains=["为空"])
    c.add(c.write("blank_lines.csv", b"\r\n \r\n"), "empty file / header only", "rejected", extract="loans",
          codes=["empty"], contains=["为空"])
    c.add(c.write("header_only.csv", csv_bytes([H["loans"]])), "empty file / header only", "rejected",
          extract="loans", codes=["no_rows"], contains=["没有数据行"])
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    c.add(c.write("wps_document.xlsx", ole + "WordDocument".encode("utf-16-le") + b"\x00" * 200),
          "wrong format behind a right name", "rejected", extract="loans", codes=["wrong_type"])
    c.add(c.write("password_protected.xlsx", ole + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 200),
          "wrong format behind a right name", "rejected", extract="loans", codes=["encrypted"], contains=["密码"])
    c.add(c.write("picture_renamed.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
          "wrong format behind a right name", "rejected", extract="loans", codes=["wrong_type"], contains=["PNG"])
    c.add(c.write("report_renamed.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "wrong format behind a right name",
          "rejected", extract="loans", codes=["wrong_type"], contains=["PDF"])
    c.add(c.write("binary_renamed.csv", bytes(c.rng.randrange(256) for _ in range(2048))),
          "wrong format behind a right name", "rejected", extract="loans", codes=["wrong_type"])
    c.add(c.write("word_renamed.xlsx", _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})),
          "wrong format behind a right name", "rejected", extract="loans", codes=["wrong_type"])

    loans_schema = pa.schema([("loan_id", pa.string()), ("unit_code", pa.string()), ("borrower_type", pa.string()),
                              ("disbursed_on", pa.date32()), ("amount_yuan", pa.float64()), ("bank", pa.string())])
    good_loans = c.rows("loans", 8)
    good_pq = pa.table({
        "loan_id": [r[0] for r in good_loans], "unit_code": ["500107-01"] * 8, "borrower_type": [r[2] for r in good_loans],
        "disbursed_on": [date.fromisoformat(r[3]) for r in good_loans],
        "amount_yuan": [float(r[4]) for r in good_loans], "bank": [r[5] for r in good_loans]}, schema=loans_schema)
    good_pq_bytes = parquet_bytes(good_pq)
    c.add(c.write("loans_good.parquet", good_pq_bytes), "corrupt or crafted Parquet", "taken", extract="loans",
          counts={"accepted": 8, "quarantined": 0, "skipped": 0})
    c.add(c.write("loans_bad_footer.parquet", good_pq_bytes[:-40] + b"PAR1"), "corrupt or crafted Parquet",
          "rejected", extract="loans", codes=["corrupt"])
    c.add(c.write("loans_truncated.parquet", good_pq_bytes[: len(good_pq_bytes) // 2]), "corrupt or crafted Parquet",
          "rejected", extract="loans", codes=["corrupt"])
    crafted = b"PAR1" + b"\xff" * 64 + (10**9).to_bytes(4, "little") + b"PAR1"
    c.add(c.write("loans_crafted_footer.parquet", crafted), "corrupt or crafted Parquet", "rejected",
          extract="loans", codes=["corrupt"])
    renamed = good_pq.rename_columns(["loan_id", "unit_code", "borrower_type", "disbursed_on", "amount", "bank"])
    c.add(c.write("loans_schema_renamed.parquet", parquet_bytes(renamed)), "schema drift", "rejected",
          extract="loans", codes=["schema_drift"], contains=["amount_yuan", "amount"])
    grads = pa.table({"graduate_key": ["G1", "G2"], "unit_code": ["500107-01", "500107-02"],
                      "cohort_year": ["2020", "2020"], "registered_on": [date(2020, 3, 1), date(2020, 3, 2)],
                      "employed_on": [None, date(2020, 4, 1)]},
                     schema=pa.schema([("graduate_key", pa.string()), ("unit_code", pa.string()),
                                       ("cohort_year", pa.string()), ("registered_on", pa.date32()),
                                       ("employed_on", pa.date32())]))
    c.add(c.write("graduates_int_became_string.parquet", parquet_bytes(grads)), "schema drift", "rejected",
          extract="graduates", codes=["schema_drift"], contains=["cohort_year", "INTEGER"])
    drift_csv = [["贷款编号", "街镇名称", "借款人类型", "放款日", "发放金额(元)", "经办银行"], *good_loans]
    c.add(c.write("loans_column_renamed.csv", csv_bytes(drift_csv)), "schema drift", "rejected", extract="loans",
          codes=["missing_column"], contains=["disbursed_on", "放款日"])
    big = [H["loans"]] + c.rows("loans", 9000)
    c.add(c.write("loans_oversize.csv", csv_bytes(big)), "oversize", "rejected", extract="loans", codes=["too_big"],
          contains=["超过上限"], max_bytes=200_000)
    c.add(c.write("zip_bomb.xlsx", _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                                         "xl/worksheets/sheet1.xml": b"0" * 60_000_000})),
          "oversize", "rejected", extract="loans", codes=["zip_bomb"])

    # ---- layout ------------------------------------------------------------------------
    title = [["重庆市九龙坡区2020年3月创业担保贷款发放明细表"], ["填报单位：九龙坡区就业局"], H["loans"], *good_loans]
    c.add(c.write("loans_title_rows.xlsx", xlsx_bytes({"3月": title}, {"3月": ["A1:F1"]})),
          "title rows above the header", "taken", extract="loans", counts={"accepted": 8, "quarantined": 0, "skipped": 0})
    c.add(c.write("loans_title_rows.csv", csv_bytes(title)), "title rows above the header", "taken", extract="loans")
    two = [["重庆市九龙坡区创业担保贷款发放表"], ["贷款编号", "街镇名称", "借款人类型", "发放日期", "发放金额", "经办银行"],
           ["", "", "", "", "(万元)", ""]]
    two += [[r[0], r[1], r[2], r[3], str(int(r[4]) // 10000), r[5]] for r in good_loans]
    c.add(c.write("loans_two_row_header.xlsx", xlsx_bytes({"S": two}, {"S": ["A1:F1", "A2:A3", "B2:B3", "C2:C3",
                                                                              "D2:D3", "F2:F3"]})),
          "two-row / merged headers", "taken", extract="loans", counts={"accepted": 8, "quarantined": 0, "skipped": 0},
          normalised=["money_unit"])
    two_missing = [["重庆市九龙坡区创业担保贷款发放表"], ["贷款编号", "所属", "借款人类型", "发放日期", "发放金额", "经办银行"],
                   ["", "区域", "", "", "(万元)", ""], *two[3:]]
    c.add(c.write("loans_two_row_unmapped.xlsx", xlsx_bytes({"S": two_missing}, {"S": ["A1:F1", "A2:A3", "C2:C3"]})),
          "two-row / merged headers", "rejected", extract="loans", codes=["missing_column"], contains=["unit_code"])
    merged_rows = [H["new_employment"]]
    merges = []
    for k, unit in enumerate(["杨家坪街道", "谢家湾街道", "九龙镇"]):
        start = len(merged_rows) + 1
        for j in range(4):
            r = c.rows("new_employment", 1, start=k * 10 + j + 1)[0]
            r[1] = unit if j == 0 else ""
            merged_rows.append(r)
        merges.append(f"B{start}:B{start + 3}")
    merged_rows.append(["NE2020-039999", "", c.person(), "2020-03-09", "其他", "灵活就业"])  # blank, not merged
    c.add(c.write("ne_merged_units.xlsx", xlsx_bytes({"登记": merged_rows}, {"登记": merges})),
          "vertically merged cells in data", "taken", extract="new_employment", codes=["required"],
          counts={"accepted": 12, "quarantined": 1, "skipped": 0}, normalised=["merged_fill"])
    noisy = [["记录\n编号", "街镇\u3000名称 ", " 身份证号", "就业日期\u00a0", "人员类别\u200b", "就业形式  "], *good[1:]]
    c.add(c.write("ne_header_noise.csv", csv_bytes(noisy)), "header noise", "taken", extract="new_employment",
          counts={"accepted": 12, "quarantined": 0, "skipped": 0})
    c.add(c.write("ne_missing_column.csv", csv_bytes([[h for h in H["new_employment"] if h != "就业日期"],
                                                      *[r[:3] + r[4:] for r in good[1:]]])),
          "missing / duplicate / unknown column", "rejected", extract="new_employment", codes=["missing_column"],
          contains=["employed_on", "就业日期"])
    dup = [H["new_employment"] + ["街镇名称"], *[r + [r[1]] for r in good[1:]]]
    c.add(c.write("ne_duplicate_column.csv", csv_bytes(dup)), "missing / duplicate / unknown column", "rejected",
          extract="new_employment", codes=["duplicate_column"], contains=["街镇名称"])
    unknown = [H["new_employment"] + ["联系电话"], *[r + ["13800000000"] for r in good[1:]]]
    c.add(c.write("ne_unknown_column.csv", csv_bytes(unknown)), "missing / duplicate / unknown column", "taken",
          extract="new_employment", warn=["unknown_column"], contains=["联系电话"])
    sheets = {"Sheet1": [], "6月": [H["loans"], *good_loans], "说明": [["本表由各街镇填报"]]}
    c.add(c.write("loans_several_sheets.xlsx", xlsx_bytes(sheets)), "several sheets", "rejected", extract="loans",
          codes=["several_sheets"], contains=["6月", "Sheet1"])
    c.add("loans_several_sheets.xlsx", "several sheets", "taken", extract="loans", sheet="6月",
          counts={"accepted": 8, "quarantined": 0, "skipped": 0})
    total = sum(int(r[4]) for r in good_loans)
    with_total = [H["loans"], *good_loans, ["合计", "", "", "", str(total), ""]]
    c.add(c.write("loans_total_ok.csv", csv_bytes(with_total)), "合计/小计/总计 rows", "taken", extract="loans",
          counts={"accepted": 8, "quarantined": 0, "skipped": 1})
    bad_total = [H["loans"], *good_loans, ["总计", "", "", "", str(total + 50000), ""]]
    c.add(c.write("loans_total_mismatch.csv", csv_bytes(bad_total)), "合计/小计/总计 rows", "taken",
          extract="loans", warn=["total_mismatch"], contains=[str(total + 50000)],
          counts={"accepted": 8, "quarantined": 0, "skipped": 1})
    sub = [H["loans"], *good_loans[:4], ["小计", "", "", "", "", ""], *good_loans[4:], ["合计", "", "", "", "", ""]]
    c.add(c.write("loans_subtotals.xlsx", xlsx_bytes({"S": sub})), "合计/小计/总计 rows", "taken", extract="loans",
          counts={"accepted": 8, "quarantined": 0, "skipped": 2})
    notes = [H["loans"], *good_loans, ["填表人：张三", "", "", "审核人：李四"], ["备注：金额单位为元"],
             ["政策解读:个人创业担保贷款最高20万元"]]
    c.add(c.write("loans_note_rows.csv", csv_bytes(notes)), "note rows", "taken", extract="loans",
          counts={"accepted": 8, "quarantined": 0, "skipped": 3})

    # ---- values ------------------------------------------------------------------------
    fw = [H["loans"]] + [[r[0], r[1], r[2], r[3], r[4].translate(str.maketrans("0123456789", "０１２３４５６７８９")), r[5]]
                         for r in good_loans]
    c.add(c.write("loans_fullwidth_digits.csv", csv_bytes(fw)), "full-width digits", "taken", extract="loans",
          counts={"accepted": 8, "quarantined": 0, "skipped": 0})
    money = [["贷款编号", "街镇名称", "借款人类型", "发放日期", "发放金额", "经办银行"],
             ["LN-M1", "杨家坪街道", "个人", "2020-03-02", "20万元", "中国建设银行"],
             ["LN-M2", "杨家坪街道", "小微企业", "2020-03-03", "1,800,000", "中国建设银行"],
             ["LN-M3", "杨家坪街道", "小微企业", "2020-03-04", "3.5亿", "中国建设银行"],
             ["LN-M4", "杨家坪街道", "个人", "2020-03-05", "1800 元", "中国建设银行"],
             ["LN-M5", "杨家坪街道", "个人", "2020-03-06", "15美元", "中国建设银行"],
             ["LN-M6", "杨家坪街道", "个人", "2020-03-07", "0.5万", "中国建设银行"]]
    c.add(c.write("loans_money_units.csv", csv_bytes(money)), "thousands separators and units", "taken",
          extract="loans", codes=["bounds", "money_unit"], contains=["3.5亿", "美元"],
          counts={"accepted": 4, "quarantined": 2, "skipped": 0})
    c.add(c.write("loans_negative_and_cap.csv", csv_bytes([H["loans"],
                                                            ["LN-N1", "杨家坪街道", "个人", "2020-03-02", "-5", "中国建设银行"],
                                                            ["LN-N2", "杨家坪街道", "个人", "2020-03-02", "6000000", "中国建设银行"],
                                                            ["LN-N3", "杨家坪街道", "个人", "2020-03-02", "150000", "中国建设银行"]])),
          "negative or implausible values", "taken", extract="loans", codes=["bounds"], contains=["-5", "6000000"],
          counts={"accepted": 1, "quarantined": 2, "skipped": 0})
    c.add(c.write("graduates_implausible_year.csv", csv_bytes([H["graduates"], ["G-1", "杨家坪街道", "1900", "2020-03-01", ""],
                                                                ["G-2", "杨家坪街道", "2020", "2020-03-01", "2020-05-01"]])),
          "negative or implausible values", "taken", extract="graduates", codes=["bounds"], contains=["1900"],
          counts={"accepted": 1, "quarantined": 1, "skipped": 0})
    missing = [H["loans"], ["LN-T1", "杨家坪街道", "个人", "2020-03-02", "100000", "—"],
               ["LN-T2", "杨家坪街道", "个人", "2020-03-02", "100000", "-"],
               ["LN-T3", "杨家坪街道", "个人", "2020-03-02", "100000", "/"],
               ["LN-T4", "杨家坪街道", "个人", "2020-03-02", "100000", "无"],
               ["LN-T5", "杨家坪街道", "个人", "2020-03-02", "100000", ""],
               ["LN-T6", "—", "个人", "2020-03-02", "100000", "中国建设银行"],
               ["LN-T7", "杨家坪街道", "个人", "无", "100000", "中国建设银行"]]
    c.add(c.write("loans_missing_tokens.csv", csv_bytes(missing)), "missing tokens", "taken", extract="loans",
          codes=["required"], counts={"accepted": 5, "quarantined": 2, "skipped": 0}, normalised=["missing_token"])
    cn = [H["training"], ["TR-C1", "华岩镇", c.person(), "2020-03-02", "创业培训", "三千五百"],
          ["TR-C2", "华岩镇", c.person(), "2020-03-03", "创业培训", "一千二百"],
          ["TR-C3", "华岩镇", c.person(), "2020-03-04", "创业培训", "三五百"]]
    c.add(c.write("training_chinese_numerals.csv", csv_bytes(cn)), "Chinese numerals", "taken", extract="training",
          codes=["not_number"], contains=["三五百"], counts={"accepted": 2, "quarantined": 1, "skipped": 0},
          normalised=["chinese_numeral"])
    inv = [H["new_employment"]] + [[r[0] + "\u200b", "\u00a0" + r[1] + "\ufeff", r[2], r[3], r[4] + "\u200b", r[5]]
                                   for r in good[1:]]
    c.add(c.write("ne_invisible_chars.csv", csv_bytes(inv)), "invisible characters", "taken",
          extract="new_employment", counts={"accepted": 12, "quarantined": 0, "skipped": 0}, normalised=["text_cleaned"])
    variants = [H["new_employment"], ["NE-V1", "杨家坪", c.person(), "2020-03-02", "其他", "灵活就业"],
                ["NE-V2", "九龙镇人民政府", c.person(), "2020-03-02", "其他", "灵活就业"],
                ["NE-V3", "500107-11", c.person(), "2020-03-02", "其他", "灵活就业"],
                ["NE-V4", "杨家坪社区", c.person(), "2020-03-02", "其他", "灵活就业"],
                ["NE-V5", "（九龙镇）", c.person(), "2020-03-02", "其他", "灵活就业"]]
    c.add(c.write("ne_unit_variants.csv", csv_bytes(variants)), "unit name variants", "taken",
          extract="new_employment", codes=["unit_unknown"], contains=["杨家坪社区", "杨家坪街道"],
          counts={"accepted": 3, "quarantined": 2, "skipped": 0})
    mangled = [H["new_employment"], ["NE-I1", "杨家坪街道", "5.00107E+17", "2020-03-02", "其他", "灵活就业"],
               ["NE-I2", "杨家坪街道", c.person(), "2020-03-02", "其他", "灵活就业"]]
    c.add(c.write("ne_id_scientific.csv", csv_bytes(mangled)), "ID numbers mangled by Excel", "taken",
          extract="new_employment", codes=["id_mangled"], contains=["5.00107E+17"],
          counts={"accepted": 1, "quarantined": 1, "skipped": 0})
    mangled_x = [H["new_employment"], ["NE-I1", "杨家坪街道", 500107199001011234, "2020-03-02", "其他", "灵活就业"],
                 ["NE-I2", "杨家坪街道", c.person(), "2020-03-02", "其他", "灵活就业"]]
    c.add(c.write("ne_id_number_cell.xlsx", xlsx_bytes({"S": [[float(v) if isinstance(v, int) else v for v in r]
                                                                for r in mangled_x]})),
          "ID numbers mangled by Excel", "taken", extract="new_employment", codes=["id_mangled"],
          counts={"accepted": 1, "quarantined": 1, "skipped": 0})
    zeros = [H["training"], ["0101", "华岩镇", c.person(), "2020-03-02", "创业培训", "1000"],
             ["0102", "华岩镇", c.person(), "2020-03-03", "创业培训", "1000"]]
    c.add(c.write("training_leading_zeros.csv", csv_bytes(zeros)), "codes that lost leading zeros", "taken",
          extract="training", counts={"accepted": 2, "quarantined": 0, "skipped": 0})
    c.add(c.write("training_leading_zeros.xlsx", xlsx_bytes({"S": zeros}, numeric=False)),
          "codes that lost leading zeros", "taken", extract="training",
          counts={"accepted": 2, "quarantined": 0, "skipped": 0})
    dates = [H["new_employment"], ["NE-D1", "杨家坪街道", c.person(), "2020年3月5日", "其他", "灵活就业"],
             ["NE-D2", "杨家坪街道", c.person(), "2020/3/6", "其他", "灵活就业"],
             ["NE-D3", "杨家坪街道", c.person(), "20200307", "其他", "灵活就业"],
             ["NE-D4", "杨家坪街道", c.person(), "43898", "其他", "灵活就业"],
             ["NE-D5", "杨家坪街道", c.person(), "2020.3.9", "其他", "灵活就业"],
             ["NE-D6", "杨家坪街道", c.person(), "2020年3月", "其他", "灵活就业"],
             ["NE-D7", "杨家坪街道", c.person(), "下月初", "其他", "灵活就业"]]
    c.add(c.write("ne_date_forms.csv", csv_bytes(dates)), "dates in many forms", "taken", extract="new_employment",
          codes=["date_no_day", "bad_date"], counts={"accepted": 5, "quarantined": 2, "skipped": 0},
          normalised=["date_form"])
    xdates = [H["new_employment"], ["NE-X1", "杨家坪街道", "P1", date(2020, 3, 5), "其他", "灵活就业"],
              ["NE-X2", "杨家坪街道", "P2", 2020.1, "其他", "灵活就业"],
              ["NE-X3", "杨家坪街道", "P3", 43898, "其他", "灵活就业"]]
    c.add(c.write("ne_date_as_number.xlsx", xlsx_bytes({"S": xdates})), "`2020.10` typed as a number", "taken",
          extract="new_employment", codes=["date_float"], contains=["2020.1"],
          counts={"accepted": 2, "quarantined": 1, "skipped": 0})
    outside = [H["loans"], *good_loans[:3], ["LN-O1", "杨家坪街道", "个人", "2020-07-15", "100000", "中国建设银行"],
               ["LN-O2", "杨家坪街道", "个人", "2031-01-15", "100000", "中国建设银行"]]
    c.add(c.write("loans_outside_period.csv", csv_bytes(outside)), "future dates, dates outside the declared period",
          "taken", extract="loans", period="2020-03", codes=["outside_period", "future"], contains=["2020-07-15"],
          counts={"accepted": 3, "quarantined": 2, "skipped": 0})
    dups = [H["training"], *c.rows("training", 3)]
    dups += [dups[1][:], dups[1][:]]
    c.add(c.write("training_duplicate_ids.csv", csv_bytes(dups)), "duplicate rows in a file", "taken",
          extract="training", codes=["duplicate"], contains=["第 2 行"], counts={"accepted": 3, "quarantined": 2, "skipped": 0})
    v1 = [H["loans"], ["LN-R1", "杨家坪街道", "个人", "2020-03-02", "100000", "中国建设银行"],
          ["LN-R2", "杨家坪街道", "个人", "2020-03-03", "200000", "中国建设银行"],
          ["LN-R3", "谢家湾街道", "个人", "2020-03-04", "150000", "中国建设银行"]]
    v2 = [H["loans"], ["LN-R1", "杨家坪街道", "个人", "2020-03-02", "120000", "中国建设银行"]]
    c.add(c.write("loans_2020_03_v1.csv", csv_bytes(v1)), "re-submission of a month", "taken", extract="loans",
          period="2020-03", counts={"accepted": 3, "quarantined": 0, "skipped": 0})
    c.add(c.write("loans_2020_03_v2_yangjiaping.csv", csv_bytes(v2)), "re-submission of a month", "taken",
          extract="loans", period="2020-03", counts={"accepted": 1, "quarantined": 0, "skipped": 0})
    formula = [H["loans"], ["LN-F1", "杨家坪街道", "个人", "2020-03-02", "100000", "=HYPERLINK(\"http://x\",\"银行\")"],
               ["LN-F2", "杨家坪街道", "个人", "2020-03-02", "100000", "@SUM(1+1)"],
               ["LN-F3", "未知镇", "个人", "2020-03-02", "100000", "+86 138 0000 0000"]]
    c.add(c.write("loans_formula_text.csv", csv_bytes(formula)), "formula text", "taken", extract="loans",
          codes=["unit_unknown"], counts={"accepted": 2, "quarantined": 1, "skipped": 0})
    for ext in ("training", "loans", "graduates"):
        rows = [H[ext], *c.rows(ext, 10, month=4)]
        c.add(c.write(f"{ext}_good.xlsx", xlsx_bytes({"4月": rows})), "delimiter variants", "taken", extract=ext,
              counts={"accepted": 10, "quarantined": 0, "skipped": 0})
    xls_rows = [["九龙坡区2020年4月职业培训结业名册"], H["training"], *c.rows("training", 6, month=4)]
    c.add(c.write("training_title_merged.xls", xls_bytes(xls_rows, merges=[(0, 0, 0, 5)])),
          "title rows above the header", "taken", extract="training",
          counts={"accepted": 6, "quarantined": 0, "skipped": 0})
    c.add(c.write("ne_good.xls", xls_bytes([H["new_employment"], *c.rows("new_employment", 5, month=4)])),
          "wrong format behind a right name", "taken", extract="new_employment",
          counts={"accepted": 5, "quarantined": 0, "skipped": 0})

    # ---- targets (任务分解表) ----------------------------------------------------------
    published = (REPO / "data" / "reference" / "jiulongpo_2020_task_breakdown.csv").read_bytes()
    c.add(c.write("targets_jiulongpo_published.csv", published), "annotated cells", "taken", kind="targets",
          warn=["t_alloc_mismatch"], contains=["41000", "31000"])
    text = published.decode("utf-8")
    c.add(c.write("targets_jiulongpo_gb18030.csv", text.encode("gb18030")),
          "allocations do not sum to the parent's own target (41000 vs 31000 in Jiulongpo 2020)", "taken",
          kind="targets", warn=["t_alloc_mismatch"])
    lines = [ln.split(",") for ln in text.strip().splitlines()]
    head, body = lines[0], lines[1:]
    sheet = [["重庆市九龙坡区2020年就业创业工作任务分解表"] + [""] * 5, head, [""] * 2 + ["目标"] * 4, *body]
    c.add(c.write("targets_jiulongpo_merged.xlsx",
                  xlsx_bytes({"任务分解表": sheet}, {"任务分解表": ["A1:F1", "A2:A3", "B2:B3"]})),
          "title rows above the header", "taken", kind="targets", warn=["t_alloc_mismatch"])
    c.add(c.write("targets_jiulongpo.xls", xls_bytes([["重庆市九龙坡区2020年就业创业工作任务分解表"], *lines],
                                                     merges=[(0, 0, 0, 5)])),
          "two-row / merged headers", "taken", kind="targets", warn=["t_alloc_mismatch"])
    done = [["重庆市九龙坡区2020年就业创业工作任务分解表"],
            ["序号", "街镇名称", "城镇新就业人数(人)", "", "发放创业担保贷款(万元)", ""],
            ["", "", "目标", "完成", "目标", "完成"]]
    done += [[r[0], r[1], r[2], "100", r[3], "10"] for r in body[:-1]]
    c.add(c.write("targets_target_and_done.xlsx", xlsx_bytes({"S": done}, {"S": ["A1:F1", "A2:A3", "B2:B3", "C2:D2",
                                                                                 "E2:F2"]})),
          "two-row / merged headers", "taken", kind="targets")
    mismatch = lines[:-1] + [["合计", "", "42000", "2000", "15000", ""]]
    c.add(c.write("targets_total_mismatch.csv", csv_bytes(mismatch)), "the file's 合计 row disagrees with its detail rows",
          "taken", kind="targets", warn=["t_total_mismatch"], contains=["42000", "41000", "城镇新就业人数"])
    unknown_ind = [head + ["公益性岗位开发(个)"], *[r + ["5"] for r in body]]
    c.add(c.write("targets_unknown_indicator.csv", csv_bytes(unknown_ind)),
          "indicator name variants (`新增就业人数` vs `城镇新增就业`)", "rejected", kind="targets",
          codes=["t_unknown_indicator"], contains=["公益性岗位开发"])
    blank_head = [head + [""], *[r + ["7"] for r in body]]
    c.add(c.write("targets_missing_indicator.csv", csv_bytes(blank_head)),
          "missing indicator, duplicate (unit, indicator, year)", "rejected", kind="targets", codes=["t_blank_header"])
    dup_unit = lines[:3] + [lines[1]] + lines[3:]
    c.add(c.write("targets_duplicate_unit.csv", csv_bytes(dup_unit)),
          "missing indicator, duplicate (unit, indicator, year)", "rejected", kind="targets",
          codes=["t_duplicate_unit"], contains=["杨家坪街道"])
    dup_ind = [head + ["城镇新增就业"], *[r + ["1"] for r in body]]
    c.add(c.write("targets_duplicate_indicator.csv", csv_bytes(dup_ind)),
          "missing indicator, duplicate (unit, indicator, year)", "rejected", kind="targets",
          codes=["t_duplicate_indicator"])
    variants_t = [["镇街", "新增就业人数", "创业担保贷款(万元)", "职业培训(人)", "高校毕业生就业率"],
                  ["杨家坪", "3500人以上", "165", "900", ">=95"], ["谢家湾", "≥3500", "165万元", "900人", "不低于95%"],
                  ["九龙镇", "3500", "165", "900", "0.95"], ["陶家镇", "2000", "135", "500", "９５％"]]
    c.add(c.write("targets_name_variants.csv", csv_bytes(variants_t)),
          "indicator name variants (`新增就业人数` vs `城镇新增就业`)", "taken", kind="targets")
    c.add(c.write("targets_comparators.csv", csv_bytes(variants_t)), "comparator targets", "taken", kind="targets")
    c.add(c.write("targets_percent_forms.csv", csv_bytes(variants_t)), "percent forms", "taken", kind="targets")
    ambiguous_rate = [["镇街", "新增就业人数", "高校毕业生就业率"], ["杨家坪", "3500", "1"]]
    c.add(c.write("targets_percent_ambiguous.csv", csv_bytes(ambiguous_rate)), "percent forms", "rejected",
          kind="targets", codes=["t_bad_value"])
    unknown_unit = lines[:2] + [["99", "杨家坪社区", "100", "1", "1", ""]]
    c.add(c.write("targets_unknown_unit.csv", csv_bytes(unknown_unit)), "unit name variants", "rejected",
          kind="targets", codes=["t_unknown_unit"], contains=["杨家坪社区", "杨家坪街道"])
    midyear = [r[:] for r in lines]
    midyear[1][2] = "3800"
    c.add(c.write("targets_midyear_change.csv", csv_bytes(midyear)), "a target changed mid-year", "taken",
          kind="targets")
    monthly = [["街镇名称", "月份", "口径", "城镇新增就业"], ["杨家坪街道", "2020-03", "累计", "900"]]
    c.add(c.write("monthly_cumulative_figures.csv", csv_bytes(monthly)), "cumulative vs monthly figures", "rejected",
          extract="new_employment", codes=["missing_column"])
    # figures reported by units (extract reported_monthly): the declared meaning must match the header
    rp = "reported_monthly"
    wide = [["九龙坡区2020年3月就业工作月报表"], ["街镇", "城镇新增就业(当月)", "发放创业担保贷款(当月,万元)", "职业培训(当月)"],
            ["杨家坪街道", "120", "35.5", "40"], ["谢家湾", "80", "12", "30"], ["合计", "200", "47.5", "70"],
            ["填表人：张三"]]
    c.add(c.write("reported_wide_monthly.csv", csv_bytes(wide)), "cumulative vs monthly figures", "taken",
          extract=rp, counts={"rows_read": 4, "accepted": 2, "quarantined": 0, "skipped": 2},
          normalised=["title_month"])
    c.add(c.write("reported_declared_mismatch.csv", csv_bytes(monthly)), "cumulative vs monthly figures", "taken",
          extract=rp, basis="当月", codes=["rp_basis_mismatch_row"], contains=["累计", "当月"],
          counts={"accepted": 0, "quarantined": 1, "skipped": 0})
    header_cum = [["单位", "月份", "指标", "累计完成"], ["杨家坪街道", "2020-03", "城镇新增就业", "900"]]
    c.add(c.write("reported_header_cumulative.csv", csv_bytes(header_cum)), "cumulative vs monthly figures",
          "rejected", extract=rp, basis="当月", codes=["rp_basis_mismatch"], contains=["累计完成", "当月"])
    plain = [["街镇", "城镇新增就业(人)"], ["杨家坪街道", "120"]]
    c.add(c.write("reported_no_basis.csv", csv_bytes(plain)), "cumulative vs monthly figures", "rejected",
          extract=rp, period="2020-03", codes=["rp_basis_unknown"], contains=["当月数还是累计数"])
    falls = [["单位", "月份", "指标", "累计数"], ["杨家坪街道", "2020-02", "新增就业人数", "900"],
             ["杨家坪街道", "2020-03", "新增就业人数", "850"]]
    c.add(c.write("reported_cumulative_falls.csv", csv_bytes(falls)), "cumulative vs monthly figures", "taken",
          extract=rp, warn=["rp_cumulative_falls"], contains=["850", "900"],
          counts={"accepted": 2, "quarantined": 0, "skipped": 0})
    two_row = [["九龙坡区2020年1-3月就业工作进度表", "", "", "", ""],
               ["街镇", "城镇新增就业(人)", "", "发放创业担保贷款(万元)", ""],
               ["", "当月", "累计", "当月", "累计"],
               ["杨家坪街道", 120, 900, 35.5, 210], ["谢家湾街道", 80, 700, 0, 95.25],
               ["合计", 200, 1600, 35.5, 305.25]]
    c.add(c.write("reported_two_row_header.xlsx",
                  xlsx_bytes({"3月": two_row}, merges={"3月": ["A1:E1", "A2:A3", "B2:C2", "D2:E2"]})),
          "cumulative vs monthly figures", "taken", extract=rp, basis="累计", warn=["rp_other_basis_ignored"],
          counts={"rows_read": 3, "accepted": 2, "quarantined": 0, "skipped": 1})
    by_row = [["单位", "月份", "指标", "口径", "数值"], ["杨家坪", "2020-03", "城镇新增就业", "当月", "40"],
              ["杨家坪", "2020-03", "职业培训", "季度", "5"]]
    c.add(c.write("reported_basis_column.csv", csv_bytes(by_row, encoding="gb18030")), "cumulative vs monthly figures",
          "taken", extract=rp, codes=["enum"], counts={"accepted": 1, "quarantined": 1, "skipped": 0})

    (Path(out) / "manifest.json").write_text(json.dumps(c.entries, ensure_ascii=False, indent=1), encoding="utf-8")
    return c.entries


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zi = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, body)
    return buf.getvalue()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "tests" / "artifacts" / "corpus"
    entries = build(target)
    files = {e["file"] for e in entries}
    print(f"{len(files)} files, {len(entries)} cases in {target}")
