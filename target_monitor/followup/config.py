"""The follow-up rules (data/reference/followup.yaml): which statuses need a 情况说明 and open a
督办 item, the item's due date and its escalation. Declarative, like the 亮灯 rules: a deployment
with its own scheme (red / yellow / green) lists its own colour keys here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from target_monitor.paths import reference_dir

FILE = "followup.yaml"
DEFAULT_RED = ("far_behind", "not_met", "not_done", "red")


class FollowupConfigError(ValueError):
    """followup.yaml cannot be used: the message names the file, the key and what to write."""


@dataclass(frozen=True)
class FollowupConfig:
    required_for: tuple[str, ...] = DEFAULT_RED
    max_chars: int = 500
    open_on: tuple[str, ...] = DEFAULT_RED
    due_days: int = 15
    escalate_after_months: int = 2  # 0: never
    escalation: dict = field(default_factory=lambda: {"zh": "建议领导小组约谈该单位主要负责人",
                                                      "en": "The leadership group should summon the unit's head"})
    source: str = ""

    def escalation_text(self, lang: str) -> str:
        return str(self.escalation.get(lang) or self.escalation.get("zh") or "")


def _statuses(where: str, value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FollowupConfigError(f"{where}: give a list of statuses, e.g. [far_behind, red], not {value!r}")
    return tuple(value)


def _int(where: str, value, low: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise FollowupConfigError(f"{where}: give a whole number ≥ {low}, not {value!r}")
    return value


def parse_config(raw, source: str = FILE) -> FollowupConfig:
    if raw is None:
        return FollowupConfig(source=source)
    if not isinstance(raw, dict):
        raise FollowupConfigError(f"{source}: expected the keys notes: and duban:, not {type(raw).__name__}")
    notes = raw.get("notes") or {}
    duban = raw.get("duban") or {}
    out = {}
    if "required_for" in notes:
        out["required_for"] = _statuses(f"{source}: notes.required_for", notes["required_for"])
    if "max_chars" in notes:
        out["max_chars"] = _int(f"{source}: notes.max_chars", notes["max_chars"], 1)
    if "open_on" in duban:
        out["open_on"] = _statuses(f"{source}: duban.open_on", duban["open_on"])
    if "due_days" in duban:
        out["due_days"] = _int(f"{source}: duban.due_days", duban["due_days"], 0)
    if "escalate_after_months" in duban:
        out["escalate_after_months"] = _int(f"{source}: duban.escalate_after_months",
                                            duban["escalate_after_months"], 0)
    if "escalation" in duban:
        esc = duban["escalation"]
        if not isinstance(esc, dict) or not esc.get("zh"):
            raise FollowupConfigError(f"{source}: duban.escalation: give {{zh: …, en: …}}, not {esc!r}")
        out["escalation"] = {"zh": str(esc["zh"]), "en": str(esc.get("en") or esc["zh"])}
    return FollowupConfig(**out, source=source)


def load_config(data_dir: Path | None = None, ref_dir: Path | None = None) -> FollowupConfig:
    """The deployment's followup.yaml (its data directory's reference/, else the shipped one);
    the built-in defaults when there is none."""
    ref = Path(ref_dir) if ref_dir is not None else reference_dir(Path(data_dir)) if data_dir else None
    path = (ref / FILE) if ref is not None else None
    if path is None or not path.exists():
        from target_monitor.paths import SHIPPED_REFERENCE_DIR

        path = SHIPPED_REFERENCE_DIR / FILE
        if not path.exists():
            return FollowupConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FollowupConfigError(f"{path}: not valid YAML ({exc})") from None
    return parse_config(raw, str(path))
