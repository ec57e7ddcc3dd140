"""Reference data: the unit tree (with aliases) and the targets (任务分解表), as versioned rows.

Files (data/reference/, or <data-dir>/reference/ when present):
- units.csv: unit_code, name, name_en, short_name, unit_type, parent_code, sort_order, aliases (|-separated)
- targets.csv: year, unit_code, indicator, comparator, value, unit, note, published_label,
  source, effective_from. A mid-year change is a new row with a later effective_from; the
  version in force on the as-of date is used, and older versions stay in the file.
- rules.yaml: pace and status thresholds (see pace.Rules).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from target_monitor.pace import Rules

UNIT_TYPES = ("province", "city", "district", "street", "town", "department", "community")


class ReferenceError(ValueError):
    """Reference data is inconsistent; the message names the file and the row."""


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    name_en: str
    short_name: str
    unit_type: str
    parent_code: str | None
    sort_order: int
    aliases: tuple[str, ...]


def normalise_name(text: str) -> str:
    """Unicode-normalised, space-free form of a name, for alias lookups (（ → (, U+3000 → '')."""
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in text if not ch.isspace() and ch not in "\u200b\ufeff")


class Units:
    """The unit tree: lookups by code, by name or alias, parents and children."""

    def __init__(self, units: list[Unit]):
        self.by_code = {u.code: u for u in units}
        if len(self.by_code) != len(units):
            raise ReferenceError("units.csv: a unit_code appears twice")
        for u in units:
            if u.parent_code and u.parent_code not in self.by_code:
                raise ReferenceError(f"units.csv: {u.code} {u.name}: parent {u.parent_code} is not a unit")
        # precomputed once: a national tree has ~7,000 units and pages ask for children constantly
        self._sorted = sorted(units, key=lambda u: (u.sort_order, u.code))
        self._children: dict[str, list[Unit]] = {}
        for u in self._sorted:
            if u.parent_code:
                self._children.setdefault(u.parent_code, []).append(u)
        self._roots = [u for u in self._sorted if not u.parent_code]
        self._rollups: dict[str, tuple[list[str], list[str]]] = {}
        self._branches: list[tuple[str, int]] | None = None
        self._alias: dict[str, str] = {}
        for u in units:
            for name in (u.name, *u.aliases):
                key = normalise_name(name)
                other = self._alias.get(key)
                if other and other != u.code:
                    raise ReferenceError(f"units.csv: alias {name!r} names both {other} and {u.code}")
                self._alias[key] = u.code

    def __iter__(self):
        return iter(self._sorted)

    def __getitem__(self, code: str) -> Unit:
        return self.by_code[code]

    def roots(self) -> list[Unit]:
        return list(self._roots)

    def root(self) -> Unit:
        roots = self.roots()
        if len(roots) != 1:
            raise ReferenceError(f"units.csv: expected one top unit, found {len(roots)}")
        return roots[0]

    def children(self, code: str) -> list[Unit]:
        return list(self._children.get(code, ()))

    def subtree(self, code: str) -> list[str]:
        out, stack = [], [code]
        while stack:  # iterative: no recursion limit on deep trees
            node = stack.pop()
            out.append(node)
            stack.extend(reversed([c.code for c in self._children.get(node, ())]))
        return out

    def rollup(self, code: str) -> tuple[list[str], list[str]]:
        """(unit_codes, shown_codes): every unit under `code` (itself included) and, for each, the
        unit it is shown under: the child of `code` whose subtree holds it, or `code` itself.

        The queries' rollup parameters. Computed once per node (a national root covers ~7,000
        units): the tree never changes after loading. Treat the lists as read-only.
        """
        cached = self._rollups.get(code)
        if cached is None:
            unit_codes, shown_codes = [code], [code]
            for child in self._children.get(code, ()):
                sub = self.subtree(child.code)
                unit_codes.extend(sub)
                shown_codes.extend([child.code] * len(sub))
            cached = self._rollups[code] = (unit_codes, shown_codes)
        return cached

    def branches(self) -> list[tuple[str, int]]:
        """(code, depth) of every unit that has children, in tree order (each under its parent);
        computed once (the sidebar's node picker asks on every rerun)."""
        if self._branches is None:
            self._branches = [(code, self.depth(code)) for code in self.subtree(self.root().code)
                              if code in self._children]
        return list(self._branches)

    def depth(self, code: str) -> int:
        n, node = 0, self.by_code[code]
        while node.parent_code:
            n += 1
            node = self.by_code[node.parent_code]
        return n

    def resolve(self, name: str) -> str | None:
        """The unit code for a name or alias (杨家坪 → 500107-01); None if unknown. Never guesses."""
        return self._alias.get(normalise_name(name))

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Known names that share characters with `name`, best first (for error messages)."""
        key = normalise_name(name)
        scored = []
        for u in self:
            overlap = len(set(key) & set(u.name))
            if overlap:
                scored.append((-overlap, u.sort_order, u.name))
        return [n for _, _, n in sorted(scored)[:limit]]


def load_units(ref_dir: Path) -> Units:
    path = ref_dir / "units.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    units = []
    for i, row in enumerate(df.to_dict("records"), start=2):
        if row["unit_type"] not in UNIT_TYPES:
            raise ReferenceError(f"{path.name} line {i}: unit_type {row['unit_type']!r} not in {UNIT_TYPES}")
        units.append(
            Unit(
                code=row["unit_code"].strip(),
                name=row["name"].strip(),
                name_en=(row.get("name_en") or row["name"]).strip(),
                short_name=(row.get("short_name") or row["name"]).strip(),
                unit_type=row["unit_type"],
                parent_code=row["parent_code"].strip() or None,
                sort_order=int(row["sort_order"] or 0),
                aliases=tuple(a.strip() for a in row["aliases"].split("|") if a.strip()),
            )
        )
    return Units(units)


TARGET_COLUMNS = [
    "year", "unit_code", "indicator", "comparator", "value", "unit", "note",
    "published_label", "source", "effective_from",
]


def load_targets(ref_dir: Path) -> pd.DataFrame:
    """All target rows, all versions. Columns as TARGET_COLUMNS; value is a float."""
    path = ref_dir / "targets.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in TARGET_COLUMNS if c not in df.columns]
    if missing:
        raise ReferenceError(f"{path.name}: missing column(s) {missing}")
    df = df[TARGET_COLUMNS].copy()
    df["year"] = df["year"].astype(int)
    df["value"] = pd.to_numeric(df["value"], errors="raise").astype(float)
    df["effective_from"] = pd.to_datetime(df["effective_from"]).dt.date
    dup = df.duplicated(["year", "unit_code", "indicator", "effective_from"], keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        raise ReferenceError(
            f"{path.name}: {first['unit_code']} {first['indicator']} {first['year']} has two targets "
            f"effective {first['effective_from']}"
        )
    return df


def targets_in_force(targets: pd.DataFrame, year: int, as_of: date) -> pd.DataFrame:
    """One row per (unit, indicator): the latest version effective on or before `as_of`.

    A version that starts after the as-of date is not yet in force; if every version of a
    target starts later (a table adopted in May, viewed for March), the earliest one is used so
    the year still has a target.
    """
    rows = targets[targets["year"] == year]
    if rows.empty:
        return rows
    rows = rows.sort_values("effective_from")
    # one pass in plain Python (a pandas groupby per call cost more than the whole progress logic):
    # per (unit, indicator) the last version in force and the first version, as positions in `rows`
    latest: dict[tuple[str, str], int] = {}
    first: dict[tuple[str, str], int] = {}
    keys = zip(rows["unit_code"].tolist(), rows["indicator"].tolist())
    for pos, (key, starts) in enumerate(zip(keys, rows["effective_from"].tolist())):
        first.setdefault(key, pos)
        if starts <= as_of:
            latest[key] = pos
    in_force = sorted(latest.values())
    fallback = sorted(pos for key, pos in first.items() if key not in latest)
    return rows.iloc[in_force + fallback].reset_index(drop=True)


def _unit_types(raw) -> tuple[str, ...]:
    """rules.yaml unranked_unit_types: a list of unit types (empty or absent key: the default)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ReferenceError(f"rules.yaml: unranked_unit_types must be a list of unit types, not {raw!r}")
    return tuple(raw)


def load_rules(ref_dir: Path) -> Rules:
    path = ref_dir / "rules.yaml"
    if not path.exists():
        return Rules()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules = Rules(
        time_progress=str(raw.get("time_progress", "month")),
        slightly_behind_pp=float(raw.get("slightly_behind_pp", 10.0)),
        unranked_unit_types=_unit_types(raw.get("unranked_unit_types", list(Rules().unranked_unit_types))),
        reported_share=float(raw.get("reported_share", 1.0)),
        unit_profile_weight=float(raw.get("unit_profile_weight", 0.5)),
        lumpy_month_share=float(raw.get("lumpy_month_share", 0.4)),
    )
    if raw.get("status_rules") is not None:
        from target_monitor.status_rules import RulesFileError, parse_scheme

        try:
            scheme = parse_scheme(raw["status_rules"], str(path), rules.slightly_behind_pp)
        except RulesFileError as exc:
            raise ReferenceError(str(exc)) from None
        rules = replace(rules, status_scheme=scheme)
    if not 0 < rules.reported_share <= 1:
        raise ReferenceError(f"rules.yaml: reported_share must be above 0 and at most 1, not {rules.reported_share!r}")
    if rules.time_progress not in ("month", "day"):
        raise ReferenceError(f"rules.yaml: time_progress must be month or day, not {rules.time_progress!r}")
    return rules


@dataclass(frozen=True)
class Reference:
    units: Units
    targets: pd.DataFrame
    rules: Rules


def load_reference(ref_dir: Path) -> Reference:
    return _load_reference_cached(str(ref_dir), _stamp(ref_dir))


def _stamp(ref_dir: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(ref_dir.glob("*")) if p.is_file())


@lru_cache(maxsize=4)
def _load_reference_cached(ref_dir: str, _stamp: tuple) -> Reference:
    path = Path(ref_dir)
    return Reference(load_units(path), load_targets(path), load_rules(path))
