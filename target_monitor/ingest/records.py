"""Record-level extracts: map the headers, normalise and validate every row.

Input is a `Table` (from table.locate) or a Parquet file; output is a `Parsed`: the accepted
rows in the canonical schema of queries/indicators.yaml, the quarantined rows with every reason,
the counts and warnings. Rules per column come from data/reference/ingest_rules.yaml and the
header aliases from data/reference/column_aliases.csv: data, not code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import yaml

from target_monitor.ingest import normalise as nz
from target_monitor.ingest.problems import Normalisation, Problem, Rejected, Report, reject
from target_monitor.ingest.read import Grid
from target_monitor.ingest.table import HeaderCell, Table, cell_text, locate, split_unit
from target_monitor.reference import Units, load_units
from target_monitor.registry import Extract, Registry

RULE_KEYS = {"kind", "required", "min", "max"}


@dataclass(frozen=True)
class ColumnRule:
    kind: str
    required: bool
    min: float | None = None
    max: float | None = None
    # dates: the first day that can be one of ours (ingest_rules.yaml first_year); 1900-06-10 and
    # 0001-01-01 are typing or export errors, never a record of the unit tree
    earliest: date | None = None
    shape: str | None = None  # person_id: "id_number" (18 characters, check digit) or a pseudonymised key's regex
    # a cap that depends on another column of the same row (ingest_rules.yaml `cap_by` + `caps`):
    # 创业担保贷款 个人 ≤20万元, 小微企业 ≤300万元. ((value of cap_by, cap), ...)
    cap_by: str | None = None
    caps: tuple = ()

    def cap_for(self, other) -> float | None:
        return next((float(c) for k, c in self.caps if k == other), None)


def cap_problems(record: dict, rules: dict, file: str, sheet: str, row: int, header) -> list[Problem]:
    """Quarantine reasons for values over the cap of their row's kind (a 300万 loan to a 个人),
    naming the cap; `header(column)` is the column's name as the file spells it."""
    out = []
    for column, rule in rules.items():
        if not rule.cap_by:
            continue
        value, other = record.get(column), record.get(rule.cap_by)
        cap = rule.cap_for(other)
        if value is None or cap is None or value <= cap:
            continue
        out.append(Problem.make("Q", "over_cap", file=file, sheet=sheet, row=row, column=header(column),
                                raw_value=f"{value:g}", by=other, cap=f"{cap:g}", cap_wan=f"{cap / 10000:g}",
                                value_wan=f"{value / 10000:g}"))
    return out


@dataclass(frozen=True)
class Mapped:
    column: str
    value_unit: str = ""


# The canonical Arrow type of each registry type: what the partitions hold.
ARROW_TYPES = {"VARCHAR": pa.string(), "DATE": pa.date32(), "DOUBLE": pa.float64(), "INTEGER": pa.int32(),
               "BIGINT": pa.int64()}


def arrow_schema(ext: Extract, *, row: bool = False) -> pa.Schema:
    """The extract's canonical schema; with `row`, plus `_row` (the row number in the uploaded file)."""
    fields = [(c.name, ARROW_TYPES[c.type]) for c in ext.columns]
    return pa.schema(fields + [("_row", pa.int64())] if row else fields)


class Parsed:
    """One parsed upload: the report, the accepted rows and the quarantined rows with every reason.

    The accepted rows are kept as an Arrow table in the canonical schema plus `_row` (`table`,
    what the columnar path, the child process and storage use) and/or as a DataFrame
    (`accepted`, what the row path builds and the 数据管理 preview shows); either is derived from
    the other on first use.
    """

    def __init__(self, report: Report, accepted: pd.DataFrame | None = None, quarantine: list[dict] | None = None,
                 source_headers: list[str] | None = None, table: pa.Table | None = None):
        self.report = report
        self._frame = accepted
        self.table = table
        self.quarantine = quarantine if quarantine is not None else []  # {row, problems: [Problem], cells: {header: raw}}
        self.source_headers = source_headers if source_headers is not None else []

    @property
    def accepted(self) -> pd.DataFrame | None:
        if self._frame is None and self.table is not None:
            self._frame = table_to_frame(self.table)
        return self._frame

    @accepted.setter
    def accepted(self, frame: pd.DataFrame | None) -> None:
        self._frame, self.table = frame, None

    def accepted_table(self, ext: Extract) -> pa.Table | None:
        """The accepted rows as Arrow in the canonical schema plus `_row`."""
        if self.table is None and self._frame is not None:
            self.table = frame_to_table(self._frame, ext)
        return self.table

    def __repr__(self) -> str:
        rows = self.table.num_rows if self.table is not None else (None if self._frame is None else len(self._frame))
        return f"Parsed(status={self.report.status!r}, accepted_rows={rows}, quarantined={len(self.quarantine)})"


def frame_to_table(frame: pd.DataFrame, ext: Extract) -> pa.Table:
    schema = arrow_schema(ext, row="_row" in frame.columns)
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """The DataFrame the row path builds (`_to_frame`): string, Float64, Int32, dates as objects, Int64 `_row`."""
    mapping = {pa.string(): pd.StringDtype(), pa.float64(): pd.Float64Dtype(), pa.int32(): pd.Int32Dtype(),
               pa.int64(): pd.Int64Dtype()}
    return table.to_pandas(types_mapper=mapping.get)


def accepted_months(parsed: Parsed, ext: Extract) -> list[str]:
    """The months ("YYYY-MM") the accepted rows fall in, sorted."""
    if parsed.table is not None:
        import pyarrow.compute as pc

        days = parsed.table.column(ext.partition_date)
        ym = pc.unique(pc.add(pc.multiply(pc.year(days), 100), pc.month(days))).drop_null().to_pylist()
        return [f"{v // 100}-{v % 100:02d}" for v in sorted(ym)]
    frame = parsed.accepted
    if frame is None:
        return []
    return sorted({f"{d.year}-{d.month:02d}" for d in frame[ext.partition_date] if d is not None})


def load_rules(ref_dir: Path, shipped: Path) -> dict:
    path = ref_dir / "ingest_rules.yaml"
    if not path.exists():
        path = shipped / "ingest_rules.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


DEFAULT_FIRST_YEAR = 2000


def column_rules(rules: dict, ext: Extract) -> dict[str, ColumnRule]:
    raw = (rules.get("extracts") or {}).get(ext.name) or {}
    out = {}
    for col in ext.columns:
        r = raw.get(col.name) or {}
        kind = r.get("kind") or ("date" if col.type == "DATE" else "text")
        earliest = date(int(rules.get("first_year", DEFAULT_FIRST_YEAR)), 1, 1) if kind == "date" else None
        caps = r.get("caps") or {}
        if r.get("cap_by") and (r["cap_by"] not in ext.column_names or not isinstance(caps, dict)):
            raise ValueError(f"ingest_rules.yaml {ext.name}.{col.name}: cap_by must name a column of the extract "
                             f"and caps map its values to a cap, not {r.get('cap_by')!r} / {caps!r}")
        out[col.name] = ColumnRule(kind, bool(r.get("required", False)), r.get("min"), r.get("max"), earliest=earliest,
                                   shape=r.get("shape"), cap_by=r.get("cap_by"),
                                   caps=tuple(sorted((str(k), float(v)) for k, v in caps.items())))
    return out


def load_aliases(ref_dir: Path, shipped: Path) -> list[dict]:
    path = ref_dir / "column_aliases.csv"
    if not path.exists():
        path = shipped / "column_aliases.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def load_indicator_aliases(ref_dir: Path) -> dict[str, str]:
    """Indicator name variants (新增就业人数 → urban_new_employment), data/reference/indicator_aliases.csv."""
    from target_monitor.paths import SHIPPED_REFERENCE_DIR

    path = ref_dir / "indicator_aliases.csv"
    if not path.exists():
        path = SHIPPED_REFERENCE_DIR / "indicator_aliases.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {nz.clean_header(r["alias"]).lower(): r["indicator"] for r in csv.DictReader(fh)}


def user_aliases(column_map: dict[str, str] | None) -> list[dict]:
    """`--map 原列名=标准列` as alias rows (for any extract): applied after column_aliases.csv, so they win."""
    return [{"extract": "*", "column": column, "alias": raw, "value_unit": ""}
            for raw, column in (column_map or {}).items()]


def registry_aliases(ext: Extract) -> list[dict]:
    """The names the product itself writes for a column: the canonical name (CSV from the SQL
    console, Parquet) and its zh / en description (the headers of the 明细记录 downloads), so a
    file the product wrote is taken back as it is."""
    rows = []
    for c in ext.columns:
        for alias in (c.name, c.description.get("zh", ""), c.description.get("en", "")):
            if alias:
                rows.append({"extract": ext.name, "column": c.name, "alias": alias, "value_unit": ""})
    return rows


def header_map(aliases: list[dict], ext: Extract) -> dict[str, Mapped]:
    out = {}
    # the product's own names first: column_aliases.csv and the uploader's mapping override them
    for row in [*registry_aliases(ext), *aliases]:
        if row["extract"] in ("*", ext.name) and row["column"] in ext.column_names:
            out[nz.clean_header(row["alias"]).lower()] = Mapped(row["column"], (row.get("value_unit") or "").strip())
    return out


def make_mapper(table: dict[str, Mapped]):
    """A header cell → Mapped or None. Tries top+sub, then top with sub/parenthesis as its unit."""

    def lookup(text: str) -> Mapped | None:
        if not text:
            return None
        hit = table.get(text.lower())
        if hit:
            return hit
        base, unit = split_unit(text)
        hit = table.get(base.lower())
        if hit and unit:
            return Mapped(hit.column, unit)
        return hit

    def mapper(h: HeaderCell) -> Mapped | None:
        if h.sub:
            hit = lookup(h.top + h.sub)
            if hit:
                return hit
            sub_unit = h.sub.strip("()")
            hit = lookup(h.top)
            if hit and sub_unit in nz.MONEY_UNITS:
                return Mapped(hit.column, sub_unit)
            if hit and not h.sub.startswith("("):
                return hit
            return hit or lookup(h.sub)
        return lookup(h.top)

    return mapper


def detect_extract(grid: Grid, registry: Registry, aliases: list[dict]) -> str | None:
    """The extract whose headers this file matches best (for the upload page's suggestion)."""
    best, best_score = None, 0
    for ext in registry.extracts.values():
        mapper = make_mapper(header_map(aliases, ext))
        probe = Grid(rows=[list(r) for r in grid.rows[:30]], numbers=grid.numbers[:30], merged=grid.merged)
        table = locate(probe, mapper)
        if table is None:
            continue
        mapped = {m.column for h in table.header if (m := mapper(h))}
        score = len(mapped) / len(ext.columns)
        if score > best_score:
            best, best_score = ext.name, score
    return best if best_score >= 0.5 else None


class Converter:
    """Per-cell conversion for one extract; records what it normalised."""

    def __init__(self, ext: Extract, rules: dict[str, ColumnRule], units: Units, today: date):
        self.ext, self.rules, self.units, self.today = ext, rules, units, today
        self.changes: dict[tuple[str, str], list] = {}

    def note(self, column: str, kind: str, raw, value):
        entry = self.changes.setdefault((column, kind), [0, cell_text(raw), str(value)])
        entry[0] += 1

    def convert(self, column: str, raw, value_unit: str):
        rule = self.rules[column]
        col = self.ext.column(column)
        if isinstance(raw, str) and raw != nz.clean_text(raw) and raw.strip() != nz.clean_text(raw):
            self.note(column, "text_cleaned", raw, nz.clean_text(raw))
        if nz.is_missing(raw):
            if isinstance(raw, str) and raw.strip():
                self.note(column, "missing_token", raw, "NULL")
            if rule.required:
                raise nz.ValueProblem("required")
            return None
        kind = rule.kind
        if kind == "unit":
            text = nz.clean_text(raw)
            if text in self.units.by_code:
                return text
            code = self.units.resolve(text)
            if code is None:
                raise nz.ValueProblem("unit_unknown", suggestions="、".join(self.units.suggest(text)) or "-")
            if text != self.units[code].name:
                self.note(column, "unit_alias", raw, self.units[code].name)
            return code
        if kind in ("id", "person_id"):
            value = nz.parse_id(raw, person=kind == "person_id")
            if kind == "person_id" and value is not None and not nz.person_key_ok(value, rule.shape):
                raise nz.ValueProblem("person_key_invalid", raw=str(raw))  # formulas, free text: never stored
            return value
        if kind == "enum":
            text = nz.clean_text(raw)
            if col.values and text not in col.values:
                raise nz.ValueProblem("enum", allowed="、".join(col.values))
            return text
        if kind == "date":
            value = nz.parse_date(raw)
            if isinstance(raw, str) and nz.clean_text(raw) != value.isoformat():
                self.note(column, "date_form", raw, value.isoformat())
            if value > self.today:
                raise nz.ValueProblem("future", today=self.today.isoformat())
            if rule.earliest is not None and value < rule.earliest:
                raise nz.ValueProblem("too_early", earliest=rule.earliest.isoformat())
            return value
        if kind == "money":
            value = nz.parse_money(raw, value_unit or "元")
            if isinstance(raw, str) and any(u in raw for u in ("万", "亿")) or value_unit not in ("", "元"):
                self.note(column, "money_unit", raw, value)
        elif kind == "int":
            value = nz.parse_int(raw)
        else:
            text = nz.clean_text(raw)
            return text
        if isinstance(raw, str) and any(ch in raw for ch in "零〇一二两三四五六七八九十百千"):
            self.note(column, "chinese_numeral", raw, value)
        if rule.min is not None and value < rule.min or rule.max is not None and value > rule.max:
            raise nz.ValueProblem("bounds", min=rule.min, max=rule.max)
        return value


def _to_frame(ext: Extract, rows: list[dict]) -> pd.DataFrame:
    data = {}
    for col in ext.columns:
        values = [r[col.name] for r in rows]
        if col.type == "DATE":
            data[col.name] = pd.array(values, dtype="object")
        elif col.type == "DOUBLE":
            data[col.name] = pd.array([float(v) if v is not None else None for v in values], dtype="Float64")
        elif col.type in ("INTEGER", "BIGINT"):
            data[col.name] = pd.array(values, dtype="Int32")
        else:
            data[col.name] = pd.array(values, dtype="string")
    return pd.DataFrame(data, columns=list(ext.column_names))


def validate_rows(table: Table, mapping: dict[int, Mapped], ext: Extract, conv: Converter, report: Report,
                  file: str, sheet: str, period: tuple[int, int] | None, header_text: dict[int, str]) -> Parsed:
    parsed = Parsed(report=report, source_headers=[header_text[i] for i in sorted(header_text)])
    accepted: list[dict] = []
    seen_keys: dict[str, int] = {}
    totals: list = []
    sums: dict[str, float] = {}
    for body in table.body:
        if not report.read_row(body, totals):
            continue
        record, problems = {}, []
        for idx, m in mapping.items():
            raw = body.cells[idx] if idx < len(body.cells) else ""
            if idx in body.filled:
                conv.note(m.column, "merged_fill", raw, raw)
            try:
                record[m.column] = conv.convert(m.column, raw, m.value_unit)
                if conv.rules[m.column].kind == "money" and record[m.column] is not None:
                    sums[m.column] = sums.get(m.column, 0.0) + record[m.column]
            except nz.ValueProblem as vp:
                record[m.column] = None
                problems.append(Problem.make("Q", vp.code, file=file, sheet=sheet, row=body.number,
                                             column=header_text[idx], raw_value=cell_text(raw), **vp.values))
        for col in ext.column_names:
            record.setdefault(col, None)
        day = record.get(ext.partition_date)
        if period and isinstance(day, date) and (day.year, day.month) != period:
            col_idx = next(i for i, m in mapping.items() if m.column == ext.partition_date)
            problems.append(Problem.make("Q", "outside_period", file=file, sheet=sheet, row=body.number,
                                         column=header_text[col_idx], raw_value=cell_text(body.cells[col_idx]),
                                         period=f"{period[0]}-{period[1]:02d}"))
        header_of = {m.column: header_text[i] for i, m in mapping.items()}
        problems.extend(cap_problems(record, conv.rules, file, sheet, body.number, lambda c: header_of.get(c, c)))
        key = record.get(ext.key)
        if key is not None:  # the first occurrence wins, even if it is quarantined for another reason
            if key in seen_keys:
                col_idx = next(i for i, m in mapping.items() if m.column == ext.key)
                problems.append(Problem.make("Q", "duplicate", file=file, sheet=sheet, row=body.number,
                                             column=header_text[col_idx], raw_value=str(key),
                                             first_row=seen_keys[key]))
            else:
                seen_keys[key] = body.number
        if problems:
            report.quarantined += 1
            report.problems.extend(problems)
            parsed.quarantine.append({
                "row": body.number, "problems": problems,
                "cells": {header_text[i]: cell_text(body.cells[i]) if i < len(body.cells) else ""
                          for i in sorted(header_text)},
            })
        else:
            report.accepted += 1
            record["_row"] = body.number
            accepted.append(record)
    # The 合计 row is a checksum, not data: compare it with the detail rows column by column.
    for total in totals:
        for idx, m in mapping.items():
            if conv.rules[m.column].kind != "money" or idx >= len(total.cells) or nz.is_missing(total.cells[idx]):
                continue
            try:
                expected = nz.parse_money(total.cells[idx], m.value_unit or "元")
            except nz.ValueProblem:
                continue
            got = round(sums.get(m.column, 0.0), 2)
            if abs(expected - got) > 0.005:
                report.warnings.append(Problem.make("W", "total_mismatch", file=file, sheet=sheet, row=total.number,
                                                    column=header_text[idx], raw_value=cell_text(total.cells[idx]),
                                                    detail=f"{got:g}"))
    for (column, kind), (count, example_raw, example_value) in conv.changes.items():
        report.normalised.append(Normalisation(column, kind, count, example_raw, example_value))
    frame = _to_frame(ext, accepted)
    frame["_row"] = pd.array([r["_row"] for r in accepted], dtype="Int64")
    parsed.accepted = frame
    return parsed


def parse_grid(grid: Grid, ext: Extract, rules: dict, aliases: list[dict], units: Units, report: Report,
               period: tuple[int, int] | None, today: date) -> Parsed:
    file, sheet = report.file, grid.sheet
    mapper = make_mapper(header_map(aliases, ext))
    if not any(not nz.is_missing(c) for r in grid.rows for c in r):
        raise reject("empty", file=file)
    table = locate(grid, mapper)
    if table is None:
        expected = "、".join(ext.column_names)
        raise reject("no_header", file=file, sheet=sheet, extract=ext.name, expected=expected)
    report.header_row = table.header_rows[0]
    mapping: dict[int, Mapped] = {}
    header_text: dict[int, str] = {}
    by_column: dict[str, int] = {}
    problems = []
    for h in table.header:
        m = mapper(h) if (h.top or h.sub) else None
        if m is None:
            if h.top or h.sub:
                report.warnings.append(Problem.make("W", "unknown_column", file=file, sheet=sheet,
                                                    row=table.header_rows[0], column=h.text, raw_value=h.text))
            continue
        if m.column in by_column:
            problems.append(Problem.make("R", "duplicate_column", file=file, sheet=sheet, row=table.header_rows[0],
                                         column=h.text, raw_value=h.text, other=header_text[by_column[m.column]],
                                         canonical=m.column))
            continue
        by_column[m.column] = h.index
        mapping[h.index] = m
        header_text[h.index] = h.text
        report.mapping[h.text] = m.column
    crules = column_rules(rules, ext)
    missing = [c for c in ext.column_names if c not in by_column and crules[c].required]
    if missing:
        found = "、".join(h.text for h in table.header if h.top or h.sub)
        problems.append(Problem.make("R", "missing_column", file=file, sheet=sheet, row=table.header_rows[0],
                                     column="、".join(missing), raw_value=found,
                                     missing="、".join(f"{c}（{ext.column(c).description['zh']}）" for c in missing),
                                     found=found))
    if problems:
        raise Rejected(problems[0], problems[1:])
    if not any(b.kind == "data" for b in table.body):
        raise reject("no_rows", file=file, sheet=sheet)
    if table.merged_filled:
        report.normalised.append(Normalisation("*", "merged_cells", table.merged_filled, "", ""))
    conv = Converter(ext, crules, units, today)
    return validate_rows(table, mapping, ext, conv, report, file, sheet, period, header_text)


ARROW_COMPATIBLE = {
    "VARCHAR": ("string", "large_string"),
    "DATE": ("date32[day]", "date64[ms]", "timestamp"),
    "DOUBLE": ("double", "float", "int64", "int32", "int16", "decimal"),
    "INTEGER": ("int64", "int32", "int16", "int8"),
    "BIGINT": ("int64", "int32"),
}


def parse_parquet(data: bytes, ext: Extract, rules: dict, units: Units, report: Report,
                  period: tuple[int, int] | None, today: date, *, aliases: list[dict] | None = None) -> Parsed:
    import pyarrow.parquet as pq

    file = report.file
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))  # no copy, no Python-level reads
        schema = pf.schema_arrow
    except Exception as exc:  # a bad footer, truncated file, crafted metadata
        raise reject("corrupt", file=file, kind=f"Parquet: {type(exc).__name__}") from None
    diff = []
    # a renamed column (unit_name, 街镇名称, a `--map`ped name) is mapped as a CSV header is, not refused
    rename = _parquet_renames(schema.names, ext, aliases or [])
    names = [rename.get(n, n) for n in schema.names]
    if len(set(names)) < len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise reject("schema_drift", file=file, diff="; ".join(f"重复列/duplicate {n}" for n in dup))
    schema = pa.schema([schema.field(i).with_name(n) for i, n in enumerate(names)])
    absent_optional = []
    for col in ext.columns:
        if col.name not in names:
            if col.optional:  # a column added since the file's schema was made: read as NULL
                absent_optional.append(col)
                continue
            diff.append(f"缺少列/missing {col.name} ({col.type})")
            continue
        arrow_type = schema.field(col.name).type
        if hasattr(arrow_type, "value_type"):  # dictionary-encoded text is still text
            arrow_type = arrow_type.value_type
        typ = str(arrow_type)
        if not any(typ.startswith(ok) for ok in ARROW_COMPATIBLE.get(col.type, (typ,))):
            diff.append(f"{col.name}: {typ} ≠ {col.type}")
    for name in names:
        if name not in ext.column_names:
            diff.append(f"多出列/extra {name}")
    if diff:
        raise reject("schema_drift", file=file, diff="; ".join(diff))
    try:
        table = pf.read()
    except Exception as exc:
        raise reject("corrupt", file=file, kind=f"Parquet: {type(exc).__name__}") from None
    if rename:
        table = table.rename_columns(names)
        report.mapping.update({raw: canon for raw, canon in rename.items()})
    for col in absent_optional:
        table = table.append_column(col.name, pa.nulls(table.num_rows, ARROW_TYPES[col.type]))
    cols = list(ext.column_names)
    report.file_type = "parquet"
    from target_monitor.ingest.columnar import parse_columnar

    parsed = parse_columnar(table, ext, column_rules(rules, ext), units, report, period, today)
    if parsed is not None:  # well-typed: validated column by column, never a Python row
        return parsed
    rows = [[r[c] for c in cols] for r in table.select(cols).to_pylist()]
    grid = Grid(rows=[cols, *rows], numbers=list(range(1, len(rows) + 2)), file_type="parquet")
    aliases = [{"extract": ext.name, "column": c, "alias": c, "value_unit": ""} for c in cols]
    return parse_grid(grid, ext, rules, aliases, units, report, period, today)


def _parquet_renames(names: list[str], ext: Extract, aliases: list[dict]) -> dict[str, str]:
    """Parquet column → canonical column, for the names that are not canonical but map."""
    mapper = make_mapper(header_map(aliases, ext))
    out = {}
    for name in names:
        if name in ext.column_names:
            continue
        hit = mapper(HeaderCell(index=0, top=nz.clean_header(name)))
        if hit is not None:
            out[name] = hit.column
    return out


def load_units_for(ref_dir: Path) -> Units:
    return load_units(ref_dir)
