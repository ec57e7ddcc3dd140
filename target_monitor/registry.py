"""The indicator registry: load and check `queries/indicators.yaml`.

Every indicator is declared once there; everything else (the SQL view of indicator events, the
progress table, pages, CLI) is generic over the objects this module returns. A bad entry is
rejected at load time with a message that names the entry, so a typo never reaches a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from target_monitor.paths import QUERIES_DIR

REGISTRY_PATH = QUERIES_DIR / "indicators.yaml"

KINDS = ("cumulative", "floor_rate", "ceiling_rate")
FORMATS = ("int", "wan_yuan", "pct1", "float1")
MEASURES = ("count", "sum")
EXTRACT_KINDS = ("records", "reported")
# a reported extract: one row per unit × indicator × month, as the unit declared it (当月 or 累计)
REPORTED_COLUMNS = ("report_id", "unit_code", "indicator", "report_month", "basis", "value")
BASES = ("当月", "累计")
LANGS = ("zh", "en")


class RegistryError(ValueError):
    """The registry file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: dict[str, str]
    values: tuple[str, ...] = ()
    mask: bool = False  # a person key or ID: shown masked (500107********1234) in records and the SQL console
    # added to the extract after data was stored: files written before it lack it and read as NULL
    # (the category flags of new employment); never required of an upload
    optional: bool = False


@dataclass(frozen=True)
class Extract:
    name: str
    label: dict[str, str]
    partition_date: str
    key: str
    columns: tuple[Column, ...]
    kind: str = "records"  # records | reported (unit × month × indicator figures reported by units)

    @property
    def is_reported(self) -> bool:
        return self.kind == "reported"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class Indicator:
    name: str
    label: dict[str, str]
    short_label: dict[str, str]
    description: dict[str, str]
    unit: dict[str, str]
    extract: str
    kind: str
    format: str
    order: int
    date_column: str | None = None
    measure: str | None = None
    column: str | None = None
    scale: float = 1.0
    year_column: str | None = None
    denominator_date_column: str | None = None
    numerator_date_column: str | None = None
    filter: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dimensions: tuple[str, ...] = ()
    # a target judged at the year end (高校毕业生年底就业率): before this month the status is the
    # neutral 年底考核 with the value still needed, never 达标/未达标. None: judged all year.
    judge_from_month: int | None = None

    # True when the indicator has no records of its own: its figures are those units report
    # (the reported extract, e.g. 城镇登记失业率 or 对口帮扶城口县 figures), set by the loader
    reported_only: bool = False

    @property
    def is_rate(self) -> bool:
        return self.kind in ("floor_rate", "ceiling_rate")

    def judged_on(self, as_of) -> bool:
        """Whether the target is judged (达标/未达标) at `as_of`, or only checked at the year end."""
        return self.judge_from_month is None or as_of.month >= self.judge_from_month

    def text(self, attr: str, lang: str) -> str:
        return getattr(self, attr)[lang]


@dataclass(frozen=True)
class Registry:
    extracts: dict[str, Extract]
    indicators: tuple[Indicator, ...]

    def get(self, name: str) -> Indicator:
        for ind in self.indicators:
            if ind.name == name:
                return ind
        known = ", ".join(i.name for i in self.indicators)
        raise KeyError(f"unknown indicator {name!r}; known: {known}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.indicators)

    @property
    def record_indicators(self) -> tuple[Indicator, ...]:
        """The indicators counted from records (every one but those only units report)."""
        return tuple(i for i in self.indicators if not i.reported_only)

    @property
    def reported_extract(self) -> Extract | None:
        """The extract holding figures reported by units (unit × month × indicator), if declared."""
        return next((e for e in self.extracts.values() if e.is_reported), None)


def _need_text(entry: str, raw: dict, key: str) -> dict[str, str]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise RegistryError(f"indicator {entry!r}: missing {key} (needs zh and en)")
    for lang in LANGS:
        if not str(value.get(lang) or "").strip():
            raise RegistryError(f"indicator {entry!r}: {key} has no {lang} text")
    return {lang: str(value[lang]) for lang in LANGS}


def _parse_extract(name: str, raw: dict) -> Extract:
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
        raise RegistryError(f"extract {name!r}: needs a columns mapping")
    columns = []
    for col_name, col in raw["columns"].items():
        if not isinstance(col, dict) or "type" not in col:
            raise RegistryError(f"extract {name!r}: column {col_name!r} needs a type")
        desc = col.get("description") or {}
        if not all(str(desc.get(lang) or "").strip() for lang in LANGS):
            raise RegistryError(f"extract {name!r}: column {col_name!r} needs a zh and en description")
        columns.append(Column(col_name, str(col["type"]).upper(), dict(desc), tuple(col.get("values") or ()),
                              bool(col.get("mask", False)), bool(col.get("optional", False))))
    ext = Extract(
        name=name,
        label=dict(raw.get("label") or {}),
        partition_date=str(raw.get("partition_date") or ""),
        key=str(raw.get("key") or ""),
        columns=tuple(columns),
        kind=str(raw.get("kind") or "records"),
    )
    if ext.kind not in EXTRACT_KINDS:
        raise RegistryError(f"extract {name!r}: kind {ext.kind!r} must be one of {', '.join(EXTRACT_KINDS)}")
    if ext.is_reported:
        missing = [c for c in REPORTED_COLUMNS if c not in ext.column_names]
        if missing:
            raise RegistryError(f"extract {name!r}: a reported extract needs the columns {', '.join(missing)}")
    for attr in ("partition_date", "key"):
        if getattr(ext, attr) not in ext.column_names:
            raise RegistryError(f"extract {name!r}: {attr} {getattr(ext, attr)!r} is not one of its columns")
    if "unit_code" not in ext.column_names:
        raise RegistryError(f"extract {name!r}: every extract needs a unit_code column")
    return ext


def _parse_indicator(raw: dict, extracts: dict[str, Extract]) -> Indicator:
    name = str(raw.get("name") or "").strip()
    if not name:
        raise RegistryError(f"an indicator has no name: {raw!r}")
    texts = {key: _need_text(name, raw, key) for key in ("label", "short_label", "description", "unit")}

    extract_name = raw.get("extract")
    if extract_name not in extracts:
        raise RegistryError(
            f"indicator {name!r}: unknown extract {extract_name!r}; declared extracts: {', '.join(extracts)}"
        )
    ext = extracts[extract_name]
    # an indicator whose only source is the figures units report (月报表): no records, so no
    # date column, measure or cohort; a rate's reported figure is the rate itself (a standing
    # figure: the latest one counts), a count's is 当月 or 累计 as the unit declared it
    reported_only = ext.is_reported

    def need_column(field_name: str, *, required: bool = True) -> str | None:
        col = raw.get(field_name)
        if col is None and not required:
            return None
        if col not in ext.column_names:
            raise RegistryError(
                f"indicator {name!r}: {field_name} {col!r} is not a column of extract {extract_name!r}"
                f" ({', '.join(ext.column_names)})"
            )
        return str(col)

    kind = raw.get("kind")
    if kind not in KINDS:
        raise RegistryError(f"indicator {name!r}: kind {kind!r} must be one of {', '.join(KINDS)}")
    fmt = raw.get("format")
    if fmt not in FORMATS:
        raise RegistryError(f"indicator {name!r}: format {fmt!r} must be one of {', '.join(FORMATS)}")

    values: dict = {}
    if reported_only:
        stray = [k for k in ("date_column", "measure", "column", "year_column", "denominator_date_column",
                             "numerator_date_column", "filter") if raw.get(k) is not None]
        if stray or raw.get("dimensions"):
            raise RegistryError(f"indicator {name!r}: extract {extract_name!r} holds reported figures, not records; "
                                f"{', '.join(stray or ['dimensions'])} cannot apply (the figure is reported as a whole)")
    elif kind == "cumulative":
        values["date_column"] = need_column("date_column")
        measure = raw.get("measure")
        if measure not in MEASURES:
            raise RegistryError(f"indicator {name!r}: measure {measure!r} must be one of {', '.join(MEASURES)}")
        values["measure"] = measure
        if measure == "sum":
            values["column"] = need_column("column")
            if ext.column(values["column"]).type not in ("DOUBLE", "INTEGER", "BIGINT", "DECIMAL", "FLOAT"):
                raise RegistryError(f"indicator {name!r}: column {values['column']!r} is not numeric")
        values["scale"] = float(raw.get("scale", 1.0))
    else:
        values["year_column"] = need_column("year_column")
        values["denominator_date_column"] = need_column("denominator_date_column")
        values["numerator_date_column"] = need_column("numerator_date_column")

    filters: dict[str, tuple[str, ...]] = {}
    for col, accepted in (raw.get("filter") or {}).items():
        if col not in ext.column_names:
            raise RegistryError(
                f"indicator {name!r}: filter column {col!r} is not a column of extract {extract_name!r}"
            )
        accepted = tuple(str(v) for v in (accepted if isinstance(accepted, list) else [accepted]))
        known = ext.column(col).values
        unknown = [v for v in accepted if known and v not in known]
        if unknown:
            raise RegistryError(f"indicator {name!r}: filter value(s) {unknown} not allowed for {col!r}")
        filters[col] = accepted

    dims = tuple(raw.get("dimensions") or ())
    for dim in dims:
        if dim not in ext.column_names:
            raise RegistryError(f"indicator {name!r}: dimension {dim!r} is not a column of extract {extract_name!r}")

    known_keys = {
        "name", "label", "short_label", "description", "unit", "extract", "kind", "format", "order",
        "date_column", "measure", "column", "scale", "year_column", "denominator_date_column",
        "numerator_date_column", "filter", "dimensions", "judge_from_month",
    }
    extra = set(raw) - known_keys
    if extra:
        raise RegistryError(f"indicator {name!r}: unknown field(s) {sorted(extra)}")

    judge = raw.get("judge_from_month")
    if judge is not None and (not isinstance(judge, int) or isinstance(judge, bool) or not 1 <= judge <= 12):
        raise RegistryError(f"indicator {name!r}: judge_from_month {judge!r} must be a month number 1-12")

    return Indicator(
        name=name,
        judge_from_month=judge,
        reported_only=reported_only,
        extract=extract_name,
        kind=kind,
        format=fmt,
        order=int(raw.get("order", 999)),
        filter=filters,
        dimensions=dims,
        **texts,
        **values,
    )


def parse_registry(doc: dict) -> Registry:
    if not isinstance(doc, dict) or "extracts" not in doc or "indicators" not in doc:
        raise RegistryError("the registry needs an 'extracts' mapping and an 'indicators' list")
    extracts = {name: _parse_extract(name, raw) for name, raw in doc["extracts"].items()}
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for raw in doc["indicators"]:
        ind = _parse_indicator(raw, extracts)
        if ind.name in seen:
            raise RegistryError(f"indicator {ind.name!r} is declared twice")
        seen.add(ind.name)
        indicators.append(ind)
    indicators.sort(key=lambda i: i.order)
    return Registry(extracts=extracts, indicators=tuple(indicators))


def load_registry(path: Path = REGISTRY_PATH) -> Registry:
    return _load_cached(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_cached(path: str, _mtime: int) -> Registry:
    with open(path, encoding="utf-8") as fh:
        return parse_registry(yaml.safe_load(fh))
