"""Deterministic benchmark data at four scales, with unit trees and targets.

    uv run python -m benchmarks.generate --tier district|city|province|national --out DIR

| tier | new-employment records / year | years | leaf units | tree |
|---|---|---|---|---|
| district | ~100 k | 2 | 14 | district → 14 街镇 |
| city | ~2 M | 2 | 300 | city → 20 districts → 15 街镇 |
| province | ~10 M | 2 | 1,500 | province → 10 cities → 10 districts → 15 街镇 |
| national | ~15 M | 5 | 6,000 | nation → 30 provinces → 10 cities → 2 districts → 10 街镇 |

Everything is vectorised (numpy + Arrow compute, dictionary-encoded text), so the national
tier (75 M new-employment rows) is written in minutes, not hours. Same seed, same rows.
The other extracts scale with new employment as in the demo: training ~0.37×, loans (count)
~0.0035×, graduates ~0.09×. Monthly seasonality has the demo's year-end push; unit sizes
are log-normal, so some units are ten times others, as in real trees.
"""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from target_monitor.paths import REPO_ROOT, SHIPPED_REFERENCE_DIR
from target_monitor.registry import load_registry

SEASON = np.array([7, 5, 8.5, 8.5, 8.5, 9, 8.5, 8, 8.5, 8, 9, 12.5])
GROUPS = ["高校毕业生", "就业困难人员", "失业人员再就业", "农村劳动力", "退役军人", "其他"]
GROUP_P = [0.22, 0.10, 0.28, 0.30, 0.03, 0.07]
FORMS = ["单位就业", "灵活就业", "自主创业"]
FORM_P = [0.62, 0.30, 0.08]
TRAINING = ["就业技能培训", "岗位技能提升培训", "创业培训"]
TRAINING_P = [0.67, 0.25, 0.08]
BANKS = ["重庆农村商业银行", "中国邮政储蓄银行", "重庆银行", "中国建设银行", "中国工商银行", "重庆三峡银行"]
BANK_P = [0.35, 0.2, 0.15, 0.12, 0.1, 0.08]


@dataclass(frozen=True)
class Tier:
    name: str
    fanout: tuple[int, ...]  # children per level below the root
    level_types: tuple[str, ...]  # unit_type of each level, root first
    records_per_year: int
    years: tuple[int, ...]


TIERS = {
    "district": Tier("district", (14,), ("district", "street"), 100_000, (2019, 2020)),
    "city": Tier("city", (20, 15), ("city", "district", "street"), 2_000_000, (2019, 2020)),
    "province": Tier("province", (10, 10, 15), ("province", "city", "district", "street"), 10_000_000, (2019, 2020)),
    "national": Tier("national", (30, 10, 2, 10), ("province", "province", "city", "district", "street"),
                     15_000_000, (2016, 2017, 2018, 2019, 2020)),
}
RATIOS = {"training": 0.37, "loans": 0.0035, "graduates": 0.09}


def unit_tree(tier: Tier) -> list[dict]:
    """Rows for units.csv: a full tree with hierarchical codes (B, B-01, B-01-07, ...)."""
    rows = [dict(unit_code="B", name=f"{tier.name}测试区域", name_en=f"Bench {tier.name}", short_name="测试",
                 unit_type=tier.level_types[0], parent_code="", sort_order=0, aliases="")]
    level = [rows[0]]
    for depth, fan in enumerate(tier.fanout, start=1):
        nxt = []
        for parent in level:
            for i in range(1, fan + 1):
                code = f"{parent['unit_code']}-{i:02d}"
                nxt.append(dict(unit_code=code, name=f"单位{code}", name_en=f"Unit {code}", short_name=code,
                                unit_type=tier.level_types[depth], parent_code=parent["unit_code"], sort_order=i,
                                aliases=""))
        rows.extend(nxt)
        level = nxt
    return rows


def _leaves(units: list[dict]) -> list[str]:
    parents = {u["parent_code"] for u in units}
    return [u["unit_code"] for u in units if u["unit_code"] not in parents]


def _dict_array(rng, values: list[str], p, n: int) -> pa.DictionaryArray:
    idx = rng.choice(len(values), size=n, p=p).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(values))


def _ids(prefix: str, start: int, n: int, width: int) -> pa.Array:
    nums = pc.utf8_lpad(pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), nums, "")


def _person_keys(rng, n: int) -> pa.Array:
    # 18-character ID-like keys (not valid ID numbers): region 5001xx + 12 random digits
    region = pc.cast(pa.array(500100 + rng.integers(0, 100, n)), pa.string())
    rest = pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**12, n, dtype=np.int64)), pa.string()), 12, "0")
    return pc.binary_join_element_wise(region, rest, "")


def _dates(rng, year: int, n: int, weights: np.ndarray) -> np.ndarray:
    month = rng.choice(12, size=n, p=weights / weights.sum())
    starts = np.array([np.datetime64(f"{year}-{m + 1:02d}-01") for m in range(12)] + [np.datetime64(f"{year + 1}-01-01")])
    lengths = (starts[1:] - starts[:-1]).astype(int)
    day = (rng.random(n) * lengths[month]).astype(int)
    return starts[month] + day.astype("timedelta64[D]")


def _write_partitioned(table: pa.Table, date_col: str, folder: Path) -> int:
    """Append the rows to the extract's Delta table (created by the first call), partitioned by
    year=YYYY/month=MM like every store the app writes."""
    from deltalake import write_deltalake

    from target_monitor.tables_delta import PARTITIONS, with_partitions

    plain = pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                       for f in table.schema])
    folder.mkdir(parents=True, exist_ok=True)
    write_deltalake(str(folder), with_partitions(table.cast(plain), date_col), partition_by=PARTITIONS,
                    mode="append")
    return table.num_rows


def generate(tier_name: str | Tier, out: Path, seed: int = 7) -> dict:
    tier = tier_name if isinstance(tier_name, Tier) else TIERS[tier_name]
    rng = np.random.default_rng(seed)
    registry = load_registry()
    if out.exists():
        shutil.rmtree(out)
    (out / "reference").mkdir(parents=True)
    units = unit_tree(tier)
    leaves = _leaves(units)
    size = rng.lognormal(0, 0.6, len(leaves))
    share = size / size.sum()

    import pandas as pd

    pd.DataFrame(units).to_csv(out / "reference" / "units.csv", index=False)
    shutil.copy(SHIPPED_REFERENCE_DIR / "rules.yaml", out / "reference" / "rules.yaml")

    last_year = tier.years[-1]
    n_ne = tier.records_per_year
    # targets for the last year at every node: leaves about their expected volume, parents the sum
    leaf_target = {c: max(10.0, round(n_ne * s / 10) * 10) for c, s in zip(leaves, share)}
    targets = []
    sums: dict[str, float] = {}
    for code, value in leaf_target.items():
        node = code
        while True:
            sums[node] = sums.get(node, 0.0) + value
            parent = node.rpartition("-")[0]  # codes are hierarchical: B-01-07's parent is B-01
            if not parent:
                break
            node = parent
    for code, value in sums.items():
        targets.append(dict(year=last_year, unit_code=code, indicator="urban_new_employment", comparator=">=",
                            value=value, unit="人", note="", published_label="", source="benchmark",
                            effective_from=f"{last_year}-01-01"))
        targets.append(dict(year=last_year, unit_code=code, indicator="vocational_training", comparator=">=",
                            value=round(value * RATIOS["training"]), unit="人", note="", published_label="",
                            source="benchmark", effective_from=f"{last_year}-01-01"))
        targets.append(dict(year=last_year, unit_code=code, indicator="graduate_employment_rate", comparator=">=",
                            value=95, unit="%", note="", published_label="", source="benchmark",
                            effective_from=f"{last_year}-01-01"))
    pd.DataFrame(targets).to_csv(out / "reference" / "targets.csv", index=False)

    leaf_dict = pa.array(leaves)
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    schema = {name: ext for name, ext in registry.extracts.items() if not ext.is_reported}  # records only
    for year in tier.years:
        n = n_ne
        unit_idx = pa.array(rng.choice(len(leaves), size=n, p=share).astype(np.int32))
        table = pa.table({
            "record_id": _ids(f"NE{year}-", 0, n, 9),
            "unit_code": pa.DictionaryArray.from_arrays(unit_idx, leaf_dict),
            "person_key": _person_keys(rng, n),
            "employed_on": pa.array(_dates(rng, year, n, SEASON)),
            "group": _dict_array(rng, GROUPS, GROUP_P, n),
            "form": _dict_array(rng, FORMS, FORM_P, n),
        })
        counts["new_employment"] = counts.get("new_employment", 0) + _write_partitioned(
            table, "employed_on", out / "extracts" / "new_employment")

        n = int(n_ne * RATIOS["training"])
        unit_idx = pa.array(rng.choice(len(leaves), size=n, p=share).astype(np.int32))
        table = pa.table({
            "record_id": _ids(f"TR{year}-", 0, n, 9),
            "unit_code": pa.DictionaryArray.from_arrays(unit_idx, leaf_dict),
            "person_key": _person_keys(rng, n),
            "completed_on": pa.array(_dates(rng, year, n, SEASON)),
            "training_type": _dict_array(rng, TRAINING, TRAINING_P, n),
            "subsidy_yuan": pa.array(rng.integers(800, 2000, n).astype(np.float64)),
        })
        counts["training"] = counts.get("training", 0) + _write_partitioned(
            table, "completed_on", out / "extracts" / "training")

        n = max(1, int(n_ne * RATIOS["loans"]))
        unit_idx = pa.array(rng.choice(len(leaves), size=n, p=share).astype(np.int32))
        firm = rng.random(n) < 0.12
        amount = np.where(firm, rng.integers(50, 300, n) * 10_000, rng.integers(50, 200, n) * 1_000).astype(np.float64)
        table = pa.table({
            "loan_id": _ids(f"LN{year}-", 0, n, 8),
            "unit_code": pa.DictionaryArray.from_arrays(unit_idx, leaf_dict),
            "borrower_type": pa.DictionaryArray.from_arrays(pa.array(firm.astype(np.int32)), pa.array(["个人", "小微企业"])),
            "disbursed_on": pa.array(_dates(rng, year, n, SEASON)),
            "amount_yuan": pa.array(amount),
            "bank": _dict_array(rng, BANKS, BANK_P, n),
        })
        counts["loans"] = counts.get("loans", 0) + _write_partitioned(table, "disbursed_on", out / "extracts" / "loans")

        n = int(n_ne * RATIOS["graduates"])
        unit_idx = pa.array(rng.choice(len(leaves), size=n, p=share).astype(np.int32))
        reg = _dates(rng, year, n, np.array([2, 2, 3, 4, 5, 9, 20, 20, 15, 8, 6, 6], dtype=float))
        lag = rng.exponential(40, n).astype(int).astype("timedelta64[D]")
        employed = reg + lag
        never = rng.random(n) < 0.05
        end = np.datetime64(f"{tier.years[-1]}-12-31")
        table = pa.table({
            "graduate_key": _ids(f"GR{year}-", 0, n, 8),
            "unit_code": pa.DictionaryArray.from_arrays(unit_idx, leaf_dict),
            "cohort_year": pa.array(np.full(n, year, dtype=np.int32)),
            "registered_on": pa.array(reg),
            "employed_on": pa.array(employed, mask=never | (employed > end)),
        })
        counts["graduates"] = counts.get("graduates", 0) + _write_partitioned(
            table, "registered_on", out / "extracts" / "graduates")
    # the volume-bearing extracts; the work plan's small ones (internship bases, interns: a few
    # hundred rows a year whatever the tier) stay empty here
    assert set(counts) == set(schema) - {"internship_bases", "internships"}
    return {"tier": tier.name, "units": len(units), "leaves": len(leaves), "rows": counts,
            "seconds": round(time.perf_counter() - t0, 1)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", choices=list(TIERS), required=True)
    p.add_argument("--out", type=Path, default=None, help="default: benchmarks/data/<tier>")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    out = args.out or (REPO_ROOT / "benchmarks" / "data" / args.tier)
    print(yaml.safe_dump(generate(args.tier, out, args.seed), allow_unicode=True, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
