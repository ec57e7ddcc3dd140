"""Layout: from a grid of cells made for printing to a header and classified body rows.

Official tables carry title rows, two-row merged headers (`城镇新就业人数(人)` over `目标/完成`),
vertically merged unit names, note rows (填表人、备注、政策解读) and a 合计 row. This module finds
the header row by how many cells the caller's header map recognises, combines a second header
row when the layout says there is one, fills values only inside real merged ranges, and
classifies every body row as data, blank, note or total, so that
rows read = data rows + rows skipped by a named rule.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

from target_monitor.ingest.normalise import clean_header, is_missing, parse_number
from target_monitor.ingest.read import Grid

NOTE_PREFIXES = ("填表人", "填报人", "备注", "注:", "注：", "说明", "政策解读", "制表", "审核", "联系电话", "联系人",
                 "单位负责人", "负责人", "填表日期", "填报日期", "数据来源")
TOTAL_WORDS = ("合计", "小计", "总计", "总合计", "全区合计", "共计")
MAX_HEADER_SCAN = 25
UNIT_PAREN_RE = re.compile(r"^(?P<base>.*?)[(\[](?P<unit>[^()\[\]]*)[)\]]$")


@dataclass
class HeaderCell:
    index: int
    top: str
    sub: str = ""

    @property
    def text(self) -> str:
        return self.top + (("/" + self.sub) if self.sub and self.sub != self.top else "")


@dataclass
class BodyRow:
    number: int  # row/line number in the file (1-based)
    cells: list
    kind: str  # data | blank | note | total
    filled: set[int] = field(default_factory=set)  # columns filled from a vertical merge


@dataclass
class Table:
    header: list[HeaderCell]
    header_rows: list[int]
    body: list[BodyRow]
    merged_filled: int = 0


Mapper = Callable[[HeaderCell], object]


def split_unit(header: str) -> tuple[str, str]:
    """'发放金额(万元)' → ('发放金额', '万元'); NFKC has already turned （） into ()."""
    m = UNIT_PAREN_RE.match(header)
    if m and m.group("base"):
        return m.group("base"), m.group("unit")
    return header, ""


def _is_headerish(cell) -> bool:
    if is_missing(cell):
        return True
    if isinstance(cell, (int, float)) or hasattr(cell, "year"):
        return False
    try:
        parse_number(cell)
        return False
    except ValueError:
        return True


def _fill_merged(grid: Grid) -> tuple[int, set[tuple[int, int]]]:
    """Copy the top-left value of every merged range into its empty cells (only inside ranges)."""
    filled: set[tuple[int, int]] = set()
    for (r0, c0), (r1, c1) in grid.merged:
        if r0 >= len(grid.rows):
            continue
        value = grid.rows[r0][c0] if c0 < len(grid.rows[r0]) else ""
        for r in range(r0, min(r1, len(grid.rows) - 1) + 1):
            for c in range(c0, c1 + 1):
                if (r, c) == (r0, c0) or c >= len(grid.rows[r]):
                    continue
                if grid.rows[r][c] in ("", None):
                    grid.rows[r][c] = value
                    filled.add((r, c))
    return len(filled), filled


def classify(cells: list) -> str:
    texts = [clean_header(c) for c in cells if not is_missing(c)]
    if not texts:
        return "blank"
    if texts[0].startswith(NOTE_PREFIXES):
        return "note"
    for t in texts[:3]:
        if t in TOTAL_WORDS or t.startswith(("合计", "总计")):
            return "total"
    return "data"


def locate(grid: Grid, mapper: Mapper) -> Table | None:
    """The best header (one or two rows) by the number of columns `mapper` recognises."""
    merged_count, filled = _fill_merged(grid)
    merged_rows = {}  # header row -> has a horizontal merge or a vertical merge into the next row
    for (r0, c0), (r1, c1) in grid.merged:
        if c1 > c0 or r1 > r0:
            merged_rows[r0] = True
    best = None
    for i in range(min(len(grid.rows), MAX_HEADER_SCAN)):
        row = grid.rows[i]
        top = [clean_header(c) for c in row]
        if len({t for t in top if t}) <= 1:  # a title (possibly merged across the row) is not a header
            continue
        single = [HeaderCell(c, t) for c, t in enumerate(top)]
        s1 = sum(1 for h in single if h.top and mapper(h) is not None)
        candidates = [(s1, 1, single)]
        if i + 1 < len(grid.rows):
            nxt = grid.rows[i + 1]
            if all(_is_headerish(c) for c in nxt) and any(not is_missing(c) for c in nxt):
                subs = [clean_header(c) for c in nxt]
                has_gap = any(not t and s for t, s in zip(top, subs))
                if merged_rows.get(i) or has_gap or any(s and s != t for t, s in zip(top, subs)):
                    double = [HeaderCell(c, t, s if s != t else "") for c, (t, s) in enumerate(zip(top, subs))]
                    s2 = sum(1 for h in double if (h.top or h.sub) and mapper(h) is not None)
                    if s2 >= s1 and (merged_rows.get(i) or has_gap):
                        candidates.append((s2 + 0.5, 2, double))
        for score, nrows, cells in candidates:
            if score > 0 and (best is None or score > best[0]):
                best = (score, i, nrows, cells)
    if best is None:
        return None
    _, i, nrows, cells = best
    body = []
    for r in range(i + nrows, len(grid.rows)):
        cells_r = grid.rows[r]
        kind = classify(cells_r)
        row_filled = {c for (rr, c) in filled if rr == r}
        body.append(BodyRow(grid.numbers[r], cells_r, kind, row_filled))
    # Trailing columns with neither a header nor any value are layout, not data.
    width = len(cells)
    while width and not cells[width - 1].top and not cells[width - 1].sub and all(
        is_missing(b.cells[width - 1]) for b in body if width - 1 < len(b.cells)
    ):
        width -= 1
    return Table(header=cells[:width], header_rows=[grid.numbers[i + k] for k in range(nrows)], body=body,
                 merged_filled=merged_count)


def cell_text(value) -> str:
    """How a raw cell is shown back to the uploader."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return str(value)
