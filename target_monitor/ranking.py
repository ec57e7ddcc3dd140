"""Ranking of units per indicator and overall, the change since the previous month end, and flags.

Pure functions over progress tables (`progress.progress_table`): no SQL, no Streamlit. The rank
of a unit on an indicator is the progress table's own `rank` (completion for counts and amounts,
the rate itself for rates; competition ranking "1224"), so every page shows the same rank.

- Overall rank: the mean of a unit's ranks over the indicators on which units are ranked, lower
  is better (competition ranking on the mean rounded to two decimals). A unit not ranked on every
  such indicator (e.g. a department with a single target) is left out of the overall rank rather
  than compared on fewer tasks.
- Rank change: previous rank − current rank, so +2 means "up two places". It is measured against
  the end of the previous month (31 May for any date in June); in January there is none.
- Flags (data/reference/flags.yaml): configurable rules, e.g. the bottom two on new employment
  get a red flag, units more than 10 pp behind pace a yellow one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from target_monitor.present import is_missing
from target_monitor.registry import Registry

OVERALL = "__overall__"
COLOURS = ("red", "yellow")
RULES = ("bottom_n", "behind_pp", "not_met")
FLAGS_FILE = "flags.yaml"


class FlagConfigError(ValueError):
    """flags.yaml is wrong; the message names the file, the entry and what to fix."""


@dataclass(frozen=True)
class FlagRule:
    name: str
    rule: str
    colour: str
    label: dict[str, str]
    indicator: str | None = None
    n: int | None = None
    pp: float | None = None


def previous_month_end(as_of: date) -> date | None:
    """The last day of the month before `as_of`'s month; None in January (no earlier month this year)."""
    if as_of.month == 1:
        return None
    prev = as_of.month - 1
    return date(as_of.year, prev, calendar.monthrange(as_of.year, prev)[1])


def load_flag_rules(ref_dir: Path, registry: Registry | None = None) -> list[FlagRule]:
    """Read and check `<ref_dir>/flags.yaml` (falls back to the shipped file). No file: no flags."""
    from target_monitor.paths import SHIPPED_REFERENCE_DIR

    path = Path(ref_dir) / FLAGS_FILE
    if not path.exists():
        path = SHIPPED_REFERENCE_DIR / FLAGS_FILE
        if not path.exists():
            return []
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise FlagConfigError(f"{path}: 不是有效的 YAML（{exc}）。请检查缩进和冒号。") from None
    return parse_flag_rules(doc, str(path), registry)


def parse_flag_rules(doc: dict, where: str = FLAGS_FILE, registry: Registry | None = None) -> list[FlagRule]:
    rules = []
    for i, raw in enumerate(doc.get("flags") or [], start=1):
        name = raw.get("name") or f"#{i}"
        at = f"{where} 第{i}条（{name}）"
        rule = raw.get("rule")
        if rule not in RULES:
            raise FlagConfigError(f"{at}：rule 为 {rule!r}，应为 {' / '.join(RULES)} 之一。")
        colour = raw.get("colour")
        if colour not in COLOURS:
            raise FlagConfigError(f"{at}：colour 为 {colour!r}，应为 red 或 yellow。")
        label = raw.get("label") or {}
        if not label.get("zh") or not label.get("en"):
            raise FlagConfigError(f"{at}：缺少 label 的 zh 或 en 文字，请补上。")
        indicator = raw.get("indicator")
        if indicator is not None and registry is not None and indicator not in registry.names:
            raise FlagConfigError(f"{at}：未知指标 {indicator}，可用指标：{', '.join(registry.names)}。")
        n = raw.get("n")
        pp = raw.get("pp")
        if rule == "bottom_n":
            if indicator is None or not isinstance(n, int) or n < 1:
                raise FlagConfigError(f"{at}：bottom_n 需要 indicator 和正整数 n。")
        if rule == "behind_pp" and (not isinstance(pp, (int, float)) or pp < 0):
            raise FlagConfigError(f"{at}：behind_pp 需要非负数 pp（百分点）。")
        rules.append(FlagRule(name=name, rule=rule, colour=colour, label={"zh": label["zh"], "en": label["en"]},
                              indicator=indicator, n=n, pp=float(pp) if pp is not None else None))
    return rules


def _children(progress: pd.DataFrame) -> pd.DataFrame:
    return progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]


def indicator_ranks(now: pd.DataFrame, before: pd.DataFrame | None) -> pd.DataFrame:
    """One row per ranked child unit × indicator: unit_code, indicator, rank, rank_of, prev_rank, rank_change."""
    cur = _children(now)
    cur = cur[cur["rank"].notna()][["unit_code", "indicator", "rank", "rank_of"]].copy()
    if before is not None:
        prev = _children(before)
        prev = prev[prev["rank"].notna()][["unit_code", "indicator", "rank"]].rename(columns={"rank": "prev_rank"})
        cur = cur.merge(prev, on=["unit_code", "indicator"], how="left")
    else:
        cur["prev_rank"] = pd.NA
    cur["prev_rank"] = cur["prev_rank"].astype("Int64")
    cur["rank"] = cur["rank"].astype("Int64")
    cur["rank_change"] = (cur["prev_rank"] - cur["rank"]).astype("Int64")
    return cur.reset_index(drop=True)


def _competition(values: dict[str, float]) -> dict[str, int]:
    ordered = sorted(values.items(), key=lambda kv: (kv[1], kv[0]))
    ranks: dict[str, int] = {}
    for pos, (code, v) in enumerate(ordered, start=1):
        if pos > 1 and v == ordered[pos - 2][1]:
            ranks[code] = ranks[ordered[pos - 2][0]]
        else:
            ranks[code] = pos
    return ranks


def _overall(progress: pd.DataFrame) -> dict[str, tuple[int, float]]:
    cur = _children(progress)
    ranked = cur[cur["rank"].notna()]
    indicators = sorted(set(ranked["indicator"]))
    means: dict[str, float] = {}
    for code in dict.fromkeys(cur["unit_code"]):
        mine = ranked[ranked["unit_code"] == code]
        if indicators and set(mine["indicator"]) == set(indicators):
            means[code] = round(sum(float(r) for r in mine["rank"]) / len(indicators), 2)
    ranks = _competition(means)
    return {code: (ranks[code], means[code]) for code in means}


def overall_ranks(now: pd.DataFrame, before: pd.DataFrame | None) -> pd.DataFrame:
    """unit_code, overall_rank, mean_rank, overall_of, prev_overall_rank, overall_change (+ = up)."""
    cur = _overall(now)
    prev = _overall(before) if before is not None else {}
    rows = []
    for code, (rank, mean) in cur.items():
        p = prev.get(code)
        rows.append({"unit_code": code, "overall_rank": rank, "mean_rank": mean, "overall_of": len(cur),
                     "prev_overall_rank": p[0] if p else None, "overall_change": (p[0] - rank) if p else None})
    out = pd.DataFrame(rows, columns=["unit_code", "overall_rank", "mean_rank", "overall_of", "prev_overall_rank",
                                      "overall_change"])
    for col in ("overall_rank", "overall_of", "prev_overall_rank", "overall_change"):
        out[col] = out[col].astype("Int64")
    return out.sort_values(["overall_rank", "unit_code"]).reset_index(drop=True)


def flags(progress: pd.DataFrame, rules: list[FlagRule]) -> pd.DataFrame:
    """unit_code, indicator, flag, colour: one row per flag raised."""
    cur = _children(progress)
    if "is_ranked" in cur:  # a department (区就业局) is not flagged among the 街镇 (rules.yaml unranked_unit_types)
        cur = cur[cur["is_ranked"].astype(bool)]
    rows = []
    for rule in rules:
        sel = cur if rule.indicator is None else cur[cur["indicator"] == rule.indicator]
        if rule.rule == "bottom_n":
            ranked = sel[sel["rank"].notna()]
            if ranked.empty:
                continue
            n_ranked = int(ranked["rank_of"].iloc[0])
            # the last n places: rank > n_ranked − n; ties at the cut-off share the flag
            hit = ranked[ranked["rank"].astype(int) > n_ranked - rule.n]
        elif rule.rule == "behind_pp":
            sel = sel[sel["kind"] == "cumulative"]
            hit = sel[sel["gap_pp"].notna() & (sel["gap_pp"] < -rule.pp) & (sel["status"] != "done")]
        else:  # not_met
            hit = sel[sel["status"] == "not_met"]
        for r in hit.itertuples(index=False):
            rows.append({"unit_code": r.unit_code, "indicator": r.indicator, "flag": rule.name, "colour": rule.colour})
    return pd.DataFrame(rows, columns=["unit_code", "indicator", "flag", "colour"])


@dataclass
class Ranking:
    """Everything the ranking views show, for one as-of date."""

    as_of: date
    previous: date | None
    by_indicator: pd.DataFrame  # indicator_ranks
    overall: pd.DataFrame  # overall_ranks
    flags: pd.DataFrame  # flags
    rules: list[FlagRule]

    def rank_of(self, unit_code: str, indicator: str) -> dict | None:
        sel = self.by_indicator[(self.by_indicator["unit_code"] == unit_code)
                                & (self.by_indicator["indicator"] == indicator)]
        return None if sel.empty else sel.iloc[0].to_dict()

    def unit_flags(self, unit_code: str, indicator: str | None = None) -> list[FlagRule]:
        sel = self.flags[self.flags["unit_code"] == unit_code]
        if indicator is not None:
            sel = sel[sel["indicator"] == indicator]
        names = list(dict.fromkeys(sel["flag"]))
        return [r for r in self.rules if r.name in names]


def build_ranking(now: pd.DataFrame, before: pd.DataFrame | None, as_of: date, rules: list[FlagRule]) -> Ranking:
    return Ranking(as_of=as_of, previous=previous_month_end(as_of), by_indicator=indicator_ranks(now, before),
                   overall=overall_ranks(now, before), flags=flags(now, rules), rules=rules)


def fmt_change(change) -> str:
    """↑2 / ↓1 / — (no change) / '' (no previous rank)."""
    if is_missing(change):
        return ""
    change = int(change)
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "—"


def ranking_table(progress: pd.DataFrame, rk: Ranking, registry: Registry, names: dict[str, str],
                  lang: str) -> pd.DataFrame:
    """The ranking as a table people read: overall rank and change, per indicator the status,
    the figure, the rank and its change, and the flags in words (never colour alone)."""
    from target_monitor.i18n import status_label, t
    from target_monitor.present import fmt_number, fmt_pct

    children = _children(progress)
    ranked_inds = [i for i in registry.indicators
                   if children[(children["indicator"] == i.name) & children["rank"].notna()].shape[0]]
    overall = {r.unit_code: r for r in rk.overall.itertuples(index=False)}
    codes = list(rk.overall["unit_code"]) + [c for c in dict.fromkeys(children["unit_code"]) if c not in overall]
    rows = []
    for code in codes:
        o = overall.get(code)
        line = {
            t("meeting_overall_rank", lang): int(o.overall_rank) if o is not None else None,
            t("ranking_change", lang): fmt_change(o.overall_change) if o is not None else "",
            t("ranking_mean_rank", lang): o.mean_rank if o is not None else None,
            t("unit", lang): names.get(code, code),
        }
        for ind in ranked_inds:
            sel = children[(children["unit_code"] == code) & (children["indicator"] == ind.name)]
            r = sel.iloc[0] if len(sel) else None
            if r is None or is_missing(r["rank"]):
                line[ind.short_label[lang]] = "—"
                continue
            value = f"{fmt_number(ind, r['actual'])}%" if ind.is_rate else fmt_pct(r["completion_pct"])
            info = rk.rank_of(code, ind.name) or {}
            line[ind.short_label[lang]] = (f"{status_label(r['status'], lang)} {value} "
                                          f"{t('meeting_rank_n', lang, n=int(r['rank']))}{fmt_change(info.get('rank_change'))}")
        flag_words = []
        for rule in rk.unit_flags(code):
            inds = rk.flags[(rk.flags["unit_code"] == code) & (rk.flags["flag"] == rule.name)]["indicator"]
            labels = "、".join(registry.get(i).short_label[lang] for i in inds) if lang == "zh" else \
                ", ".join(registry.get(i).short_label[lang] for i in inds)
            flag_words.append(f"⚑{t('flag_' + rule.colour, lang)} {rule.label[lang]}（{labels}）")
        line[t("meeting_flags", lang)] = "；".join(flag_words) if lang == "zh" else "; ".join(flag_words)
        rows.append(line)
    return pd.DataFrame(rows)
