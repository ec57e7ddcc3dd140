"""Where things live: the repository's queries and reference data, and the data directory.

The data directory holds `extracts/` (written only by ingest and the demo generator) and may
hold its own `reference/`; when it does not, the reference data shipped in the repository
(`data/reference/`) is used. Choose it with `--data-dir` or the TARGET_MONITOR_DATA variable.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
QUERIES_DIR = REPO_ROOT / "queries"
DEFAULT_DATA_DIR = REPO_ROOT / "data"
SHIPPED_REFERENCE_DIR = DEFAULT_DATA_DIR / "reference"
ENV_VAR = "TARGET_MONITOR_DATA"


def resolve_data_dir(arg: str | os.PathLike | None = None) -> Path:
    """The data directory: the argument, else $TARGET_MONITOR_DATA, else the repository's data/."""
    chosen = arg or os.environ.get(ENV_VAR) or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def extracts_dir(data_dir: Path) -> Path:
    return data_dir / "extracts"


def reference_dir(data_dir: Path) -> Path:
    own = data_dir / "reference"
    return own if (own / "units.csv").exists() else SHIPPED_REFERENCE_DIR
