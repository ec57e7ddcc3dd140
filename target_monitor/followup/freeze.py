"""A snapshot's follow-up state: the month end opens its 督办 items, then the notes and items are
copied into the snapshot folder (`<snapshot>/followup/`, the same relative path as in the data
directory), so the snapshot's 通报, packs and pages read them frozen, whatever is written later."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from target_monitor.followup.store import DUBAN, NOTES, folder


def freeze_followup(data_dir: Path, snapshot_folder: Path, progress: pd.DataFrame, month: str, *,
                    open_items: bool = True) -> None:
    if open_items:
        from target_monitor.followup.duban import open_for_month

        # the build's own month end opens its items (no actor: the build is audited by its caller)
        open_for_month(data_dir, None, progress, month, via="snapshot_build")
    for name in (NOTES, DUBAN):
        src = folder(data_dir) / name
        if src.exists():
            folder(snapshot_folder).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, folder(snapshot_folder) / name)
