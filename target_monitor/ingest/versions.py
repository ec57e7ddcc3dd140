"""Every import is a version of its extract's table; undo restores exactly the state before it.

    list_imports(data_dir)               every commit of every extract table, newest first
    undo(data_dir, id, cascade=False)    a new version whose content is the one before `id`

An import's id is `<extract>@<version>` (the table version it committed). Undo is delta-rs's
`restore` to the version before: the same data files are listed again, so every count and every
figure is byte-identical to the state before the import, and the undo is itself a version that
can be undone. When later versions built on the import (other imports of the same extract, or
an undo), the undo refuses and names them, unless `cascade` (then they are undone together).
Compaction commits change no row and never block an undo.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from target_monitor.ingest import storage
from target_monitor.objectstore import StoreConflict
from target_monitor.registry import load_registry
from target_monitor.tables_delta import history, latest_version, restore, table_path

NO_DATA_CHANGE = {"compact"}


class UndoError(Exception):
    """Why an undo was refused: `code` (i18n key suffix) and the details for the message."""

    def __init__(self, code: str, **details):
        super().__init__(code)
        self.code, self.details = code, details


def _when(ms) -> str:
    return datetime.fromtimestamp(ms / 1000).isoformat(timespec="seconds") if ms else ""


def list_imports(data_dir: Path) -> list[dict]:
    """One entry per table version (newest first): id, extract, version, time, who, file, kind,
    and per unit-month rows added / replaced / removed (`changes`)."""
    registry = load_registry()
    out = []
    for name in registry.extracts:
        entries = history(Path(data_dir), name)
        undone: dict[int, str] = {}
        for h in entries:  # which versions a later undo took back
            meta = h["meta"]
            if meta.get("kind") == "undo":
                for v in range(int(meta.get("restored_to", -1)) + 1, h["version"]):
                    undone.setdefault(v, f"{name}@{h['version']}")
        for h in entries:
            meta = h["meta"]
            kind = meta.get("kind") or ("create" if h["operation"] == "CREATE TABLE" else h["operation"].lower())
            changes = meta.get("changes") or []
            out.append({
                "id": f"{name}@{h['version']}", "extract": name, "version": h["version"],
                "time": meta.get("at") or _when(h["timestamp"]), "who": meta.get("who", ""),
                "file": meta.get("file", ""), "sha256": meta.get("sha256", ""), "kind": kind,
                "replace_months": meta.get("replace_months", []),
                "undoes": meta.get("undoes", ""), "undone_by": undone.get(h["version"], ""),
                "added": sum(c.get("added", 0) for c in changes),
                "replaced": sum(c.get("replaced", 0) for c in changes),
                "removed": sum(c.get("removed", 0) for c in changes),
                "changes": changes,
            })
    return sorted(out, key=lambda r: (r["time"], r["id"]), reverse=True)


def parse_id(text: str) -> tuple[str, int]:
    name, sep, version = str(text).partition("@")
    if not sep or not version.isdigit() or name not in load_registry().extracts:
        raise UndoError("bad_id", id=text)
    return name, int(version)


def later_versions(data_dir: Path, import_id: str) -> list[str]:
    """The versions of the same extract after `import_id` that change rows (they build on it)."""
    name, version = parse_id(import_id)
    return [f"{name}@{h['version']}" for h in history(Path(data_dir), name)
            if h["version"] > version and h["meta"].get("kind") not in NO_DATA_CHANGE]


def undo(data_dir: Path, import_id: str, *, cascade: bool = False, who: str = "") -> dict:
    """Restore the extract's table to the version before `import_id` (a new version)."""
    data_dir = Path(data_dir)
    name, version = parse_id(import_id)
    with storage.locked(data_dir):
        newest = latest_version(table_path(data_dir, name))
        if newest is None or version > newest:
            raise UndoError("unknown", id=import_id)
        if version == 0:
            raise UndoError("first", id=import_id)  # the table's creation: nothing before it
        later = later_versions(data_dir, import_id)
        if later and not cascade:
            raise UndoError("later", id=import_id, later=later)
        meta = {"kind": "undo", "undoes": import_id, "restored_to": version - 1, "cascade": later, "who": who,
                "at": datetime.now().isoformat(timespec="seconds")}
        try:
            new = restore(data_dir, name, version - 1, meta)
        except StoreConflict:  # another machine's import or undo committed first: nothing was undone
            raise UndoError("conflict", id=import_id) from None
        except Exception as exc:  # noqa: BLE001 - e.g. the old files were vacuumed
            raise UndoError("restore_failed", id=import_id, error=str(exc)) from exc
        _mark_undone(data_dir, name, set(range(version, newest + 1)))
    storage._refresh_aggregates(data_dir)
    return {"id": f"{name}@{new}", "undoes": import_id, "restored_to": version - 1, "cascade": later}


def _mark_undone(data_dir: Path, extract: str, versions: set[int]) -> None:
    """Upload records of undone imports say so (an identical file sent again is then taken again,
    not a no-op)."""
    folder = data_dir / "uploads"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if rec.get("extract") == extract and rec.get("version") in versions and rec.get("status") == "taken":
            rec["status"] = "undone"
            storage.write_atomic(path, json.dumps(rec, ensure_ascii=False, indent=1).encode("utf-8"))


__all__ = ["list_imports", "undo", "later_versions", "parse_id", "UndoError"]
