"""The indicator registry: every entry complete, bad entries rejected with their name."""

import copy

import pytest
import yaml

from target_monitor.registry import REGISTRY_PATH, RegistryError, load_registry, parse_registry

DOC = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))


def test_shipped_registry_declares_the_work_plans_indicators():
    reg = load_registry()
    assert reg.names == (
        "urban_new_employment", "guarantee_loans", "vocational_training",
        "enterprise_skill_training", "graduate_employment_rate", "graduate_year_end_rate",
        # the work plan's other district targets, its ceiling rate, and two counts by category flag
        "internship_bases", "internship_participants", "chengkou_labour_transfer", "chengkou_training",
        "registered_unemployment_rate", "reemployment_of_unemployed", "hard_to_employ_employed",
    )
    assert reg.get("internship_bases").unit["zh"] == "家" and reg.get("chengkou_training").unit["zh"] == "人次"
    rate = reg.get("registered_unemployment_rate")
    assert rate.kind == "ceiling_rate" and rate.reported_only and rate.unit["zh"] == "%"
    assert {i.name for i in reg.indicators if i.reported_only} == {
        "chengkou_labour_transfer", "chengkou_training", "registered_unemployment_rate"}
    assert reg.get("hard_to_employ_employed").filter == {"is_hard_to_employ": ("是",)}
    assert reg.get("reemployment_of_unemployed").filter == {"is_unemployed": ("是",)}
    assert all(c.optional for c in reg.extracts["new_employment"].columns if c.name.startswith("is_"))
    assert reg.get("graduate_employment_rate").kind == "floor_rate"
    # both graduate rates are year-end figures; training is counted in 人次
    assert reg.get("graduate_employment_rate").judge_from_month == 12
    assert reg.get("graduate_year_end_rate").judge_from_month == 12
    assert reg.get("urban_new_employment").judge_from_month is None
    assert reg.get("vocational_training").unit["zh"] == "人次"
    assert reg.get("enterprise_skill_training").unit["zh"] == "人次"
    assert reg.get("enterprise_skill_training").filter == {"training_type": ("岗位技能提升培训",)}
    assert reg.get("guarantee_loans").scale == 0.0001  # yuan -> 万元


@pytest.mark.parametrize("ind", load_registry().indicators, ids=lambda i: i.name)
def test_every_indicator_has_label_unit_format_and_description(ind):
    for field in ("label", "short_label", "unit", "description"):
        for lang in ("zh", "en"):
            assert getattr(ind, field)[lang].strip(), f"{ind.name} lacks {field}.{lang}"
    assert ind.format in ("int", "wan_yuan", "pct1", "float1")


def _mutated(fn):
    doc = copy.deepcopy(DOC)
    fn(doc)
    return doc


def _by_name(doc, name):
    return next(i for i in doc["indicators"] if i["name"] == name)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["indicators"].append(copy.deepcopy(d["indicators"][0])), "'urban_new_employment' is declared twice"),
        (lambda d: _by_name(d, "guarantee_loans").update(extract="loanz"), "'guarantee_loans': unknown extract 'loanz'"),
        (lambda d: _by_name(d, "guarantee_loans").update(column="amount_wan"), "'guarantee_loans': column 'amount_wan' is not a column"),
        (lambda d: _by_name(d, "urban_new_employment").update(date_column="hired_on"), "'urban_new_employment': date_column 'hired_on'"),
        (lambda d: _by_name(d, "enterprise_skill_training").update(filter={"kind": ["x"]}), "'enterprise_skill_training': filter column 'kind'"),
        (lambda d: _by_name(d, "enterprise_skill_training").update(filter={"training_type": ["瑜伽"]}), "filter value(s) ['瑜伽']"),
        (lambda d: _by_name(d, "vocational_training").pop("label"), "'vocational_training': missing label"),
        (lambda d: _by_name(d, "vocational_training")["unit"].pop("en"), "'vocational_training': unit has no en text"),
        (lambda d: _by_name(d, "vocational_training").update(format="money"), "'vocational_training': format 'money'"),
        (lambda d: _by_name(d, "vocational_training").update(kind="average"), "'vocational_training': kind 'average'"),
        (lambda d: _by_name(d, "graduate_employment_rate").update(numerator_date_column="hired"), "'graduate_employment_rate': numerator_date_column"),
        (lambda d: _by_name(d, "vocational_training").update(dimensions=["bank"]), "dimension 'bank'"),
        (lambda d: _by_name(d, "vocational_training").update(colour="red"), "unknown field(s) ['colour']"),
        (lambda d: _by_name(d, "graduate_year_end_rate").update(judge_from_month=13), "'graduate_year_end_rate': judge_from_month 13"),
    ],
)
def test_bad_entries_are_rejected_naming_the_entry(mutate, message):
    with pytest.raises(RegistryError) as err:
        parse_registry(_mutated(mutate))
    assert message in str(err.value)


def test_a_new_indicator_needs_no_code(tmp_path):
    """公益性岗位安置 as one more entry: it flows into the events view and the progress table."""
    doc = _mutated(lambda d: d["indicators"].append({
        "name": "public_welfare_jobs",
        "label": {"zh": "公益性岗位安置", "en": "Public-welfare job placements"},
        "short_label": {"zh": "公益性岗位", "en": "Welfare jobs"},
        "description": {"zh": "安置到公益性岗位的就业困难人员。", "en": "Hard-to-employ people placed in public-welfare jobs."},
        "unit": {"zh": "人", "en": "persons"},
        "extract": "new_employment", "kind": "cumulative", "date_column": "employed_on", "measure": "count",
        "filter": {"group": ["就业困难人员"]}, "format": "int", "order": 14,
    }))
    reg = parse_registry(doc)
    assert reg.names[-1] == "public_welfare_jobs"
