"""Smoke test of the benchmark harness on the district tier (no timing thresholds).

The tests that run the harness on the generated district tier (200 k records a year: generating,
querying, ingesting and serving it take minutes of CPU) are benchmarks, not checks of the product:
they run with `uv run pytest -m system`, with the deployment tests; the default run keeps the tier
sizes and the harness's refusal of a page that does not render."""

import json
import shutil

import pytest

from benchmarks.generate import TIERS, generate, unit_tree
from benchmarks.run import run, to_markdown


@pytest.fixture
def district(built_once, tmp_path):
    """A private copy of the district tier (200 k records a year), generated once per session for
    every worker: (the data folder, what `generate` returned)."""
    def build(folder):
        info = generate("district", folder / "d")
        (folder / "generated.json").write_text(json.dumps(info), encoding="utf-8")

    shared = built_once("district_tier", build)
    shutil.copytree(shared / "d", tmp_path / "d")
    return tmp_path / "d", json.loads((shared / "generated.json").read_text(encoding="utf-8"))


def test_unit_trees_have_the_promised_sizes():
    leaves = lambda tier: sum(1 for u in unit_tree(tier) if u["unit_type"] == "street")  # noqa: E731
    assert leaves(TIERS["district"]) == 14
    assert leaves(TIERS["city"]) == 300
    assert leaves(TIERS["province"]) == 1500
    assert leaves(TIERS["national"]) == 6000


@pytest.mark.system
def test_district_tier_runs_and_pandas_agrees(district, tmp_path):
    d, info = district
    assert info["rows"]["new_employment"] == 200_000  # 100 k a year, two years
    again = generate("district", tmp_path / "d2")
    assert again["rows"] == info["rows"]
    r = run("district", runs=1, data_dir=d, pages=False)
    assert r["pandas_agrees"]
    assert set(r["queries_ms"]) >= {"actuals_as_of", "monthly_by_unit", "data_bounds"}
    assert all(min(times) > 0 for times in r["queries_ms"].values())
    assert r["refresh_full"]["source_rows"] > 200_000
    md = to_markdown(r)
    assert "pandas ÷ DuckDB" in md and "| query `actuals_as_of` |" in md
    assert r["explorer_agrees"] and "| urban_new_employment: unit_code × group, as of" in md


@pytest.mark.system
def test_ingest_rate_is_measured_on_a_real_upload(district):
    from benchmarks.run import ingest_rate

    r = ingest_rate(district[0], max_rows=2_000, runs=1, batch_months=3)
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


@pytest.mark.system
def test_district_tier_measures_the_explorer_on_every_path(district):
    from benchmarks.run import EXPLORER_PIVOTS, explorer_times
    from target_monitor.aggregates import refresh
    from target_monitor.context import Context

    d = district[0]
    refresh(d, full=True)
    ctx, raw = Context(d), Context(d, aggregates=False)
    assert ctx.store.uses_aggregates and not raw.store.uses_aggregates
    times, agrees = explorer_times(d, ctx, raw, ctx.default_year(), runs=1)
    assert agrees
    assert len(times) == 2 * len(EXPLORER_PIVOTS) and all(min(t) > 0 for t in times.values())


def _need_chromium():
    import os
    from pathlib import Path

    from serve import CHROMIUM

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("Debian chromium is not installed")


@pytest.mark.browser
@pytest.mark.system
def test_district_tier_real_server_in_a_browser(district):
    """--server-only on the district tier: a real `streamlit run`, every page shown in Chromium."""
    from benchmarks.run import run_server
    from benchmarks.server import PAGE_PATHS

    _need_chromium()
    r = run_server("district", data_dir=district[0], starts=1)
    s = r["server"]
    # the overview's headline and chart were found (else PageFailed): the times say when
    assert 0 < s["health_s"] < s["first_page_text_s"] <= s["first_page_s"]
    assert 0 < s["restart_health_s"] < s["restart_first_page_s"]
    assert set(s["pages_ms"]) == set(PAGE_PATHS) and all(min(t) > 0 for t in s["pages_ms"].values())
    assert s["visits"] == 2 * len(PAGE_PATHS)
    # the streamlit process's own memory: more than an interpreter with streamlit, pandas and DuckDB loaded
    assert 100 < s["peak_rss_mb_after_first_page"] <= s["peak_rss_mb"] and 0 < s["rss_mb"] <= s["peak_rss_mb"]
    assert s["children"] == []  # pages start no process
    md = to_markdown(r)
    assert "Server (`streamlit run app.py`, fresh start" in md and "peak resident memory" in md
    assert "| `explore.py` |" in md


@pytest.mark.browser
def test_a_page_that_does_not_render_fails_the_measurement(tmp_path):
    """No number for a page that shows no content: a data directory without extracts shows an error."""
    from benchmarks.server import PageFailed, server_times

    _need_chromium()
    (tmp_path / "empty").mkdir()
    with pytest.raises(PageFailed, match="overview.py"):
        server_times(tmp_path / "empty", 1, restart=False, timeout_s=8, log_dir=tmp_path)
