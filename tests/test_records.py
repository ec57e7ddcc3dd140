"""Records drill-down: the right records, paged and sorted, masked, never searchable by person key."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow.dataset as pads
import pytest

from target_monitor import records
from target_monitor.records import RecordQuery, RecordsError

AS_OF = date(2020, 6, 30)


def _raw(demo_dir, extract):
    return pads.dataset(demo_dir / "extracts" / extract, partitioning="hive").to_table().to_pandas()


def test_count_and_pages_match_the_files(demo_ctx, demo_dir):
    q = RecordQuery("new_employment", ("500107-11",), 2020, AS_OF)
    raw = _raw(demo_dir, "new_employment")
    on = pd.to_datetime(raw["employed_on"])
    expect = raw[(raw["unit_code"] == "500107-11") & (on.dt.year == 2020)]
    assert records.record_count(demo_ctx.store, demo_ctx.registry, q) == len(expect) == 2624
    p1 = records.record_page(demo_ctx.store, demo_ctx.registry, q, 1, 100)
    last = records.record_page(demo_ctx.store, demo_ctx.registry, q, 27, 100)
    assert len(p1) == 100 and len(last) == 24
    assert not set(p1["record_id"]) & set(last["record_id"])
    assert pd.to_datetime(p1["employed_on"]).is_monotonic_increasing


def test_as_of_limits_the_records(demo_ctx):
    q = RecordQuery("new_employment", ("500107-11",), 2020, date(2020, 3, 31), descending=True)
    page = records.record_page(demo_ctx.store, demo_ctx.registry, q, 1, 10)
    assert pd.to_datetime(page["employed_on"]).max() <= pd.Timestamp("2020-03-31")


def test_person_keys_masked_and_not_searchable(demo_ctx, demo_dir):
    raw = _raw(demo_dir, "new_employment")
    a_key = raw.loc[(raw["unit_code"] == "500107-11") & (pd.to_datetime(raw["employed_on"]).dt.year == 2020),
                    "person_key"].iloc[0]
    q = RecordQuery("new_employment", ("500107-11",), 2020, AS_OF, search=a_key)
    assert records.record_count(demo_ctx.store, demo_ctx.registry, q) == 0  # no probing by ID
    everything = records.all_records(demo_ctx.store, demo_ctx.registry,
                                     RecordQuery("new_employment", ("500107-11",), 2020, AS_OF))
    assert len(everything) == 2624
    assert everything["person_key"].str.fullmatch(r"\d{6}\*{8}[\dXx]{4}").all()


def test_search_and_sort(demo_ctx):
    q = RecordQuery("loans", ("500107-11",), 2020, AS_OF, search="小微", sort="amount_yuan", descending=True)
    page = records.record_page(demo_ctx.store, demo_ctx.registry, q, 1, 50)
    assert (page["borrower_type"] == "小微企业").all()
    assert page["amount_yuan"].is_monotonic_decreasing


def test_values_are_bound_and_columns_checked(demo_ctx):
    evil = "x'); drop table ext_loans; --"
    q = RecordQuery("loans", ("500107-11", evil), 2020, AS_OF, search=evil)
    sql, params = records.records_sql(demo_ctx.registry, q, paged=True)
    assert evil not in sql and evil in params["units"]
    assert records.record_count(demo_ctx.store, demo_ctx.registry, q) == 0
    with pytest.raises(RecordsError):
        records.records_sql(demo_ctx.registry, RecordQuery("loans", ("1",), 2020, AS_OF, sort="amount_yuan; --"),
                            paged=True)
    with pytest.raises(RecordsError):
        records.records_sql(demo_ctx.registry, RecordQuery("passwords", ("1",), 2020, AS_OF), paged=True)
