"""Traffic-light (亮灯) rules: a deployment's own status scheme, evaluated from a declarative file.

Cities judge their units by different rules (银川: 10–30 百分点 behind = yellow; 三亚: below half of
序时进度 = red; 天津: green needs the plan *and* the units' average). The rules are data
(`status_rules:` in data/reference/rules.yaml, or a file given to `progress --rules`), evaluated
in order: the first rule whose every condition holds gives the status, and the rule that fired is
said in words beside it ("黄：落后序时进度12.3个百分点（规则：10–30个百分点）").

The scheme applies to counts and amounts with an annual target (kind `cumulative`) that have a
target and a figure; rates keep 达标/未达标 against their floor or ceiling, a year-end rate keeps
年底考核, and on 31 December a short count stays 未完成 (see pace.year_end_statuses).

Pure functions over the rows of the progress table: no SQL, no Streamlit. docs/rules.md has the
file format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from target_monitor import pace
from target_monitor.i18n import status_label, t

# statuses the scheme may give (the built-in ones need no colour entry)
RULED_STATUSES = (pace.DONE, pace.AHEAD, pace.SLIGHTLY_BEHIND, pace.FAR_BEHIND)
UNRATED = "unrated"  # no rule of the scheme applies (a scheme that leaves a gap, such as 银川's 0–10 百分点)
BENCHMARKS = ("linear", "historical")
BOUND_KEYS = ("min", "max", "over", "under")
MEASURES = ("completion_pct", "yoy_change", "gap_pp")
CONDITION_KEYS = ("completed", "not_started", "gap_pp", "behind_pp", "share_of_benchmark", "yoy_change",
                  "at_or_above_peer_average", "below_peer_average", "consecutive")


class RulesFileError(ValueError):
    """A rules file that cannot be used: the message names the file, the rule and what to fix."""


@dataclass(frozen=True)
class Colour:
    key: str
    zh: str
    en: str
    symbol: str = ""

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


_CONDITIONS: dict = {}  # a rule's `when`, thawed once


@dataclass(frozen=True)
class Rule:
    status: str
    when: tuple  # ((condition, value), ...), value made hashable
    describe_zh: str
    describe_en: str
    rule_id: str = ""
    indicators: tuple[str, ...] = ()  # empty: every indicator

    @property
    def conditions(self) -> dict:
        cached = _CONDITIONS.get(self.when)
        if cached is None:
            cached = _CONDITIONS[self.when] = {k: _thaw(v) for k, v in self.when}
        return cached

    def describe(self, lang: str) -> str:
        return self.describe_zh if lang == "zh" else self.describe_en

    def applies_to(self, indicator: str) -> bool:
        return not self.indicators or indicator in self.indicators

    @property
    def is_event(self) -> bool:
        return "consecutive" in self.conditions


@dataclass(frozen=True)
class Scheme:
    name: str
    rules: tuple[Rule, ...]
    colours: tuple[Colour, ...] = ()
    benchmark: str = "linear"  # which yardstick the gaps are measured against: 序时进度 or 历史同期进度
    source: str = field(default="", compare=False)

    def colour(self, key: str) -> Colour | None:
        return next((c for c in self.colours if c.key == key), None)

    def label(self, status: str, lang: str) -> str:
        c = self.colour(status)
        if c is not None:
            return f"{c.symbol} {c.label(lang)}".strip()
        return status_label(status, lang)

    def word(self, status: str, lang: str) -> str:
        """The status in one word, no symbol ("黄", "略慢于序时")."""
        c = self.colour(status)
        return c.label(lang) if c is not None else status_label(status, lang, symbol=False)

    @property
    def needs_history(self) -> int:
        """How many month ends (this one included) an event rule looks at; 0 for none."""
        return max((int(r.conditions["consecutive"]["months"]) for r in self.rules if r.is_event), default=0)

    def without_events(self) -> "Scheme":
        return Scheme(self.name, tuple(r for r in self.rules if not r.is_event), self.colours, self.benchmark,
                      self.source)


def _freeze(v):
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ("__list__",) + tuple(_freeze(x) for x in v)
    return v


def _thaw(v):
    if isinstance(v, tuple) and v and v[0] == "__list__":
        return [_thaw(x) for x in v[1:]]
    if isinstance(v, tuple):
        return {k: _thaw(x) for k, x in v}
    return v


def default_scheme(slightly_behind_pp: float = 10.0) -> Scheme:
    """The product's own four statuses, as they were before schemes were configurable."""
    pp = f"{slightly_behind_pp:g}"
    return Scheme("default", (
        Rule(pace.DONE, _freeze({"completed": True}), "完成年度目标", "annual target reached", "done"),
        Rule(pace.AHEAD, _freeze({"gap_pp": {"min": 0}}), "达到或快于序时进度", "at or ahead of pace", "ahead"),
        Rule(pace.SLIGHTLY_BEHIND, _freeze({"behind_pp": {"max": slightly_behind_pp}}),
             f"落后不超过{pp}个百分点", f"behind by at most {pp} pp", "slightly_behind"),
        Rule(pace.FAR_BEHIND, _freeze({}), f"落后超过{pp}个百分点", f"behind by more than {pp} pp", "far_behind"),
    ))


def _bounds(where: str, v) -> dict:
    if not isinstance(v, dict) or not v or set(v) - set(BOUND_KEYS):
        raise RulesFileError(f"{where}: give bounds as {{min/max/over/under: number}}, not {v!r}")
    for k, x in v.items():
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            raise RulesFileError(f"{where}: {k} must be a number, not {x!r}")
    return v


def parse_scheme(raw: dict, source: str = "rules.yaml", slightly_behind_pp: float = 10.0) -> Scheme:
    """A `status_rules:` mapping as a Scheme; RulesFileError (file, rule, what to fix) otherwise."""
    if raw is None:
        return default_scheme(slightly_behind_pp)
    if not isinstance(raw, dict):
        raise RulesFileError(f"{source}: status_rules must be a mapping with rules: [...], not {raw!r}")
    colours = []
    for i, c in enumerate(raw.get("colours") or [], start=1):
        if not isinstance(c, dict) or not c.get("key") or not c.get("zh") or not c.get("en"):
            raise RulesFileError(f"{source}: colour {i} needs key, zh and en (symbol optional), not {c!r}")
        colours.append(Colour(str(c["key"]), str(c["zh"]), str(c["en"]), str(c.get("symbol", ""))))
    if not 3 <= len(colours) <= 5 and colours:
        raise RulesFileError(f"{source}: a scheme has 3 to 5 colours, not {len(colours)}")
    known = {c.key for c in colours} | set(RULED_STATUSES)
    benchmark = str(raw.get("benchmark", "linear"))
    if benchmark not in BENCHMARKS:
        raise RulesFileError(f"{source}: benchmark must be linear (序时进度) or historical (历史同期进度), not {benchmark!r}")
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise RulesFileError(f"{source}: status_rules needs a non-empty list rules: [...]")
    rules, ids = [], set()
    for i, r in enumerate(rules_raw, start=1):
        where = f"{source}: rule {i}"
        if not isinstance(r, dict):
            raise RulesFileError(f"{where}: a rule is a mapping (status, when, describe), not {r!r}")
        status = r.get("status")
        if status not in known:
            raise RulesFileError(f"{where}: status {status!r} is not one of the colours ({', '.join(sorted(known))})")
        when = r.get("when") or {}
        if not isinstance(when, dict) or set(when) - set(CONDITION_KEYS):
            bad = sorted(set(when) - set(CONDITION_KEYS)) if isinstance(when, dict) else when
            raise RulesFileError(f"{where}: unknown condition {bad!r}; known: {', '.join(CONDITION_KEYS)}")
        for k in ("gap_pp", "behind_pp", "share_of_benchmark", "yoy_change"):
            if k in when:
                _bounds(f"{where} {k}", when[k])
        for k in ("at_or_above_peer_average", "below_peer_average"):
            if k in when and when[k] not in MEASURES:
                raise RulesFileError(f"{where}: {k} compares one of {', '.join(MEASURES)}, not {when[k]!r}")
        if "consecutive" in when:
            c = when["consecutive"]
            if not isinstance(c, dict) or not isinstance(c.get("months"), int) or c["months"] < 2 \
                    or (("status" in c) == ("rule" in c)):
                raise RulesFileError(f"{where}: consecutive needs months (2 or more) and one of status or rule, not {c!r}")
        describe = r.get("describe") or {}
        if not isinstance(describe, dict) or not describe.get("zh") or not describe.get("en"):
            raise RulesFileError(f"{where}: describe needs zh and en (the rule in words, shown beside the status)")
        indicators = r.get("indicators") or []
        if isinstance(indicators, str):
            indicators = [indicators]
        rid = str(r.get("id") or f"rule{i}")
        ids.add(rid)
        rules.append(Rule(status, _freeze(when), str(describe["zh"]), str(describe["en"]), rid, tuple(indicators)))
    for r in rules:
        c = r.conditions.get("consecutive")
        if c and "rule" in c and c["rule"] not in ids:
            raise RulesFileError(f"{source}: rule {r.rule_id}: consecutive names rule {c['rule']!r}, which is not an id here")
    return Scheme(str(raw.get("name", "custom")), tuple(rules), tuple(colours), benchmark, source)


def load_scheme_file(path: Path, slightly_behind_pp: float = 10.0) -> Scheme:
    """A rules file (`progress --rules FILE`): either a whole rules.yaml or its status_rules alone."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise RulesFileError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RulesFileError(f"{path}: not valid YAML ({exc})") from None
    if isinstance(raw, dict) and "status_rules" in raw:
        raw = raw["status_rules"]
    return parse_scheme(raw, str(path), slightly_behind_pp)


# --- evaluation --------------------------------------------------------------------------------


def _within(x: float, b: dict) -> bool:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return False
    return (("min" not in b or x >= b["min"]) and ("max" not in b or x <= b["max"])
            and ("over" not in b or x > b["over"]) and ("under" not in b or x < b["under"]))


def _num(v) -> float:
    return np.nan if v is None or pd.isna(v) else float(v)


def benchmark_of(row, scheme: Scheme) -> float:
    """The yardstick of a row in percent: 序时进度, or 历史同期进度 when the scheme says so (and the row has one)."""
    if scheme.benchmark == "historical":
        h = _num(row.get("historical_progress_pct"))
        if not np.isnan(h):
            return h
    return _num(row.get("time_progress_pct"))


def _gap(row, scheme: Scheme) -> float:
    completion = _num(row.get("completion_pct"))
    bench = benchmark_of(row, scheme)
    if np.isnan(completion) or np.isnan(bench):
        return np.nan
    return pace.round1(pace.round1(completion) - pace.round1(bench))


def _ruled(row) -> bool:
    return row.get("kind") == "cumulative" and row.get("status") in RULED_STATUSES


ROW_FIELDS = ("unit_code", "indicator", "kind", "level", "target_basis", "is_ranked", "status", "target", "actual",
              "completion_pct", "time_progress_pct", "yoy_change", "historical_progress_pct")


def _records(rows: pd.DataFrame) -> list[dict]:
    """The rows as plain dicts, only the fields the rules read (pandas row access is slow)."""
    cols = [c for c in ROW_FIELDS if c in rows.columns]
    return [dict(zip(cols, values)) for values in zip(*(rows[c].tolist() for c in cols))]


def _uses_peers(scheme: Scheme) -> bool:
    return any(k in ("at_or_above_peer_average", "below_peer_average") for r in scheme.rules for k in r.conditions)


def peer_averages(rows, scheme: Scheme) -> dict:
    """Per indicator, the plain average over the ranked child units with a figure of each measure."""
    records = _records(rows) if isinstance(rows, pd.DataFrame) else rows
    sums: dict[tuple[str, str], list[float]] = {}
    for r in records:
        if r.get("level") != "child" or r.get("status") not in RULED_STATUSES:
            continue
        ranked = r.get("is_ranked")
        if ranked is not None and not pd.isna(ranked) and not bool(ranked):
            continue  # 区就业局 is not a peer of the 街镇
        for measure in MEASURES:
            x = _measure(r, measure, scheme)
            if not np.isnan(x):
                sums.setdefault((r["indicator"], measure), []).append(x)
    return {k: float(np.mean(v)) for k, v in sums.items()}


def _measure(row, measure: str, scheme: Scheme) -> float:
    return _gap(row, scheme) if measure == "gap_pp" else _num(row.get(measure))


def _holds(cond: str, v, row, scheme: Scheme, peers: dict, history: dict | None, key) -> bool:
    actual, target = _num(row.get("actual")), _num(row.get("target"))
    if cond == "completed":
        return bool(v) == (not np.isnan(actual) and not np.isnan(target) and actual >= target)
    if cond == "not_started":
        return bool(v) == (np.isnan(actual) or actual <= 0)
    if cond == "gap_pp":
        return _within(_gap(row, scheme), v)
    if cond == "behind_pp":
        g = _gap(row, scheme)
        return _within(np.nan if np.isnan(g) else -g, v)
    if cond == "share_of_benchmark":
        bench, completion = benchmark_of(row, scheme), _num(row.get("completion_pct"))
        return bench > 0 and _within(pace.round1(completion) / pace.round1(bench), v)
    if cond == "yoy_change":
        return _within(_num(row.get("yoy_change")), v)
    if cond in ("at_or_above_peer_average", "below_peer_average"):
        avg = peers.get((row["indicator"], v))
        x = _measure(row, v, scheme)
        if avg is None or np.isnan(x):
            return False
        return (x >= avg) if cond == "at_or_above_peer_average" else (x < avg)
    if cond == "consecutive":
        earlier = (history or {}).get(key, [])
        need = int(v["months"]) - 1  # this month is one of them
        if len(earlier) < need:
            return False
        want = ("status", v["status"]) if "status" in v else ("rule", v["rule"])
        return all(h[want[0]] == want[1] for h in earlier[:need])
    raise RulesFileError(f"unknown condition {cond!r}")


def evaluate_row(row, scheme: Scheme, peers: dict, history: dict | None = None) -> tuple[str, Rule | None]:
    """(status, the rule that fired) for one row the scheme judges; (unrated, None) when none applies."""
    key = (row["unit_code"], row["indicator"], row.get("target_basis", "own"))
    base = _base(row, scheme, peers, history)
    for rule in scheme.rules:
        if not rule.applies_to(row["indicator"]):
            continue
        conds = rule.conditions
        if rule.is_event:
            # this month must itself satisfy what the event counts (a base rule's status or id)
            c = conds["consecutive"]
            now_ok = base[1] is not None and ((base[0] == c["status"]) if "status" in c else base[1].rule_id == c["rule"])
            if not now_ok:
                continue
        if all(_holds(k, v, row, scheme, peers, history, key) for k, v in conds.items()):
            return rule.status, rule
    return UNRATED, None


def _base(row, scheme: Scheme, peers: dict, history) -> tuple[str, Rule | None]:
    for rule in scheme.rules:
        if rule.is_event or not rule.applies_to(row["indicator"]):
            continue
        if all(_holds(k, v, row, scheme, peers, history, None) for k, v in rule.conditions.items()):
            return rule.status, rule
    return UNRATED, None


def base_results(rows: pd.DataFrame, scheme: Scheme) -> dict:
    """{(unit, indicator, basis): {"status", "rule"}} by the scheme's non-event rules, for the history of event rules."""
    records = _records(rows)
    peers = peer_averages(records, scheme) if _uses_peers(scheme) else {}
    out = {}
    for row in records:
        if _ruled(row):
            status, rule = _base(row, scheme, peers, None)
            out[(row["unit_code"], row["indicator"], row.get("target_basis", "own"))] = {
                "status": status, "rule": rule.rule_id if rule else None}
    return out


def measured(row, scheme: Scheme, lang: str) -> str:
    """The row's position in words, against the scheme's yardstick ("落后序时进度12.3个百分点")."""
    actual, target = _num(row.get("actual")), _num(row.get("target"))
    if not np.isnan(actual) and not np.isnan(target) and actual >= target:
        return t("rule_measured_done", lang)
    bench_name = t("historical_progress" if scheme.benchmark == "historical"
                   and not np.isnan(_num(row.get("historical_progress_pct"))) else "time_progress", lang)
    if lang == "en":  # mid-sentence
        bench_name = bench_name[0].lower() + bench_name[1:]
    g = _gap(row, scheme)
    if np.isnan(g):
        return t("status_no_data", lang)
    if g > 0:
        return t("rule_measured_ahead", lang, bench=bench_name, pp=f"{g:.1f}")
    if g == 0:
        return t("rule_measured_at", lang, bench=bench_name)
    return t("rule_measured_behind", lang, bench=bench_name, pp=f"{-g:.1f}")


def rule_text(row, status: str, rule: Rule | None, scheme: Scheme, lang: str) -> str:
    """"黄：落后序时进度12.3个百分点（规则：10–30个百分点）"."""
    if rule is None:
        return t("rule_text_none", lang, status=scheme.word(status, lang), measured=measured(row, scheme, lang))
    return t("rule_text", lang, status=scheme.word(status, lang), measured=measured(row, scheme, lang),
             rule=rule.describe(lang))


def apply(rows: pd.DataFrame, scheme: Scheme, history: dict | None = None, lang: str = "zh") -> tuple[list, list]:
    """(statuses, rule texts) for every row: the scheme's for rows it judges, the row's own status
    (and no text) for the others. `history[(unit, indicator, basis)]` lists the earlier month ends'
    base results, latest first (see `base_results`)."""
    statuses, texts = apply_langs(rows, scheme, history, (lang,))
    return statuses, texts[lang]


def apply_langs(rows: pd.DataFrame, scheme: Scheme, history: dict | None, langs) -> tuple[list, dict]:
    """`apply` with the rule texts in several languages at once: (statuses, {lang: texts})."""
    records = _records(rows)
    peers = peer_averages(records, scheme) if _uses_peers(scheme) else {}
    statuses, texts = [], {lang: [] for lang in langs}
    for row in records:
        if not _ruled(row):
            statuses.append(row.get("status"))
            for lang in langs:
                texts[lang].append(None)
            continue
        status, rule = evaluate_row(row, scheme, peers, history)
        statuses.append(status)
        for lang in langs:
            texts[lang].append(rule_text(row, status, rule, scheme, lang))
    return statuses, texts
