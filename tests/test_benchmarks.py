"""Smoke test of the benchmark harness on the district tier (no timing thresholds)."""

from benchmarks.generate import TIERS, generate, unit_tree
from benchmarks.run import run, to_markdown


def test_unit_trees_have_the_promised_sizes():
    leaves = lambda tier: sum(1 for u in unit_tree(tier) if u["unit_type"] == "street")  # noqa: E731
    assert leaves(TIERS["district"]) == 14
    assert leaves(TIERS["city"]) == 300
    assert leaves(TIERS["province"]) == 1500
    assert leaves(TIERS["national"]) == 6000


def test_district_tier_runs_and_pandas_agrees(tmp_path):
    info = generate("district", tmp_path / "d")
    assert info["rows"]["new_employment"] == 200_000  # 100 k a year, two years
    again = generate("district", tmp_path / "d2")
    assert again["rows"] == info["rows"]
    r = run("district", runs=1, data_dir=tmp_path / "d", pages=False)
    assert r["pandas_agrees"]
    assert set(r["queries_ms"]) >= {"actuals_as_of", "monthly_by_unit", "data_bounds"}
    assert all(min(times) > 0 for times in r["queries_ms"].values())
    assert r["refresh_full"]["source_rows"] > 200_000
    md = to_markdown(r)
    assert "pandas ÷ DuckDB" in md and "| query `actuals_as_of` |" in md
    assert r["explorer_agrees"] and "| urban_new_employment: unit_code × group, as of" in md


def test_ingest_rate_is_measured_on_a_real_upload(tmp_path):
    from benchmarks.run import ingest_rate

    generate("district", tmp_path / "d")
    r = ingest_rate(tmp_path / "d", max_rows=2_000, runs=1, batch_months=3)
    # the tier's codes and dictionary-encoded text columns are taken as they are
    assert r["slice"]["status"] == "taken" and r["slice"]["rows"] == r["slice"]["accepted"] == 2_000
    assert r["month"]["status"] == "taken" and r["month"]["rows"] == r["month"]["accepted"] > 2_000
    assert r["batch"]["files"] == 3 and r["batch"]["status"] == "taken"
    assert r["batch"]["rows"] == r["batch"]["accepted"] > r["month"]["rows"]
    assert all(r[k]["rows_per_second"] > 0 for k in ("slice", "month", "batch"))
    # a unit's corrected month into the full tier: its rows, one fewer, replace its month
    fix = r["unit_fix"]
    assert fix["status"] == "taken" and fix["accepted"] == fix["rows"] > 0 and fix["partition_rows"] > fix["rows"]
    assert fix["seconds"] > 0


def test_district_tier_measures_the_explorer_on_every_path(tmp_path):
    from benchmarks.run import EXPLORER_PIVOTS, explorer_times
    from target_monitor.aggregates import refresh
    from target_monitor.context import Context

    generate("district", tmp_path / "d")
    refresh(tmp_path / "d", full=True)
    ctx, raw = Context(tmp_path / "d"), Context(tmp_path / "d", aggregates=False)
    assert ctx.store.uses_aggregates and not raw.store.uses_aggregates
    times, agrees = explorer_times(tmp_path / "d", ctx, raw, ctx.default_year(), runs=1)
    assert agrees
    assert len(times) == 2 * len(EXPLORER_PIVOTS) and all(min(t) > 0 for t in times.values())
