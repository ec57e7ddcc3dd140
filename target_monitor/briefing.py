"""The drafted briefing (通报): official-style text from the same numbers as the screen.

Built from the progress table (`progress.progress_table`) and the months without records
(`Context.missing_months`); no SQL, no Streamlit. Sections:
  一、总体情况   the district headline per indicator (actual, completion %, comparison with 序时进度
                in 百分点, change on the same period last year, and the allocation sum beside it);
                a year-end rate states its margin to the standard, never 达标/未达标 mid-year;
  二、各单位完成情况  per indicator, the 街镇 by name: done, ahead, 明显滞后 apart from 略慢于序时
                (a year-end rate: at or above the standard now, still below it); a department such
                as 区就业局 in its own clause, not counted among the 街镇; "5月未报" beside the figure
                of a unit that sent no records for a month; then the units' 情况说明 of the month,
                quoted (only when a unit wrote one);
  三、数据报送情况  units that sent no records for a month up to the as-of date;
  四、下一步要求    the months left said once, then per indicator the far-behind units with their
                gap and monthly pace, the slightly-behind ones with their pace, the units below a
                year-end standard; at 31 December the units that did not reach the target.
Dates in words (2020年6月30日), percentages to one decimal, money in 万元, units from the registry
(人, 人次, 万元), exactly as `present` formats them on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from target_monitor.i18n import MONTH_ABBR, t, unit_label
from target_monitor.pace import months_remaining
from target_monitor.present import (
    _label_in_sentence, fmt_date, fmt_months, fmt_number, headline, is_missing, not_reported_text, pace_phrase,
)
from target_monitor.progress import parent_rows
from target_monitor.reference import Units
from target_monitor.registry import Indicator, Registry

BEHIND = ("slightly_behind", "far_behind")
AHEAD = ("ahead", "done")


@dataclass
class Briefing:
    title: str
    subtitle: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    def to_text(self) -> str:
        lines = [self.title, self.subtitle, ""]
        for heading, paragraphs in self.sections:
            lines.append(heading)
            lines.extend(paragraphs)
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def to_docx(self, header=None, lang: str | None = None) -> bytes:
        """A Word document laid out as an official document (GB/T 9704-2012): the issuing body,
        document number, addressees and date around this text (target_monitor/exports/official.py).
        `header` (an OfficialHeader) defaults to data/reference/official_document.yaml, dated today."""
        from target_monitor.exports.official import load_header, official_docx

        if lang is None:
            lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in self.title) else "en"
        return official_docx(self.title, self.subtitle, self.sections, header or load_header(lang), lang)


def _end(lang: str) -> str:
    return "。" if lang == "zh" else "."


def _join(names: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(names)


def _sep(lang: str) -> str:
    return "；" if lang == "zh" else "; "


def date_words(d: date, lang: str) -> str:
    """2020年6月30日 / 30 Jun 2020: an official text never prints 2020-06-30."""
    return t("date_long", lang, y=d.year, m=d.month, d=d.day, mon=MONTH_ABBR[d.month - 1])


def _yoy_clause(ind: Indicator, row, lang: str) -> str:
    change = row["yoy_change"]
    if is_missing(change):
        return ""
    if ind.is_rate:
        key = "brief_yoy_rate_up" if change > 0 else ("brief_yoy_rate_down" if change < 0 else "brief_yoy_flat")
    else:
        key = "brief_yoy_up" if change > 0 else ("brief_yoy_down" if change < 0 else "brief_yoy_flat")
    return t(key, lang, value=f"{abs(change):.1f}")


def district_sentence(ind: Indicator, own, alloc, as_of: date, lang: str) -> str:
    """The screen's headline with the change on the same period last year added."""
    if is_missing(own["target"]) and not ind.is_rate:
        # a count without a target (失业人员再就业): the figure and the change, in the 通报's words
        # (the screen's headline writes the change as 同比+12.6%)
        text = t("headline_no_target", lang, date=fmt_date(as_of, lang), scope=t("scope_district", lang),
                 label=_label_in_sentence(ind, lang), actual=fmt_number(ind, own["actual"], sep=(lang == "en")),
                 unit=ind.unit[lang])
    else:
        text = headline(ind, own, as_of, lang).rstrip("。.")
    yoy = _yoy_clause(ind, own, lang)
    if yoy:
        text += ("，" if lang == "zh" else ", ") + yoy
    if alloc is not None and not is_missing(alloc["target"]) and not is_missing(alloc["completion_pct"]):
        unit = ind.unit[lang]
        text += _sep(lang) + t(
            "headline_allocation", lang, target=fmt_number(ind, alloc["target"], sep=(lang == "en"), trim=True),
            unit=unit, completion=f"{alloc['completion_pct']:.1f}")
    return text + _end(lang)


def _children(progress: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    rows = progress[(progress["level"] == "child") & (progress["indicator"] == ind.name)
                    & (progress["target_basis"] == "own") & progress["target"].notna()]
    return rows.sort_values(["rank", "sort_order"], na_position="last")


def _ranked(rows: pd.DataFrame) -> pd.DataFrame:
    """The units compared with one another (街镇); a department keeps its own clause."""
    return rows[rows["is_ranked"].astype(bool)] if "is_ranked" in rows else rows


def _departments(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~rows["is_ranked"].astype(bool)] if "is_ranked" in rows else rows.iloc[0:0]


def _mark(code: str, missing: dict[str, list[int]], lang: str) -> str:
    """"5月未报" for a unit that sent no records for a month up to the as-of date, else ""."""
    return not_reported_text(code, missing, lang)


def _figure(name: str, value: str, mark: str, lang: str) -> str:
    """陶家镇（39.8%，5月未报） / Taojia Town (39.8%, no records for M5)."""
    inner = value + (("，" if lang == "zh" else ", ") + mark if mark else "")
    return f"{name}（{inner}）" if lang == "zh" else f"{name} ({inner})"


def _names(rows: pd.DataFrame, names: dict[str, str], missing: dict[str, list[int]], lang: str) -> list[str]:
    """Unit names; a unit with a month unreported carries the mark beside its name."""
    out = []
    for code in rows["unit_code"]:
        mark = _mark(code, missing, lang)
        out.append(_figure(names[code], mark, "", lang) if mark else names[code])
    return out


def _rate_sentence(ind: Indicator, rows: pd.DataFrame, names: dict[str, str], missing: dict[str, list[int]],
                   lang: str) -> str:
    """A rate: judged (达标/未达标) once its month has come, else at or above / still below the standard."""
    judged = not (rows["status"] == "year_end_check").any()
    parts = []
    if judged:
        met = _names(rows[rows["status"] == "met"], names, missing, lang)
        not_met = [_figure(names[r.unit_code], f"{fmt_number(ind, r.actual)}%", _mark(r.unit_code, missing, lang), lang)
                   for r in rows[rows["status"] == "not_met"].itertuples()]
        parts.append(t("brief_units_met", lang, n=len(met), names=_join(met, lang)) if met
                     else t("brief_units_met_none", lang))
        if not_met:
            parts.append(t("brief_units_not_met", lang, n=len(not_met), names=_join(not_met, lang)))
        return t("brief_units_lead", lang, label=_label_in_sentence(ind, lang)) + _sep(lang).join(parts) + _end(lang)
    above = rows[rows["gap_pp"].fillna(-1) >= 0]
    below = rows[rows["gap_pp"].notna() & (rows["gap_pp"] < 0)].sort_values(["gap_pp", "sort_order"],
                                                                             ascending=[False, True])
    above_names = _names(above, names, missing, lang)
    parts.append(t("brief_rate_above", lang, n=len(above_names), names=_join(above_names, lang)) if above_names
                 else t("brief_rate_above_none", lang))
    if len(below):
        items = []
        for r in below.itertuples():
            mark = _mark(r.unit_code, missing, lang)
            items.append(t("brief_rate_below_item", lang, unit=names[r.unit_code], value=fmt_number(ind, r.actual),
                           gap=f"{abs(r.gap_pp):.1f}", mark=(("，" if lang == "zh" else ", ") + mark) if mark else ""))
        parts.append(t("brief_rate_below", lang, n=len(items), names=_join(items, lang)))
    first = rows.iloc[0]
    op = "≥" if first["comparator"] in (">=", None) else "≤"
    lead = t("brief_rate_lead", lang, label=_label_in_sentence(ind, lang), op=op,
             target=fmt_number(ind, first["target"], trim=True))
    return lead + _sep(lang).join(parts) + _end(lang)


def units_sentence(ind: Indicator, progress: pd.DataFrame, names: dict[str, str], lang: str,
                   missing: dict[str, list[int]] | None = None) -> str | None:
    """Who is ahead and who is behind on one indicator, by name (in rank order); 明显滞后 apart
    from 略慢于序时; a department in its own clause; "5月未报" beside a unit's figure."""
    missing = missing or {}
    all_rows = _children(progress, ind)
    if all_rows.empty:
        return None
    rows = _ranked(all_rows)
    if ind.is_rate:
        return _rate_sentence(ind, all_rows, names, missing, lang)
    label = _label_in_sentence(ind, lang)
    parts = []

    def figures(sel: pd.DataFrame) -> list[str]:
        sel = sel.sort_values(["gap_pp", "sort_order"], ascending=[False, True])
        return [_figure(names[r.unit_code], f"{r.completion_pct:.1f}%", _mark(r.unit_code, missing, lang), lang)
                for r in sel.itertuples()]

    done = _names(rows[rows["status"] == "done"], names, missing, lang)
    ahead = _names(rows[rows["status"] == "ahead"], names, missing, lang)
    far = figures(rows[rows["status"] == "far_behind"])
    slight = figures(rows[rows["status"] == "slightly_behind"])
    not_done = figures(rows[rows["status"] == "not_done"])
    if done:
        parts.append(t("brief_units_done", lang, n=len(done), names=_join(done, lang)))
    if ahead:
        parts.append(t("brief_units_ahead", lang, n=len(ahead), names=_join(ahead, lang)))
    if far:
        parts.append(t("brief_units_far_behind", lang, n=len(far), names=_join(far, lang)))
    if slight:
        parts.append(t("brief_units_slightly_behind", lang, n=len(slight), names=_join(slight, lang)))
    if not_done:
        parts.append(t("brief_units_not_done", lang, n=len(not_done), names=_join(not_done, lang)))
    if not (far or slight or not_done):
        parts.append(t("brief_units_behind_none", lang))
    for r in _departments(all_rows).itertuples():
        verdict = t("brief_department_verdict", lang, completion=f"{r.completion_pct:.1f}",
                    pace=status_phrase(r._asdict(), lang))
        mark = _mark(r.unit_code, missing, lang)
        parts.append(t("brief_department", lang, unit=names[r.unit_code], verdict=verdict)
                     + ((("，" if lang == "zh" else ", ") + mark) if mark else ""))
    return t("brief_units_lead", lang, label=label) + _sep(lang).join(parts) + _end(lang)


def status_phrase(row, lang: str) -> str:
    """快于序时进度1.0个百分点 / 已完成全年目标任务 / 未完成全年目标任务, for one row."""
    if row["status"] == "done":
        return t("already_done", lang)
    if row["status"] == "not_done":
        return t("status_not_done", lang)
    return pace_phrase(row, lang)


def reporting_sentence(missing: dict[str, list[int]], as_of: date, names: dict[str, str], lang: str) -> str:
    """Units without records for a month up to the as-of date, or that every unit has reported.

    "其中6月未报送的有…" is added only when it says something the list does not: when some of the
    listed units miss other months too (never "陶家镇5月，其中5月未报送的有陶家镇")."""
    if not missing:
        return t("brief_all_reported", lang, m=as_of.month)
    items = []
    for code, months in missing.items():
        month_text = ("、" if lang == "zh" else ", ").join(t("month_n", lang, m=m) for m in months)
        items.append(t("brief_not_reported_item", lang, unit=names.get(code, code), months=month_text))
    this_month = [names.get(c, c) for c, months in missing.items() if as_of.month in months]
    only_this_month = all(months == [as_of.month] for months in missing.values())
    text = t("brief_not_reported", lang, items=_join(items, lang))
    if this_month and not only_this_month:
        text += ("，" if lang == "zh" else "; ") + t("brief_not_reported_this_month", lang, m=as_of.month,
                                                   names=_join(this_month, lang))
    return text + ("，" if lang == "zh" else ", ") + t("brief_please_report", lang) + _end(lang)


def laggard_sentences(registry: Registry, progress: pd.DataFrame, names: dict[str, str], lang: str,
                      as_of: date | None = None) -> list[str]:
    """四、下一步要求: the months left once, then per indicator the far-behind units (completion,
    gap, monthly pace), the slightly-behind ones (monthly pace), the units below a year-end
    standard; on 31 December the units that did not reach their target."""
    out = []
    for ind in registry.indicators:
        rows = _ranked(_children(progress, ind))
        label = _label_in_sentence(ind, lang)
        if not rows["target"].notna().any():
            # a target the district keeps to itself (见习基地, 城口, 登记失业率): the district's own row
            own, _ = parent_rows(progress, ind.name)
            district = _district_next(ind, own, label, lang)
            if district:
                out.append(district)
            continue
        if ind.is_rate:
            below = rows[(rows["status"] == "year_end_check") & rows["gap_pp"].notna() & (rows["gap_pp"] < 0)]
            if len(below):
                below = below.sort_values(["gap_pp", "sort_order"], ascending=[False, True])
                first = below.iloc[0]
                op = "≥" if first["comparator"] in (">=", None) else "≤"
                named = [_figure(names[r.unit_code], f"{fmt_number(ind, r.actual)}%", "", lang) for r in below.itertuples()]
                out.append(t("brief_next_rate", lang, label=label, op=op, target=fmt_number(ind, first["target"], trim=True),
                             names=_join(named, lang)) + _end(lang))
            continue
        not_done = rows[rows["status"] == "not_done"].sort_values(["gap_pp", "sort_order"])
        if len(not_done):
            named = [_figure(names[r.unit_code], f"{r.completion_pct:.1f}%", "", lang) for r in not_done.itertuples()]
            out.append(t("brief_next_year_end", lang, label=label, names=_join(named, lang)) + _end(lang))
            continue
        unit_of = ind.unit[lang]
        far = rows[rows["status"] == "far_behind"].sort_values(["gap_pp", "sort_order"])
        slight = rows[rows["status"] == "slightly_behind"].sort_values(["gap_pp", "sort_order"])
        parts = []

        def pace_value(r) -> str:
            return fmt_number(ind, r["required_monthly"], sep=(lang == "en"))

        if len(far):
            items = [t("brief_next_far_item", lang, unit=names[r["unit_code"]], completion=f"{r['completion_pct']:.1f}",
                       gap=f"{abs(r['gap_pp']):.1f}", value=pace_value(r), unit_of=unit_of) for _, r in far.iterrows()]
            parts.append(t("brief_next_far", lang, label=label, items=_join(items, lang)))
        if len(slight):
            items = [t("brief_next_slightly_item", lang, unit=names[r["unit_code"]], value=pace_value(r), unit_of=unit_of)
                     for _, r in slight.iterrows()]
            text = t("brief_next_slightly", lang, items=_join(items, lang))
            parts.append(text if parts else t("brief_units_lead", lang, label=label) + text)
        if parts:
            out.append(_sep(lang).join(parts) + _end(lang))
    if out and as_of is not None and months_remaining(as_of) > 0:
        out.insert(0, t("brief_next_lead", lang, months=fmt_months(months_remaining(as_of))))
    return out


def note_sentences(registry: Registry, units: Units, notes, names: dict[str, str], lang: str) -> list[str]:
    """The units' 情况说明 of the month, quoted as written ("陶家镇（城镇新增就业）：受疫情影响，6月……"),
    after a lead line; in registry order, then in the order of the task breakdown table. `notes`:
    dicts with unit, indicator and text (target_monitor/followup/notes.py, the latest of each)."""
    order = {u.code: i for i, u in enumerate(units)}
    inds = {ind.name: (k, ind) for k, ind in enumerate(registry.indicators)}
    chosen = sorted((n for n in notes or [] if n.get("indicator") in inds and n.get("unit") in names),
                    key=lambda n: (inds[n["indicator"]][0], order.get(n["unit"], 1 << 30)))
    out = []
    for n in chosen:
        text = str(n["text"]).strip()
        if text and text[-1] not in "。.！!？?；;…":
            text += _end(lang)
        out.append(t("brief_note", lang, unit=names[n["unit"]],
                     label=_label_in_sentence(inds[n["indicator"]][1], lang), text=text))
    return [t("brief_notes_lead", lang)] + out if out else []


def _district_next(ind: Indicator, own, label: str, lang: str) -> str:
    """四、下一步要求 for a district-only target: behind the calendar (with the monthly pace), not
    done at the year end, or a ceiling rate above its control target; else nothing."""
    if own is None or is_missing(own["target"]):
        return ""
    if ind.kind == "ceiling_rate":
        if own["status"] in ("not_met", "year_end_check") and not is_missing(own["gap_pp"]) and own["gap_pp"] < 0:
            return t("brief_next_district_ceiling", lang, label=label, gap=f"{abs(own['gap_pp']):.1f}",
                     target=f"{float(own['target']):g}") + _end(lang)
        return ""
    if ind.is_rate:
        return ""
    if own["status"] == "not_done":
        return t("brief_next_district_not_done", lang, label=label, completion=f"{own['completion_pct']:.1f}") + _end(lang)
    if own["status"] not in ("far_behind", "slightly_behind"):
        return ""
    key = "brief_next_district_far" if own["status"] == "far_behind" else "brief_next_district_slightly"
    return t(key, lang, label=label, completion=f"{own['completion_pct']:.1f}", gap=f"{abs(own['gap_pp']):.1f}",
             value=fmt_number(ind, own["required_monthly"], sep=(lang == "en")), unit_of=ind.unit[lang]) + _end(lang)


def build_briefing(registry: Registry, units: Units, progress: pd.DataFrame, missing: dict[str, list[int]],
                   year: int, as_of: date, lang: str, *, is_demo: bool = False,
                   overdue_text: str = "", notes=None) -> Briefing:
    district = units.root()
    names = {u.code: unit_label(u, lang) for u in units}
    tp = float(progress["time_progress_pct"].iloc[0])
    title = t("brief_title", lang, district=unit_label(district, lang), year=year)
    subtitle = t("brief_subtitle", lang, date=date_words(as_of, lang), tp=f"{tp:.1f}",
                 months=fmt_months(months_remaining(as_of)))
    if is_demo:
        subtitle += t("brief_demo_note", lang)
    overall = []
    for ind in registry.indicators:
        own, alloc = parent_rows(progress, ind.name)
        overall.append(district_sentence(ind, own, alloc, as_of, lang))
    by_unit = [s for s in (units_sentence(ind, progress, names, lang, missing) for ind in registry.indicators) if s]
    if progress["target"].notna().any():
        laggards = laggard_sentences(registry, progress, names, lang, as_of) or [t("brief_no_laggards", lang)]
    else:  # no task breakdown table for the year: nothing to be behind on
        laggards = []
    if not by_unit:
        by_unit = [t("no_targets_year", lang, year=year)]
    by_unit += note_sentences(registry, units, notes, names, lang)  # nothing when no unit wrote one
    return Briefing(title=title, subtitle=subtitle, sections=[
        (t("brief_h_overall", lang), overall),
        (t("brief_h_units", lang), by_unit),
        # overdue_text: the units past the reporting deadline (submissions.status.overdue_sentence)
        (t("brief_h_reporting", lang), [reporting_sentence(missing, as_of, names, lang)]
         + ([overdue_text] if overdue_text else [])),
        (t("brief_h_next", lang), laggards),
    ])
