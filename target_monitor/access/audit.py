"""The audit trail (留痕): one JSON line per login, logout, write, download, query and refusal.

`<data-dir>/logs/audit.jsonl`, append-only: lines are only ever added (O_APPEND, one write per
line, so lines from several processes never interleave), never rewritten. Each line:

    time_utc, time_beijing, user, role, unit, action, object, outcome, detail (optional)

outcome: ok | refused | failed | timeout. A read-only data folder does not stop the product:
the failure to write is logged to stderr (Python logging) instead.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8))
AUDIT_FILE = "audit.jsonl"
COLUMNS = ["time_utc", "time_beijing", "user", "role", "unit", "action", "object", "outcome", "detail"]
ACTIONS = ("login", "logout", "upload", "import", "undo", "target_import", "snapshot_build", "download", "work_items",
           "console_query", "refused", "submit", "review",
           "note", "duban")  # 情况说明 and 督办 (target_monitor/followup)


def audit_path(data_dir: Path) -> Path:
    return Path(data_dir) / "logs" / AUDIT_FILE


def record(data_dir: Path, actor, action: str, obj: str = "", outcome: str = "ok", /, **detail) -> dict:
    """Append one line; returns it. `actor` is an access.Actor or None (unknown). The fixed
    fields are positional only, so a detail may be called `action` too (a refusal names the
    action it refused)."""
    now = datetime.now(timezone.utc)
    entry = {
        "time_utc": now.isoformat(timespec="milliseconds"),
        "time_beijing": now.astimezone(BEIJING).isoformat(timespec="seconds"),
        "user": getattr(actor, "user", "") or "",
        "role": getattr(actor, "role_code", "") or "",
        "unit": getattr(actor, "unit", "") or "",
        "action": action,
        "object": str(obj),
        "outcome": outcome,
    }
    if detail:
        entry["detail"] = detail
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    path = audit_path(data_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as exc:
        log.warning("cannot write the audit trail %s: %s", path, exc)
    return entry


def read(data_dir: Path, *, since: date | None = None, user: str | None = None,
         action: str | None = None) -> pd.DataFrame:
    """The trail as a table (oldest first), filtered; a damaged line is skipped, not fatal."""
    path = audit_path(data_dir)
    rows = []
    if path.exists():
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(entry, dict):
                    continue
                if "detail" in entry and not isinstance(entry["detail"], str):
                    entry["detail"] = json.dumps(entry["detail"], ensure_ascii=False, default=str)
                rows.append(entry)
    df = pd.DataFrame(rows, columns=COLUMNS, dtype=object).fillna("")
    if since is not None:
        df = df[df["time_beijing"].astype(str).str[:10] >= since.isoformat()]
    if user:
        df = df[df["user"].astype(str).str.lower() == user.strip().lower()]
    if action:
        df = df[df["action"] == action]
    return df.reset_index(drop=True)
