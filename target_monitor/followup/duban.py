"""督办: a red light becomes an item that is followed until the reviewer closes it (销号).

    open_for_month(data_dir, actor, progress, month)  -> [event]   立项 / 重新立项 / 约谈, idempotent
    feedback(data_dir, actor, item_id, text)          -> event     the unit's 反馈 (its clerk, 管理员)
    close(data_dir, actor, item_id, text="")          -> event     销号 (审核员, 管理员), after a 反馈
    items(data_dir, units=None)                       -> [item]    every item folded from its events

One item per unit × indicator (`D:<unit>:<indicator>`); its history is the event lines of
`<data-dir>/followup/duban.jsonl`, never rewritten:

    open     立项: the month end's status is one of followup.yaml `duban.open_on`; due `due_days` later
    red      the item is still open and the next month end is red again
    escalate red `escalate_after_months` month ends running: the 约谈 note to the leadership group
    feedback 反馈 from the unit                    -> state answered (待销号)
    close    销号 by the reviewer                    -> state closed
    reopen   a closed item whose light is red again at a LATER month end: a new round, new due date

When items are opened: by an explicit step over one month end's official figures, never on
reading a page (a read must not write). The step is `target-monitor duban open --month
YYYY-MM`, the 督办 page's button for 审核员/管理员, and every snapshot build (the month end's
frozen figures open that month's items before the snapshot freezes their state). Running it again
for the same month changes nothing.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from target_monitor import access
from target_monitor.access import audit
from target_monitor.followup.config import FollowupConfig, load_config
from target_monitor.followup.store import DUBAN, FollowupError, append, clean_text, locked, now_utc, read

STATES = ("open", "answered", "closed")


def item_id(unit: str, indicator: str) -> str:
    return f"D:{unit}:{indicator}"


def _month_end(month: str) -> date:
    y, m = int(month[:4]), int(month[5:7])
    return date(y, m, calendar.monthrange(y, m)[1])


def _prev_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def fold(events: list[dict]) -> dict[str, dict]:
    """Every item's present state from its events (in file order)."""
    out: dict[str, dict] = {}
    for e in events:
        iid = e.get("item")
        if not iid:
            continue
        kind = e.get("event")
        it = out.get(iid)
        if it is None:
            if kind != "open":
                continue  # a line for an item that was never opened: ignored, not invented
            it = out[iid] = {"id": iid, "unit": e["unit"], "indicator": e["indicator"], "round": 0,
                             "red_months": [], "history": []}
        it["history"].append(e)
        if kind in ("open", "reopen"):
            it.update(state="open", round=it["round"] + 1, opened_month=e["month"], due_on=e.get("due_on"),
                      status=e.get("status"), escalated=False, feedback=None, closed_by=None, closed_at=None)
            it["red_months"].append(e["month"])
        elif kind == "red":
            it["red_months"].append(e["month"])
            it["status"] = e.get("status")
        elif kind == "escalate":
            it["escalated"] = True
            it["escalation"] = e.get("text")
        elif kind == "feedback":
            it["state"] = "answered"
            it["feedback"] = e.get("text")
        elif kind == "close":
            it["state"] = "closed"
            it["closed_by"], it["closed_at"] = e.get("user"), e.get("time_utc")
    for it in out.values():
        it["last_red_month"] = max(it["red_months"]) if it["red_months"] else None
    return out


def items(data_dir: Path, units=None, state: str | None = None) -> list[dict]:
    """Items (opened first first), limited to `units` (a scope's unit set) and a state."""
    out = [it for it in fold(read(data_dir, DUBAN)).values()
           if (units is None or it["unit"] in units) and (state is None or it["state"] == state)]
    return sorted(out, key=lambda it: (it["history"][0]["time_utc"], it["id"]))


def is_overdue(item: dict, today: date) -> bool:
    return item["state"] == "open" and bool(item.get("due_on")) and today > date.fromisoformat(item["due_on"])


def _event(kind: str, it_unit: str, indicator: str, month: str, actor, **extra) -> dict:
    return {"item": item_id(it_unit, indicator), "event": kind, "unit": it_unit, "indicator": indicator,
            "month": month, "user": getattr(actor, "user", "") or "", "role": getattr(actor, "role_code", "") or "",
            "time_utc": now_utc(), **extra}


def open_for_month(data_dir: Path, actor, progress: pd.DataFrame, month: str,
                   config: FollowupConfig | None = None, lang: str = "zh", via: str = "") -> list[dict]:
    """Open, re-open, mark and escalate the items of one month end's progress table; returns the
    new events (none when the month was done before). `actor` None: a snapshot build (`via`)."""
    config = config or load_config(data_dir)
    if actor is not None and not (access.allowed(actor, "review") or access.allowed(actor, "build_snapshot")):
        audit.record(data_dir, actor, "duban", month, "refused", reason="not_reviewer")
        raise FollowupError("not_reviewer", user=getattr(actor, "user", ""))
    rows = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")
                    & progress["status"].isin(config.open_on)]
    due = (_month_end(month) + timedelta(days=config.due_days)).isoformat()
    new: list[dict] = []
    with locked(data_dir):
        state = fold(read(data_dir, DUBAN))
        for r in rows.sort_values(["sort_order", "unit_code", "indicator"]).itertuples():
            it = state.get(item_id(r.unit_code, r.indicator))
            if it is None:
                ev = _event("open", r.unit_code, r.indicator, month, actor, due_on=due, status=r.status)
            elif month in it["red_months"] or month < it["last_red_month"]:
                continue  # this month end (or a later one) was seen already
            elif it["state"] == "closed":
                ev = _event("reopen", r.unit_code, r.indicator, month, actor, due_on=due, status=r.status)
            else:
                ev = _event("red", r.unit_code, r.indicator, month, actor, status=r.status)
            batch = [ev]
            months = set((it or {}).get("red_months", [])) | {month}
            n = config.escalate_after_months
            running, m = 0, month
            while m in months:
                running, m = running + 1, _prev_month(m)
            already = it is not None and it["state"] != "closed" and it.get("escalated")
            if n and running >= n and not already:
                batch.append(_event("escalate", r.unit_code, r.indicator, month, actor, months=running,
                                    text=config.escalation_text(lang)))
            for e in batch:
                append(data_dir, DUBAN, e)
            new += batch
    if new or actor is not None:
        audit.record(data_dir, actor, "duban", month, step="open", **({"via": via} if via else {}),
                     opened=sum(e["event"] == "open" for e in new), reopened=sum(e["event"] == "reopen" for e in new),
                     escalated=sum(e["event"] == "escalate" for e in new))
    return new


def _step(data_dir: Path, actor, iid: str, kind: str, text: str, config: FollowupConfig | None) -> dict:
    config = config or load_config(data_dir)

    def refuse(code, **details):
        audit.record(data_dir, actor, "duban", iid, "refused", step=kind, reason=code)
        raise FollowupError(code, **details)

    with locked(data_dir):
        it = fold(read(data_dir, DUBAN)).get(iid)
        if it is None:
            refuse("unknown_item", id=iid)
        if kind == "feedback" and not access.allowed(actor, "submit", "unit:" + it["unit"]):
            refuse("not_your_unit", unit=it["unit"], user=getattr(actor, "user", ""))
        if kind == "close" and not access.allowed(actor, "review"):
            refuse("not_reviewer", user=getattr(actor, "user", ""))
        need = "open" if kind == "feedback" else "answered"
        if kind == "feedback" and it["state"] == "answered":
            need = "answered"  # a second 反馈 before 销号 adds to the first
        if it["state"] != need:
            refuse("wrong_state", id=iid, state=it["state"])
        try:
            body = clean_text(text, config.max_chars) if (kind == "feedback" or text.strip()) else ""
        except FollowupError as exc:
            refuse(exc.code, **exc.details)
        ev = _event(kind, it["unit"], it["indicator"], it["last_red_month"], actor, text=body)
        append(data_dir, DUBAN, ev)
    audit.record(data_dir, actor, "duban", iid, step=kind)
    return ev


def feedback(data_dir: Path, actor, iid: str, text: str, config: FollowupConfig | None = None) -> dict:
    return _step(data_dir, actor, iid, "feedback", text, config)


def close(data_dir: Path, actor, iid: str, text: str = "", config: FollowupConfig | None = None) -> dict:
    return _step(data_dir, actor, iid, "close", text, config)
