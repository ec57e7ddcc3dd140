"""Import a task breakdown table (任务分解表) as published: xlsx, xls or csv, any column order.

Columns are recognised by their header names: the unit column through column_aliases.csv
(街镇名称/镇街/单位...), each indicator column through data/reference/indicator_aliases.csv
(城镇新就业人数 / 新增就业人数 / 城镇新增就业 → urban_new_employment). A `(万元)` or `(人)` in the
header is the unit of the column; a two-row header `指标` over `目标/完成` keeps the 目标 column.
Cells such as `≥95%`, `3500人以上`, `3000(创业培训)` become (comparator, value, unit, note).

Whole-file rules (targets are never partly imported): an unknown indicator or unit, a column of
values without a header, a unit listed twice or an unreadable value rejects the file. A 合计 row
that disagrees with the units, or allocations that do not add up to the parent's own target, is
a warning. A change to targets already imported becomes a new version (effective_from) in
<data-dir>/reference/targets.csv; older versions stay, and `reference.targets_in_force` picks
the one in force on the as-of date.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from target_monitor.ingest import normalise as nz
from target_monitor.ingest import read, storage
from target_monitor.ingest.problems import Problem, Rejected, Report, reject
from target_monitor.ingest.records import load_aliases, load_indicator_aliases
from target_monitor.ingest.table import HeaderCell, cell_text, locate, split_unit
from target_monitor.paths import SHIPPED_REFERENCE_DIR, reference_dir
from target_monitor.reference import TARGET_COLUMNS, load_targets, load_units
from target_monitor.registry import load_registry

TARGET_SUBS = {"", "目标", "任务", "目标任务", "任务数", "年度目标", "全年目标", "计划", "目标数"}
IGNORE_SUBS = {"完成", "完成数", "完成情况", "完成率", "实际完成", "进度", "累计完成"}
IGNORE_HEADERS = {"序号", "编号", "排名", "备注", "说明"}


@dataclass
class TargetsResult:
    report: Report
    targets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TARGET_COLUMNS))
    compare: pd.DataFrame = field(default_factory=pd.DataFrame)
    changed: int = 0
    effective_from: date | None = None


def _mapper(unit_aliases: set[str], indicators: dict[str, str]):
    def indicator_of(text: str) -> tuple[str, str] | None:
        base, unit = split_unit(text)
        for candidate in (text, base):
            ind = indicators.get(candidate.lower())
            if ind:
                return ind, unit if candidate == base else ""
        return None

    def mapper(h: HeaderCell):
        top, sub = h.top, h.sub
        if top.lower() in unit_aliases or (not top and sub.lower() in unit_aliases):
            return ("unit", "")
        if top in IGNORE_HEADERS and not sub:
            return ("ignore", "")
        hit = indicator_of(top) if top else None
        if hit:
            if sub in IGNORE_SUBS:
                return ("ignore", "")
            if sub in TARGET_SUBS or sub.strip("()") in ("人", "人次", "万元", "元", "%", "家", "户"):
                unit = hit[1] or (sub.strip("()") if sub.startswith("(") else "")
                return ("indicator", hit[0], unit)
            return None
        if sub:
            hit = indicator_of(sub)
            if hit:
                return ("indicator", hit[0], hit[1])
        return None

    return mapper


def parse_targets(data: bytes, file: str, year: int, data_dir: Path, *, source: str | None = None,
                  sheet: str | None = None, max_bytes: int = 50 * 2**20) -> TargetsResult:
    report = Report(file=file, size_bytes=len(data), extract="targets")
    try:
        targets = _parse(data, file, year, Path(data_dir), source or file, sheet, max_bytes, report)
    except Rejected as rej:
        report.status = "rejected"
        report.problems.extend(rej.problems)
        # Nothing of a rejected table is taken: the counts say so (and still balance).
        report.rows_read = report.accepted = report.quarantined = report.skipped = 0
        report.skipped_by_rule = {}
        return TargetsResult(report=report)
    report.status = "preview"
    return TargetsResult(report=report, targets=targets)


def _parse(data, file, year, data_dir, source, sheet, max_bytes, report) -> pd.DataFrame:
    if len(data) > max_bytes:
        raise reject("too_big", file=file, size_mb=round(len(data) / 2**20, 1), cap_mb=round(max_bytes / 2**20))
    ref = reference_dir(data_dir)
    units = load_units(ref)
    registry = load_registry()
    kind = read.sniff(data, file, max_bytes)
    report.file_type = kind
    if kind == "parquet":
        raise reject("wrong_type", file=file, kind="Parquet")
    if kind == "text":
        grid = read.read_delimited(data, file)
        report.file_type, report.encoding, report.delimiter = "csv", grid.encoding, grid.delimiter
    else:
        grid = read.read_excel(data, file, kind, sheet)
        report.sheet = grid.sheet
    sheet_name = grid.sheet
    if not any(not nz.is_missing(c) for r in grid.rows for c in r):
        raise reject("empty", file=file)
    unit_aliases = {nz.clean_header(r["alias"]).lower() for r in load_aliases(ref, SHIPPED_REFERENCE_DIR)
                    if r["column"] == "unit_code"}
    mapper = _mapper(unit_aliases, load_indicator_aliases(ref))
    table = locate(grid, mapper)
    columns = {h.index: mapper(h) for h in table.header} if table else {}
    if table is None or not any(m and m[0] == "unit" for m in columns.values()) or not any(
            m and m[0] == "indicator" for m in columns.values()):
        raise reject("t_no_header", file=file, sheet=sheet_name)
    header_row = table.header_rows[0]
    report.header_row = header_row
    problems: list[Problem] = []
    unit_idx = next(i for i, m in columns.items() if m and m[0] == "unit")
    ind_cols: dict[int, tuple[str, str, str]] = {}
    seen_ind: dict[str, int] = {}
    for h in table.header:
        m = columns[h.index]
        if m is None:
            if h.top or h.sub:
                problems.append(Problem.make("R", "t_unknown_indicator", file=file, sheet=sheet_name, row=header_row,
                                             column=h.text, raw_value=h.text))
            elif any(not nz.is_missing(b.cells[h.index]) for b in table.body
                     if b.kind == "data" and h.index < len(b.cells)):
                problems.append(Problem.make("R", "t_blank_header", file=file, sheet=sheet_name, row=header_row,
                                             column=str(h.index + 1)))
            continue
        report.mapping[h.text or str(h.index + 1)] = m[1] if m[0] == "indicator" else m[0]
        if m[0] != "indicator":
            continue
        if m[1] in seen_ind:
            problems.append(Problem.make("R", "t_duplicate_indicator", file=file, sheet=sheet_name, row=header_row,
                                         column=h.text, other=table.header[seen_ind[m[1]]].text, canonical=m[1]))
            continue
        seen_ind[m[1]] = h.index
        ind_cols[h.index] = (m[1], m[2], h.top or h.sub)
    if problems:
        raise Rejected(problems[0], problems[1:])
    kinds = {i.name: i.kind for i in registry.indicators}
    rows, seen_units, totals = [], {}, []
    sums: dict[int, float] = {}
    for body in table.body:
        if not report.read_row(body, totals):
            continue
        raw_unit = body.cells[unit_idx] if unit_idx < len(body.cells) else ""
        text = nz.clean_text(raw_unit)
        code = text if text in units.by_code else units.resolve(text)
        if code is None:
            problems.append(Problem.make("R", "t_unknown_unit", file=file, sheet=sheet_name, row=body.number,
                                         column=table.header[unit_idx].text, raw_value=cell_text(raw_unit),
                                         suggestions="、".join(units.suggest(text)) or "-"))
            continue
        if code in seen_units:
            problems.append(Problem.make("R", "t_duplicate_unit", file=file, sheet=sheet_name, row=body.number,
                                         column=table.header[unit_idx].text, raw_value=cell_text(raw_unit),
                                         first_row=seen_units[code]))
            continue
        seen_units[code] = body.number
        report.accepted += 1
        for idx, (indicator, header_unit, label) in ind_cols.items():
            raw = body.cells[idx] if idx < len(body.cells) else ""
            default_op = "<=" if kinds.get(indicator) == "ceiling_rate" else ">="
            try:
                parsed = nz.parse_comparator(raw, default_op)
            except nz.ValueProblem:
                problems.append(Problem.make("R", "t_bad_value", file=file, sheet=sheet_name, row=body.number,
                                             column=label, raw_value=cell_text(raw)))
                continue
            if parsed is None:
                continue
            op, value, unit, note = parsed
            unit = unit or header_unit
            if kinds.get(indicator) in ("floor_rate", "ceiling_rate"):
                try:  # a rate column: 95%, ９５％, 0.95 and 95 all mean 95 points; 1 is ambiguous
                    value = nz.parse_percent(f"{value:g}%" if unit == "%" else value, "auto")
                except nz.ValueProblem:
                    problems.append(Problem.make("R", "t_bad_value", file=file, sheet=sheet_name, row=body.number,
                                                 column=label, raw_value=cell_text(raw)))
                    continue
                unit = "%"
            ind_unit = next((i.unit["zh"] for i in registry.indicators if i.name == indicator), "")
            if unit in nz.MONEY_UNITS and ind_unit in nz.MONEY_UNITS and unit != ind_unit:
                value = round(value * nz.MONEY_UNITS[unit] / nz.MONEY_UNITS[ind_unit], 6)
                unit = ind_unit
            sums[idx] = sums.get(idx, 0.0) + value
            rows.append({"year": year, "unit_code": code, "indicator": indicator, "comparator": op, "value": value,
                         "unit": unit, "note": note, "published_label": label, "source": source,
                         "effective_from": None})
    if problems:
        raise Rejected(problems[0], problems[1:])
    if not rows:
        raise reject("t_no_targets", file=file)
    for total in totals:
        for idx, (indicator, _, label) in ind_cols.items():
            if kinds.get(indicator) != "cumulative" or idx >= len(total.cells) or nz.is_missing(total.cells[idx]):
                continue
            try:
                expected = nz.parse_comparator(total.cells[idx])[1]
            except (nz.ValueProblem, TypeError):
                continue
            if abs(expected - sums.get(idx, 0.0)) > 1e-6:
                report.warnings.append(Problem.make("W", "t_total_mismatch", file=file, sheet=sheet_name,
                                                    row=total.number, column=label,
                                                    raw_value=cell_text(total.cells[idx]),
                                                    detail=f"{sums.get(idx, 0.0):g}"))
    report.quarantined = 0
    report.accepted = report.rows_read - report.skipped
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def _current(data_dir: Path, year: int) -> pd.DataFrame:
    targets = load_targets(reference_dir(data_dir))
    rows = targets[targets["year"] == year].sort_values("effective_from")
    return rows.groupby(["unit_code", "indicator"]).tail(1)


def compare(result: TargetsResult, data_dir: Path, year: int) -> pd.DataFrame:
    current = _current(data_dir, year).set_index(["unit_code", "indicator"])
    out = []
    for r in result.targets.to_dict("records"):
        key = (r["unit_code"], r["indicator"])
        if key in current.index:
            c = current.loc[key]
            same = (abs(float(c["value"]) - r["value"]) < 1e-9 and c["comparator"] == r["comparator"]
                    and c["unit"] == r["unit"] and (c["note"] or "") == (r["note"] or ""))
            out.append({**r, "current": float(c["value"]), "current_effective_from": c["effective_from"],
                        "change": "same" if same else "changed"})
        else:
            out.append({**r, "current": None, "current_effective_from": None, "change": "new"})
    return pd.DataFrame(out)


def ensure_own_reference(data_dir: Path) -> Path:
    """<data-dir>/reference/, created from the shipped reference files when the data dir has none."""
    own = Path(data_dir) / "reference"
    if not (own / "units.csv").exists():
        own.mkdir(parents=True, exist_ok=True)
        for p in SHIPPED_REFERENCE_DIR.iterdir():
            if p.is_file() and not (own / p.name).exists():
                shutil.copy2(p, own / p.name)
    return own


def _alloc_warnings(report: Report, data_dir: Path, year: int, all_rows: pd.DataFrame) -> None:
    units = load_units(reference_dir(data_dir))
    registry = load_registry()
    root = units.root()
    children = {u.code for u in units.children(root.code)}
    latest = all_rows[all_rows["year"] == year].sort_values("effective_from").groupby(
        ["unit_code", "indicator"]).tail(1)
    for ind in registry.indicators:
        if ind.kind != "cumulative":
            continue
        own = latest[(latest["unit_code"] == root.code) & (latest["indicator"] == ind.name)]
        kids = latest[latest["unit_code"].isin(children) & (latest["indicator"] == ind.name)]
        if own.empty or kids.empty:
            continue
        total, own_value = float(kids["value"].sum()), float(own["value"].iloc[0])
        if abs(total - own_value) > 1e-6:
            report.warnings.append(Problem.make("W", "t_alloc_mismatch", file=report.file, column=ind.label["zh"],
                                                raw_value=f"{own_value:g}", detail=f"{total:g}", parent=root.name))


def import_targets(data: bytes, file: str, *, year: int, data_dir: Path, effective_from: date | None = None,
                   source: str | None = None, sheet: str | None = None, write: bool = False,
                   who: str | None = None, isolated: bool = True) -> TargetsResult:
    """Parse (in a sandboxed child unless isolated=False), compare with the current targets and,
    when `write`, store the new version. status: preview | taken | noop | rejected."""
    from target_monitor.ingest import limits

    data_dir = Path(data_dir)
    lim = limits(data_dir)
    if isolated:
        result = _parse_isolated(data, file, year, data_dir, source, sheet, lim)
    else:
        result = parse_targets(data, file, year, data_dir, source=source, sheet=sheet, max_bytes=lim["max_bytes"])
    report = result.report
    report.sha256 = storage.sha256(data)
    if report.status == "rejected":
        if write:
            data_dir.mkdir(parents=True, exist_ok=True)
            storage.record_only(data_dir, report, data, who=who or "cli", declared_period=str(year))
        return result
    cmp = compare(result, data_dir, year)
    result.compare = cmp
    # New targets start on 1 January; a change to a target already imported starts today unless
    # the user says when (the old version stays in force before that date).
    has_year = bool(len(cmp)) and bool((cmp["change"] == "changed").any())
    if has_year and effective_from is None and date.today().year != year:
        # A change to a past (or future) year's targets: "from today" means nothing; ask.
        result.changed = int((cmp["change"] != "same").sum())
        if not write:  # the preview says so; storing it is refused
            report.warnings.append(Problem.make("W", "t_need_effective", file=file, year=year))
            return result
        report.status = "rejected"
        report.problems.append(Problem.make("R", "t_need_effective", file=file, year=year))
        return result
    eff = effective_from or (date(year, 1, 1) if not has_year else date.today())
    result.effective_from = eff
    result.targets["effective_from"] = eff
    changed = cmp[cmp["change"] != "same"] if len(cmp) else cmp
    result.changed = int(len(changed))
    all_rows = load_targets(reference_dir(data_dir))
    new_rows = result.targets.merge(changed[["unit_code", "indicator"]], on=["unit_code", "indicator"]) \
        if len(changed) else result.targets.iloc[0:0]
    proposed = pd.concat([all_rows, new_rows], ignore_index=True)
    _alloc_warnings(report, data_dir, year, proposed)
    if not write:
        return result
    if result.changed == 0:
        report.status = "noop"
        result.effective_from = None
        storage.record_only(data_dir, report, data, who=who or "cli", declared_period=str(year))
        return result
    own = ensure_own_reference(data_dir)
    with storage.locked(data_dir):
        current = pd.read_csv(own / "targets.csv", dtype=str, keep_default_na=False)
        keys = set(zip(new_rows["unit_code"], new_rows["indicator"], [eff.isoformat()] * len(new_rows)))
        current = current[[(str(y) != str(year)) or (u, i, e) not in keys for y, u, i, e in zip(
            current["year"], current["unit_code"], current["indicator"], current["effective_from"])]]
        out = new_rows.copy()
        out["value"] = out["value"].map(lambda v: f"{v:g}")
        out["effective_from"] = eff.isoformat()
        merged = pd.concat([current, out.astype(str)], ignore_index=True)[TARGET_COLUMNS]
        storage.write_atomic(own / "targets.csv", merged.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        storage.save_raw(data_dir, data, report.sha256, report.file_type or "bin")
    report.status = "taken"
    report.raw_file = f"raw/{report.sha256}.{report.file_type or 'bin'}"
    now = datetime.now()
    rec = storage.record(data_dir, report, who=who or "cli", declared_period=str(year), now=now)
    rec["targets_changed"] = result.changed
    rec["effective_from"] = eff.isoformat()
    storage.write_history(data_dir, rec, now)
    return result


def _parse_isolated(data, file, year, data_dir, source, sheet, lim) -> TargetsResult:
    """Parse in a child process, through the same protocol as every other upload."""
    from target_monitor.ingest.sandbox import run_child

    report = Report(file=file, size_bytes=len(data), extract="targets")

    def collect(folder: Path, payload: dict) -> TargetsResult:
        targets = pd.DataFrame(payload["targets"], columns=TARGET_COLUMNS)
        if len(targets):
            targets["year"] = targets["year"].astype(int)
            targets["value"] = targets["value"].astype(float)
            targets["note"] = targets["note"].fillna("")
        return TargetsResult(report=Report.from_json(payload["report"]), targets=targets)

    request = {"file": file, "year": year, "data_dir": str(data_dir), "source": source, "sheet": sheet,
               "max_bytes": lim["max_bytes"], "memory_mb": lim["memory_mb"]}
    result = run_child("target_monitor.targets_import", data, request, report, timeout_s=lim["timeout_s"],
                       max_bytes=lim["max_bytes"], collect=collect)
    return result if result is not None else TargetsResult(report=report)


def _child(folder: Path) -> int:
    import json

    from target_monitor.ingest.sandbox import _limit, write_result

    req = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    _limit(int(req["memory_mb"]))
    result = parse_targets((folder / "upload.bin").read_bytes(), req["file"], int(req["year"]),
                           Path(req["data_dir"]), source=req["source"], sheet=req["sheet"],
                           max_bytes=int(req["max_bytes"]))
    payload = {"report": asdict(result.report),
               "targets": json.loads(result.targets.to_json(orient="records", force_ascii=False))}
    write_result(folder, payload)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(_child(Path(sys.argv[1])))


__all__ = ["import_targets", "parse_targets", "compare", "TargetsResult"]
