"""The submissions workflow's configuration: `<reference>/submissions.yaml` (review levels and the
deadline rule), read declaratively; a missing file means one level (审核员) and day 5."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

LEVEL_ROLES = ("reviewer", "unit_leader")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Level:
    role: str  # reviewer | unit_leader
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Config:
    levels: tuple[Level, ...]
    deadline_day: int
    path: str = ""

    def deadline(self, year: int, month: int) -> date:
        """The last day a unit may report month `month` of `year` on time."""
        y, m = (year + 1, 1) if month == 12 else (year, month + 1)
        return date(y, m, self.deadline_day)


DEFAULT = Config((Level("reviewer", "区就业局审核", "District bureau's review"),), 5)


def load_config(data_dir: Path) -> Config:
    from target_monitor.paths import reference_dir

    path = reference_dir(Path(data_dir)) / "submissions.yaml"
    if not path.exists():
        return DEFAULT
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    levels = []
    for i, entry in enumerate(raw.get("review_levels") or [{"role": "reviewer"}], 1):
        role = str((entry or {}).get("role", ""))
        if role not in LEVEL_ROLES:
            raise ConfigError(f"{path}: review_levels[{i}].role must be one of {', '.join(LEVEL_ROLES)}, not {role!r}")
        default = next(lv for lv in (*DEFAULT.levels, Level("unit_leader", "街镇领导审核", "Unit leader's review"))
                       if lv.role == role)
        levels.append(Level(role, str(entry.get("zh") or default.zh), str(entry.get("en") or default.en)))
    day = (raw.get("deadline") or {}).get("day_of_next_month", 5)
    if not isinstance(day, int) or not 1 <= day <= 28:
        raise ConfigError(f"{path}: deadline.day_of_next_month must be a whole number from 1 to 28, not {day!r}")
    return Config(tuple(levels), day, str(path))
