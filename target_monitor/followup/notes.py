"""情况说明: a unit's explanation of one indicator in one month, and the reviewers' replies.

    add_note(data_dir, actor, unit=, indicator=, month=, text=)  -> dict   the unit's clerk (or 管理员)
    add_reply(data_dir, actor, note_id, text)                    -> dict   审核员 / 管理员
    notes_for(data_dir, month=, unit=)                           -> list   each note with its replies
    current(data_dir, month)                -> {(unit, indicator): note}   the latest note of each
    missing(progress, current, config)      -> [(unit, indicator)]         red without a note

Who may write is the access layer's answer: a note is the unit's word, so it takes the action
`submit` on `unit:<code>` (a clerk for its own unit only); a reply takes `review`. A note is never
edited: writing again on the same unit × indicator × month adds a newer note, which is the one
shown and quoted; the older ones stay in the history. Every write (and every refusal) leaves an
audit line (action `note`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from target_monitor import access
from target_monitor.access import audit
from target_monitor.followup.config import FollowupConfig, load_config
from target_monitor.followup.store import NOTES, FollowupError, append, check_month, clean_text, new_id, now_utc, read


def _refuse(data_dir: Path, actor, obj: str, code: str, **details):
    audit.record(data_dir, actor, "note", obj, "refused", reason=code, **details)
    raise FollowupError(code, **details)


def add_note(data_dir: Path, actor, *, unit: str, indicator: str, month: str, text: str,
             indicators: list[str] | None = None, units: list[str] | None = None,
             config: FollowupConfig | None = None) -> dict:
    """The unit's explanation; `indicators` / `units` (known names) refuse a typo instead of keeping it."""
    config = config or load_config(data_dir)
    obj = f"{unit}/{indicator}/{month}"
    try:
        month = check_month(month)
        body = clean_text(text, config.max_chars)
    except FollowupError as exc:
        _refuse(data_dir, actor, obj, exc.code, **exc.details)
    if units is not None and unit not in units:
        _refuse(data_dir, actor, obj, "unknown_unit", unit=unit)
    if indicators is not None and indicator not in indicators:
        _refuse(data_dir, actor, obj, "unknown_indicator", indicator=indicator, known=", ".join(indicators))
    if not access.allowed(actor, "submit", "unit:" + unit):
        _refuse(data_dir, actor, obj, "not_your_unit", unit=unit, user=getattr(actor, "user", ""))
    entry = {"id": new_id("N"), "kind": "note", "unit": unit, "indicator": indicator, "month": month,
             "text": body, "user": actor.user, "role": actor.role_code, "time_utc": now_utc()}
    append(data_dir, NOTES, entry)
    audit.record(data_dir, actor, "note", obj, note_id=entry["id"])
    return entry


def add_reply(data_dir: Path, actor, note_id: str, text: str, config: FollowupConfig | None = None) -> dict:
    config = config or load_config(data_dir)
    if not access.allowed(actor, "review"):
        _refuse(data_dir, actor, note_id, "not_reviewer", user=getattr(actor, "user", ""))
    note = next((n for n in read(data_dir, NOTES) if n.get("id") == note_id and n.get("kind") == "note"), None)
    if note is None:
        _refuse(data_dir, actor, note_id, "unknown_note", id=note_id)
    try:
        body = clean_text(text, config.max_chars)
    except FollowupError as exc:
        _refuse(data_dir, actor, note_id, exc.code, **exc.details)
    entry = {"id": new_id("R"), "kind": "reply", "reply_to": note_id, "unit": note["unit"],
             "indicator": note["indicator"], "month": note["month"], "text": body, "user": actor.user,
             "role": actor.role_code, "time_utc": now_utc()}
    append(data_dir, NOTES, entry)
    audit.record(data_dir, actor, "note", f"{note['unit']}/{note['indicator']}/{note['month']}",
                 reply_to=note_id, note_id=entry["id"])
    return entry


def notes_for(data_dir: Path, month: str | None = None, unit: str | None = None,
              units: set[str] | frozenset[str] | None = None) -> list[dict]:
    """Notes (oldest first), each with `replies` (oldest first); `units` limits them to a scope."""
    entries = read(data_dir, NOTES)
    replies: dict[str, list[dict]] = {}
    for e in entries:
        if e.get("kind") == "reply":
            replies.setdefault(e.get("reply_to", ""), []).append(e)
    out = []
    for e in entries:
        if e.get("kind") != "note":
            continue
        if (month and e.get("month") != month) or (unit and e.get("unit") != unit):
            continue
        if units is not None and e.get("unit") not in units:
            continue
        out.append({**e, "replies": replies.get(e["id"], [])})
    return out


def current(data_dir: Path, month: str, units=None) -> dict[tuple[str, str], dict]:
    """The latest note of each unit × indicator of the month (the one shown and quoted)."""
    out: dict[tuple[str, str], dict] = {}
    for n in notes_for(data_dir, month=month, units=units):
        out[(n["unit"], n["indicator"])] = n  # oldest first: the later one wins
    return out


def needs_note(progress: pd.DataFrame, config: FollowupConfig) -> pd.DataFrame:
    """The unit rows (own target) whose status requires a 情况说明."""
    rows = progress[(progress["level"] == "child") & (progress["target_basis"] == "own")]
    return rows[rows["status"].isin(config.required_for)]


def missing(progress: pd.DataFrame, notes: dict[tuple[str, str], dict], config: FollowupConfig) -> list[tuple[str, str]]:
    """(unit, indicator) whose status requires a note and that have none: 缺情况说明."""
    return [(r.unit_code, r.indicator) for r in needs_note(progress, config).itertuples()
            if (r.unit_code, r.indicator) not in notes]


def month_of(as_of) -> str:
    return f"{as_of.year:04d}-{as_of.month:02d}"
