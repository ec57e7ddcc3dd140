"""Submissions (报送): a unit's file waits for the district's review before it counts.

    submit(data_dir, actor, data, file, unit=, period=)  -> dict   parsed and kept, nothing in the store
    review(data_dir, actor, id, approve=True | reason=)  -> dict   approve: one store version; return: kept
    list_submissions(data_dir, period=, unit=, status=)  -> list   newest first
    preview_of(data_dir, id)                             -> dict   what approving would change
    save_draft(data_dir, actor, unit=, period=, form=|data=, file=, draft_id=) -> dict   草稿: kept, not submitted
    submit_draft(data_dir, actor, id)                    -> dict   a draft submitted (same id)
    submit_form(data_dir, actor, unit=, period=, lines=) -> dict   the in-app form, as a 月报表 (form.py)
    overdue_units(year, as_of, data_dir=) -> list, month_status(...)  报送情况 and 逾期 (status.py)

A 街镇填报员 submits a records file (or a 月报表 file) for its own unit and one month. The file
is parsed by the ingest's own analyse() (the sandbox, its checks and its quarantine) with the
month declared, so rows outside it are quarantined; the bytes are kept under
`<data-dir>/submissions/` and NOTHING is written to the store: until approved the data counts in
no figure. States:

    draft (草稿) -> submitted (已提交（待审核）) -> approved (已通过) | returned (已退回, with the reason)

Review has one level or more, in the order of `<reference>/submissions.yaml` `review_levels`
(config.py): e.g. the 街镇's own leader (role unit_leader, its own unit only), then the 区就业局's
审核员. Approving at a level before the last moves the submission to the next level (it stays
待审核, `level` counts up); approving at the last applies it; returning at any level returns it.

A returned submission stays, with its reason; submitting again for the same unit and month makes
a new submission that supersedes it (`supersedes` / `superseded_by`). Approving applies the
kept bytes through ingest.confirm() as ONE version of the extract's table (kind "submission",
with who submitted and who approved), declared as replacing the unit's records of that month,
so `imports undo` takes it back like any import. Every step writes an audit line.

One JSON file per submission, `<id>.json`, written atomically (temporary file + rename), beside
the raw bytes `<id>.<ext>`. The id is `S` + the UTC time + 6 hex digits of the bytes' hash.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from target_monitor.access import audit

STATES = ("draft", "submitted", "approved", "returned")
FOLDER = "submissions"
_ID = re.compile(r"^S\d{8}T\d{6}\d{3}-[0-9a-f]{6}$")


class SubmissionError(Exception):
    """A refused step: `code` (i18n key suffix `sub_e_<code>`) and the details for the message."""

    def __init__(self, code: str, **details):
        super().__init__(code)
        self.code, self.details = code, details


def folder(data_dir: Path) -> Path:
    return Path(data_dir) / FOLDER


def _now() -> datetime:
    return datetime.now(timezone.utc)


@contextlib.contextmanager
def _locked(data_dir: Path):
    """One state change at a time (two reviewers clicking at once apply a submission once)."""
    base = folder(data_dir)
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save(data_dir: Path, sub: dict) -> None:
    _write_atomic(folder(data_dir) / f"{sub['id']}.json",
                  json.dumps(sub, ensure_ascii=False, indent=1, default=str).encode("utf-8"))


def get(data_dir: Path, sub_id: str) -> dict:
    if not _ID.match(str(sub_id)):
        raise SubmissionError("unknown", id=sub_id)
    path = folder(data_dir) / f"{sub_id}.json"
    if not path.exists():
        raise SubmissionError("unknown", id=sub_id)
    return json.loads(path.read_text(encoding="utf-8"))


def list_submissions(data_dir: Path, *, period: str | None = None, unit: str | None = None,
                     status: str | None = None) -> list[dict]:
    """Every submission (newest first), filtered; a damaged file is skipped, not fatal."""
    out = []
    base = folder(data_dir)
    for path in sorted(base.glob("S*.json")) if base.is_dir() else []:
        try:
            sub = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(sub, dict) or "id" not in sub:
            continue
        if period and sub.get("period") != period:
            continue
        if unit and sub.get("unit") != unit:
            continue
        if status and sub.get("status") != status:
            continue
        out.append(sub)
    return sorted(out, key=lambda s: s["id"], reverse=True)


def raw_bytes(data_dir: Path, sub: dict) -> bytes:
    return (folder(data_dir) / sub["raw_file"]).read_bytes()


def _check_period(period: str) -> str:
    from target_monitor.ingest.pipeline import parse_period

    try:
        month = parse_period(period) if re.fullmatch(r"\d{4}-\d{2}", str(period or "")) else None
    except ValueError:
        month = None
    if not month:
        raise SubmissionError("bad_period", value=period)
    return f"{month[0]}-{month[1]:02d}"


def _analyse(data_dir: Path, data: bytes, file: str, period: str, extract: str | None, isolated: bool):
    from target_monitor.ingest import analyse

    return analyse(data, file, data_dir=Path(data_dir), extract=extract, period=period, isolated=isolated)


def _units_of(parsed) -> list[str]:
    frame = getattr(parsed, "accepted", None)
    if frame is None or "unit_code" not in frame:
        return []
    return sorted(set(frame["unit_code"].dropna().astype(str)))


def submit(data_dir: Path, actor, data: bytes, file: str, *, unit: str, period: str, note: str = "",
           extract: str | None = None, isolated: bool = True, draft: dict | None = None,
           form: list[dict] | None = None) -> dict:
    """Keep a unit's file for review (nothing written to the store). Refusals raise
    SubmissionError and leave an audit line; a taken submission leaves one too. `draft`: the
    draft being submitted (its id is kept); `form`: the in-app form's lines the file came from."""
    from target_monitor import access
    from target_monitor.paths import reference_dir
    from target_monitor.reference import load_reference

    data_dir = Path(data_dir)
    obj = f"{unit} {period} {file}"
    try:
        units = {u.code for u in load_reference(reference_dir(data_dir)).units}
        if unit not in units:
            raise SubmissionError("bad_unit", unit=unit)
        ok, why = access.explain(actor, "submit", "unit:" + unit)
        if not ok:
            raise SubmissionError("not_your_unit", unit=unit, own=getattr(actor, "unit", "") or "-", why=why)
        period = _check_period(period)
        parsed = _analyse(data_dir, data, file, period, extract, isolated)
        report = parsed.report
        if report.status == "rejected" or not report.accepted:
            rejected = [p for p in report.problems if p.level == "R"]
            raise SubmissionError("bad_file", file=file, reasons="; ".join(p.reason_zh for p in rejected) or "-",
                                  reasons_en="; ".join(p.reason_en for p in rejected) or "-")
        others = [c for c in _units_of(parsed) if c != unit]
        if others:
            raise SubmissionError("other_units", file=file, unit=unit, others=", ".join(others))
        with _locked(data_dir):
            pending = list_submissions(data_dir, period=period, unit=unit, status="submitted")
            if pending:
                raise SubmissionError("pending", unit=unit, period=period, id=pending[0]["id"])
            if draft is not None and get(data_dir, draft["id"])["status"] != "draft":
                raise SubmissionError("wrong_state", id=draft["id"], status=get(data_dir, draft["id"])["status"])
            sub = _keep(data_dir, actor, data, file, unit, period, note, report, draft=draft, form=form)
    except SubmissionError as exc:
        audit.record(data_dir, actor, "submit", obj, "refused", reason=exc.code, **{
            k: v for k, v in exc.details.items() if k in ("unit", "period", "reasons", "others")})
        raise
    audit.record(data_dir, actor, "submit", sub["id"], "ok", unit=unit, period=period, file=file,
                 accepted=report.accepted, quarantined=report.quarantined, supersedes=sub["supersedes"])
    return sub


def _new_id(data: bytes) -> str:
    from target_monitor.ingest import storage

    now = _now()
    return f"S{now.strftime('%Y%m%dT%H%M%S')}{now.microsecond // 1000:03d}-{storage.sha256(data)[:6]}"


def _keep(data_dir: Path, actor, data: bytes, file: str, unit: str, period: str, note: str, report,
          draft: dict | None = None, form: list[dict] | None = None) -> dict:
    """Write the bytes and the submission (and mark the returned one it supersedes)."""
    now = _now()
    sub_id = draft["id"] if draft is not None else _new_id(data)
    suffix = Path(file).suffix.lower()[:8] or ".bin"
    raw_name = f"{sub_id}{suffix}"
    _write_atomic(folder(data_dir) / raw_name, data)
    returned = list_submissions(data_dir, period=period, unit=unit, status="returned")
    supersedes = next((s["id"] for s in returned if not s.get("superseded_by")), "")
    sub = {
        "id": sub_id, "unit": unit, "period": period, "file": file, "raw_file": raw_name,
        "sha256": report.sha256, "size_bytes": len(data), "extract": report.extract, "basis": report.basis or "",
        "note": note or "", "status": "submitted",
        "submitted_by": getattr(actor, "user", "") or "", "submitted_at": now.isoformat(timespec="seconds"),
        "rows_read": report.rows_read, "accepted": report.accepted, "quarantined": report.quarantined,
        "warnings": [p.reason_zh for p in report.warnings],
        "quarantine": [{"row": q.row, "reason_zh": q.reason_zh, "reason_en": q.reason_en}
                       for q in report.problems if q.level == "Q"][:200],
        "supersedes": supersedes, "superseded_by": "",
        "reviewed_by": "", "reviewed_at": "", "return_reason": "", "version": None, "import_id": "",
        "history": [*(draft or {}).get("history", []),
                    {"at": now.isoformat(timespec="seconds"), "who": getattr(actor, "user", ""), "step": "submitted"}],
        "level": 1, "form": form if form is not None else (draft or {}).get("form"),
    }
    _save(data_dir, sub)
    if supersedes:
        old = get(data_dir, supersedes)
        old["superseded_by"] = sub_id
        old["history"].append({"at": now.isoformat(timespec="seconds"), "who": sub["submitted_by"],
                               "step": "superseded", "by": sub_id})
        _save(data_dir, old)
    return sub


def _parsed_of(data_dir: Path, sub: dict, isolated: bool):
    return _analyse(data_dir, raw_bytes(data_dir, sub), sub["file"], sub["period"], sub.get("extract") or None,
                    isolated)


def preview_of(data_dir: Path, sub_id: str, *, isolated: bool = True) -> dict:
    """What approving would change now: per unit-month records before -> after, each figure
    before -> after (ingest.preview), and the rows the parser quarantined."""
    from target_monitor.ingest import preview

    sub = get(data_dir, sub_id)
    parsed = _parsed_of(Path(data_dir), sub, isolated)
    out = preview(parsed, data_dir=Path(data_dir), declared_period=sub["period"], replace=True)
    out["quarantined"] = [{"row": getattr(p, "row", None), "reason_zh": p.reason_zh, "reason_en": p.reason_en}
                          for p in parsed.report.problems if p.level == "Q"]
    return out


def review(data_dir: Path, actor, sub_id: str, *, approve: bool = False, reason: str | None = None,
           isolated: bool = True) -> dict:
    """Approve (apply as one store version) or return (with the reason) a pending submission."""
    data_dir = Path(data_dir)
    with _locked(data_dir):
        return _review(data_dir, actor, sub_id, approve, reason, isolated)


def _review(data_dir: Path, actor, sub_id: str, approve: bool, reason: str | None, isolated: bool) -> dict:
    from target_monitor import access

    from target_monitor.submissions.config import load_config

    step = "approve" if approve else "return"
    levels = load_config(data_dir).levels
    level = None
    try:
        ok, why = access.explain(actor, "review")
        if not ok:
            raise SubmissionError("not_reviewer", why=why)
        sub = get(data_dir, sub_id)
        if sub["status"] != "submitted":
            raise SubmissionError("wrong_state", id=sub_id, status=sub["status"])
        level = min(int(sub.get("level") or 1), len(levels))
        if not may_review_level(actor, sub, levels[level - 1]):
            raise SubmissionError("not_your_level", id=sub_id, level=level, level_name=levels[level - 1].zh,
                                  level_name_en=levels[level - 1].en)
        if not approve and not (reason or "").strip():
            raise SubmissionError("no_reason", id=sub_id)
    except SubmissionError as exc:
        audit.record(data_dir, actor, "review", sub_id, "refused", step=step, reason=exc.code,
                     **({"level": level} if level else {}))
        raise
    now = _now().isoformat(timespec="seconds")
    who = getattr(actor, "user", "") or ""
    sub.update(reviewed_by=who, reviewed_at=now)
    if approve and level < len(levels):  # an earlier level: on to the next, nothing applied yet
        sub["level"] = level + 1
        sub["history"].append({"at": now, "who": who, "step": "approved_level", "level": level,
                               "level_name": levels[level - 1].zh})
        _save(data_dir, sub)
        audit.record(data_dir, actor, "review", sub_id, "ok", step=step, level=level, levels=len(levels),
                     unit=sub["unit"], period=sub["period"], import_id="", reason="")
        return sub
    if approve:
        from target_monitor.ingest import confirm

        parsed = _parsed_of(data_dir, sub, isolated)
        report = confirm(parsed, raw_bytes(data_dir, sub), data_dir=data_dir, who=sub["submitted_by"],
                         declared_period=sub["period"], replace=True, allow_shrink=True,
                         meta_extra={"kind": "submission", "submission": sub_id,
                                     "submitted_by": sub["submitted_by"], "approved_by": who})
        if report.status not in ("taken", "noop"):
            audit.record(data_dir, actor, "review", sub_id, "failed", step=step, status=report.status)
            raise SubmissionError("apply_failed", id=sub_id, status=report.status)
        sub["status"] = "approved"
        sub["version"] = getattr(report, "version", None)
        sub["import_id"] = f"{report.extract}@{report.version}" if sub["version"] is not None else ""
        sub["history"].append({"at": now, "who": who, "step": "approved", "import_id": sub["import_id"]})
    else:
        sub["status"] = "returned"
        sub["return_reason"] = reason.strip()
        sub["history"].append({"at": now, "who": who, "step": "returned", "reason": sub["return_reason"],
                               "level": level})
    _save(data_dir, sub)
    audit.record(data_dir, actor, "review", sub_id, "ok", step=step, unit=sub["unit"], period=sub["period"],
                 import_id=sub["import_id"], reason=sub["return_reason"], level=level, levels=len(levels))
    return sub


def may_review_level(actor, sub: dict, level) -> bool:
    """Whether `actor` decides this level of `sub`: a unit_leader level by a 街镇领导 of the
    submission's own unit (never the person who submitted it), a reviewer level by the district's
    审核员; a 管理员 decides any level."""
    role = getattr(getattr(actor, "role", None), "code", "")
    if role == "admin":
        return True
    if level.role == "unit_leader":
        return role == "unit_leader" and getattr(actor, "unit", None) == sub["unit"] \
            and getattr(actor, "user", "") != sub.get("submitted_by")
    return role == "reviewer"


def awaiting(data_dir: Path, actor) -> list[dict]:
    """The pending submissions whose current level `actor` decides (newest first)."""
    from target_monitor.submissions.config import load_config

    levels = load_config(data_dir).levels
    return [s for s in list_submissions(data_dir, status="submitted")
            if may_review_level(actor, s, levels[min(int(s.get("level") or 1), len(levels)) - 1])]


# --- 草稿 and the in-app form --------------------------------------------------------------------


def save_draft(data_dir: Path, actor, *, unit: str, period: str, note: str = "", form: list[dict] | None = None,
               data: bytes | None = None, file: str = "", draft_id: str | None = None) -> dict:
    """Keep a draft (草稿): the form's lines as typed, or a file, not checked and not submitted.
    Saving again with `draft_id` replaces its content. Only the unit's own clerk (or a 管理员)."""
    from target_monitor import access

    data_dir = Path(data_dir)
    obj = draft_id or f"{unit} {period}"
    try:
        ok, why = access.explain(actor, "submit", "unit:" + unit)
        if not ok:
            raise SubmissionError("not_your_unit", unit=unit, own=getattr(actor, "unit", "") or "-", why=why)
        period = _check_period(period)
        with _locked(data_dir):
            now = _now().isoformat(timespec="seconds")
            who = getattr(actor, "user", "") or ""
            if draft_id:
                sub = get(data_dir, draft_id)
                if sub["status"] != "draft":
                    raise SubmissionError("wrong_state", id=draft_id, status=sub["status"])
                if sub["unit"] != unit:
                    raise SubmissionError("not_your_unit", unit=sub["unit"], own=unit, why="the draft's unit")
            else:
                sub = {"id": _new_id((data or b"") + repr(form).encode() + now.encode()), "status": "draft",
                       "submitted_by": who, "history": [], "supersedes": "", "superseded_by": "", "level": 1,
                       "reviewed_by": "", "reviewed_at": "", "return_reason": "", "version": None, "import_id": "",
                       "accepted": 0, "quarantined": 0, "rows_read": 0, "quarantine": [], "warnings": [],
                       "sha256": "", "extract": "", "basis": "", "submitted_at": "", "size_bytes": 0}
            sub.update(unit=unit, period=period, note=note or "", form=form, saved_at=now)
            if data is not None:
                raw_name = f"{sub['id']}{(Path(file).suffix.lower()[:8] or '.bin')}"
                _write_atomic(folder(data_dir) / raw_name, data)
                sub.update(file=file, raw_file=raw_name, size_bytes=len(data))
            else:
                from target_monitor.submissions.form import file_name

                sub.update(file=file_name(unit, period), raw_file="")
            sub["history"].append({"at": now, "who": who, "step": "draft_saved"})
            _save(data_dir, sub)
    except SubmissionError as exc:
        audit.record(data_dir, actor, "submit", obj, "refused", step="draft", reason=exc.code)
        raise
    audit.record(data_dir, actor, "submit", sub["id"], "ok", step="draft", unit=unit, period=period)
    return sub


def form_bytes(data_dir: Path, unit: str, period: str, lines: list[dict]) -> bytes:
    """The form's lines checked (SubmissionError `form_invalid` with each problem) and written
    as the 月报表 the ingest reads."""
    from target_monitor.context import Context
    from target_monitor.submissions import form as form_mod

    ctx = Context(Path(data_dir), require_data=False)
    period = _check_period(period)
    problems = form_mod.check_lines(ctx, unit, period, lines)
    if problems:
        raise SubmissionError("form_invalid", problems=problems, n=len(problems))
    return form_mod.to_report_csv(ctx, unit, period, lines)


def submit_form(data_dir: Path, actor, *, unit: str, period: str, lines: list[dict], note: str = "",
                draft_id: str | None = None, isolated: bool = True) -> dict:
    """The in-app form submitted: checked, written as a 月报表 and submitted like that file."""
    from target_monitor import access
    from target_monitor.submissions.form import file_name

    data_dir = Path(data_dir)
    draft = get(data_dir, draft_id) if draft_id else None
    try:
        ok, why = access.explain(actor, "submit", "unit:" + unit)
        if not ok:
            raise SubmissionError("not_your_unit", unit=unit, own=getattr(actor, "unit", "") or "-", why=why)
        data = form_bytes(data_dir, unit, period, lines)
    except SubmissionError as exc:
        audit.record(data_dir, actor, "submit", draft_id or f"{unit} {period} form", "refused", reason=exc.code,
                     unit=unit, period=period)
        raise
    return submit(data_dir, actor, data, file_name(unit, _check_period(period)), unit=unit, period=period,
                  note=note, extract="reported_monthly", isolated=isolated, draft=draft, form=lines)


def submit_draft(data_dir: Path, actor, draft_id: str, *, isolated: bool = True) -> dict:
    """Submit a saved draft (its id is kept): a form's lines are checked first; a file as `submit`."""
    data_dir = Path(data_dir)
    draft = get(data_dir, draft_id)
    if draft["status"] != "draft":
        audit.record(data_dir, actor, "submit", draft_id, "refused", reason="wrong_state")
        raise SubmissionError("wrong_state", id=draft_id, status=draft["status"])
    if draft.get("raw_file"):
        return submit(data_dir, actor, raw_bytes(data_dir, draft), draft["file"], unit=draft["unit"],
                      period=draft["period"], note=draft.get("note", ""), isolated=isolated, draft=draft)
    return submit_form(data_dir, actor, unit=draft["unit"], period=draft["period"], lines=draft.get("form") or [],
                       note=draft.get("note", ""), draft_id=draft_id, isolated=isolated)


def overdue_units(year: int, as_of, data_dir: Path | None = None, ctx=None) -> list[dict]:
    """The units with a month of `year` overdue (逾期) at `as_of`: [{"unit": code, "months": [5]}]."""
    from target_monitor.submissions.status import overdue_units as _overdue

    return _overdue(year, as_of, data_dir=data_dir, ctx=ctx)


__all__ = ["STATES", "SubmissionError", "awaiting", "form_bytes", "get", "list_submissions", "may_review_level",
           "overdue_units", "preview_of", "raw_bytes", "review", "save_draft", "submit", "submit_draft", "submit_form"]
