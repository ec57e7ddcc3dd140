"""Figures reported by units (月报表): unit × month × indicator, declared 当月 or 累计.

Two layouts are read, both as units send them (title rows, two-row merged headers, 合计 and
note rows are handled by `table.locate` like any extract):

- wide: one row per unit, one column per indicator, e.g. `街镇 | 城镇新增就业(人) | 发放创业担保贷款(万元)`,
  or a two-row header `城镇新增就业` over `当月 | 累计`;
- long: `单位 | 月份 | 指标 | 当月数` (or `累计数`, or `数值` with a `口径` column).

The month comes from a 月份 column, else the declared period, else the title ("2020年5月…").

The basis (当月 = the month's own figure, 累计 = year to date) comes from the header's words
(`data/reference/ingest_rules.yaml` `reported.basis_words`), a 口径 column, or the uploader's
declaration (`--basis`, the page's choice). BAD_INPUT.md: "R unless the declared meaning
matches": a header that says 累计 in a file declared 当月 rejects the file; no basis anywhere
rejects it too (a number without its meaning cannot be counted). A 累计 series that falls,
within the file or against what is stored, is a warning (W) naming both months.

Output rows follow the `reported_monthly` extract: report_id (unit|indicator|YYYY-MM),
unit_code, indicator, report_month (first day), basis, value (the indicator's display unit:
persons, 万元). How they count is in queries/reported_events.sql.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from target_monitor.ingest import normalise as nz
from target_monitor.ingest.problems import Normalisation, Problem, Rejected, Report, reject
from target_monitor.ingest.read import Grid
from target_monitor.ingest.records import Parsed, _to_frame, header_map
from target_monitor.ingest.table import HeaderCell, cell_text, locate, split_unit
from target_monitor.reference import Units
from target_monitor.registry import BASES, Extract, Indicator, Registry

TITLE_MONTH_RE = re.compile(r"(?P<y>\d{4})\s*年\s*(?:1\s*[-—~至到]\s*)?(?P<m>\d{1,2})\s*月")
RANGE_RE = re.compile(r"\d{1,2}\s*[-—~至到]\s*\d{1,2}\s*月")


@dataclass(frozen=True)
class Role:
    kind: str  # unit | month | indicator | basis | value
    indicator: str = ""  # wide layout: the indicator a value column holds
    basis: str = ""  # 当月 | 累计 | "" (from the header's words)
    unit: str = ""  # a unit of measure in the header (万元, 元, 人)


@dataclass
class Words:
    basis: dict[str, tuple[str, ...]]
    filler: tuple[str, ...]
    range_is_cumulative: bool

    @classmethod
    def from_rules(cls, rules: dict) -> Words:
        raw = rules.get("reported") or {}
        basis = {b: tuple(sorted((nz.clean_header(w) for w in (raw.get("basis_words") or {}).get(b, [])),
                                 key=len, reverse=True)) for b in BASES}
        filler = tuple(sorted((nz.clean_header(w) for w in raw.get("filler_words") or []), key=len, reverse=True))
        return cls(basis, filler, bool(raw.get("range_is_cumulative", True)))

    def split(self, text: str) -> tuple[str, str]:
        """'城镇新增就业1-5月累计' → ('城镇新增就业', '累计'); the basis words removed."""
        found = ""
        if self.range_is_cumulative and RANGE_RE.search(text):
            text, found = RANGE_RE.sub("", text), "累计"
        for b in ("累计", "当月"):  # longest words first within each basis; 累计 before 当月 (本年累计 ≠ 本月)
            for w in self.basis[b]:
                if w and w in text:
                    text = text.replace(w, "")
                    found = found or b
        return text, found

    def strip_filler(self, text: str) -> str:
        for w in self.filler:
            text = text.replace(w, "")
        return text.strip("/:：-_ ")


def make_mapper(aliases: list[dict], ext: Extract, indicators: dict[str, str], words: Words):
    columns = header_map(aliases, ext)

    def column_role(text: str) -> Role | None:
        hit = columns.get(text.lower())
        if hit is None:
            base, unit = split_unit(text)
            hit = columns.get(base.lower())
        if hit is None:
            return None
        if hit.column == "unit_code":
            return Role("unit")
        if hit.column == "report_month":
            return Role("month")
        if hit.column in ("indicator", "basis"):
            return Role(hit.column)
        if hit.column == "value":
            return Role("value")
        return None

    def indicator_of(text: str) -> tuple[str, str] | None:
        base, unit = split_unit(text)
        for candidate in (text, base):
            if not candidate:
                continue
            stripped, _ = words.split(candidate)
            for c in (candidate, stripped, words.strip_filler(stripped)):
                ind = indicators.get(c.lower())
                if ind:
                    return ind, unit if candidate == base else ""
        return None

    def role_of(text: str) -> Role | None:
        if not text:
            return None
        base, unit = split_unit(text)
        rest, basis = words.split(base)
        unit_rest, unit_basis = words.split(unit)  # 城镇新增就业(当月)
        if unit_basis:
            basis, unit = basis or unit_basis, unit_rest.strip(",，、;； ")
        direct = column_role(text) or column_role(base)
        if direct is not None and direct.kind != "value":
            return direct
        if direct is not None or (basis and not words.strip_filler(rest)):
            return Role("value", basis=basis, unit=unit)  # 当月数 / 累计完成 / 数值
        hit = indicator_of(text)
        if hit:
            return Role("value", indicator=hit[0], basis=basis, unit=hit[1])
        return None

    def mapper(h: HeaderCell) -> Role | None:
        if h.sub:
            top = role_of(h.top)
            if top is not None and top.kind in ("unit", "month", "indicator", "basis") and not h.sub.startswith("("):
                return top
            sub_base, sub_unit = split_unit(h.sub)
            sub_unit = sub_unit or (sub_base.strip("()") if h.sub.startswith("(") else "")
            _, sub_basis = words.split(sub_base)
            if top is not None and top.kind == "value":
                return Role("value", top.indicator, top.basis or sub_basis, top.unit or sub_unit)
            whole = role_of(h.top + h.sub)
            if whole is not None:
                return whole
            sub = role_of(h.sub)
            if sub is not None and sub.kind == "value" and not h.top:
                return sub
            return None if top is None else top
        return role_of(h.top)

    return mapper


def parquet_grid(data: bytes, ext: Extract, report: Report) -> Grid:
    """A Parquet file of reported figures, as a grid whose header is its column names (the same
    checks as a CSV then apply: the canonical names are aliases of themselves)."""
    import io

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # a bad footer, truncated file, crafted metadata
        raise reject("corrupt", file=report.file, kind=f"Parquet: {type(exc).__name__}") from None
    names = [n for n in table.column_names if n != "report_id"]  # report_id is rebuilt from the row
    rows = [[r[n] for n in names] for r in table.select(names).to_pylist()]
    report.file_type = "parquet"
    return Grid(rows=[list(names), *rows], numbers=list(range(1, len(rows) + 2)), file_type="parquet")


def looks_reported(grid: Grid, registry: Registry, rules: dict, aliases: list[dict],
                   indicator_aliases: dict[str, str]) -> bool:
    """True when the file reads as a figures report: a unit column and at least one indicator
    or basis value column (for the upload page's suggestion of the extract)."""
    ext = registry.reported_extract
    if ext is None:
        return False
    mapper = make_mapper(aliases, ext, indicator_aliases, Words.from_rules(rules))
    probe = Grid(rows=[list(r) for r in grid.rows[:30]], numbers=grid.numbers[:30], merged=grid.merged)
    table = locate(probe, mapper)
    if table is None:
        return False
    roles = [r for h in table.header if (h.top or h.sub) and (r := mapper(h)) is not None]
    return any(r.kind == "unit" for r in roles) and any(r.kind == "value" for r in roles)


def _title_month(grid: Grid, header_row_index: int) -> tuple[tuple[int, int] | None, str]:
    """The month named in a title row above the header ("2020年1-5月…" → 2020-05), and the title."""
    for row in grid.rows[:header_row_index]:
        for cell in row:
            m = TITLE_MONTH_RE.search(nz.clean_text(cell))
            if m and 1 <= int(m["m"]) <= 12:
                return (int(m["y"]), int(m["m"])), nz.clean_text(cell)
    return None, ""


def reportable(ind: Indicator) -> bool:
    """Whether units can report the indicator as a figure: a count or amount, or a rate that only
    units report (城镇登记失业率); a rate with a register is counted from the register."""
    return ind.kind == "cumulative" or (ind.is_rate and ind.reported_only)


def _value(raw, ind: Indicator, unit: str) -> float | None:
    """A reported figure in the indicator's display unit, or None when the cell is empty."""
    if nz.is_missing(raw):
        return None
    if ind.is_rate:  # a rate in points: 4.1%, 4.1, 0.041 (percent_range outside 0..100)
        try:
            return nz.parse_percent(raw)
        except nz.ValueProblem as vp:  # the cell's raw value is named by the caller
            raise nz.ValueProblem(vp.code, **{k: v for k, v in vp.values.items() if k != "raw"}) from None
    if ind.measure == "sum":  # an amount: 万元 unless the header or the cell says otherwise
        default = unit if unit in nz.MONEY_UNITS else ind.unit["zh"] if ind.unit["zh"] in nz.MONEY_UNITS else "元"
        yuan = nz.parse_money(raw, default)
        value = None if yuan is None else round(yuan * ind.scale, 6)
    else:
        number = nz.parse_number(raw)
        if number is None:
            return None
        if number != int(number):
            raise nz.ValueProblem("not_whole")
        value = float(number)
    if value is not None and value < 0:
        raise nz.ValueProblem("bounds", min=0, max="-")
    return value


def stored_series(data_dir: Path, ext: Extract, keys: set[tuple[str, str, int]]) -> pd.DataFrame:
    """Stored reported rows of the given (unit, indicator, year) series."""
    from target_monitor.tables_delta import committed_files

    years = {f"year={y:04d}" for _, _, y in keys}
    frames = []
    for path in committed_files(Path(data_dir), ext.name).files:  # the committed version's files only
        if path.parent.parent.name not in years:
            continue
        frames.append(pq.ParquetFile(path).read(columns=["unit_code", "indicator", "report_month", "basis", "value"])
                      .to_pandas())
    if not frames:
        return pd.DataFrame(columns=["unit_code", "indicator", "report_month", "basis", "value"])
    df = pd.concat(frames, ignore_index=True)
    df["year"] = pd.to_datetime(df["report_month"]).dt.year
    mask = [(u, i, y) in keys for u, i, y in zip(df["unit_code"], df["indicator"], df["year"])]
    return df[mask]


def parse_reported(grid: Grid, ext: Extract, registry: Registry, rules: dict, aliases: list[dict],
                   indicator_aliases: dict[str, str], units: Units, report: Report,
                   period: tuple[int, int] | None, basis: str | None, today: date, data_dir: Path) -> Parsed:
    file, sheet = report.file, grid.sheet
    words = Words.from_rules(rules)
    mapper = make_mapper(aliases, ext, indicator_aliases, words)
    if not any(not nz.is_missing(c) for r in grid.rows for c in r):
        raise reject("empty", file=file)
    table = locate(grid, mapper)
    if table is None:
        raise reject("rp_no_header", file=file, sheet=sheet)
    header_row = table.header_rows[0]
    report.header_row = header_row
    roles: dict[int, Role] = {}
    header_text: dict[int, str] = {}
    by_kind: dict[str, int] = {}
    problems: list[Problem] = []
    for h in table.header:
        role = mapper(h) if (h.top or h.sub) else None
        if role is None:
            if h.top or h.sub:
                report.warnings.append(Problem.make("W", "unknown_column", file=file, sheet=sheet, row=header_row,
                                                    column=h.text, raw_value=h.text))
            continue
        if role.kind != "value":
            if role.kind in by_kind:
                problems.append(Problem.make("R", "duplicate_column", file=file, sheet=sheet, row=header_row,
                                             column=h.text, raw_value=h.text, other=header_text[by_kind[role.kind]],
                                             canonical=role.kind))
                continue
            by_kind[role.kind] = h.index
        roles[h.index] = role
        header_text[h.index] = h.text
    long = "indicator" in by_kind
    values = {i: r for i, r in roles.items() if r.kind == "value"}
    if long:  # an 指标 column: value columns name no indicator
        for i, r in list(values.items()):
            if r.indicator:
                report.warnings.append(Problem.make("W", "unknown_column", file=file, sheet=sheet, row=header_row,
                                                    column=header_text[i], raw_value=header_text[i]))
                del values[i], roles[i]
    else:
        for i, r in list(values.items()):
            if not r.indicator:
                del values[i], roles[i]
                report.warnings.append(Problem.make("W", "unknown_column", file=file, sheet=sheet, row=header_row,
                                                    column=header_text[i], raw_value=header_text[i]))
            elif not reportable(registry.get(r.indicator)):
                del values[i], roles[i]
                report.warnings.append(Problem.make("W", "rp_rate_column", file=file, sheet=sheet, row=header_row,
                                                    column=header_text[i], raw_value=header_text[i],
                                                    indicator=registry.get(r.indicator).label["zh"]))
    if "unit" not in by_kind or not values:
        problems.append(Problem.make("R", "rp_no_header", file=file, sheet=sheet, row=header_row))
    if problems:
        raise Rejected(problems[0], problems[1:])
    # one value column per indicator (long: per file): when a file has both 当月 and 累计, the
    # declared basis chooses; undeclared, 累计 (it corrects itself); the other is a warning
    groups: dict[str, list[int]] = {}
    for i, r in values.items():
        groups.setdefault(r.indicator, []).append(i)
    for indicator, cols in groups.items():
        if len(cols) < 2:
            continue
        ranked = sorted(cols, key=lambda i: (values[i].basis != (basis or "累计"), values[i].basis == "", i))
        for i in ranked[1:]:
            report.warnings.append(Problem.make("W", "rp_other_basis_ignored", file=file, sheet=sheet, row=header_row,
                                                column=header_text[i], raw_value=header_text[i],
                                                used=header_text[ranked[0]]))
            del values[i], roles[i]
    # the declared meaning must match the header's (BAD_INPUT: R unless the declared meaning matches)
    # a rate (城镇登记失业率) is a standing figure, the rate at the month end: it has no 当月/累计
    # meaning to declare or to clash with (it is stored as 累计, the figure as it stands)
    standing = {i for i, r in values.items() if r.indicator and registry.get(r.indicator).is_rate}
    for i, r in values.items():
        if i in standing:
            continue
        if basis and r.basis and r.basis != basis:
            problems.append(Problem.make("R", "rp_basis_mismatch", file=file, sheet=sheet, row=header_row,
                                         column=header_text[i], raw_value=header_text[i], declared=basis,
                                         header_basis=r.basis))
    if problems:
        raise Rejected(problems[0], problems[1:])
    has_basis_column = "basis" in by_kind
    for i, r in values.items():
        if not (r.basis or basis or has_basis_column) and i not in standing:
            raise reject("rp_basis_unknown", file=file, sheet=sheet, row=header_row, column=header_text[i],
                         raw_value=header_text[i])
    month_col = by_kind.get("month")
    file_month = None
    if month_col is None:
        title_month, title = _title_month(grid, grid.numbers.index(header_row))
        file_month = period or title_month
        if file_month is None:
            raise reject("rp_no_month", file=file, sheet=sheet)
        if period is None:
            report.normalised.append(Normalisation("report_month", "title_month", 1, title,
                                                   f"{file_month[0]}-{file_month[1]:02d}"))
        elif title_month and title_month != period:  # the declared period counts; say the title differs
            report.warnings.append(Problem.make("W", "rp_title_month_differs", file=file, sheet=sheet, raw_value=title,
                                                period=f"{period[0]}-{period[1]:02d}",
                                                title_month=f"{title_month[0]}-{title_month[1]:02d}"))
    if not any(b.kind == "data" for b in table.body):
        raise reject("no_rows", file=file, sheet=sheet)
    for i, r in roles.items():
        report.mapping[header_text[i]] = r.kind if r.kind != "value" else \
            "value" + (f":{r.indicator}" if r.indicator else "") + (f":{r.basis}" if r.basis else "")

    accepted: list[dict] = []
    quarantine: list[dict] = []
    seen: dict[str, int] = {}
    totals: list = []
    sums: dict[int, float] = {}
    unit_col = by_kind["unit"]
    for body in table.body:
        if not report.read_row(body, totals):
            continue
        cells = body.cells

        def cell(i):
            return cells[i] if i < len(cells) else ""

        row_problems: list[Problem] = []

        def bad(code: str, i: int, raw, **kw):
            row_problems.append(Problem.make("Q", code, file=file, sheet=sheet, row=body.number,
                                             column=header_text[i], raw_value=cell_text(raw), **kw))

        unit_code = None
        raw_unit = cell(unit_col)
        if nz.is_missing(raw_unit):
            bad("required", unit_col, raw_unit)
        else:
            text = nz.clean_text(raw_unit)
            unit_code = text if text in units.by_code else units.resolve(text)
            if unit_code is None:
                bad("unit_unknown", unit_col, raw_unit, suggestions="、".join(units.suggest(text)) or "-")
        month = file_month
        if month_col is not None:
            try:
                month = nz.parse_month(cell(month_col))
                if month is None:
                    bad("required", month_col, cell(month_col))
            except nz.ValueProblem as vp:
                bad(vp.code, month_col, cell(month_col), **vp.values)
                month = None
            if month and period and month != period:
                bad("outside_period", month_col, cell(month_col), period=f"{period[0]}-{period[1]:02d}")
            if month and date(month[0], month[1], 1) > today:
                bad("future", month_col, cell(month_col), today=today.isoformat())
        row_basis = ""
        if has_basis_column:
            bi = by_kind["basis"]
            _, row_basis = words.split(nz.clean_header(cell(bi)))
            if nz.is_missing(cell(bi)) and not basis:
                bad("required", bi, cell(bi))
            elif not nz.is_missing(cell(bi)) and not row_basis:
                bad("enum", bi, cell(bi), allowed="、".join(BASES))
            elif row_basis and basis and row_basis != basis:
                bad("rp_basis_mismatch_row", bi, cell(bi), declared=basis)
        indicator_name = None
        if long:
            ii = by_kind["indicator"]
            raw_ind = cell(ii)
            if nz.is_missing(raw_ind):
                bad("required", ii, raw_ind)
            else:
                text = nz.clean_header(raw_ind)
                base, _ = split_unit(text)
                indicator_name = next((indicator_aliases[c.lower()] for c in (text, base)
                                       if c.lower() in indicator_aliases),
                                      text if text in registry.names else None)
                if indicator_name is None:
                    bad("rp_indicator_unknown", ii, raw_ind,
                        known="、".join(i.label["zh"] for i in registry.indicators if reportable(i)))
                elif not reportable(registry.get(indicator_name)):
                    bad("rp_rate_row", ii, raw_ind, indicator=registry.get(indicator_name).label["zh"])
                    indicator_name = None
        figures = []
        for i, r in values.items():
            name = r.indicator or indicator_name
            if name is None:
                continue
            ind = registry.get(name)
            try:
                value = _value(cell(i), ind, r.unit)
            except nz.ValueProblem as vp:
                bad(vp.code, i, cell(i), **vp.values)
                continue
            if value is None:
                continue
            figures.append((i, name, "累计" if ind.is_rate else r.basis or row_basis or basis, value))
        if not figures and not row_problems:
            first = next(iter(values))
            bad("rp_no_value", first, cell(first))
        if unit_code and month:
            for i, name, _, _ in figures:
                rid = f"{unit_code}|{name}|{month[0]:04d}-{month[1]:02d}"
                if rid in seen:
                    bad("rp_duplicate", i, cell(i), first_row=seen[rid])
                else:
                    seen[rid] = body.number
        if row_problems:
            report.quarantined += 1
            report.problems.extend(row_problems)
            quarantine.append({"row": body.number, "problems": row_problems,
                               "cells": {header_text[i]: cell_text(cell(i)) for i in sorted(header_text)}})
            continue
        report.accepted += 1
        for i, name, b, value in figures:
            sums[i] = sums.get(i, 0.0) + value
            accepted.append({"report_id": f"{unit_code}|{name}|{month[0]:04d}-{month[1]:02d}",
                             "unit_code": unit_code, "indicator": name,
                             "report_month": date(month[0], month[1], 1), "basis": b, "value": value,
                             "_row": body.number})
    _check_totals(totals, values, sums, registry, file, sheet, header_text, report)
    parsed = Parsed(report=report, source_headers=[header_text[i] for i in sorted(header_text)])
    parsed.quarantine = quarantine
    frame = _to_frame(ext, accepted)
    frame["_row"] = pd.array([r["_row"] for r in accepted], dtype="Int64")
    parsed.accepted = frame
    _check_falling(frame, ext, registry, units, data_dir, file, sheet, report)
    return parsed


def _check_totals(totals, values, sums, registry, file, sheet, header_text, report) -> None:
    """A 合计 row is a checksum of the detail rows, column by column (wide layout)."""
    for total in totals:
        for i, r in values.items():
            if not r.indicator or i >= len(total.cells) or nz.is_missing(total.cells[i]):
                continue
            try:
                expected = _value(total.cells[i], registry.get(r.indicator), r.unit)
            except nz.ValueProblem:
                continue
            got = round(sums.get(i, 0.0), 4)
            if expected is not None and abs(expected - got) > 0.005:
                report.warnings.append(Problem.make("W", "total_mismatch", file=file, sheet=sheet, row=total.number,
                                                    column=header_text[i], raw_value=cell_text(total.cells[i]),
                                                    detail=f"{got:g}"))


def _check_falling(frame: pd.DataFrame, ext: Extract, registry: Registry, units: Units, data_dir: Path,
                   file: str, sheet: str, report: Report) -> None:
    """A 累计 series must not fall: compare the file's 累计 figures with each other and with the
    stored ones of the same unit, indicator and year (the upload replaces its own unit-months)."""
    # a rate's figure may fall (the unemployment rate going down is the good news)
    rates = {i.name for i in registry.indicators if i.is_rate}
    cum = frame[(frame["basis"] == "累计") & ~frame["indicator"].isin(rates)]
    if cum.empty:
        return
    new = cum.assign(year=[d.year for d in cum["report_month"]], source="file", row_no=cum["_row"])
    keys = set(zip(new["unit_code"], new["indicator"], new["year"]))
    old = stored_series(data_dir, ext, keys)
    old = old[old["basis"] == "累计"]
    if not old.empty:
        replaced = set(zip(frame["unit_code"], frame["indicator"], frame["report_month"]))
        old = old[[(u, i, m) not in replaced for u, i, m in zip(old["unit_code"], old["indicator"],
                                                                old["report_month"])]]
        old = old.assign(source="stored", row_no=pd.NA)
    series = pd.concat([new, old], ignore_index=True) if not old.empty else new
    series = series.sort_values(["unit_code", "indicator", "report_month"])
    for (unit, name, _), s in series.groupby(["unit_code", "indicator", "year"], sort=False):
        prev = None
        for rec in s.itertuples():
            if prev is not None and rec.value < prev.value - 1e-9 and "file" in (rec.source, prev.source):
                ind = registry.get(name)
                at = rec if rec.source == "file" else prev
                row = None if pd.isna(at.row_no) else int(at.row_no)
                report.warnings.append(Problem.make(
                    "W", "rp_cumulative_falls", file=file, sheet=sheet, row=row, column=ind.label["zh"],
                    raw_value=f"{rec.value:g}", unit=units[unit].name if unit in units.by_code else unit,
                    indicator=ind.label["zh"], month=f"{rec.report_month:%Y-%m}", value=f"{rec.value:g}",
                    prev_month=f"{prev.report_month:%Y-%m}", prev_value=f"{prev.value:g}"))
            if prev is None or rec.value >= prev.value:
                prev = rec


__all__ = ["parse_reported", "parquet_grid", "looks_reported", "make_mapper", "Words"]
