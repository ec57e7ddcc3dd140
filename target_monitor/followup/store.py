"""The follow-up files: append-only JSON lines under `<data-dir>/followup/`.

A line is only ever added (O_APPEND, one write per line, so two processes never interleave),
never rewritten: the history of every note and every 督办 item is the file itself. A damaged
line is skipped on reading, not fatal. Changes that read before they write (opening the month's
督办 items) hold the folder's lock, so two reviewers clicking at once open an item once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

FOLDER = "followup"
NOTES = "notes.jsonl"
DUBAN = "duban.jsonl"


class FollowupError(Exception):
    """A refused step: `code` (i18n key `fu_e_<code>`) and the details for the message."""

    def __init__(self, code: str, **details):
        super().__init__(code)
        self.code, self.details = code, details


def folder(data_dir: Path) -> Path:
    return Path(data_dir) / FOLDER


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_id(prefix: str) -> str:
    return prefix + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")[:-3] + "-" + secrets.token_hex(3)


def append(data_dir: Path, name: str, entry: dict) -> dict:
    path = folder(data_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read(data_dir: Path, name: str) -> list[dict]:
    path = folder(data_dir) / name
    out = []
    if not path.exists():
        return out
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                out.append(entry)
    return out


@contextlib.contextmanager
def locked(data_dir: Path):
    base = folder(data_dir)
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def clean_text(text, max_chars: int) -> str:
    """One paragraph: whitespace runs (newlines too) become one space; empty or too long refused."""
    value = " ".join(str(text or "").split())
    if not value:
        raise FollowupError("empty_text")
    if len(value) > max_chars:
        raise FollowupError("too_long", n=len(value), max=max_chars)
    return value


def check_month(month) -> str:
    text = str(month or "").strip()
    try:
        year, mon = text.split("-")
        if len(year) != 4 or len(mon) != 2 or not 1 <= int(mon) <= 12:
            raise ValueError
        int(year)
    except ValueError:
        raise FollowupError("bad_month", value=text) from None
    return text
