"""Assessment scoring (考核计分) and the 先进 list, from the progress table and manual work items.

The method (data/reference/scoring.yaml; seed 002 篇1, 三、计分方法):
- 100 points = annual tasks + special tasks + other work items.
- A task scores weight × completion ratio: "完成了目标任务得满分，超额完成任务或未完成任务按比例加减分".
  The ratio is taken from the figures people see (completion % to one decimal ÷ 100), so a score
  can be checked by hand: 30 × 57.8% = 17.34. An optional cap limits the bonus (cap 1.2: at
  most 120% of the weight).
- Floor rates (≥95%) score full when met and rate ÷ target below; never more than full.
- Work items are manual yes/no inputs (<data-dir>/inputs/work_items.csv): `yes_no` items give
  their points when done; `deduct` items lose `per_missing` per missing part, never below 0.
  An item not entered scores 0 and is reported as not entered.
- Scores are rounded half-up to two decimals per item; the total is the sum of the rounded items.
- 先进: total ≥ min_total and every annual and special task completed (ratio ≥ 1); ordered by
  total, ties broken by the special-task completion ratio (weighted mean of the uncapped
  ratios); the top N.
- A unit without a target for a scored indicator is not assessed (不参评): it cannot be compared
  on the same tasks.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import yaml

from target_monitor.pace import round1
from target_monitor.present import is_missing
from target_monitor.registry import Registry

SCORING_FILE = "scoring.yaml"
WORK_ITEMS_FILE = "work_items.csv"
WORK_ITEM_COLUMNS = ["year", "unit_code", "item", "value", "note"]
BASES = ("annual", "time_progress")
TASK_GROUPS = ("annual", "special")
YES = {"1", "是", "yes", "y", "true", "已完成", "完成", "✔"}
NO = {"0", "否", "no", "n", "false", "未完成", "✖"}


class ScoringConfigError(ValueError):
    """scoring.yaml or work_items.csv is wrong; the message names the file, the place and the fix."""


def round2(x: float) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class TaskItem:
    group: str
    indicator: str
    weight: float
    cap: float | None = None


@dataclass(frozen=True)
class WorkItem:
    name: str
    kind: str  # yes_no | deduct
    points: float
    label: dict[str, str]
    parts: int | None = None
    per_missing: float | None = None


@dataclass(frozen=True)
class ScoringConfig:
    basis: str
    group_labels: dict[str, dict[str, str]]
    group_points: dict[str, float]
    tasks: tuple[TaskItem, ...]
    work_label: dict[str, str]
    work_points: float
    work_items: tuple[WorkItem, ...]
    min_total: float = 90.0
    top_n: int = 5
    # what the page and the workbook say about these settings ("本地设定，待领导小组确认"): the
    # weights, the split of the seed's 50/30 points over our indicators and the caps are ours
    local_note: dict[str, str] | None = None

    @property
    def total_points(self) -> float:
        return sum(self.group_points.values()) + self.work_points


def _label(raw, at: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw.get("zh") or not raw.get("en"):
        raise ScoringConfigError(f"{at}：缺少 label 的 zh 或 en 文字，请补上。")
    return {"zh": str(raw["zh"]), "en": str(raw["en"])}


def _num(raw, at: str, name: str, *, positive: bool = True) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (positive and raw <= 0) or raw < 0:
        raise ScoringConfigError(f"{at}：{name} 为 {raw!r}，应为{'正数' if positive else '非负数'}。")
    return float(raw)


def parse_scoring(doc: dict, where: str = SCORING_FILE, registry: Registry | None = None) -> ScoringConfig:
    basis = doc.get("basis", "annual")
    if basis not in BASES:
        raise ScoringConfigError(f"{where}：basis 为 {basis!r}，应为 annual 或 time_progress。")
    groups = doc.get("groups") or {}
    labels, points, tasks = {}, {}, []
    for g in TASK_GROUPS:
        raw = groups.get(g)
        at = f"{where} groups.{g}"
        if not isinstance(raw, dict):
            raise ScoringConfigError(f"{at}：缺少该组（年度任务 annual / 专项任务 special 都要有）。")
        labels[g] = _label(raw.get("label"), at)
        points[g] = _num(raw.get("points"), at, "points")
        weights = 0.0
        for i, item in enumerate(raw.get("items") or [], start=1):
            iat = f"{at}.items 第{i}项"
            ind = item.get("indicator")
            if registry is not None and ind not in registry.names:
                raise ScoringConfigError(f"{iat}：未知指标 {ind}，可用指标：{', '.join(registry.names)}。")
            w = _num(item.get("weight"), iat, "weight")
            cap = item.get("cap")
            if cap is not None:
                cap = _num(cap, iat, "cap")
                if cap < 1:
                    raise ScoringConfigError(f"{iat}：cap 为 {cap}，应不小于 1（1.2 表示最多得权重的120%）。")
            tasks.append(TaskItem(group=g, indicator=ind, weight=w, cap=cap))
            weights += w
        if abs(weights - points[g]) > 1e-9:
            raise ScoringConfigError(f"{at}：各项 weight 之和为 {weights:g}，与 points {points[g]:g} 不符，请调整。")
    work = doc.get("work_items") or {}
    wat = f"{where} work_items"
    work_label = _label(work.get("label"), wat)
    work_points = _num(work.get("points"), wat, "points", positive=False)
    items, total = [], 0.0
    for i, item in enumerate(work.get("items") or [], start=1):
        iat = f"{wat}.items 第{i}项（{item.get('name')}）"
        kind = item.get("kind")
        if kind not in ("yes_no", "deduct"):
            raise ScoringConfigError(f"{iat}：kind 为 {kind!r}，应为 yes_no 或 deduct。")
        if not item.get("name"):
            raise ScoringConfigError(f"{iat}：缺少 name。")
        pts = _num(item.get("points"), iat, "points")
        parts = per = None
        if kind == "deduct":
            parts = item.get("parts")
            if not isinstance(parts, int) or parts < 1:
                raise ScoringConfigError(f"{iat}：deduct 项需要正整数 parts（共几项）。")
            per = _num(item.get("per_missing"), iat, "per_missing")
        items.append(WorkItem(name=item["name"], kind=kind, points=pts, label=_label(item.get("label"), iat),
                              parts=parts, per_missing=per))
        total += pts
    if abs(total - work_points) > 1e-9:
        raise ScoringConfigError(f"{wat}：各项 points 之和为 {total:g}，与 points {work_points:g} 不符，请调整。")
    adv = doc.get("advanced") or {}
    top_n = adv.get("top_n", 5)
    if not isinstance(top_n, int) or top_n < 1:
        raise ScoringConfigError(f"{where} advanced.top_n 为 {top_n!r}，应为正整数。")
    note = doc.get("local_note")
    return ScoringConfig(basis=basis, group_labels=labels, group_points=points, tasks=tuple(tasks),
                         work_label=work_label, work_points=work_points, work_items=tuple(items),
                         min_total=_num(adv.get("min_total", 90), f"{where} advanced", "min_total"), top_n=top_n,
                         local_note=_label(note, f"{where} local_note") if note is not None else None)


def load_scoring(ref_dir: Path, registry: Registry | None = None) -> ScoringConfig:
    from target_monitor.paths import SHIPPED_REFERENCE_DIR

    path = Path(ref_dir) / SCORING_FILE
    if not path.exists():
        path = SHIPPED_REFERENCE_DIR / SCORING_FILE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ScoringConfigError(f"{path}：不是有效的 YAML（{exc}）。请检查缩进和冒号。") from None
    return parse_scoring(doc, str(path), registry)


# ------------------------------------------------------------------ work items (manual inputs)


def work_items_path(data_dir: Path) -> Path:
    return Path(data_dir) / "inputs" / WORK_ITEMS_FILE


def parse_work_value(item: WorkItem, raw, where: str) -> float:
    """yes_no: 1.0 done / 0.0 not done; deduct: the number of missing parts."""
    text = str(raw).strip().lower()
    if item.kind == "yes_no":
        if text in YES:
            return 1.0
        if text in NO:
            return 0.0
        raise ScoringConfigError(f"{where}：{item.label['zh']} 的值为 {raw!r}，应填 是/否（或 1/0）。")
    try:
        missing = float(text)
    except ValueError:
        raise ScoringConfigError(f"{where}：{item.label['zh']} 的值为 {raw!r}，应填缺少的项数（0–{item.parts}）。") from None
    if missing < 0 or missing > item.parts or missing != int(missing):
        raise ScoringConfigError(f"{where}：{item.label['zh']} 的值为 {raw!r}，应为 0–{item.parts} 的整数（缺少的项数）。")
    return missing


def _read_csv_text(path: Path) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a CSV saved by Chinese Excel)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ScoringConfigError(f"{path}：无法识别文件编码，请另存为“CSV UTF-8”后重试。")


def load_work_items(path: Path, config: ScoringConfig, year: int) -> dict[tuple[str, str], float]:
    """{(unit_code, item): value} for `year`. Missing file: nothing entered yet."""
    path = Path(path)
    if not path.exists():
        return {}
    known = {w.name: w for w in config.work_items}
    out: dict[tuple[str, str], float] = {}
    text = _read_csv_text(path)
    for lineno, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        where = f"{path} 第{lineno}行"
        missing_cols = [c for c in ("year", "unit_code", "item", "value") if c not in row]
        if missing_cols:
            raise ScoringConfigError(f"{path}：缺少列 {', '.join(missing_cols)}，表头应为 {','.join(WORK_ITEM_COLUMNS)}。")
        if str(row["year"]).strip() != str(year):
            continue
        item = known.get(str(row["item"]).strip())
        if item is None:
            raise ScoringConfigError(f"{where}：未知工作项 {row['item']!r}，可用：{', '.join(known)}。")
        if str(row["value"]).strip() == "":
            continue
        out[(str(row["unit_code"]).strip(), item.name)] = parse_work_value(item, row["value"], where)
    return out


def save_work_items(path: Path, year: int, values: dict[tuple[str, str], float | None]) -> None:
    """Replace `year`'s rows with `values` (None = not entered), keep other years; atomic write."""
    path = Path(path)
    keep = []
    if path.exists():
        for row in csv.DictReader(io.StringIO(_read_csv_text(path))):
            if str(row.get("year", "")).strip() != str(year):
                keep.append({c: row.get(c, "") for c in WORK_ITEM_COLUMNS})
    for (unit, item), value in sorted(values.items()):
        if value is None:
            continue
        keep.append({"year": year, "unit_code": unit, "item": item, "value": f"{value:g}", "note": ""})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=WORK_ITEM_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(keep)
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)


def work_item_score(item: WorkItem, value: float | None) -> float:
    if value is None:
        return 0.0
    if item.kind == "yes_no":
        return item.points if value >= 1 else 0.0
    return max(0.0, round2(item.points - item.per_missing * value))


# ------------------------------------------------------------------ task scores


def raw_actual(row) -> float | None:
    """The unrounded actual of a progress row: the count or amount itself, or a rate from its
    numerator and denominator (the `actual` column is rounded as it is shown)."""
    if "numerator" not in row or is_missing(row["numerator"]):
        return None if is_missing(row["actual"]) else float(row["actual"])
    if row["kind"] in ("floor_rate", "ceiling_rate"):
        den = row["denominator"]
        return None if is_missing(den) or not den else float(row["numerator"]) / float(den) * 100
    return float(row["numerator"])


def task_ratio(kind: str, actual, target, completion_pct, time_progress_pct: float, basis: str) -> float | None:
    """Completion ratio of one task from the UNROUNDED figures; None when it cannot be scored.

    "完成年度任务" is actual ≥ target on the raw numbers: 3499 of 3500 is not complete although
    it shows as 100.0%, and 94.95% is not ≥95% although it shows as 95.0%. `completion_pct` is
    only used to tell that the table had no completion (no target or a target of 0).
    """
    if is_missing(target) or is_missing(actual):
        return None
    actual, target = float(actual), float(target)
    if kind == "floor_rate":
        return 1.0 if actual >= target else (actual / target if target else None)
    if kind == "ceiling_rate":
        return 1.0 if actual <= target else target / actual
    if not target:
        return None
    ratio = actual / target
    if basis == "time_progress":
        tp = float(time_progress_pct) / 100
        return ratio / tp if tp else None
    return ratio


def task_score(item: TaskItem, ratio: float | None) -> float | None:
    if ratio is None:
        return None
    # rates never exceed 1 (task_ratio); the cap limits the bonus of counts and amounts
    capped = min(ratio, item.cap) if item.cap is not None else ratio
    return round2(item.weight * capped)


@dataclass
class UnitScore:
    unit_code: str
    assessed: bool
    task_scores: dict[str, float | None] = field(default_factory=dict)  # indicator -> points
    task_ratios: dict[str, float | None] = field(default_factory=dict)
    work_scores: dict[str, float] = field(default_factory=dict)  # item -> points
    work_entered: dict[str, bool] = field(default_factory=dict)
    group_totals: dict[str, float] = field(default_factory=dict)
    total: float | None = None
    all_tasks_done: bool = False
    special_ratio: float | None = None
    advanced_rank: int | None = None


def score_units(progress: pd.DataFrame, config: ScoringConfig, work_values: dict[tuple[str, str], float],
                time_progress_pct: float | None = None) -> list[UnitScore]:
    """Score every child unit of the progress table; assessed units first, by total."""
    children = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]
    tp = float(children["time_progress_pct"].iloc[0]) if time_progress_pct is None and len(children) else (time_progress_pct or 0.0)
    out: list[UnitScore] = []
    for code in dict.fromkeys(children["unit_code"]):
        rows = {r["indicator"]: r for _, r in children[children["unit_code"] == code].iterrows()}
        s = UnitScore(unit_code=code, assessed=True)
        for item in config.tasks:
            r = rows.get(item.indicator)
            ratio = None if r is None else task_ratio(r["kind"], raw_actual(r), r["target"], r["completion_pct"], tp,
                                                      config.basis)
            s.task_ratios[item.indicator] = ratio
            s.task_scores[item.indicator] = task_score(item, ratio)
            if ratio is None:
                s.assessed = False
        for w in config.work_items:
            value = work_values.get((code, w.name))
            s.work_entered[w.name] = value is not None
            s.work_scores[w.name] = work_item_score(w, value)
        if s.assessed:
            for g in TASK_GROUPS:
                s.group_totals[g] = round2(sum(s.task_scores[i.indicator] for i in config.tasks if i.group == g))
            s.group_totals["work"] = round2(sum(s.work_scores.values()))
            s.total = round2(sum(s.group_totals.values()))
            s.all_tasks_done = all(s.task_ratios[i.indicator] >= 1 for i in config.tasks)
            special = [i for i in config.tasks if i.group == "special"]
            if special:
                s.special_ratio = sum(i.weight * s.task_ratios[i.indicator] for i in special) / sum(i.weight for i in special)
        out.append(s)
    _rank_advanced(out, config)
    return sorted(out, key=lambda s: (not s.assessed, -(s.total or 0), -(s.special_ratio or 0), s.unit_code))


def _rank_advanced(scores: list[UnitScore], config: ScoringConfig) -> None:
    eligible = [s for s in scores if s.assessed and s.total >= config.min_total and s.all_tasks_done]
    eligible.sort(key=lambda s: (-s.total, -(s.special_ratio or 0), s.unit_code))
    for pos, s in enumerate(eligible[: config.top_n], start=1):
        s.advanced_rank = pos


def advanced_list(scores: list[UnitScore]) -> list[UnitScore]:
    return sorted((s for s in scores if s.advanced_rank), key=lambda s: s.advanced_rank)


def scores_frame(scores: list[UnitScore], config: ScoringConfig) -> pd.DataFrame:
    """One row per unit: unit_code, assessed, <indicator> points…, annual, special, work, total,
    all_tasks_done, special_ratio, advanced_rank, work_missing (items not entered)."""
    rows = []
    for s in scores:
        row = {"unit_code": s.unit_code, "assessed": s.assessed}
        for i in config.tasks:
            row[i.indicator] = s.task_scores.get(i.indicator)
        row["annual"] = s.group_totals.get("annual")
        row["special"] = s.group_totals.get("special")
        row["work"] = s.group_totals.get("work", round2(sum(s.work_scores.values())))
        row["total"] = s.total
        row["all_tasks_done"] = s.all_tasks_done
        row["special_ratio"] = s.special_ratio
        row["advanced_rank"] = s.advanced_rank
        row["work_missing"] = [w for w, entered in s.work_entered.items() if not entered]
        rows.append(row)
    return pd.DataFrame(rows)


def demo_work_items(unit_codes: list[str], year: int) -> dict[tuple[str, str], float]:
    """Work-item inputs for the demo: every item done, except 陶家镇 (-13) without its
    labour-resource ledger and 铜罐驿镇 (-12) missing two of its five plans and summaries."""
    values: dict[tuple[str, str], float] = {}
    for code in unit_codes:
        values[(code, "plan_on_time")] = 1.0
        values[(code, "migrant_ledger")] = 1.0
        values[(code, "labour_ledger")] = 0.0 if code.endswith("-13") else 1.0
        values[(code, "plans_and_summaries")] = 2.0 if code.endswith("-12") else 0.0
        values[(code, "other_assigned_work")] = 1.0
    return values


# ------------------------------------------------------------------ tables for the scores page


def _paren(label: str, points: float, lang: str) -> str:
    return f"{label}（{points:g}）" if lang == "zh" else f"{label} ({points:g})"


def score_table(scores: list[UnitScore], config: ScoringConfig, registry: Registry, names: dict[str, str],
                lang: str) -> pd.DataFrame:
    """Assessed units by total: place, unit, each task's points, group subtotals, total, 先进."""
    from target_monitor.i18n import t

    rows = []
    place = 0
    for s in scores:
        if not s.assessed:
            continue
        place += 1
        line = {t("meeting_place", lang): place, t("unit", lang): names.get(s.unit_code, s.unit_code)}
        for g in TASK_GROUPS:
            for item in (i for i in config.tasks if i.group == g):
                line[_paren(registry.get(item.indicator).short_label[lang], item.weight, lang)] = \
                    s.task_scores[item.indicator]
            line[_paren(config.group_labels[g][lang], config.group_points[g], lang)] = s.group_totals[g]
        line[_paren(config.work_label[lang], config.work_points, lang)] = s.group_totals["work"]
        line[t("score_total", lang)] = s.total
        line[t("score_all_done", lang)] = ("✔ " + t("yes", lang)) if s.all_tasks_done else ("✖ " + t("no", lang))
        line[t("score_advanced", lang)] = t("score_advanced_n", lang, n=s.advanced_rank) if s.advanced_rank else ""
        rows.append(line)
    table = pd.DataFrame(rows)
    if config.local_note:
        table.attrs["note"] = config.local_note[lang]  # the workbook writes it under the table
    return table


def work_items_grid(scores: list[UnitScore], config: ScoringConfig, values: dict[tuple[str, str], float],
                    names: dict[str, str], lang: str) -> pd.DataFrame:
    """The editable grid: one row per assessed unit; yes/no items as booleans, deduct items as
    the number of missing parts. Column names are the items' keys; the page labels them."""
    rows = []
    for s in scores:
        if not s.assessed:
            continue
        line = {"unit_code": s.unit_code, "unit": names.get(s.unit_code, s.unit_code)}
        for w in config.work_items:
            v = values.get((s.unit_code, w.name))
            line[w.name] = (None if v is None else bool(v >= 1)) if w.kind == "yes_no" else (None if v is None else int(v))
        rows.append(line)
    return pd.DataFrame(rows)


def grid_to_values(grid: pd.DataFrame, config: ScoringConfig) -> dict[tuple[str, str], float | None]:
    out: dict[tuple[str, str], float | None] = {}
    for _, row in grid.iterrows():
        for w in config.work_items:
            v = row.get(w.name)
            if is_missing(v) or (isinstance(v, float) and pd.isna(v)):
                out[(row["unit_code"], w.name)] = 0.0 if w.kind == "yes_no" else None
            elif w.kind == "yes_no":
                out[(row["unit_code"], w.name)] = 1.0 if bool(v) else 0.0
            else:
                out[(row["unit_code"], w.name)] = float(max(0, min(w.parts, int(v))))
    return out
