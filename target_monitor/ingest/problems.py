"""What ingest tells the uploader: problems (one per cell or file), the report, and rejection.

Every message exists in Chinese and English (target_monitor/i18n.py keys `ingest_<level>_<code>`
and `ingest_fix_<code>`), and names the file, sheet, row, column and raw value.
Outcome levels (docs: ../shared/design/BAD_INPUT.md): N normalised, Q quarantined row,
R rejected file, W warning the uploader confirms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from target_monitor.i18n import TEXT, t


def _text(key: str, lang: str, values: dict) -> str:
    if key not in TEXT:
        return ""
    try:
        return t(key, lang, **values)
    except (KeyError, IndexError):
        return t(key, lang) if "{" not in TEXT[key][0] else TEXT[key][0 if lang == "zh" else 1]


@dataclass
class Problem:
    level: str  # Q, R, W
    code: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    raw_value: str = ""
    reason_zh: str = ""
    reason_en: str = ""
    fix: str = ""
    fix_en: str = ""

    @classmethod
    def make(cls, level: str, code: str, *, file="", sheet="", row=None, column="", raw_value="", **values):
        raw = "" if raw_value is None else str(raw_value)
        ctx = {"file": file, "sheet": sheet or "-", "row": row if row is not None else "-", "column": column or "-",
               "raw": raw, **values}
        key = f"ingest_{level.lower()}_{code}"
        fix_key = f"ingest_fix_{code}"
        def clean(text: str) -> str:  # a CSV has no sheet: drop the phrase rather than print "-"
            if sheet:
                return text
            for part in ("（工作表 -）", " (sheet -)", " 工作表 -", " sheet -"):
                text = text.replace(part, "")
            return text

        return cls(
            level=level, code=code, file=file, sheet=sheet or "", row=row, column=column or "", raw_value=raw,
            reason_zh=clean(_text(key, "zh", ctx)) or code, reason_en=clean(_text(key, "en", ctx)) or code,
            fix=_text(fix_key, "zh", ctx), fix_en=_text(fix_key, "en", ctx),
        )

    def reason(self, lang: str) -> str:
        return self.reason_en if lang == "en" else self.reason_zh

    def fix_text(self, lang: str) -> str:
        return self.fix_en if lang == "en" else self.fix

    def as_json(self, lang: str = "zh") -> dict:
        d = asdict(self)
        d["fix"] = self.fix_text(lang)
        d.pop("fix_en")
        return d


class Rejected(Exception):
    """The file is rejected as a whole (exit 2). Carries the problem(s) that say why."""

    def __init__(self, problem: Problem, more: list[Problem] | None = None):
        super().__init__(problem.reason_en)
        self.problems = [problem, *(more or [])]


def reject(code: str, **kw) -> Rejected:
    return Rejected(Problem.make("R", code, **kw))


@dataclass
class Normalisation:
    column: str
    kind: str
    count: int
    example_raw: str
    example_value: str


@dataclass
class Report:
    file: str
    status: str = "pending"  # taken | rejected | noop | error | preview | held (a shrink not confirmed) | conflict (another writer first: retry)
    extract: str = ""
    sheet: str = ""
    sha256: str = ""
    size_bytes: int = 0
    file_type: str = ""
    encoding: str = ""
    delimiter: str = ""
    header_row: int | None = None
    period: str = ""
    basis: str = ""  # the declared meaning of reported figures (当月 / 累计); "" for records
    months: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # source header -> canonical column
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    skipped: int = 0
    skipped_by_rule: dict[str, int] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    normalised: list[Normalisation] = field(default_factory=list)
    revisions: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # per unit-month: rows before/after, added, replaced, removed
    figures: list[dict] = field(default_factory=list)  # per unit-month and indicator: figure before/after
    version: int | None = None  # the extract table's version this upload committed
    quarantine_file: str = ""
    raw_file: str = ""
    message_zh: str = ""
    message_en: str = ""

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.accepted + self.quarantined + self.skipped

    def read_row(self, body, totals: list) -> bool:
        """Count a body row as read; a row skipped by rule (合计, 备注) is counted as skipped and
        False returned (合计 rows are kept in `totals` for the checksum). True for a data row."""
        self.rows_read += 1
        if body.kind == "data":
            return True
        self.skipped += 1
        self.skipped_by_rule[body.kind] = self.skipped_by_rule.get(body.kind, 0) + 1
        if body.kind == "total":
            totals.append(body)
        return False

    def as_json(self, lang: str = "zh") -> dict:
        d = {k: v for k, v in asdict(self).items() if k not in ("warnings", "problems", "normalised")}
        d["warnings"] = [w.as_json(lang) for w in self.warnings]
        d["problems"] = [p.as_json(lang) for p in self.problems]
        d["normalised"] = [asdict(n) for n in self.normalised]
        d["balanced"] = self.balanced
        d["message"] = self.message_en if lang == "en" else self.message_zh
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Report":
        d = dict(d)
        for key in ("balanced", "message"):
            d.pop(key, None)
        for key in ("warnings", "problems"):
            items = []
            for p in d.get(key, []):
                p = dict(p)
                p.setdefault("fix_en", "")
                items.append(Problem(**p))
            d[key] = items
        d["normalised"] = [Normalisation(**n) for n in d.get("normalised", [])]
        return cls(**d)
