"""Reshape the progress table into the tables people read (no aggregation: only layout).

`official_table` gives the task breakdown table's layout with actuals: 序号, 街镇名称, then per
indicator 目标 / 完成 / 完成率 / 状态, the 合计 row (sum of allocations) and the district's own
target row, so the two district figures always stand side by side.
"""

from __future__ import annotations

import pandas as pd

from target_monitor.i18n import dimension_value, status_label, t, unit_label
from target_monitor.present import fmt_pct, fmt_target, is_missing, not_reported_text
from target_monitor.progress import BASIS_ALLOCATION, BASIS_OWN
from target_monitor.reference import Units
from target_monitor.registry import Registry


def column_name(label: str, part: str) -> str:
    return f"{label}·{part}"


def official_table(progress: pd.DataFrame, registry: Registry, units: Units, lang: str,
                   sort_by: str | None = None, missing: dict[str, list[int]] | None = None,
                   ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """(table, columns): the wide table and, per indicator column, (indicator name, part)
    where part is target / actual / completion / status.

    Numbers stay numbers so the table sorts numerically; rates' targets read '≥95%'.
    """
    children = progress[progress["level"] == "child"]
    parent = progress[progress["level"] == "parent"]
    order = [u.code for u in sorted({units[c] for c in children["unit_code"]}, key=lambda u: u.sort_order)]
    if sort_by:
        ranked = children[children["indicator"] == sort_by].sort_values(["rank", "sort_order"], na_position="last")
        order = list(ranked["unit_code"])
    lines: list[dict] = []
    status_cols: dict[str, tuple[str, str]] = {}
    by_unit = _records_by_unit(children)
    for seq, code in enumerate(order, start=1):
        rows = by_unit.get(code, [])
        # 未报 beside the unit's figures: a month without records is not a silent lag
        note = "；".join(filter(None, [not_reported_text(code, missing, lang), _notes(rows, registry, lang)]))
        lines.append({t("seq_no", lang): str(seq), t("unit_name", lang): unit_label(units[code], lang),
                      **_cells(rows, registry, lang, status_cols), t("note", lang): note})
    alloc = parent[parent["target_basis"] == BASIS_ALLOCATION]
    own = parent[parent["target_basis"] == BASIS_OWN]
    # the 合计 row: allocations summed; rates have no allocation sum, their pooled rate is shown
    total_rows = pd.concat([alloc, own[~own["indicator"].isin(alloc["indicator"])]])
    lines.append({t("seq_no", lang): t("total_row", lang), t("unit_name", lang): t("allocation_sum", lang),
                  **_cells(total_rows, registry, lang, status_cols, rate_target=False)})
    _standard_on_total(lines[-1], own, children, registry, lang)
    lines.append({t("seq_no", lang): "", t("unit_name", lang): t("district_own_row", lang),
                  **_cells(own, registry, lang, status_cols), t("note", lang): _notes(own, registry, lang)})
    return pd.DataFrame(lines), status_cols


def _standard_on_total(line: dict, own: pd.DataFrame, children: pd.DataFrame, registry: Registry, lang: str) -> None:
    """The 合计 row of a rate shows the standard every unit was given (≥95%) and the pooled
    rate's status against it, as the published table's 合计 row would carry it."""
    for ind in registry.indicators:
        if not ind.is_rate:
            continue
        rows = own[own["indicator"] == ind.name]
        if rows.empty or "target_source" not in rows or rows.iloc[0]["target_source"] != "allocation_standard":
            continue
        r = rows.iloc[0]
        label = ind.short_label[lang]
        line[column_name(label, t("target", lang))] = fmt_target(ind, r["target"], r["comparator"], lang)
        line[column_name(label, t("status", lang))] = status_label(r["status"], lang)


def _records(rows: pd.DataFrame | list[dict]) -> list[dict]:
    """Rows as dicts, converted once: `iterrows` turns every Arrow-backed column into NumPy
    objects for each row, and per unit per table that was most of 镇街对比's rerun."""
    return rows if isinstance(rows, list) else rows.to_dict("records")


def _records_by_unit(rows: pd.DataFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows.to_dict("records"):
        out.setdefault(r["unit_code"], []).append(r)
    return out


def _notes(rows: pd.DataFrame | list[dict], registry: Registry, lang: str) -> str:
    """Notes the published tables carry: '3000(创业培训)', or a target published under another name."""
    notes = []
    for r in _records(rows):
        ind = registry.get(r["indicator"])
        if isinstance(r["target_note"], str) and r["target_note"]:
            # the note as published ("创业培训"), in the English UI as its dimension value reads there
            notes.append(f"{ind.short_label[lang]}{'：' if lang == 'zh' else ': '}"
                         f"{dimension_value(r['target_note'], lang)}")
        label = r["published_label"]
        if isinstance(label, str) and label and r["level"] == "parent" and label.removeprefix("其中：") != ind.label["zh"].removeprefix("其中："):
            notes.append(t("published_as", lang, label=f"{ind.short_label[lang]}{'＝' if lang == 'zh' else ' = '}{label}"))
    return ("；" if lang == "zh" else "; ").join(notes)


def _cells(rows: pd.DataFrame | list[dict], registry: Registry, lang: str, status_cols: dict[str, tuple[str, str]],
           *, rate_target: bool = True) -> dict:
    out: dict = {}
    by_ind = {r["indicator"]: r for r in _records(rows)}
    for ind in registry.indicators:
        label = ind.short_label[lang]
        row = by_ind.get(ind.name)
        target_col, actual_col = column_name(label, t("target", lang)), column_name(label, t("actual", lang))
        pct_col, status_col = column_name(label, t("completion", lang)), column_name(label, t("status", lang))
        for col, part in ((target_col, "target"), (actual_col, "actual"), (pct_col, "completion"),
                          (status_col, "status")):
            status_cols[col] = (ind.name, part)
        if row is None:
            out.update({target_col: None, actual_col: None, pct_col: None, status_col: ""})
            continue
        if ind.is_rate:
            out[target_col] = fmt_target(ind, row["target"], row["comparator"], lang) if rate_target else "—"
            out[actual_col] = row["actual"]
            out[pct_col] = None
        else:
            out[target_col] = row["target"]
            out[actual_col] = row["actual"]
            out[pct_col] = row["completion_pct"]
        out[status_col] = status_label(row["status"], lang) if rate_target or not ind.is_rate else "—"
    return out


def detail_table(progress: pd.DataFrame, registry: Registry, units: Units, lang: str,
                 unit_codes: list[str] | None = None) -> pd.DataFrame:
    """Every field of the progress table, in words, one row per unit × indicator (and the
    parent's own-target and allocation rows)."""
    from target_monitor.present import fmt_value, fmt_yoy, required_pace_text

    rows = progress if unit_codes is None else progress[progress["unit_code"].isin(unit_codes)]
    order = {ind.name: i for i, ind in enumerate(registry.indicators)}
    rows = rows.assign(_o=rows["indicator"].map(order)).sort_values(["_o", "level", "sort_order", "target_basis"],
                                                                     ascending=[True, False, True, False])
    out = []
    for r in rows.to_dict("records"):  # (not iterrows: see _records)
        ind = registry.get(r["indicator"])
        rank = t("rank_of", lang, rank=int(r["rank"]), n=int(r["rank_of"])) if not is_missing(r["rank"]) else "—"
        method = t("method_" + r["projection_method"], lang) if isinstance(r["projection_method"], str) else "—"
        name = unit_label(units[r["unit_code"]], lang)
        if r["target_basis"] == BASIS_ALLOCATION:
            name += f"（{t('allocation_sum', lang)}）" if lang == "zh" else f" ({t('allocation_sum', lang)})"
        out.append({
            t("unit", lang): name,
            t("indicator", lang): ind.label[lang],
            t("target", lang): fmt_target(ind, r["target"], r["comparator"], lang),
            t("actual", lang): fmt_value(ind, r["actual"], lang),
            t("completion", lang): fmt_pct(r["completion_pct"]),
            t("time_progress", lang): "—" if ind.is_rate else fmt_pct(r["time_progress_pct"]),
            # 历史同期进度 beside 序时进度: the share of the year reached by this date in earlier years
            t("historical_progress", lang): fmt_pct(r.get("historical_progress_pct")),
            t("gap_short", lang): f"{r['gap_pp']:+.1f}" if not is_missing(r["gap_pp"]) else "—",
            t("status", lang): status_label(r["status"], lang),
            t("status_rule", lang): _rule_words(r, lang),
            t("rank", lang): rank,
            t("projected", lang): fmt_value(ind, r["projected_year_end"], lang),
            t("projection_method", lang): method,
            t("required_monthly", lang): required_pace_text(ind, r, lang),
            t("yoy", lang): fmt_yoy(ind, r["yoy_change"], lang),
        })
    return pd.DataFrame(out)


def _rule_words(row, lang: str) -> str:
    """The traffic-light rule that fired, in the page's language (the progress table carries both)."""
    text = row.get("status_rule_" + lang)
    if not isinstance(text, str):
        text = row.get("status_rule")
    return text if isinstance(text, str) else "—"


def unit_table(progress: pd.DataFrame, unit_code: str, registry: Registry, units: Units, lang: str) -> pd.DataFrame:
    """One unit, every indicator: the figures a unit's leader asks about, in words."""
    rows = progress[(progress["unit_code"] == unit_code) & (progress["target_basis"] == BASIS_OWN)]
    return detail_table(rows, registry, units, lang).drop(columns=[t("unit", lang)])


def style_official(table: pd.DataFrame, columns: dict[str, tuple[str, str]], registry: Registry, lang: str):
    """A pandas Styler: numbers in each indicator's format, '—' for blanks, status cells in
    their colour (the cell text keeps the symbol and word, so colour is never alone)."""
    from target_monitor.charts import STATUS_COLOUR
    from target_monitor.present import fmt_number

    word_colour = {status_label(s, lang): c for s, c in STATUS_COLOUR.items()}

    def colour(value) -> str:
        c = word_colour.get(value)
        return f"background-color: {c}; color: white; font-weight: 600" if c else ""

    formats = {}
    for col, (name, part) in columns.items():
        ind = registry.get(name)
        if part in ("target", "actual"):
            formats[col] = (lambda ind, trim: lambda x: x if isinstance(x, str) else fmt_number(ind, x, trim=trim))(
                ind, part == "target")
        elif part == "completion":
            formats[col] = lambda x: fmt_pct(x)
    status_cols = [c for c, (_, part) in columns.items() if part == "status"]
    return table.style.format(formats, na_rep="—").map(colour, subset=status_cols)


def compact_table(progress: pd.DataFrame, registry: Registry, units: Units, lang: str,
                  sort_by: str | None = None) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The breakdown table narrow enough for a 1366-wide screen: one column per indicator
    ("▲ 68.0% · 21083/31000": status, completion, actual / target; a rate: "✔ 96.4% / ≥95%").

    Returns (table, {column: indicator name}, notes); the status of each cell is in
    `compact_status` for colouring. The notes column of the official layout is returned as
    lines to show under the table, so no long text widens it.
    """
    from target_monitor.i18n import STATUS_SYMBOL
    from target_monitor.present import fmt_number

    full, _ = official_table(progress, registry, units, lang, sort_by=sort_by)
    children = progress[progress["level"] == "child"]
    parent = progress[progress["level"] == "parent"]
    by_name = {unit_label(units[c], lang): c for c in children["unit_code"]}
    alloc = parent[parent["target_basis"] == BASIS_ALLOCATION]
    own = parent[parent["target_basis"] == BASIS_OWN]
    by_unit = _records_by_unit(children)
    row_sources = []  # (the row's progress records, whether it is the 合计 row)
    for name in full[t("unit_name", lang)]:
        if name in by_name:
            row_sources.append((by_unit.get(by_name[name], []), False))
        elif name == t("allocation_sum", lang):
            row_sources.append((_records(pd.concat([alloc, own[~own["indicator"].isin(alloc["indicator"])]])), True))
        else:
            row_sources.append((_records(own), False))
    # an indicator no unit was allocated (a district-only target such as the year-end graduate
    # rate) takes no column here: its one figure is the district's, on the overview and in the
    # full layout, and a sixth column would not fit 1366 wide
    allocated = set(children.loc[children["target"].notna(), "indicator"])
    columns = {ind.short_label[lang]: ind.name for ind in registry.indicators if ind.name in allocated}
    # (indicators with no target anywhere, such as 失业人员再就业, are counts for the explorer, not columns)
    own_targets = set(own.loc[own["target"].notna(), "indicator"])
    district_only = [ind for ind in registry.indicators if ind.name not in allocated and ind.name in own_targets]
    lines, statuses = [], []
    for line, (rows, is_total) in zip(full.to_dict("records"), row_sources):
        out = {t("seq_no", lang): line[t("seq_no", lang)], t("unit_name", lang): line[t("unit_name", lang)]}
        st_row = {}
        by_ind = {r["indicator"]: r for r in rows}
        for col, name in columns.items():
            ind, r = registry.get(name), by_ind.get(name)
            if r is None:
                out[col], st_row[col] = "—", ""
                continue
            symbol = STATUS_SYMBOL.get(r["status"], "")
            if ind.is_rate:
                total = is_total or is_missing(r["target"])  # no target: the rate alone
                target = "" if total else f" / {fmt_target(ind, r['target'], r['comparator'], lang)}"
                value = "—" if is_missing(r["actual"]) else f"{fmt_number(ind, r['actual'])}%"
                out[col] = f"{'' if total else symbol + ' '}{value}{target}".strip()
                st_row[col] = "" if total else r["status"]
            else:
                actual = fmt_number(ind, r["actual"], sep=False)
                target = fmt_number(ind, r["target"], trim=True, sep=False)
                pct = fmt_pct(r["completion_pct"])
                out[col] = (f"{symbol} {pct} · {actual}/{target}" if not is_missing(r["target"])
                            else f"{actual}").strip()
                st_row[col] = r["status"]
        lines.append(out)
        statuses.append(st_row)
    table = pd.DataFrame(lines)
    table.attrs["status"] = statuses
    notes = [f"{line[t('unit_name', lang)]}{'：' if lang == 'zh' else ': '}{line[t('note', lang)]}"
             for _, line in full.iterrows() if isinstance(line.get(t("note", lang)), str) and line[t("note", lang)]]
    if district_only:
        sep = "、" if lang == "zh" else ", "
        notes.append(t("compact_district_only", lang, names=sep.join(i.short_label[lang] for i in district_only)))
    return table, columns, notes


def style_compact(table: pd.DataFrame, columns: dict[str, str]):
    """Each indicator cell in its status colour (the text keeps the symbol: never colour alone)."""
    from target_monitor.charts import STATUS_COLOUR

    statuses = table.attrs.get("status", [])

    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for i, row in enumerate(statuses):
            for col, status in row.items():
                c = STATUS_COLOUR.get(status) if status not in ("no_target", "no_data") else None
                if c and col in out.columns:
                    out.iloc[i, out.columns.get_loc(col)] = f"background-color: {c}; color: white; font-weight: 600"
        return out

    return table.style.apply(colour, axis=None, subset=list(columns))
