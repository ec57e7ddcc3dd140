"""The explorer (自助分析): a pivot of one indicator over any two of its dimensions, with totals.

Invariants:
- The dimensions an indicator can be sliced by are the unit, the month, and the columns its
  registry entry lists under `dimensions`: adding one is a registry entry, not page code.
- The pivot reads the per-dimension monthly aggregate (`indicator_dimension_monthly`, see
  `target_monitor/aggregates.py`) for closed months and the records only for the month the
  as-of date cuts (`queries/explore_pivot.sql`, like `actuals_as_of`). The aggregate holds every
  declared dimension and every pair of them, which covers any pivot of rows × columns plus
  filters that touch at most two declared dimensions (unit and month are always there). A pivot
  touching three or more (no indicator declares that many today) is counted from the records
  by `records_pivot_sql`, with the same numbers.
- The month of a record is the month of its own date (a rate's registration month: a cohort's
  rate by the month it registered), whichever path counts it.
- No text typed or picked by a user ever becomes SQL: the pivot query is a fixed file and every
  value (indicator, dimension names, year, date, units, filter values) is a bound `$parameter`;
  `records_pivot_sql` compiles only registry identifiers (checked and quoted with quote_ident).
- Totals come from DuckDB (GROUPING SETS), not from adding up cells afterwards, so a rate's
  total is the rate of the whole, not a sum of rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from target_monitor.i18n import MONTH_ABBR, t
from target_monitor.registry import Indicator, Registry
from target_monitor.store import Store, quote_ident

UNIT = "unit_code"
MONTH = "month"


class ExploreError(ValueError):
    """A dimension or filter that the registry does not declare for the indicator."""


def dimensions(ind: Indicator) -> list[str]:
    """Every dimension the indicator can be sliced by: unit, its registry dimensions, month."""
    return [UNIT, *[d for d in ind.dimensions if d != UNIT], MONTH]


def dimension_label(registry: Registry, ind: Indicator, dim: str, lang: str) -> str:
    if dim == UNIT:
        return t("dim_unit_code", lang)
    if dim == MONTH:
        return t("dim_month", lang)
    return registry.extracts[ind.extract].column(dim).description[lang]


def _date_column(ind: Indicator) -> str:
    return ind.date_column if not ind.is_rate else ind.denominator_date_column


def _dim_sql(ind: Indicator, dim: str) -> str:
    if dim == MONTH:
        return "cast(month(" + quote_ident(_date_column(ind)) + ") as integer)"
    return "cast(" + quote_ident(dim) + " as varchar)"


def _check_dim(ind: Indicator, dim: str) -> None:
    if dim not in dimensions(ind):
        raise ExploreError(f"{ind.name}: {dim!r} is not a dimension (declared: {', '.join(dimensions(ind))})")


def dimension_values(store: Store, registry: Registry, ind: Indicator, dim: str) -> list:
    """The values to offer in a filter: the registry's declared values, else those in the data."""
    _check_dim(ind, dim)
    if dim == MONTH:
        return list(range(1, 13))
    if dim != UNIT:
        declared = registry.extracts[ind.extract].column(dim).values
        if declared:
            return list(declared)
    values = store.query("explore_dimension_values", indicator=ind.name, dimension=dim)["value"].tolist()
    if dim == UNIT:  # only the units the caller may count (pivot_long)
        allowed = scoped_units(None)
        return values if allowed is None else [v for v in values if v in set(allowed)]
    return values


@dataclass(frozen=True)
class PivotSpec:
    indicator: str
    year: int
    as_of: date
    rows: str | None
    columns: str | None = None
    units: tuple[str, ...] = ()  # empty: every unit
    filters: tuple[tuple[str, tuple], ...] = ()  # (dimension, accepted values); empty values: no filter


def _axes(ind: Indicator, spec: PivotSpec) -> list[str]:
    """The dimensions shown, checked: the first is the pivot's rows ("r"), the second its columns ("c")."""
    dims = [d for d in (spec.rows, spec.columns) if d]
    for d in dims:
        _check_dim(ind, d)
    if len(dims) == 2 and dims[0] == dims[1]:
        raise ExploreError("rows and columns must differ")
    for dim, _ in spec.filters:
        _check_dim(ind, dim)
    return dims


def declared_dimensions_used(ind: Indicator, spec: PivotSpec) -> list[str]:
    """The registry dimensions (not unit, not month) a pivot shows or filters, in declared order."""
    used = {d for d in (spec.rows, spec.columns) if d} | {d for d, accepted in spec.filters if accepted}
    return [d for d in ind.dimensions if d in used and d not in (UNIT, MONTH)]


def _params(ind: Indicator, spec: PivotSpec, slots: list[str]) -> dict:
    axes = _axes(ind, spec)

    def axis(d: str | None) -> str | None:
        if d is None or d in (UNIT, MONTH):
            return d
        return "value" if d == slots[0] else "value2"

    accepted: dict[str, set | None] = {"units": None, "accepted": None, "accepted2": None, "months": None}
    if spec.units:
        accepted["units"] = {str(u) for u in spec.units}
    for dim, values in spec.filters:  # several filters on one dimension: a value must pass each
        if not values:
            continue
        if dim == MONTH:
            key, chosen = "months", {int(v) for v in values}
        elif dim == UNIT:
            key, chosen = "units", {str(v) for v in values}
        else:
            key, chosen = ("accepted" if dim == slots[0] else "accepted2"), {str(v) for v in values}
        accepted[key] = chosen if accepted[key] is None else accepted[key] & chosen
    padded = [*axes, None, None]
    return {
        "indicator": ind.name, "rate": ind.is_rate, "year": spec.year, "as_of": spec.as_of,
        "dimension": slots[0] if slots else None, "dimension2": slots[1] if len(slots) > 1 else None,
        "rows": axis(padded[0]), "columns": axis(padded[1]),
        **{k: (None if v is None else sorted(v)) for k, v in accepted.items()},
    }


def pivot_params(registry: Registry, spec: PivotSpec) -> dict | None:
    """The bound parameters of `queries/explore_pivot.sql` for a pivot, or None when the pivot
    touches more declared dimensions than the aggregate crosses (then `records_pivot_sql`)."""
    ind = registry.get(spec.indicator)
    _axes(ind, spec)
    slots = declared_dimensions_used(ind, spec)
    if len(slots) > 2:
        return None
    return _params(ind, spec, slots)


def records_pivot_sql(registry: Registry, spec: PivotSpec) -> tuple[str, dict]:
    """The same pivot counted from the records (`ext_<extract>`): for pivots across three or more
    declared dimensions. Identifiers come only from the registry; every value is bound."""
    ind = registry.get(spec.indicator)
    dims = _axes(ind, spec)
    day = quote_ident(_date_column(ind))
    params: dict = {"year": spec.year, "as_of": spec.as_of}
    where = [day + " is not null", day + " <= $as_of"]
    if ind.is_rate:
        where.append(quote_ident(ind.year_column) + " = $year")
        num = ("case when " + quote_ident(ind.numerator_date_column) + " <= $as_of then 1.0 else 0.0 end")
        den = "1.0"
    else:
        where.append("year(" + day + ") = $year")
        num = "1.0" if ind.measure == "count" else "cast(" + quote_ident(ind.column) + " as double)"
        if ind.scale != 1.0:
            params["scale"] = float(ind.scale)
            num = num + " * $scale"
        den = "0.0"
    if spec.units:
        params["units"] = list(spec.units)
        where.append("list_contains($units, unit_code)")
    for i, (col, accepted) in enumerate(sorted(ind.filter.items())):  # the indicator's own definition
        params[f"rf{i}"] = list(accepted)
        where.append("list_contains($rf" + str(i) + ", " + quote_ident(col) + ")")
    for i, (dim, accepted) in enumerate(spec.filters):
        if not accepted:
            continue
        if dim == MONTH:
            params[f"f{i}"] = [int(v) for v in accepted]
        else:
            params[f"f{i}"] = [str(v) for v in accepted]
        where.append("list_contains($f" + str(i) + ", " + _dim_sql(ind, dim) + ")")
    select_dims = [_dim_sql(ind, d) + " as " + quote_ident(alias) for d, alias in zip(dims, ("r", "c"))]
    aliases = [quote_ident(a) for a in ("r", "c")[: len(dims)]]
    r, c = quote_ident("r"), quote_ident("c")
    sets = {0: ["()"], 1: ["(" + r + ")", "()"], 2: ["(" + r + ", " + c + ")", "(" + r + ")", "(" + c + ")", "()"]}[len(dims)]
    value = "100.0 * sum(num) / nullif(sum(den), 0)" if ind.is_rate else "sum(num)"
    grouping = [("grouping(" + a + ") = 1 as " + quote_ident("total_" + a.strip('"'))) for a in aliases]
    sql = (
        "with base as (select " + ", ".join([*select_dims, num + " as num", den + " as den"])
        + " from " + quote_ident("ext_" + ind.extract) + " where " + " and ".join(where) + "), "
        + "final as (select " + ", ".join([*aliases, value + " as value", "count(*) as records", *grouping])
        + " from base group by grouping sets (" + ", ".join(sets) + ")) "
        + "select * from final"
    )
    return sql, params


def _normalise(long: pd.DataFrame, ind: Indicator, spec: PivotSpec) -> pd.DataFrame:
    """Both paths in one shape: r, c, value, records, total_r, total_c; months as integers."""
    dims = [*_axes(ind, spec), None, None]
    for col, flag, dim in (("r", "total_r", dims[0]), ("c", "total_c", dims[1])):
        if col not in long:
            long[col] = None
        if flag not in long:
            long[flag] = True
        if dim == MONTH:
            long[col] = pd.to_numeric(long[col]).astype("Int64")
    long["records"] = long["records"].astype("int64")
    return long[["r", "c", "value", "records", "total_r", "total_c"]]


def records_pivot_long(store: Store, registry: Registry, spec: PivotSpec) -> pd.DataFrame:
    """`pivot_long` counted from the records (`records_pivot_sql`), whatever dimensions it uses."""
    sql, params = records_pivot_sql(registry, spec)
    with store.cursor() as cur:  # the access scope applies (Store.cursor)
        long = cur.execute(sql, params).df()
    return _normalise(long, registry.get(spec.indicator), spec)


def scoped_units(units: list[str] | None) -> list[str] | None:
    """The units a pivot over the aggregates may count under the current access scope: those
    asked for (None: every unit) that the caller may read the records of. The explorer's cells
    are counts of records cut by their own columns, so the aggregate path is held to the same
    units as the records path (Store.cursor), and both give the same numbers. No scope: no unit
    (fail closed)."""
    from target_monitor.access.scope import current

    scope = current()
    if scope is None:
        return []
    if scope.all_records:
        return units
    readable = set(scope.record_units)
    return sorted(readable if units is None else readable & set(units))


def pivot_long(store: Store, registry: Registry, spec: PivotSpec) -> pd.DataFrame:
    """One row per cell and per total: r, c (the dimension values), value, records, total_r, total_c.
    Only the units the current access scope may read the records of are counted, whichever path."""
    params = pivot_params(registry, spec)
    if params is None:
        return records_pivot_long(store, registry, spec)
    params["units"] = scoped_units(params["units"])
    return _normalise(store.query("explore_pivot", **params), registry.get(spec.indicator), spec)


def _labeller(dim: str | None, names: dict[str, str], lang: str):
    if dim == UNIT:
        return lambda v: names.get(v, v)
    if dim == MONTH:
        return lambda v: t("month_n", lang, m=int(v)) if lang == "zh" else MONTH_ABBR[int(v) - 1]
    from target_monitor.i18n import dimension_value

    return lambda v: dimension_value(v, lang) if isinstance(v, str) else v


def pivot_grid(long: pd.DataFrame, registry: Registry, spec: PivotSpec, names: dict[str, str], lang: str,
                unit_order: dict[str, int] | None = None) -> pd.DataFrame:
    """The wide table shown and downloaded: one row per row value plus 合计, one column per column value plus 合计."""
    ind = registry.get(spec.indicator)
    total = t("explore_total", lang)
    digits = {"int": 0, "wan_yuan": 2, "pct1": 1}.get(ind.format, 2)
    df = long.copy()
    if df.empty:
        return pd.DataFrame()
    df["value"] = df["value"].astype(float).round(digits)
    has_r, has_c = spec.rows is not None, spec.columns is not None
    row_name = dimension_label(registry, ind, spec.rows, lang) if has_r else ""
    value_name = f"{ind.short_label[lang]}（{ind.unit[lang]}）" if lang == "zh" else f"{ind.short_label[lang]} ({ind.unit[lang]})"

    def order_key(dim, values):
        if dim == UNIT and unit_order:
            return sorted(values, key=lambda v: (unit_order.get(v, 999), v))
        return sorted(values, key=lambda v: (str(type(v)), v))

    if not has_r:
        return pd.DataFrame({value_name: [df["value"].iloc[0]]}, index=[total]).reset_index(names=[""])
    rlab = _labeller(spec.rows, names, lang)
    df["row"] = [total if tr else rlab(v) for v, tr in zip(df["r"], df["total_r"])]
    row_order = [rlab(v) for v in order_key(spec.rows, df.loc[~df["total_r"], "r"].unique())] + [total]
    if not has_c:
        out = df.set_index("row").loc[row_order, ["value"]].rename(columns={"value": value_name})
        if digits == 0:
            out = out.round().astype("Int64")
        return out.reset_index(names=row_name)
    clab = _labeller(spec.columns, names, lang)
    df["col"] = [total if tc else clab(v) for v, tc in zip(df["c"], df["total_c"])]
    col_order = [clab(v) for v in order_key(spec.columns, df.loc[~df["total_c"], "c"].unique())] + [total]
    wide = df.pivot(index="row", columns="col", values="value").reindex(index=row_order, columns=col_order)
    wide.columns.name = None
    if digits == 0:
        wide = wide.round().astype("Int64")
    return wide.reset_index(names=row_name)


CHART_GROUPS = 30  # bar groups a chart shows at most: a national tree has 6,000 units (36,000 bars)


def chart_rows(table: pd.DataFrame, lang: str, limit: int = CHART_GROUPS) -> pd.DataFrame:
    """The table's cell rows (its total row left out) the chart shows: every one, or the `limit`
    with the largest totals (in the table's order) when there are more. The table and the
    downloads keep every row."""
    total = t("explore_total", lang)
    body = table[table.iloc[:, 0] != total]
    if len(body) <= limit:
        return body
    size = body[total] if total in body.columns else body.iloc[:, 1]
    keep = pd.to_numeric(size, errors="coerce").fillna(0).nlargest(limit).index
    return body.loc[sorted(keep, key=body.index.get_loc)]


def pivot_chart(table: pd.DataFrame, registry: Registry, spec: PivotSpec, lang: str) -> go.Figure:
    """Grouped bars of the cells (totals left out): one bar group per row value, one colour per
    column value; at most CHART_GROUPS groups, the largest (`chart_rows`)."""
    ind = registry.get(spec.indicator)
    total = t("explore_total", lang)
    fig = go.Figure()
    if table.empty or spec.rows is None:
        return fig
    body = chart_rows(table, lang)
    x = body.iloc[:, 0].astype(str).tolist()
    series = [c for c in table.columns[1:] if c != total] or list(table.columns[1:])
    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    for i, col in enumerate(series):
        fig.add_trace(go.Bar(x=x, y=body[col], name=str(col), marker_color=palette[i % len(palette)]))
    fig.update_layout(barmode="group", height=420, margin=dict(l=10, r=10, t=30, b=10),
                      yaxis_title=ind.unit[lang], legend_title_text="", font=dict(size=15),
                      showlegend=len(series) > 1)
    return fig
