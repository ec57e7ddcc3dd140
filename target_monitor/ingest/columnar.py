"""The columnar fast path for well-typed Parquet: whole columns are validated, never a Python row.

`records.parse_parquet` calls `parse_columnar` once the file's schema matches the extract. The
outcome must be exactly the row path's (`records.parse_grid` over the rows as Python values):
the same accepted rows, quarantined rows, skipped rows, problems, warnings and normalisation
notes, in the same order (tests/test_ingest_columnar.py runs both paths on the same files).
How each rule of the row path is reproduced:

- text columns (ids, person keys, unit codes/names, enums, free text): every *distinct* value
  goes once through the row path's own `Converter` (so unit aliases, unknown units with their
  suggestions, values outside the registry's list, missing tokens, NFKC/invisible characters,
  mangled ids are decided by the same code); rows take their value's outcome. High-cardinality
  id and text columns skip that for values that cannot change: printable ASCII without spaces,
  at least 5 characters (not a missing token); for those only the scientific-notation test and
  the 17-digits-plus-x upper-casing apply, as Arrow regular expressions.
- dates (date32, timestamp without time zone): missing → `required`, after today → `future`,
  outside the declared month → `outside_period`, as integer day comparisons.
- money and whole numbers: missing → `required`, bounds from ingest_rules.yaml; money rounded to
  cents exactly like Python's round(x, 2).
- rows: blank, note (填表人…) and total (合计…) rows are classified like `table.classify` (the
  first, and the first three, non-missing cells); a 合计 row is compared with the sum of the
  detail rows; duplicate keys (first occurrence wins, quarantined or not) via dictionary codes.
- quarantined rows are the only rows turned into Python values: their problems are built by
  running the row path's converter over their cells, so every message is the row path's.

Anything this path does not reproduce sends the file to the row path (`Fallback`): date64,
timestamps with a time zone, decimals, dates no Python date can hold,
whole numbers beyond 32 bits, a rule kind that does not match the column's type, or a data row
that looks like a header. FAST_PATH = False (or TARGET_MONITOR_INGEST_FAST=0 in the environment)
forces the row path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from target_monitor.ingest import normalise as nz
from target_monitor.ingest.problems import Normalisation, Problem, Report, reject
from target_monitor.ingest.read import Grid
from target_monitor.ingest.records import (ColumnRule, Converter, Parsed, arrow_schema, header_map, make_mapper)
from target_monitor.ingest.records import cap_problems
from target_monitor.ingest.table import NOTE_PREFIXES, TOTAL_WORDS, cell_text, clean_header, locate
from target_monitor.reference import Units
from target_monitor.registry import Extract

FAST_PATH = os.environ.get("TARGET_MONITOR_INGEST_FAST", "1") != "0"  # 0: every Parquet file takes the row path

EPOCH = date(1970, 1, 1)
DAY_MIN, DAY_MAX = (date.min - EPOCH).days, (date.max - EPOCH).days
PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
INT32_MAX = 2**31 - 1
# normalise.parse_id on printable ASCII: these are `_SCI_RE` and the person-key pattern with \d = [0-9]
SCI_ASCII = r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$"
PERSON_X_ASCII = r"^[0-9]{17}x$"
STRING_KINDS = ("id", "person_id", "unit", "enum", "text")
# kinds whose converter keeps a plain printable ASCII value as it is (no lookup against a list)
PLAIN_KINDS = ("id", "person_id", "text")
TRIVIAL_MIN_BYTES = 5  # longer than every missing token (n/a, null, none, #n/a, ——)


class Fallback(Exception):
    """This file needs the row path."""


@dataclass
class Column:
    """One canonical column, converted: values in the canonical Arrow type (null where missing or
    a problem), and per row: missing, problem, and (text columns) whether the cell would start a
    note row / mark a total row."""

    name: str
    kind: str
    values: pa.Array | None  # None while `lazy` holds (distinct values, index per row)
    missing: np.ndarray
    problem: np.ndarray
    note: np.ndarray | None = None
    total: np.ndarray | None = None
    notes: dict = field(default_factory=dict)  # kind -> (row mask, order in the call, example raw/value per row)
    lazy: tuple | None = None

    def array(self) -> pa.Array:
        if self.values is None:
            distinct, idx = self.lazy
            self.values = distinct.take(pa.array(idx))
        return self.values

    def rows(self, mask: np.ndarray) -> pa.Array:
        """The converted values of the rows in `mask`."""
        if self.values is None:
            distinct, idx = self.lazy
            return distinct.take(pa.array(idx[mask]))
        return self.values.filter(pa.array(mask))


def parse_columnar(table: pa.Table, ext: Extract, rules: dict[str, ColumnRule], units: Units, report: Report,
                   period: tuple[int, int] | None, today: date) -> Parsed | None:
    """The Parsed the row path would return for this table, or None when the file needs the row path."""
    if not FAST_PATH:
        return None
    try:
        return _parse(table, ext, rules, units, report, period, today)
    except Fallback:
        return None


def _parse(table, ext, rules, units, report, period, today) -> Parsed:
    cols = list(ext.column_names)
    names = table.schema.names
    if len(set(names)) != len(names):
        raise Fallback
    table = table.select(cols)
    _check_header(table, ext)
    n = table.num_rows
    file = report.file
    conv = Converter(ext, rules, units, today)
    columns = [_column(c, table.column(c), ext, rules[c], conv, today) for c in cols]

    # rows: blank, note and total rows are skipped by rule (as table.classify), the rest is data
    seen = np.zeros(n, dtype=np.int64)  # non-missing cells before this column
    is_note = np.zeros(n, dtype=bool)
    is_total = np.zeros(n, dtype=bool)
    for col in columns:
        present = ~col.missing
        if col.note is not None:
            is_note |= present & (seen == 0) & col.note
            is_total |= present & (seen < 3) & col.total
        seen += present
    is_blank = seen == 0
    is_total &= ~is_note
    data = ~(is_blank | is_note | is_total)

    report.header_row = 1
    report.mapping.update({c: c for c in cols})
    if not data.any():
        raise reject("no_rows", file=file, sheet="")

    # row-level rules, on the data rows
    by_name = {c.name: c for c in columns}
    bad = np.zeros(n, dtype=bool)
    for col in columns:
        bad |= col.problem
    outside = np.zeros(n, dtype=bool)
    if period:
        day_col = by_name[ext.partition_date]
        first = (date(period[0], period[1], 1) - EPOCH).days
        nxt = date(period[0] + period[1] // 12, period[1] % 12 + 1, 1)
        days = _days(day_col.array())
        outside = _valid(day_col.array()) & ((days < first) | (days >= (nxt - EPOCH).days))
    dup, first_row = _duplicates(by_name[ext.key].array(), data)
    bad |= _over_caps(by_name, rules)
    bad = data & (bad | outside | dup)
    accepted = data & ~bad

    # everything the report says, in the row path's order; the report changes only at the end
    skipped = []
    for mask, name in ((is_blank, "blank"), (is_note, "note"), (is_total, "total")):
        hits = np.flatnonzero(mask)
        if len(hits):
            skipped.append((int(hits[0]), name, len(hits)))
    problems, quarantine = _quarantine(table, ext, rules, units, today, period, columns, np.flatnonzero(bad),
                                       dup, first_row, outside, file)
    warnings = _total_checks(table, ext, columns, np.flatnonzero(is_total), data, file)
    normalised = _normalised(columns, data)

    report.rows_read += n
    report.skipped += n - int(data.sum())
    for _, name, count in sorted(skipped):
        report.skipped_by_rule[name] = report.skipped_by_rule.get(name, 0) + count
    report.quarantined += len(quarantine)
    report.accepted += int(accepted.sum())
    report.problems.extend(problems)
    report.warnings.extend(warnings)
    report.normalised.extend(normalised)

    arrays = [c.rows(accepted) for c in columns] + [pa.array(np.flatnonzero(accepted) + 2, pa.int64())]
    out = pa.Table.from_arrays(arrays, schema=arrow_schema(ext, row=True))
    return Parsed(report=report, table=out, quarantine=quarantine, source_headers=cols)


# --------------------------------------------------------------------------- header


def _check_header(table: pa.Table, ext: Extract) -> None:
    """The row path picks the header by how many cells of the first rows map to a column: make
    sure it picks the column names (a data row made of column names could win there)."""
    cols = list(ext.column_names)
    probe = table.slice(0, 26).to_pylist()
    grid = Grid(rows=[list(cols), *[[r[c] for c in cols] for r in probe]], numbers=list(range(1, len(probe) + 2)))
    aliases = [{"extract": ext.name, "column": c, "alias": c, "value_unit": ""} for c in cols]
    found = locate(grid, make_mapper(header_map(aliases, ext)))
    if found is None or found.header_rows != [1] or [h.text for h in found.header] != cols:
        raise Fallback


# --------------------------------------------------------------------------- columns


def _valid(arr: pa.Array) -> np.ndarray:
    return arr.is_valid().to_numpy(zero_copy_only=False)


def _column(name: str, arr: pa.ChunkedArray, ext: Extract, rule: ColumnRule, conv: Converter, today: date) -> Column:
    typ = ext.column(name).type
    atype = arr.type
    if pa.types.is_dictionary(atype) and typ != "VARCHAR":
        raise Fallback
    if typ == "VARCHAR" and rule.kind in STRING_KINDS:
        return _text_column(name, arr, rule, conv)
    if typ == "DATE" and rule.kind == "date":
        return _date_column(name, arr.combine_chunks(), rule, today)
    if typ == "DOUBLE" and rule.kind == "money":
        return _money_column(name, arr.combine_chunks(), rule)
    if typ in ("INTEGER", "BIGINT") and rule.kind == "int":
        return _int_column(name, arr.combine_chunks(), rule, typ)
    raise Fallback


def _as_string(arr: pa.Array) -> pa.Array:
    """Plain `string` (32-bit offsets): large_string and string_view are cast."""
    if pa.types.is_string(arr.type):
        return arr
    try:
        return arr.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # over 2 GB of text
        raise Fallback from None


def _text_column(name: str, chunked: pa.ChunkedArray, rule: ColumnRule, conv: Converter) -> Column:
    if pa.types.is_dictionary(chunked.type) and chunked.num_chunks > 1:  # one dictionary per row group
        chunked = pa.table({name: chunked}).unify_dictionaries().column(0)
        chunked = pa.chunked_array([chunked.combine_chunks()]) if chunked.num_chunks else chunked
    if pa.types.is_dictionary(chunked.type) and chunked.num_chunks == 1:
        arr = chunked.chunk(0)  # convert each dictionary value once, then every row takes its value's outcome
        dictionary = pa.concat_arrays([_as_string(arr.dictionary), pa.nulls(1, pa.string())])
        idx = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        idx[idx < 0] = len(dictionary) - 1
        return _expand(_convert_text(name, rule, conv, dictionary), idx)
    if pa.types.is_dictionary(chunked.type):
        chunked = chunked.cast(chunked.type.value_type)
    return _convert_text(name, rule, conv, _as_string(chunked.combine_chunks()))


def _expand(col: Column, idx: np.ndarray) -> Column:
    out = Column(col.name, col.kind, None, col.missing[idx], col.problem[idx], col.note[idx], col.total[idx],
                 lazy=(col.array(), idx))
    for kind, (rows, orders, examples, which) in col.notes.items():
        out.notes[kind] = (rows[idx], orders, examples, which[idx])
    return out


@dataclass
class _Distinct:
    """The row path's outcome for each distinct cell value of a column."""

    values: list
    missing: np.ndarray
    problem: np.ndarray
    note: np.ndarray
    total: np.ndarray
    notes: dict  # kind -> (has: bool per value, order: position among the converter's notes, examples (raw, value))


def _shape_ok(arr: pa.Array, shape: str | None) -> np.ndarray:
    """Which person keys have their declared shape (nz.person_key_ok, vectorised: a regex, or an ID
    number's form here and its check digit per distinct value)."""
    if shape == "id_number":
        form = pc.fill_null(pc.match_substring_regex(arr, r"^[0-9]{17}[0-9X]$"), False).to_numpy(zero_copy_only=False)
        ok = form.copy()
        if form.any():
            enc = pc.dictionary_encode(arr.filter(pa.array(form)))
            good = np.array([nz.id_number_ok(v) for v in enc.dictionary.to_pylist()], dtype=bool)
            ok[form] = good[enc.indices.to_numpy(zero_copy_only=False)]
        return ok
    pattern = "^(?:" + (shape or nz.DEFAULT_PERSON_KEY) + ")$"
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False)


def _distinct(name: str, conv: Converter, values: list) -> _Distinct:
    m = len(values)
    out = _Distinct([None] * m, np.zeros(m, bool), np.zeros(m, bool), np.zeros(m, bool), np.zeros(m, bool), {})
    saved = conv.changes
    try:
        for i, v in enumerate(values):
            if nz.is_missing(v):
                out.missing[i] = True
            else:  # as table.classify sees the cell
                text = clean_header(v)
                out.note[i] = text.startswith(NOTE_PREFIXES)
                out.total[i] = text in TOTAL_WORDS or text.startswith(("合计", "总计"))
            conv.changes = {}
            try:
                out.values[i] = conv.convert(name, v, "")
            except nz.ValueProblem:
                out.problem[i] = True
            for order, ((_, kind), (_, ex_raw, ex_value)) in enumerate(conv.changes.items()):
                has, orders, examples = out.notes.setdefault(kind, (np.zeros(m, bool), np.zeros(m, np.int64),
                                                                    [None] * m))
                has[i], orders[i], examples[i] = True, order, (ex_raw, ex_value)
    finally:
        conv.changes = saved
    return out


def _kept_as_is(arr: pa.Array) -> np.ndarray:
    """Values the converter returns unchanged whatever the kind's own rule: printable ASCII, no
    space, at least five bytes (so never a missing token, never NFKC- or whitespace-changed, never
    a note or total word)."""
    n = len(arr)
    out = _valid(arr)
    if not n:
        return out
    offsets, body = _offsets(arr)
    out &= np.diff(offsets) >= TRIVIAL_MIN_BYTES
    if offsets[-1] > offsets[0]:
        region = body[offsets[0]:offsets[-1]]
        out &= _per_value_count(offsets, (region < 0x21) | (region > 0x7E)) == 0
    return out


def _per_value_count(offsets: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """How many of each value's bytes are `hit` (a mask over the bytes from offsets[0] on): one
    running sum over the bytes, read at the value boundaries. Chinese text makes nearly every byte
    a hit, so finding each hit's value (searchsorted + unique over millions) cost seconds a month."""
    running = np.zeros(len(hit) + 1, dtype=np.int32)  # a string array holds < 2**31 bytes
    np.cumsum(hit, out=running[1:])
    at = offsets - offsets[0]
    return running[at[1:]] - running[at[:-1]]


def _offsets(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array, offsets shifted to index into the bytes returned."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset:arr.offset + len(arr) + 1].astype(np.int64)
    body = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return offsets, body


def _starts_with_digit_and_has_e(arr: pa.Array) -> np.ndarray:
    """Non-empty values whose first byte is 0-9 and that hold an e or E somewhere."""
    n = len(arr)
    offsets, body = _offsets(arr)
    out = np.zeros(n, dtype=bool)
    if not n or offsets[-1] == offsets[0]:
        return out
    nonempty = np.diff(offsets) > 0
    first = np.zeros(n, dtype=np.uint8)
    first[nonempty] = body[offsets[:-1][nonempty]]
    digit = (first >= 0x30) & (first <= 0x39)
    if not digit.any():
        return out
    region = body[offsets[0]:offsets[-1]]
    return (_per_value_count(offsets, (region == 0x65) | (region == 0x45)) > 0) & digit


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False)


def _convert_text(name: str, rule: ColumnRule, conv: Converter, arr: pa.Array) -> Column:
    """Every element of a text array converted as the row path converts the cell."""
    n = len(arr)
    plain = _kept_as_is(arr)
    values_list = conv.ext.column(name).values
    if rule.kind == "unit":  # a known unit code is the value; names and aliases go through the converter
        plain &= pc.fill_null(pc.is_in(arr, value_set=_unit_codes(conv.units)), False).to_numpy(zero_copy_only=False)
    elif rule.kind == "enum" and values_list:
        plain &= pc.fill_null(pc.is_in(arr, value_set=pa.array(list(values_list), pa.string())), False).to_numpy(
            zero_copy_only=False)
    values = arr
    problem = np.zeros(n, dtype=bool)
    if rule.kind in ("id", "person_id") and plain.any():
        sci = plain & _starts_with_digit_and_has_e(arr)  # only those can be 5.00107E+17 (id_mangled)
        if sci.any():
            problem = sci & _matches(arr, SCI_ASCII)
        if rule.kind == "person_id":
            upper = plain & pc.fill_null(pc.ends_with(arr, "x"), False).to_numpy(zero_copy_only=False)
            if upper.any() and (upper := upper & _matches(arr, PERSON_X_ASCII)).any():
                values = pc.if_else(pa.array(upper), pc.utf8_upper(arr), arr)
            # a key not of its declared shape goes through the converter, which quarantines it
            plain &= _shape_ok(values, rule.shape)
    col = Column(name, rule.kind, values, np.zeros(n, bool), problem, np.zeros(n, bool), np.zeros(n, bool))
    special = ~plain
    if special.any():  # every other value once through the row path's converter
        sub = pc.dictionary_encode(arr.filter(pa.array(special)), null_encoding="encode")
        d = _distinct(name, conv, sub.dictionary.to_pylist())
        idx = sub.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        col.missing[special] = d.missing[idx]
        col.problem[special] = d.problem[idx]
        col.note[special] = d.note[idx]
        col.total[special] = d.total[idx]
        col.values = pc.replace_with_mask(values, pa.array(special),
                                          pa.array(d.values, pa.string()).take(pa.array(idx)))
        which = np.zeros(n, dtype=np.int64)
        which[special] = idx
        for kind, (has, orders, examples) in d.notes.items():
            col.notes[kind] = (special & has[which], orders, examples, which)
    if col.problem.any():
        col.values = pc.if_else(pa.array(col.problem), pa.scalar(None, pa.string()), col.values)
    return col


_CODES: list = [None, None]  # the last Units seen and its codes as Arrow


def _unit_codes(units: Units) -> pa.Array:
    if _CODES[0] is not units:
        _CODES[:] = [units, pa.array(list(units.by_code), pa.string())]
    return _CODES[1]


def _date_column(name: str, arr: pa.Array, rule: ColumnRule, today: date) -> Column:
    atype = arr.type
    valid = _valid(arr)
    if pa.types.is_date32(atype):
        days = pc.fill_null(arr.cast(pa.int32()), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    elif pa.types.is_timestamp(atype) and atype.tz is None:
        ticks = pc.fill_null(arr.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        days = np.floor_divide(ticks, PER_DAY[atype.unit])  # datetime.date() of the wall time
    else:
        raise Fallback  # date64, time zones: the row path
    if valid.any() and (days[valid].min() < DAY_MIN or days[valid].max() > DAY_MAX):
        raise Fallback
    missing = ~valid
    future = valid & (days > (today - EPOCH).days)
    if rule.earliest is not None:  # before the first year of the unit tree: quarantined as the row path does
        future |= valid & (days < (rule.earliest - EPOCH).days)
    problem = future | (missing & rule.required)
    values = pa.array(days.astype(np.int32), pa.int32(), mask=~valid | problem).cast(pa.date32())
    return Column(name, rule.kind, values, missing, problem)


def _bounds(value: np.ndarray, rule: ColumnRule) -> np.ndarray:
    out = np.zeros(len(value), dtype=bool)
    if rule.min is not None:
        out |= value < rule.min
    if rule.max is not None:
        out |= value > rule.max
    return out


def _money_column(name: str, arr: pa.Array, rule: ColumnRule) -> Column:
    if not (pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type)) or pa.types.is_float16(arr.type):
        raise Fallback  # decimals: the row path
    x = pc.fill_null(arr.cast(pa.float64(), safe=False), 0.0).to_numpy(zero_copy_only=False)
    valid = _valid(arr) & ~np.isnan(x)  # NaN is a missing value, as normalise.is_missing says
    # round(x, 2) as Python does it: x when x is the nearest double to a number of cents
    cents = np.round(x * 100) / 100
    value = x.copy()
    for i in np.flatnonzero(valid & ~((cents == x) & (np.abs(x) < 1e12))):
        value[i] = round(float(x[i]), 2)
    missing = ~valid
    problem = (valid & _bounds(value, rule)) | (missing & rule.required)
    return Column(name, rule.kind, pa.array(value, pa.float64(), mask=~valid | problem), missing, problem)


def _int_column(name: str, arr: pa.Array, rule: ColumnRule, typ: str) -> Column:
    if not pa.types.is_integer(arr.type):
        raise Fallback
    valid = _valid(arr)
    v = pc.fill_null(arr.cast(pa.int64(), safe=False), 0).to_numpy(zero_copy_only=False)
    if ((v > INT32_MAX) | (v < -INT32_MAX)).any():
        raise Fallback
    missing = ~valid
    problem = (valid & _bounds(v, rule)) | (missing & rule.required)
    arrow_type = pa.int32() if typ == "INTEGER" else pa.int64()
    return Column(name, rule.kind, pa.array(v, arrow_type, mask=~valid | problem), missing, problem)


def _days(values: pa.Array) -> np.ndarray:
    return pc.fill_null(values.cast(pa.int32()), 0).to_numpy(zero_copy_only=False).astype(np.int64)


# --------------------------------------------------------------------------- rows


def _duplicates(keys: pa.Array, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Data rows whose key an earlier data row already had (quarantined or not), and that row's index."""
    n = len(keys)
    dup = np.zeros(n, dtype=bool)
    first_row = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(data)
    subset = keys if len(rows) == n else keys.filter(pa.array(data))
    if subset.null_count == 0 and len(subset) > 1 and pa.types.is_string(subset.type) and \
            pc.all(pc.less(subset.slice(0, len(subset) - 1), subset.slice(1))).as_py():
        return dup, first_row  # strictly increasing (an export sorted by id): every key once
    enc = pc.dictionary_encode(subset)
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    if not len(codes) or (codes >= 0).sum() == len(enc.dictionary):
        return dup, first_row  # every key once
    # codes are handed out in order of first appearance: a row is first when its code is new
    before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    first = (codes >= 0) & (codes > before)
    firsts = np.flatnonzero(first)
    if not np.array_equal(codes[firsts], np.arange(len(firsts))):
        raise Fallback
    again = (codes >= 0) & ~first
    dup[rows[again]] = True
    first_row[rows[again]] = rows[firsts[codes[again]]]
    return dup, first_row


def _quarantine(table, ext, rules, units, today, period, columns, bad_rows, dup, first_row, outside, file):
    """Problems of the quarantined rows, built as validate_rows builds them (those rows only)."""
    problems, quarantine = [], []
    if not len(bad_rows):
        return problems, quarantine
    cols = list(ext.column_names)
    conv = Converter(ext, rules, units, today)  # its notes are not kept: the columns counted them
    raw_rows = table.take(pa.array(bad_rows)).to_pylist()
    key_pos = cols.index(ext.key)
    for i, raw in zip(bad_rows.tolist(), raw_rows):
        number = i + 2
        cells = [raw[c] for c in cols]
        record, row_problems, failed = {}, [], []
        for pos, c in enumerate(cols):
            try:
                record[c] = conv.convert(c, cells[pos], "")
            except nz.ValueProblem as vp:
                record[c] = None
                failed.append(pos)
                row_problems.append(Problem.make("Q", vp.code, file=file, sheet="", row=number, column=c,
                                                 raw_value=cell_text(cells[pos]), **vp.values))
        if failed != [pos for pos, col in enumerate(columns) if col.problem[i]]:
            raise Fallback  # the columns and the converter disagree: let the row path decide
        day = record.get(ext.partition_date)
        if period and isinstance(day, date) and (day.year, day.month) != period:
            if not outside[i]:
                raise Fallback
            row_problems.append(Problem.make("Q", "outside_period", file=file, sheet="", row=number,
                                             column=ext.partition_date,
                                             raw_value=cell_text(cells[cols.index(ext.partition_date)]),
                                             period=f"{period[0]}-{period[1]:02d}"))
        row_problems.extend(cap_problems(record, rules, file, "", number, lambda c: c))
        key = record.get(ext.key)
        if dup[i]:
            if key is None:
                raise Fallback
            row_problems.append(Problem.make("Q", "duplicate", file=file, sheet="", row=number, column=cols[key_pos],
                                             raw_value=str(key), first_row=int(first_row[i]) + 2))
        if not row_problems:
            raise Fallback
        problems.extend(row_problems)
        quarantine.append({"row": number, "problems": row_problems, "cells": {c: cell_text(v) for c, v in
                                                                             zip(cols, cells)}})
    return problems, quarantine


def _over_caps(by_name: dict, rules: dict) -> np.ndarray:
    """Rows whose value is over the cap of their kind (ingest_rules.yaml cap_by/caps), as the row path judges."""
    n = len(next(iter(by_name.values())).array())
    out = np.zeros(n, dtype=bool)
    for column, rule in rules.items():
        if not rule.cap_by:
            continue
        values = by_name[column].array().to_pylist()
        others = by_name[rule.cap_by].array().to_pylist()
        for i, (v, o) in enumerate(zip(values, others)):
            cap = rule.cap_for(o)
            if v is not None and cap is not None and v > cap:
                out[i] = True
    return out


def _total_checks(table, ext, columns, total_rows, data, file) -> list[Problem]:
    """The 合计 row is a checksum: compare it with the sum of the detail rows' money, column by column."""
    warnings: list[Problem] = []
    money = [c for c in columns if c.kind == "money"]
    if not len(total_rows) or not money:
        return warnings
    sums = {}
    for col in money:
        ok = data & ~col.missing & ~col.problem
        values = col.rows(ok).to_numpy(zero_copy_only=False)
        sums[col.name] = float(np.cumsum(values)[-1]) if len(values) else 0.0  # added in row order, as the row path
    for i, raw in zip(total_rows.tolist(), table.take(pa.array(total_rows)).to_pylist()):
        for col in money:
            cell = raw[col.name]
            if nz.is_missing(cell):
                continue
            try:
                expected = nz.parse_money(cell, "元")
            except nz.ValueProblem:
                continue
            got = round(sums[col.name], 2)
            if abs(expected - got) > 0.005:
                warnings.append(Problem.make("W", "total_mismatch", file=file, sheet="", row=i + 2, column=col.name,
                                             raw_value=cell_text(cell), detail=f"{got:g}"))
    return warnings


def _normalised(columns: list[Column], data: np.ndarray) -> list[Normalisation]:
    """The converter's notes over the data rows, ordered by where each first occurred."""
    found = []
    for pos, col in enumerate(columns):
        for kind, (rows, orders, examples, idx) in col.notes.items():
            hits = np.flatnonzero(rows & data)
            if not len(hits):
                continue
            first = int(hits[0])
            value = int(idx[first])
            ex_raw, ex_value = examples[value]
            found.append(((first, pos, int(orders[value])), Normalisation(col.name, kind, len(hits), ex_raw, ex_value)))
    return [n for _, n in sorted(found, key=lambda x: x[0])]
