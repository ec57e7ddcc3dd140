"""Tests of the demo extract generator (target_monitor.demo)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from target_monitor.demo import generate_demo
from target_monitor.tables_delta import committed_files, table_path

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = yaml.safe_load((ROOT / "queries" / "indicators.yaml").read_text(encoding="utf-8"))
# the demo holds records only: no unit sends figures instead of records (reported_monthly)
EXTRACTS = {name: ext for name, ext in REGISTRY["extracts"].items() if ext.get("kind", "records") == "records"}
ARROW_TYPES = {"VARCHAR": "string", "DATE": "date32[day]", "DOUBLE": "double", "INTEGER": "int32"}
THROUGH = pd.Timestamp("2020-06-30")
TAOJIA = "500107-13"
KEY_COLUMNS = {"new_employment": "person_key", "training": "person_key"}


@pytest.fixture(scope="module")
def demo(built_once):
    """The session's demo, seed 42, exactly as generate_demo wrote it (conftest builds it once for
    every worker; read-only: a test that writes copies it)."""
    return built_once("demo_data_shared", generate_demo), None


@pytest.fixture(scope="module")
def again(tmp_path_factory):
    """A second generation with the same seed, and the summary generate_demo returned for it."""
    data_dir = tmp_path_factory.mktemp("demo_again")
    summary = generate_demo(data_dir, seed=42)
    return data_dir, summary


def read_extract(data_dir: Path, name: str) -> pd.DataFrame:
    """An extract as the app reads it: all partitions, year/month from the path."""
    files = [f.as_posix() for f in committed_files(data_dir, name).files]  # the committed version only
    df = duckdb.connect().sql(
        f"SELECT * FROM read_parquet({files!r}, hive_partitioning = true)"
    ).df()
    df["year"] = df["year"].astype(int)
    df["month"] = df["month"].astype(int)
    return df


def date_columns(name: str) -> list[str]:
    return [c for c, spec in EXTRACTS[name]["columns"].items() if spec["type"] == "DATE"]


def sorted_rows(df: pd.DataFrame, name: str) -> pd.DataFrame:
    key = EXTRACTS[name]["key"]
    return df.sort_values(key).reset_index(drop=True)


def check_char(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def test_summary_matches_files(again):
    data_dir, summary = again
    assert summary["through"] == "2020-06-30"
    assert set(summary["rows"]) == set(EXTRACTS) | {"reported_monthly"}  # the figures units report, too
    for name, rows in summary["rows"].items():
        assert rows == len(read_extract(data_dir, name)) > 0


def test_demo_marker(demo):
    data_dir, _ = demo
    marker = json.loads((data_dir / "extracts" / "_demo.json").read_text(encoding="utf-8"))
    assert marker == {"demo": True, "seed": 42, "through": "2020-06-30",
                      "generator": "target_monitor.demo"}


def test_same_seed_gives_identical_rows(demo, again):
    data_dir, _ = demo
    for name in EXTRACTS:
        pd.testing.assert_frame_equal(sorted_rows(read_extract(data_dir, name), name),
                                      sorted_rows(read_extract(again[0], name), name))


def test_demo_command_refuses_real_data_then_replaces_old_output_with_another_seeds_rows(demo, tmp_path, capsys):
    """`target-monitor demo` over real data (a demo copy without its marker, and an old file the
    demo never writes): refused without --force (nothing touched); with --force and another seed,
    the old output is gone and the rows differ from seed 42's. One generation for all three."""
    from target_monitor.cli import main

    data_dir, _ = demo
    shutil.copytree(data_dir / "extracts", tmp_path / "extracts")
    (tmp_path / "extracts" / "_demo.json").unlink()  # now it looks like real data
    stale = tmp_path / "extracts" / "loans" / "year=2018" / "month=01" / "part-0.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"not parquet")
    code = main(["demo", "--seed", "7", "--data-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and "--force" in err
    assert stale.exists() and not (tmp_path / "extracts" / "_demo.json").exists()
    code = main(["demo", "--seed", "7", "--data-dir", str(tmp_path), "--force"])
    out, err = capsys.readouterr()
    assert code == 0 and "演示数据已生成" in out, err
    assert not stale.exists()
    assert not (tmp_path / "extracts" / "loans" / "year=2018").exists()
    a = sorted_rows(read_extract(data_dir, "new_employment"), "new_employment")
    b = sorted_rows(read_extract(tmp_path, "new_employment"), "new_employment")
    assert not a.equals(b)


def test_schema_matches_registry(demo):
    data_dir, _ = demo
    for name, spec in EXTRACTS.items():
        files = sorted(committed_files(data_dir, name).files)  # the files of the committed Delta version
        root = table_path(data_dir, name)
        months = [f"year=2019/month={m:02d}" for m in range(1, 13)] + [f"year=2020/month={m:02d}" for m in range(1, 7)]
        parts = sorted(f.relative_to(root).parent.as_posix() for f in files)
        if name in ("internship_bases", "internships"):  # a few a month: a month may have none (February 2020)
            assert parts and set(parts) <= set(months), name
        else:
            assert len(files) == 18, name  # 12 months of 2019 + 6 of 2020
            assert parts == months
        expected = [(col, ARROW_TYPES[c["type"]]) for col, c in spec["columns"].items()]
        for f in files:
            schema = pq.read_schema(f)
            assert [(fld.name, str(fld.type)) for fld in schema] == expected, f
            assert "year" not in schema.names and "month" not in schema.names


def test_partition_path_matches_partition_date(demo):
    data_dir, _ = demo
    for name, spec in EXTRACTS.items():
        df = read_extract(data_dir, name)
        dates = pd.to_datetime(df[spec["partition_date"]])
        assert (dates.dt.year == df["year"]).all(), name
        assert (dates.dt.month == df["month"]).all(), name


def test_nothing_dated_after_extraction_date(demo):
    data_dir, _ = demo
    for name in EXTRACTS:
        df = read_extract(data_dir, name)
        for col in date_columns(name):
            dates = pd.to_datetime(df[col]).dropna()
            assert dates.max() <= THROUGH, (name, col)
            assert dates.min() >= pd.Timestamp("2019-01-01"), (name, col)
    graduates = read_extract(data_dir, "graduates")
    employed = graduates.dropna(subset=["employed_on"])
    assert (pd.to_datetime(employed["employed_on"]) >= pd.to_datetime(employed["registered_on"])).all()


def test_no_temporary_or_hidden_files_left(demo):
    data_dir, _ = demo
    leftovers = [p for p in data_dir.rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]
    assert leftovers == []
    extracts = data_dir / "extracts"
    files = {p for p in extracts.rglob("*") if p.is_file()}
    assert extracts / "_demo.json" in files
    written = [*EXTRACTS, "reported_monthly"]  # the records and the figures units report
    committed = {f.resolve() for name in written for f in committed_files(data_dir, name).files}
    for p in files - {extracts / "_demo.json"}:
        if p.parent.name == "_delta_log":  # one commit per extract, nothing else in the log
            assert re.fullmatch(r"\d{20}\.json", p.name), p
        else:  # every data file is one the committed version lists: nothing orphaned or half-written
            assert re.fullmatch(r"part-\d{5}-[0-9a-f-]{36}-c000\.snappy\.parquet", p.name), p
            assert p.resolve() in committed, p
    assert len(committed) == sum(1 for p in files if p.suffix == ".parquet")


def test_loan_amounts_within_policy_caps(demo):
    data_dir, _ = demo
    loans = read_extract(data_dir, "loans")
    assert set(loans["borrower_type"]) == {"个人", "小微企业"}
    personal = loans.loc[loans["borrower_type"] == "个人", "amount_yuan"]
    business = loans.loc[loans["borrower_type"] == "小微企业", "amount_yuan"]
    assert (loans["amount_yuan"] > 0).all()
    assert personal.max() <= 200_000
    assert business.max() <= 5_000_000


def test_february_2020_dip(demo):
    data_dir, _ = demo
    ne = read_extract(data_dir, "new_employment")
    feb = ne[ne["month"] == 2].groupby("year").size()
    assert feb[2020] < feb[2019] / 2


def test_december_2019_is_the_largest_month(demo):
    data_dir, _ = demo
    ne = read_extract(data_dir, "new_employment")
    per_month = ne[ne["year"] == 2019].groupby("month").size()
    assert len(per_month) == 12
    assert per_month.idxmax() == 12


def test_taojia_missing_may_2020_only(demo):
    data_dir, _ = demo
    for name in EXTRACTS:
        df = read_extract(data_dir, name)
        may = df[(df["year"] == 2020) & (df["month"] == 5)]
        assert TAOJIA not in set(may["unit_code"]), name
        if name in ("internship_bases", "internships"):  # a few dozen rows a month: not every unit every month
            continue
        others = set(df.loc[df["year"] == 2020, "unit_code"]) - {TAOJIA}
        assert others and others <= set(may["unit_code"]), name
        # ...while 陶家镇 did report in 2020 otherwise (every month where volumes allow).
        taojia_months = set(df.loc[(df["year"] == 2020) & (df["unit_code"] == TAOJIA), "month"])
        assert taojia_months, name
        if name != "loans":  # a town has only a handful of loans in half a year
            assert taojia_months == {1, 2, 3, 4, 6}, name


def test_new_employment_completion_spread(demo):
    data_dir, _ = demo
    targets = pd.read_csv(ROOT / "data" / "reference" / "targets.csv", dtype={"unit_code": str})
    target = targets[targets["indicator"] == "urban_new_employment"].set_index("unit_code")["value"]
    ne = read_extract(data_dir, "new_employment")
    actual = ne[ne["year"] == 2020].groupby("unit_code").size()
    completion = actual / target.loc[actual.index]
    assert completion["500107-12"] < 0.35  # 铜罐驿镇 far behind
    assert completion["500107-11"] > 0.60  # 西彭镇 ahead
    assert completion.idxmin() == "500107-12"


def test_record_ids_unique(demo):
    data_dir, _ = demo
    for name, spec in EXTRACTS.items():
        ids = read_extract(data_dir, name)[spec["key"]]
        assert ids.notna().all() and ids.is_unique, name


def test_person_keys_are_valid_id_numbers(demo):
    data_dir, _ = demo
    for name, col in KEY_COLUMNS.items():
        keys = read_extract(data_dir, name)[col]
        assert (keys.str.len() == 18).all(), name
        assert keys.str.fullmatch(r"5001\d{13}[0-9X]").all(), name
        bad = [k for k in keys if check_char(k[:17]) != k[17]]
        assert bad == [], (name, bad[:5])
