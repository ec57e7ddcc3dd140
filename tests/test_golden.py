"""Golden progress table for the demo at 2020-06-30.

Regenerate only on purpose: `uv run pytest tests/test_golden.py --update-golden`, then read
the diff of tests/golden/ before committing it.
"""

from datetime import date
from pathlib import Path

import pandas as pd

from target_monitor.progress import CONTRACT_COLUMNS

GOLDEN = Path(__file__).parent / "golden" / "progress_2020-06-30.csv"
COLUMNS = CONTRACT_COLUMNS + ["target_basis", "projection_method", "yoy_change"]


def test_demo_progress_matches_golden(demo_ctx, request):
    df = demo_ctx.progress(2020, date(2020, 6, 30))[COLUMNS]
    text = df.to_csv(index=False, lineterminator="\n")
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(text, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")
    assert text == expected, "progress table changed; if intended, rerun with --update-golden and review the diff"


def test_golden_tells_the_demo_story():
    """The golden file itself, read as a person would: who is ahead, who is far behind."""
    g = pd.read_csv(GOLDEN, dtype={"unit_code": str})
    ne = g[(g["indicator"] == "urban_new_employment") & (g["target_basis"] == "own")].set_index("unit_name")
    assert ne.loc["九龙坡区", "target"] == 31000
    assert ne.loc["铜罐驿镇", "status"] == "far_behind"
    assert ne.loc["西彭镇", "rank"] == 1
    assert (ne["time_progress_pct"] == 50.0).all()
    alloc = g[(g["target_basis"] == "allocation_sum")].set_index("indicator")
    assert alloc.loc["urban_new_employment", "target"] == 41000
    assert alloc.loc["guarantee_loans", "target"] == 2000
    assert alloc.loc["vocational_training", "target"] == 15000
    # the two graduate indicators: the breakdown table's ≥95% for every unit and the district,
    # the work plan's ≥90% year-end rate for the district; both judged only in December
    gr = g[g["indicator"] == "graduate_employment_rate"].set_index("unit_name")
    assert gr.loc["九龙坡区", "target"] == 95 and gr.loc["铜罐驿镇", "target"] == 95
    ye = g[g["indicator"] == "graduate_year_end_rate"].set_index("unit_name")
    assert ye.loc["九龙坡区", "target"] == 90
    assert set(gr["status"]) | set(ye.loc[["九龙坡区"], "status"]) <= {"year_end_check", "no_target"}
    # 区就业局 keeps its row but is not ranked among the 街镇
    vt = g[(g["indicator"] == "vocational_training") & (g["target_basis"] == "own")].set_index("unit_name")
    assert vt.loc["区就业局", "target"] == 3000 and pd.isna(vt.loc["区就业局", "rank"])
    loans = g[(g["indicator"] == "guarantee_loans") & (g["target_basis"] == "own")].set_index("unit_name")
    assert loans.loc["杨家坪街道", "projection_method"] == "parent_profile_lumpy"
    assert loans.loc["杨家坪街道", "projected_year_end"] > loans.loc["杨家坪街道", "target"] * 0.8
