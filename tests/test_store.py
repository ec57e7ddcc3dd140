"""The store: views over a committed version of each extract table, uncommitted files never read, data version, first-start demo."""

import shutil
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
from streamlit.testing.v1 import AppTest

from target_monitor.paths import SHIPPED_REFERENCE_DIR
from target_monitor.reference import load_units
from target_monitor.store import Store, data_version, parquet_files
from test_pages import APP


def _copy(demo_dir, tmp_path):
    shutil.copytree(demo_dir / "extracts", tmp_path / "extracts")
    return tmp_path


def test_missing_extract_is_an_empty_view_with_the_canonical_columns(tmp_path, demo_dir):
    d = _copy(demo_dir, tmp_path)
    shutil.rmtree(d / "extracts" / "loans")
    store = Store(d)
    with store.con.cursor() as cur:
        cols = [r[0] for r in cur.execute("describe ext_loans").fetchall()]
        n = cur.execute("select count(*) from ext_loans").fetchone()[0]
    assert cols == ["loan_id", "unit_code", "borrower_type", "disbursed_on", "amount_yuan", "bank"] and n == 0
    bounds = store.query("data_bounds")
    assert list(bounds["year"]) == [2019, 2020]


def test_half_written_files_are_never_read_and_the_version_changes(tmp_path, demo_dir):
    d = _copy(demo_dir, tmp_path)
    before = data_version(d)
    store = Store(d)
    codes = [u.code for u in load_units(SHIPPED_REFERENCE_DIR)]
    per_unit = {"unit_codes": codes, "shown_codes": codes}
    n0 = store.query("actuals_as_of", year=2020, as_of=date(2020, 6, 30), **per_unit)
    folder = d / "extracts" / "new_employment" / "year=2020" / "month=06"
    table = pq.read_table(next(folder.glob("*.parquet")))
    # a writer's temporary file: a dot-name ending .tmp, outside the *.parquet glob
    pq.write_table(table, folder / ".part-1.parquet.tmp")
    assert data_version(d) == before
    same = store.query("actuals_as_of", year=2020, as_of=date(2020, 6, 30), **per_unit)
    # floats summed by parallel threads may differ in the last bit between runs
    pd.testing.assert_frame_equal(same, n0, check_exact=False, rtol=1e-12)
    # a complete Parquet file in the partition that no commit lists (a writer killed before its
    # commit): never read, and the cache key does not move
    (folder / ".part-1.parquet.tmp").rename(folder / "part-added.parquet")
    assert data_version(d) == before
    pd.testing.assert_frame_equal(Store(d).query("actuals_as_of", year=2020, as_of=date(2020, 6, 30), **per_unit),
                                  n0, check_exact=False, rtol=1e-12)
    # committed (a new version of the table): the next store reads it, and the cache key moves
    from deltalake import write_deltalake

    from target_monitor.tables_delta import with_partitions

    write_deltalake(str(d / "extracts" / "new_employment"), with_partitions(table, "employed_on"), mode="append")
    assert data_version(d) != before
    after = Store(d).query("actuals_as_of", year=2020, as_of=date(2020, 6, 30), **per_unit)
    ne = lambda df: df[df["indicator"] == "urban_new_employment"]["numerator"].sum()  # noqa: E731
    assert ne(after) == ne(n0) + table.num_rows
    # the store opened before the commit still reads its own version
    pd.testing.assert_frame_equal(store.query("actuals_as_of", year=2020, as_of=date(2020, 6, 30), **per_unit),
                                  n0, check_exact=False, rtol=1e-12)


def test_the_app_generates_demo_data_on_first_start(tmp_path, monkeypatch, built_once):
    import inspect

    import target_monitor.demo as demo
    import target_monitor.paths as paths
    import target_monitor.ui as ui

    # the generator's own output is tested in test_demo.py; here the app must call it, once, for
    # the default folder, and then read what it wrote. generate_demo's output for this session
    # (built once by the real generator) stands in for a second 10 s generation.
    real = demo.generate_demo
    generated = built_once("demo_data_shared", real)
    calls = []

    def generate_demo(*args, **kwargs):
        calls.append(inspect.signature(real).bind(*args, **kwargs).arguments)  # a call the real one accepts
        shutil.copytree(generated, args[0] if args else kwargs["data_dir"], dirs_exist_ok=True)

    monkeypatch.setattr(demo, "generate_demo", generate_demo)
    monkeypatch.delenv("TARGET_MONITOR_DATA", raising=False)
    monkeypatch.setattr(paths, "DEFAULT_DATA_DIR", tmp_path)
    monkeypatch.setattr(ui, "DEFAULT_DATA_DIR", tmp_path)
    assert parquet_files(tmp_path) == []
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert len(calls) == 1 and calls[0]["data_dir"].resolve() == tmp_path.resolve()
    assert len(parquet_files(tmp_path)) > 40
    assert any("演示数据" in m.value for m in at.markdown)


def test_a_chosen_empty_data_dir_is_not_filled_behind_the_users_back(tmp_path, monkeypatch):
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert parquet_files(tmp_path) == []
    assert any("没有抽取数据" in e.value and "target-monitor demo" in e.value for e in at.error)


def test_a_month_end_is_answered_from_the_aggregates_alone(tmp_path, demo_dir):
    """At a month-end as-of date no record view is even created; mid-month the records are read."""
    d = _copy(demo_dir, tmp_path)
    shutil.copytree(demo_dir / "aggregates", d / "aggregates")
    store, raw = Store(d), Store(d, aggregates=False)
    assert store.uses_aggregates and not store.records_ready
    codes = [u.code for u in load_units(SHIPPED_REFERENCE_DIR)]
    per_unit = {"unit_codes": codes, "shown_codes": codes}
    month_end = [
        ("actuals_as_of", dict(year=2020, as_of=date(2020, 6, 30), **per_unit)),
        ("actuals_as_of", dict(year=2020, as_of=date(2020, 2, 29), **per_unit)),
        ("monthly_by_unit", dict(first_year=2019, last_year=2019, as_of=date(2019, 12, 31), **per_unit)),
        ("unit_months_reported", dict(year=2020, as_of=date(2020, 5, 31))),
        ("data_bounds", {}),
    ]
    for name, params in month_end:
        pd.testing.assert_frame_equal(store.query(name, **params), raw.query(name, **params),
                                      check_exact=False, rtol=1e-12, check_dtype=False)
    assert not store.records_ready
    mid = dict(year=2020, as_of=date(2020, 6, 15), **per_unit)
    pd.testing.assert_frame_equal(store.query("actuals_as_of", **mid), raw.query("actuals_as_of", **mid),
                                  check_exact=False, rtol=1e-12, check_dtype=False)
    assert store.records_ready
    with store.con.cursor() as cur:  # the connection handed out has every view
        assert cur.execute("select count(*) from ext_loans").fetchone()[0] > 0
