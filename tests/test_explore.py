"""The explorer's pivot (issue 6; issue 7: read from the per-dimension aggregates): SQL only from the
query file or registry identifiers, values bound, totals from DuckDB, the same numbers on every path."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow.dataset as pads
import pytest

from target_monitor import explore
from target_monitor.explore import ExploreError, PivotSpec, pivot_grid, pivot_long, pivot_params, records_pivot_sql

AS_OF = date(2020, 6, 30)


def _raw(demo_dir, extract):
    return pads.dataset(demo_dir / "extracts" / extract, partitioning="hive").to_table().to_pandas()


def test_dimensions_come_from_the_registry(demo_ctx):
    reg = demo_ctx.registry
    assert explore.dimensions(reg.get("urban_new_employment")) == ["unit_code", "group", "form", "month"]
    assert explore.dimensions(reg.get("guarantee_loans")) == ["unit_code", "borrower_type", "bank", "month"]
    assert explore.dimensions(reg.get("graduate_employment_rate")) == ["unit_code", "month"]


@pytest.mark.parametrize("build", [pivot_params, records_pivot_sql])
def test_undeclared_dimension_is_refused(demo_ctx, build):
    with pytest.raises(ExploreError):
        build(demo_ctx.registry, PivotSpec("urban_new_employment", 2020, AS_OF, "person_key"))
    with pytest.raises(ExploreError):
        build(demo_ctx.registry, PivotSpec("urban_new_employment", 2020, AS_OF, "group; drop table x"))
    with pytest.raises(ExploreError):
        build(demo_ctx.registry, PivotSpec("urban_new_employment", 2020, AS_OF, "group",
                                           filters=(("amount_yuan", ("1",)),)))


def test_filter_values_are_bound_never_in_the_sql(demo_ctx):
    evil = "x') or 1=1 --"
    spec = PivotSpec("urban_new_employment", 2020, AS_OF, "group", units=("500107-01", evil),
                     filters=(("form", (evil, "单位就业")),))
    params = pivot_params(demo_ctx.registry, spec)  # the aggregate path: a fixed query file, values bound
    assert evil in params["units"] and evil in params["accepted2"] and params["dimension2"] == "form"
    sql, raw_params = records_pivot_sql(demo_ctx.registry, spec)  # the records path: registry identifiers only
    assert evil not in sql and "500107-01" not in sql and "单位就业" not in sql and "2020" not in sql
    assert evil in raw_params["units"] and evil in raw_params["f0"]
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)  # runs, and the evil value matches nothing
    assert long["records"].sum() > 0


def test_counts_and_totals_match_the_records(demo_ctx, demo_dir):
    spec = PivotSpec("urban_new_employment", 2020, AS_OF, "unit_code", "group")
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    raw = _raw(demo_dir, "new_employment")
    raw = raw[pd.to_datetime(raw["employed_on"]).dt.year == 2020]
    cells = long[~long["total_r"] & ~long["total_c"]].set_index(["r", "c"])["value"].sort_index()
    expect = raw.groupby(["unit_code", "group"]).size().astype(float).sort_index()
    assert cells.tolist() == expect.tolist()
    grand = long[long["total_r"] & long["total_c"]]["value"].iloc[0]
    assert grand == len(raw) == 21083


def test_registry_filter_is_applied(demo_ctx, demo_dir):
    spec = PivotSpec("enterprise_skill_training", 2020, AS_OF, "unit_code")
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    raw = _raw(demo_dir, "training")
    raw = raw[(pd.to_datetime(raw["completed_on"]).dt.year == 2020) & (raw["training_type"] == "岗位技能提升培训")]
    assert long[long["total_r"]]["value"].iloc[0] == len(raw)


def test_rate_total_is_the_pooled_rate_not_a_sum(demo_ctx):
    spec = PivotSpec("graduate_employment_rate", 2020, AS_OF, "unit_code")
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    total = long[long["total_r"]]["value"].iloc[0]
    assert 0 < total <= 100
    progress = demo_ctx.progress(2020, AS_OF)
    own = progress[(progress["unit_code"] == "500107") & (progress["indicator"] == "graduate_employment_rate")
                   & (progress["target_basis"] == "own")]
    assert total == pytest.approx(float(own["actual"].iloc[0]), abs=0.05)


def test_month_filter_and_amount_scale(demo_ctx, demo_dir):
    spec = PivotSpec("guarantee_loans", 2020, AS_OF, "bank", filters=(("month", (1, 2, 3)),))
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    raw = _raw(demo_dir, "loans")
    on = pd.to_datetime(raw["disbursed_on"])
    raw = raw[(on.dt.year == 2020) & (on.dt.month <= 3)]
    assert long[long["total_r"]]["value"].iloc[0] == pytest.approx(raw["amount_yuan"].sum() / 10000)


def test_wide_table_has_total_row_and_column(demo_ctx):
    spec = PivotSpec("guarantee_loans", 2020, AS_OF, "bank", "borrower_type")
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    names = {u.code: u.name for u in demo_ctx.ref.units}
    table = pivot_grid(long, demo_ctx.registry, spec, names, "en")
    assert list(table.columns) == ["Lending bank", "个人", "小微企业", "Total"]
    assert table.iloc[-1, 0] == "Total"
    body = table.iloc[:-1]
    assert body["Total"].sum() == pytest.approx(table.iloc[-1]["Total"], abs=0.05)
