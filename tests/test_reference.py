"""Reference data: the unit tree and the targets equal the published tables cell by cell."""

from datetime import date

import pandas as pd
import pytest

from target_monitor.paths import SHIPPED_REFERENCE_DIR
from target_monitor.reference import load_targets, load_units, normalise_name, targets_in_force

PUBLISHED = SHIPPED_REFERENCE_DIR / "jiulongpo_2020_task_breakdown.csv"
DISTRICT = SHIPPED_REFERENCE_DIR / "jiulongpo_2020_district_targets.csv"
COLUMN_OF = {
    "urban_new_employment": "城镇新就业人数(人)",
    "guarantee_loans": "发放创业担保贷款(万元)",
    "vocational_training": "职业培训任务(人)",
    "graduate_employment_rate": "离校未就业高校毕业生就业率",
}


@pytest.fixture(scope="module")
def units():
    return load_units(SHIPPED_REFERENCE_DIR)


@pytest.fixture(scope="module")
def targets():
    return load_targets(SHIPPED_REFERENCE_DIR)


def test_unit_tree(units):
    root = units.root()
    assert root.name == "九龙坡区"
    children = units.children(root.code)
    assert len(children) == 14
    types = pd.Series([u.unit_type for u in children]).value_counts().to_dict()
    assert types == {"street": 8, "town": 5, "department": 1}
    assert units.resolve("杨家坪") == units.resolve("杨家坪街道") != None  # noqa: E711
    assert units.resolve("杨家坪　") == units.resolve("杨家坪")  # U+3000 is noise
    assert units.resolve("杨家") is None  # never guessed
    assert "杨家坪街道" in units.suggest("杨家")


def test_targets_equal_the_published_table_cell_by_cell(units, targets):
    published = pd.read_csv(PUBLISHED, dtype=str, keep_default_na=False)
    detail = published[published["序号"] != "合计"]
    assert len(detail) == 14
    t2020 = targets[(targets["year"] == 2020) & (targets["unit_code"] != units.root().code)]
    seen = 0
    for _, row in detail.iterrows():
        code = units.resolve(row["街镇名称"])
        assert code, row["街镇名称"]
        for indicator, column in COLUMN_OF.items():
            cell = row[column].strip()
            mine = t2020[(t2020["unit_code"] == code) & (t2020["indicator"] == indicator)]
            if not cell:
                assert mine.empty, (row["街镇名称"], indicator)
                continue
            seen += 1
            assert len(mine) == 1
            m = mine.iloc[0]
            rendered = f"{m['value']:g}"
            if m["note"]:
                rendered += f"({m['note']})"
            if m["unit"] == "%":
                rendered = f"≥{rendered}%"
            assert rendered == cell, (row["街镇名称"], indicator)
    assert seen == len(t2020) == 13 * 4 + 1  # 区就业局 has only its training target


def test_allocation_totals(targets, units):
    alloc = targets[(targets["year"] == 2020) & (targets["unit_code"] != units.root().code)]
    sums = alloc.groupby("indicator")["value"].sum().to_dict()
    assert sums["urban_new_employment"] == 41000
    assert sums["guarantee_loans"] == 2000
    assert sums["vocational_training"] == 15000
    total_row = pd.read_csv(PUBLISHED, dtype=str).set_index("序号").loc["合计"]
    assert [int(total_row[c]) for c in list(COLUMN_OF.values())[:3]] == [41000, 2000, 15000]
    bureau = alloc[alloc["unit_code"] == units.resolve("区就业局")].iloc[0]
    assert (bureau["indicator"], bureau["value"], bureau["note"]) == ("vocational_training", 3000, "创业培训")


def test_district_own_targets_from_the_work_plan(targets, units):
    own = targets[(targets["year"] == 2020) & (targets["unit_code"] == units.root().code)].set_index("indicator")
    assert own.loc["urban_new_employment", "value"] == 31000
    assert own.loc["guarantee_loans", "value"] == 1800
    assert own.loc["vocational_training", "value"] == 14100
    assert own.loc["enterprise_skill_training", "value"] == 3000
    # the work plan's 90% is the year-end rate of all graduates, its own indicator; the
    # breakdown table's ≥95% for 离校未就业 graduates is not the district's to carry
    assert own.loc["graduate_year_end_rate", "value"] == 90
    assert "graduate_employment_rate" not in own.index
    # the work plan's own wording is kept
    assert own.loc["graduate_year_end_rate", "published_label"] == "高校毕业生年底就业率"
    plan = pd.read_csv(DISTRICT, dtype=str).set_index("indicator")
    assert plan.loc["高校毕业生年底就业率", "target"] == "90"
    assert plan.loc["城镇新增就业", "target"] == "31000"


def test_target_versions_by_effective_date():
    rows = pd.DataFrame([
        dict(year=2020, unit_code="u", indicator="i", value=100.0, effective_from=date(2020, 1, 1)),
        dict(year=2020, unit_code="u", indicator="i", value=120.0, effective_from=date(2020, 7, 1)),
        dict(year=2020, unit_code="v", indicator="i", value=50.0, effective_from=date(2020, 5, 1)),
    ])
    june = targets_in_force(rows, 2020, date(2020, 6, 30)).set_index("unit_code")
    assert june.loc["u", "value"] == 100 and june.loc["v", "value"] == 50  # v: adopted later, still the year's
    july = targets_in_force(rows, 2020, date(2020, 7, 1)).set_index("unit_code")
    assert july.loc["u", "value"] == 120


def test_normalise_name():
    assert normalise_name("杨家坪（街道）\u200b ") == "杨家坪(街道)"
