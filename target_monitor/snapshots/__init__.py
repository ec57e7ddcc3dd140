"""Monthly snapshots: frozen, reproducible reports (see README.md in this folder)."""

from target_monitor.snapshots.build import SnapshotExists, build_snapshot, parse_month, verify_snapshot
from target_monitor.snapshots.compare import movement, revisions
from target_monitor.snapshots.frozen import (
    SnapshotContext, SnapshotError, SnapshotInfo, find_snapshot, list_snapshots, snapshots_dir,
)

__all__ = [
    "SnapshotContext", "SnapshotError", "SnapshotExists", "SnapshotInfo", "build_snapshot", "find_snapshot",
    "list_snapshots", "movement", "parse_month", "revisions", "snapshots_dir", "verify_snapshot",
]
