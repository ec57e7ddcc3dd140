"""The explorer's pivot (read from the per-dimension aggregates): SQL only from the
query file or registry identifiers, values bound, totals from DuckDB, the same numbers on every path."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow.dataset as pads
import pytest

from target_monitor import explore
from target_monitor.explore import (ExploreError, PivotSpec, pivot_grid, pivot_long, pivot_params, records_pivot_long,
                                    records_pivot_sql)

AS_OF = date(2020, 6, 30)


def _raw(demo_dir, extract):
    return pads.dataset(demo_dir / "extracts" / extract, partitioning="hive").to_table().to_pandas()


def test_dimensions_come_from_the_registry(demo_ctx):
    reg = demo_ctx.registry
    assert explore.dimensions(reg.get("urban_new_employment")) == [
        "unit_code", "group", "form", "is_unemployed", "is_hard_to_employ", "is_4050", "is_zero_employment_family",
        "month"]
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
    assert list(table.columns) == ["Lending bank", "Individual", "Small or micro enterprise", "Total"]  # values in English
    assert table.iloc[-1, 0] == "Total"
    body = table.iloc[:-1]
    assert body["Total"].sum() == pytest.approx(table.iloc[-1]["Total"], abs=0.05)


# --- the same pivot from the aggregates, from the raw-path views and from the records ----

SPECS = [
    PivotSpec("urban_new_employment", 2020, AS_OF, "unit_code", "group"),
    PivotSpec("urban_new_employment", 2020, AS_OF, "form", "group", filters=(("month", (3, 6)),)),
    PivotSpec("urban_new_employment", 2020, AS_OF, "month", "form", ("500107-01", "500107-11"),
              filters=(("group", ("高校毕业生", "退役军人")),)),
    PivotSpec("urban_new_employment", 2019, AS_OF, "unit_code", None),
    PivotSpec("guarantee_loans", 2020, AS_OF, "bank", "borrower_type"),
    PivotSpec("guarantee_loans", 2020, AS_OF, "month", "unit_code", filters=(("bank", ("重庆农村商业银行",)),)),
    PivotSpec("vocational_training", 2020, AS_OF, "training_type", "month"),
    PivotSpec("enterprise_skill_training", 2020, AS_OF, "unit_code", "month"),
    PivotSpec("graduate_employment_rate", 2020, AS_OF, "month", "unit_code"),
    PivotSpec("graduate_employment_rate", 2019, AS_OF, "unit_code", None),
    PivotSpec("urban_new_employment", 2020, AS_OF, None),
]
AS_OFS = [date(2020, 6, 30), date(2020, 6, 15), date(2020, 2, 29), date(2020, 3, 1), date(2020, 1, 1),
          date(2019, 12, 31), date(2019, 7, 20)]
RAW_AS_OFS = {date(2020, 6, 15), date(2020, 1, 1), date(2019, 12, 31)}


def _sorted(long):
    return long.sort_values(["total_r", "total_c", "r", "c"], na_position="first").reset_index(drop=True)


@pytest.fixture(scope="module")
def raw_ctx(demo_dir):
    from target_monitor.context import Context

    ctx = Context(demo_dir, aggregates=False)
    assert not ctx.store.uses_aggregates
    return ctx


@pytest.mark.spread  # raw_ctx is cheap to make once per worker: the dates need not queue on one worker
@pytest.mark.parametrize("as_of", AS_OFS)
def test_pivot_is_identical_from_aggregates_raw_views_and_records(demo_ctx, raw_ctx, as_of):
    """The aggregates against the records at every date; the views a store without aggregates
    computes (0.7 s a pivot, ten times the others) at a mid-month, a year's first day and a
    previous year's last day."""
    assert demo_ctx.store.uses_aggregates
    names = {u.code: u.name for u in demo_ctx.ref.units}
    for spec in SPECS:
        spec = PivotSpec(spec.indicator, as_of.year if spec.year == 2020 else as_of.year - 1, as_of, spec.rows,
                         spec.columns, spec.units, spec.filters)
        agg = _sorted(pivot_long(demo_ctx.store, demo_ctx.registry, spec))
        records = _sorted(records_pivot_long(demo_ctx.store, demo_ctx.registry, spec))
        pd.testing.assert_frame_equal(agg, records, check_exact=False, rtol=1e-9)
        if as_of in RAW_AS_OFS:
            raw = _sorted(pivot_long(raw_ctx.store, raw_ctx.registry, spec))
            pd.testing.assert_frame_equal(agg, raw, check_exact=False, rtol=1e-9)
            for lang in ("zh", "en"):
                pd.testing.assert_frame_equal(pivot_grid(agg, demo_ctx.registry, spec, names, lang),
                                              pivot_grid(raw, raw_ctx.registry, spec, names, lang))
        for lang in ("zh", "en"):
            pd.testing.assert_frame_equal(pivot_grid(agg, demo_ctx.registry, spec, names, lang),
                                          pivot_grid(records, demo_ctx.registry, spec, names, lang))


def test_closed_months_come_from_the_aggregate_and_the_as_of_month_from_the_records(demo_dir, tmp_path):
    """Doctor one closed month's aggregate file (the manifest still matches the extracts): the
    explorer shows the doctored closed month, and the as-of month as the records have it."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from target_monitor.context import Context

    shutil.copytree(demo_dir / "extracts", tmp_path / "extracts")
    shutil.copytree(demo_dir / "aggregates", tmp_path / "aggregates")
    spec = PivotSpec("urban_new_employment", 2020, date(2020, 6, 15), "month", "form")
    def cells(ctx):
        long = pivot_long(ctx.store, ctx.registry, spec)
        return long[~long["total_r"] & ~long["total_c"]].set_index(["r", "c"])["value"]

    before = cells(Context(tmp_path))
    for month in ("05", "06"):
        path = (tmp_path / "aggregates" / "indicator_dimension_monthly" / "new_employment" / "year=2020"
                / f"month={month}" / "part-0.parquet")
        table = pq.read_table(path)
        table = table.set_column(table.schema.get_field_index("num"), "num",
                                 pa.compute.multiply(table.column("num"), 2.0))
        pq.write_table(table, path)
    ctx = Context(tmp_path)
    assert ctx.store.uses_aggregates
    after = cells(ctx)
    may = [k for k in before.index if k[0] == 5]
    june = [k for k in before.index if k[0] == 6]
    assert may and june
    assert (after[may] == 2 * before[may]).all()  # closed month: read from the aggregate
    assert (after[june] == before[june]).all()  # the as-of month: read from the records


def test_a_rates_month_is_the_registration_month(demo_ctx, demo_dir):
    """By month, a graduate counts in the month registered, and in the numerator once employed by the as-of date."""
    spec = PivotSpec("graduate_employment_rate", 2020, date(2020, 5, 20), "month")
    long = pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    raw = _raw(demo_dir, "graduates")
    raw = raw[(raw["cohort_year"] == 2020) & (pd.to_datetime(raw["registered_on"]) <= "2020-05-20")]
    reg = pd.to_datetime(raw["registered_on"])
    done = pd.to_datetime(raw["employed_on"]) <= "2020-05-20"
    expect = (100.0 * done.groupby(reg.dt.month).sum() / done.groupby(reg.dt.month).size()).sort_index()
    cells = long[~long["total_r"]].set_index("r")["value"].sort_index()
    assert list(cells.index) == list(expect.index)
    assert cells.tolist() == pytest.approx(expect.tolist())
    assert long[~long["total_r"]].set_index("r")["records"].sort_index().tolist() == \
        reg.dt.month.value_counts().sort_index().tolist()


def test_a_pivot_across_three_declared_dimensions_is_counted_from_the_records(demo_ctx, demo_dir):
    """The aggregate crosses at most two declared dimensions; a third (here a hypothetical one) goes to the records."""
    import dataclasses

    from target_monitor.registry import Registry

    reg = demo_ctx.registry
    wide = dataclasses.replace(reg.get("urban_new_employment"), dimensions=("group", "form", "person_key"))
    registry = Registry(reg.extracts, tuple(wide if i.name == wide.name else i for i in reg.indicators))
    raw = _raw(demo_dir, "new_employment")
    raw = raw[pd.to_datetime(raw["employed_on"]).dt.year == 2020]
    keys = tuple(raw["person_key"].iloc[:40])
    two = PivotSpec(wide.name, 2020, AS_OF, "group", "form")
    three = PivotSpec(wide.name, 2020, AS_OF, "group", "form", filters=(("person_key", keys),))
    assert pivot_params(registry, two) is not None and pivot_params(registry, three) is None
    long = pivot_long(demo_ctx.store, registry, three)
    assert long[long["total_r"] & long["total_c"]]["value"].iloc[0] == raw["person_key"].isin(keys).sum()


def test_chart_shows_the_largest_row_groups_in_table_order_and_the_table_keeps_all(demo_ctx):
    """A national tree has 6,000 units: the chart draws the 30 with the largest totals (in the
    table's order), the table and the downloads keep every row."""
    from target_monitor.explore import CHART_GROUPS, chart_rows, pivot_chart

    n = CHART_GROUPS + 10
    totals = [(i * 37) % n for i in range(n)]  # a permutation of 0..n-1
    table = pd.DataFrame({"单位": [f"U{i:02d}" for i in range(n)] + ["合计"],
                          "甲": [v // 2 for v in totals] + [0], "乙": [v - v // 2 for v in totals] + [0],
                          "合计": totals + [sum(totals)]})
    shown = chart_rows(table, "zh")
    assert len(shown) == CHART_GROUPS
    assert list(shown["单位"]) == [f"U{i:02d}" for i in range(n) if totals[i] >= n - CHART_GROUPS]
    assert "合计" not in set(shown["单位"])
    small = table.iloc[list(range(5)) + [n]]
    assert list(chart_rows(small, "zh")["单位"]) == ["U00", "U01", "U02", "U03", "U04"]
    spec = PivotSpec("urban_new_employment", 2020, date(2020, 6, 30), "unit_code", "group", (), ())
    fig = pivot_chart(table, demo_ctx.registry, spec, "zh")
    assert [tr.name for tr in fig.data] == ["甲", "乙"]
    assert all(len(tr.x) == CHART_GROUPS for tr in fig.data)
