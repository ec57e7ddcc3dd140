"""The columnar fast path for Parquet (ingest/columnar.py) gives exactly the row path's outcome.

Every input is parsed twice, once with the fast path and once with it switched off (the row
path: Python values, the per-cell converter), and the two must agree on everything: the report
(counts, skipped rows by rule, problems with their messages and order, warnings, normalisation
notes), the quarantined rows and the accepted rows; then both are stored over the same existing
partitions and the stored files and revisions must be the same. Inputs: one good and one bad
file per kind of bad value, several Arrow encodings of the same values, and seeded random files
mixing them. Inputs the fast path does not handle (NaN, decimals, date64, time zones) must be
sent to the row path, and still agree.
"""

from __future__ import annotations

import random
from collections import Counter
import shutil
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from make_fixtures import parquet_bytes
from target_monitor.tables_delta import committed_files, read_partition
from target_monitor.ingest import columnar, storage
from target_monitor.ingest.pipeline import parse_upload
from target_monitor.registry import load_registry

TODAY = date(2020, 12, 31)
UNITS = ["500107-01", "500107-02", "500107-09", "500107-13"]
GROUPS = ["高校毕业生", "就业困难人员", "失业人员再就业", "农村劳动力", "退役军人", "其他"]
FORMS = ["单位就业", "灵活就业", "自主创业"]
TRAINING = ["就业技能培训", "岗位技能提升培训", "创业培训"]


@pytest.fixture
def spy(monkeypatch):
    """Which files the fast path took (True) or sent to the row path (False)."""
    calls = []
    real = columnar.parse_columnar

    def wrapped(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(columnar, "parse_columnar", wrapped)
    return calls


def both(data: bytes, extract: str, period: str | None, data_dir: Path, monkeypatch, name="upload.parquet"):
    monkeypatch.setattr(columnar, "FAST_PATH", True)
    fast = parse_upload(data, name, extract, period, None, data_dir, today=TODAY)
    monkeypatch.setattr(columnar, "FAST_PATH", False)
    rows = parse_upload(data, name, extract, period, None, data_dir, today=TODAY)
    monkeypatch.setattr(columnar, "FAST_PATH", True)
    return fast, rows


def assert_same(fast, rows, extract: str) -> None:
    a, b = asdict(fast.report), asdict(rows.report)
    assert a == b
    assert list(a["skipped_by_rule"].items()) == list(b["skipped_by_rule"].items())
    assert list(a["mapping"].items()) == list(b["mapping"].items())
    assert [(q["row"], q["cells"], [asdict(p) for p in q["problems"]]) for q in fast.quarantine] == \
        [(q["row"], q["cells"], [asdict(p) for p in q["problems"]]) for q in rows.quarantine]
    assert fast.source_headers == rows.source_headers
    r = fast.report
    assert r.rows_read == r.accepted + r.quarantined + r.skipped
    if r.status == "rejected":
        return
    ext = load_registry().extracts[extract]
    ta, tb = fast.accepted_table(ext), rows.accepted_table(ext)
    assert ta.schema == tb.schema and ta.equals(tb), (ta.to_pandas().head(), tb.to_pandas().head())
    pd.testing.assert_frame_equal(fast.accepted, rows.accepted)


def check(table: pa.Table, extract: str, period: str | None, tmp_path: Path, monkeypatch, spy,
          fast_expected: bool = True, **write):
    data = _pq(table, **write)
    spy.clear()
    fast, rows = both(data, extract, period, tmp_path / "d", monkeypatch)
    assert_same(fast, rows, extract)
    assert spy == [fast_expected, False] or (fast.report.status == "rejected" and not spy[1:]), spy
    return fast


def _pq(table: pa.Table, **write) -> bytes:
    if not write:
        return parquet_bytes(table)
    import io

    buf = io.BytesIO()
    pq.write_table(table, buf, **write)
    return buf.getvalue()


# --------------------------------------------------------------------------- inputs


def ne_table(rows: list[list], *, dictionary=False, large=False, date_type=None) -> pa.Table:
    cols = list(zip(*rows)) if rows else [[] for _ in range(6)]
    string = pa.large_string() if large else pa.string()
    day = date_type or pa.date32()

    def text(values):
        arr = pa.array(list(values), string)
        return arr.dictionary_encode() if dictionary else arr

    days = list(cols[3])
    if pa.types.is_timestamp(day):
        days = [datetime(d.year, d.month, d.day, 9, 30) if isinstance(d, date) else d for d in days]
    return pa.table({"record_id": text(cols[0]), "unit_code": text(cols[1]), "person_key": text(cols[2]),
                     "employed_on": pa.array(days, day), "group": text(cols[4]), "form": text(cols[5])})


def ne_good(n: int, seed=1, month=3) -> list[list]:
    rng = random.Random(seed)
    return [[f"NE2020-{i:06d}", rng.choice(UNITS), f"500107{rng.randint(10**11, 10**12 - 1)}",
             date(2020, month, rng.randint(1, 28)), rng.choice(GROUPS), rng.choice(FORMS)] for i in range(n)]


NE_BAD = {  # one kind of bad (or odd) value per entry: (row index in a 12-row file, column, value)
    "null required id": [(1, 0, None)],
    "null unit": [(2, 1, None)],
    "empty string unit": [(2, 1, "")],
    "missing token unit": [(2, 1, "—")],
    "missing token optional-looking": [(3, 2, "null")],
    "unknown unit code": [(4, 1, "500107-99")],
    "unit by name": [(5, 1, "区就业局")],
    "unit by alias": [(5, 1, "杨家坪"), (7, 1, "九龙镇人民政府")],
    "unit unknown name": [(6, 1, "杨家坪社区")],
    "unit full-width brackets": [(6, 1, "（九龙镇）")],
    "unit with spaces": [(6, 1, " 区就业局 "), (8, 1, "500107-90 ")],
    "enum outside list": [(3, 4, "外来务工人员")],
    "enum with invisible char": [(3, 5, "灵活就业\u200b")],
    "date null": [(4, 3, None)],
    "future date": [(4, 3, date(2021, 3, 1))],
    "outside period": [(5, 3, date(2020, 7, 15)), (6, 3, date(2019, 3, 15))],
    "duplicate ids": [(6, 0, "NE2020-000001"), (9, 0, "NE2020-000001")],
    "duplicate of a quarantined row": [(2, 1, "火星镇"), (8, 0, "NE2020-000002")],
    "duplicate after space removal": [(8, 0, "NE2020 000003"), (9, 0, "NE2020000003"), (10, 0, "NE2020000003")],
    "person key mangled": [(2, 2, "5.00107E+17"), (3, 2, "5e17")],
    "person key lower x": [(3, 2, "50010719900101123x"), (4, 2, "50010719900101123X")],
    "full-width id": [(3, 0, "ＮＥ２０２０－９９"), (4, 2, "５００１０７１９９００１０１１２３４")],
    "short ids": [(3, 0, "A1"), (4, 0, "-"), (5, 0, "na"), (6, 0, "NaN")],
    "note row": [(10, 0, "填表人：张三"), *[(10, c, None) for c in range(1, 6)]],
    "note row with a date": [(10, 0, "备注：以上为3月数据"), (10, 1, None), (10, 2, None)],
    "total row": [(11, 0, "合计"), *[(11, c, None) for c in range(1, 6)]],
    "total in the third cell": [(11, 0, None), (11, 1, None), (11, 2, "小计")],
    "blank row": [(7, c, None) for c in range(6)],
    "blank strings row": [(7, c, "" if c != 3 else None) for c in range(6)],
    "a value that is a column name": [(0, 4, "group"), (0, 5, "form")],
    "every row bad": [(i, 1, "火星镇") for i in range(12)],
}


@pytest.mark.parametrize("case", list(NE_BAD))
def test_each_kind_of_bad_value_gets_the_row_paths_outcome(case, tmp_path, monkeypatch, spy):
    rows = ne_good(12)
    for r, c, v in NE_BAD[case]:
        rows[r][c] = v
    for kw in ({}, {"dictionary": True}):
        fast = check(ne_table(rows, **kw), "new_employment", "2020-03", tmp_path, monkeypatch, spy)
    good = parse_upload(parquet_bytes(ne_table(ne_good(12))), "upload.parquet", "new_employment", "2020-03", None,
                        tmp_path / "d", today=TODAY)
    ext = load_registry().extracts["new_employment"]
    assert fast.report.status == "rejected" or (fast.report.quarantined, fast.report.skipped, fast.report.normalised) \
        != (0, 0, []) or not fast.accepted_table(ext).equals(good.accepted_table(ext))  # the case did something


def test_good_file_every_encoding(tmp_path, monkeypatch, spy):
    rows = ne_good(300)
    for kw in ({}, {"dictionary": True}, {"large": True}, {"date_type": pa.timestamp("us")},
               {"date_type": pa.timestamp("ns")}, {"date_type": pa.timestamp("s")}):
        fast = check(ne_table(rows, **kw), "new_employment", "2020-03", tmp_path, monkeypatch, spy)
        assert (fast.report.accepted, fast.report.quarantined) == (300, 0)
    # several row groups (several chunks per column, dictionaries per chunk)
    for kw in ({}, {"dictionary": True}):
        fast = check(ne_table(rows, **kw), "new_employment", None, tmp_path, monkeypatch, spy, row_group_size=37)
        assert fast.report.accepted == 300


def test_empty_and_all_skipped_files_are_rejected_alike(tmp_path, monkeypatch, spy):
    check(ne_table([]), "new_employment", "2020-03", tmp_path, monkeypatch, spy)
    only_total = [["合计", None, None, None, None, None], [None] * 6]
    fast = check(ne_table(only_total), "new_employment", "2020-03", tmp_path, monkeypatch, spy)
    assert fast.report.status == "rejected" and fast.report.problems[0].code == "no_rows"


def loans_table(rows: list[list], amount_type=pa.float64()) -> pa.Table:
    cols = list(zip(*rows))
    return pa.table({"loan_id": pa.array(cols[0], pa.string()), "unit_code": pa.array(cols[1], pa.string()),
                     "borrower_type": pa.array(cols[2], pa.string()), "disbursed_on": pa.array(cols[3], pa.date32()),
                     "amount_yuan": pa.array(cols[4], amount_type), "bank": pa.array(cols[5], pa.string())})


def loans_good(n: int, seed=2) -> list[list]:
    rng = random.Random(seed)
    return [[f"LN2020-{i:05d}", rng.choice(UNITS), rng.choice(["个人", "小微企业"]), date(2020, 3, rng.randint(1, 28)),
             float(rng.choice([100000, 150000, 200000])), rng.choice(["中国建设银行", None, "=HYPERLINK(1)"])]
            for i in range(n)]


def test_money_bounds_rounding_and_the_total_row(tmp_path, monkeypatch, spy):
    rows = loans_good(10)
    rows[1][4] = -5.0
    rows[2][4] = 6_000_000.0
    rows[3][4] = None
    rows[4][4] = 1234.125  # round(x, 2) is Python's
    rows[5][4] = 0.105
    rows[6][4] = 2.675
    rows[7][4] = 1.0
    rows[8][4] = float("nan")  # missing, like a blank cell
    rows[9][4] = float("inf")
    for total in (sum(r[4] for r in rows if isinstance(r[4], float) and 1 <= r[4] <= 5_000_000), 123.0):
        with_total = rows + [["合计", None, None, None, total, None]]
        fast = check(loans_table(with_total), "loans", "2020-03", tmp_path, monkeypatch, spy)
    assert {p.code for p in fast.report.problems} == {"bounds", "required"}
    assert [w.code for w in fast.report.warnings] == ["total_mismatch"]
    good = loans_good(10)
    for typ in (pa.float32(), pa.int64(), pa.int32()):
        check(loans_table([r[:4] + [int(r[4])] + r[5:] for r in good], typ), "loans", "2020-03", tmp_path,
              monkeypatch, spy)


def test_training_optional_subsidy_and_graduates_years(tmp_path, monkeypatch, spy):
    rng = random.Random(3)
    tr = pa.table({"record_id": [f"TR-{i:05d}" for i in range(8)], "unit_code": [rng.choice(UNITS) for _ in range(8)],
                   "person_key": [f"500107199001{i:06d}" for i in range(8)],
                   "completed_on": pa.array([date(2020, 3, 2 + i) for i in range(8)], pa.date32()),
                   "training_type": [rng.choice(TRAINING) for _ in range(8)],
                   "subsidy_yuan": pa.array([1000.0, None, -1.0, 20001.0, 20000.0, float("nan"), 1500.5, None],
                                            pa.float64())})
    check(tr, "training", "2020-03", tmp_path, monkeypatch, spy)
    gr = pa.table({"graduate_key": [f"G{i:05d}" for i in range(7)], "unit_code": UNITS + UNITS[:3],
                   "cohort_year": pa.array([2020, 1999, None, 2100, 2101, 2020, 2019], pa.int16()),
                   "registered_on": pa.array([date(2020, 3, 1)] * 6 + [None], pa.date32()),
                   "employed_on": pa.array([None, date(2020, 5, 1), None, None, date(2021, 5, 1), None, None],
                                           pa.date32())})
    for typ in (pa.int16(), pa.int32(), pa.int64()):
        check(gr.set_column(2, "cohort_year", gr.column("cohort_year").cast(typ)), "graduates", None, tmp_path,
              monkeypatch, spy)


def test_inputs_the_fast_path_leaves_to_the_row_path(tmp_path, monkeypatch, spy):
    rows = loans_good(6)
    dec = loans_table([r[:4] + [Decimal(int(r[4]))] + r[5:] for r in rows], pa.decimal128(12, 2))
    check(dec, "loans", "2020-03", tmp_path, monkeypatch, spy, fast_expected=False)
    ne = ne_good(5)
    check(ne_table(ne, date_type=pa.date64()), "new_employment", "2020-03", tmp_path, monkeypatch, spy,
          fast_expected=True)  # Parquet has no date64: it is read back as date32
    check(ne_table(ne, date_type=pa.timestamp("us", tz="Asia/Shanghai")), "new_employment", "2020-03", tmp_path,
          monkeypatch, spy, fast_expected=False)


def _random_rows(rng: random.Random, n: int) -> list[list]:
    """Mostly good rows, with every kind of bad value at random places."""
    rows = ne_good(n, seed=rng.randint(0, 10**6))
    odd_ids = ["NE2020-000001", "NE2020-000002", "ＮＥ１", " NE2020-000003", "5.1E+17", "null", "", None, "合计",
               "填表人：李四", "小计"]
    odd_units = ["杨家坪", "杨家坪街道", "火星镇", "500107-99", "", None, "—", "（九龙镇）", "谢家湾街道办事处"]
    odd_keys = ["5.00107E+17", "50010719900101123x", "５００１０７", None, "", "NA", "500107 1990 0101 1234"]
    odd_dates = [None, date(2021, 1, 1), date(2020, 4, 1), date(2020, 2, 29), date(1900, 1, 1), date(2020, 12, 31)]
    odd_groups = ["外来务工人员", None, "", "其他 ", "其\u00a0他"]
    for row in rows:
        if rng.random() < 0.3:
            c = rng.randrange(6)
            row[c] = rng.choice([odd_ids, odd_units, odd_keys, odd_dates, odd_groups, odd_groups][c])
        if rng.random() < 0.05:
            row[:] = [None] * 6
        if rng.random() < 0.1:
            row[0] = rng.choice([r[0] for r in rows])  # a duplicate key
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_random_files_get_the_row_paths_outcome(seed, tmp_path, monkeypatch, spy):
    rng = random.Random(seed)
    rows = _random_rows(rng, rng.choice([1, 5, 40, 200]))
    kw = rng.choice([{}, {"dictionary": True}, {"date_type": pa.timestamp("ms")}])
    check(ne_table(rows, **kw), "new_employment", rng.choice(["2020-03", None]), tmp_path, monkeypatch, spy)


def test_stored_partitions_and_revisions_are_the_same(tmp_path, monkeypatch, spy):
    """Both paths over the same existing store: the corrected units' month is replaced, other units
    and months are kept, the revisions are the same, and the stored files hold the same rows."""
    ext = load_registry().extracts["loans"]
    old = loans_good(40, seed=5)
    for r in old[30:]:
        r[3] = date(2020, 4, r[3].day)
    new = loans_good(25, seed=6)
    new[3][4] = -1.0  # quarantined
    new[4][1] = "杨家坪"  # an alias
    new[5][0] = new[6][0]  # a duplicate
    template = tmp_path / "template"
    first = parse_upload(parquet_bytes(loans_table(old)), "old.parquet", "loans", None, None, template, today=TODAY)
    storage.commit(template, ext, first, b"old", who="t", declared_period=None)
    results = {}
    for mode in (True, False):
        d = tmp_path / f"store-{mode}"
        shutil.copytree(template, d)
        monkeypatch.setattr(columnar, "FAST_PATH", mode)
        parsed = parse_upload(parquet_bytes(loans_table(new)), "new.parquet", "loans", "2020-03", None, d, today=TODAY)
        report = storage.commit(d, ext, parsed, b"new", who="t", declared_period="2020-03",
                                replace_months={(2020, 3)})
        # the committed partitions (data file names are unique per write, so compare by partition)
        files = sorted({f.parent.relative_to(d).as_posix() for f in committed_files(d, "loans").files})
        results[mode] = (report.revisions, files,
                         {f: read_partition(d, "loans", int(f.split("year=")[1][:4]), int(f.split("month=")[1]))
                          for f in files},
                         (d / report.quarantine_file).read_bytes())
    assert spy[-2:] == [True, False]
    (rev_a, files_a, tables_a, q_a), (rev_b, files_b, tables_b, q_b) = results[True], results[False]
    assert rev_a == rev_b and rev_a and files_a == files_b and q_a == q_b
    for f in files_a:
        assert tables_a[f].equals(tables_b[f]), f
    march = tables_a["extracts/loans/year=2020/month=03"]
    assert "LN2020-00003" not in march.column("loan_id").to_pylist()  # new[3] was quarantined
    assert tables_a["extracts/loans/year=2020/month=04"].num_rows == 10  # April untouched


def test_a_good_file_converts_distinct_values_not_rows(tmp_path, monkeypatch, spy):
    """The row path's converter runs once per distinct value that needs it, never once per row."""
    from target_monitor.ingest.records import Converter

    calls = []
    real = Converter.convert

    def counting(self, column, raw, value_unit):
        calls.append(column)
        return real(self, column, raw, value_unit)

    monkeypatch.setattr(Converter, "convert", counting)
    table = ne_table(ne_good(2000))
    parsed = parse_upload(parquet_bytes(table), "big.parquet", "new_employment", "2020-03", None, tmp_path,
                          today=TODAY)
    assert parsed.report.accepted == 2000 and spy == [True]
    # only the text columns with a short list of values go through it (group, form, the 是/否 category
    # flags), each distinct value once: 2000 rows, a handful of calls
    assert set(calls) <= {"group", "form", "is_unemployed", "is_hard_to_employ", "is_4050",
                          "is_zero_employment_family"}
    for column, n in Counter(calls).items():  # a flag the file does not have: one call, for its NULL
        assert n <= (len(set(table.column(column).to_pylist())) if column in table.column_names else 1), column


@pytest.mark.parametrize("seed", range(8))
def test_random_loans_files_get_the_row_paths_outcome(seed, tmp_path, monkeypatch, spy):
    rng = random.Random(1000 + seed)
    rows = loans_good(rng.choice([3, 30, 120]), seed=seed)
    amounts = [None, float("nan"), -0.0, 0.004, 0.005, 1.005, 99.995, 5_000_000.0, 5_000_000.01, 1e13 + 0.25,
               123456.789, 1e-9]
    for row in rows:
        if rng.random() < 0.4:
            row[4] = rng.choice(amounts)
        if rng.random() < 0.05:
            row[:] = ["合计", None, None, None, rng.choice([None, 1e6, sum(r[4] or 0 for r in rows[:3])]), None]
        if rng.random() < 0.05:
            row[0] = rows[0][0]
    check(loans_table(rows), "loans", rng.choice(["2020-03", None]), tmp_path, monkeypatch, spy)
