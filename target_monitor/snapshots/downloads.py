"""Who may download which of a snapshot's files, and the audit line every download leaves.

A snapshot folder holds the district's report of one month: `report.xlsx`, `report.pdf` and
`progress.csv` (every unit's figures, no record), `manifest.json` (the server's data folder and
the hash of every input and output file) and the frozen tables the report was computed from
(event counts per unit, month and dimension). Which role gets what (docs/access.md):

- the reports (xlsx, pdf, csv) and the comparison tables: roles that see every unit's figures
  (管理员, 领导, 分析员, 审核员). A 街镇填报员 sees its own unit's figures and, at most, the
  comparison and ranking pages; the district's report is not its document.
- the manifest: 管理员 only; it names the server's folders and files.
- the frozen tables are never offered for download.

The decision is made here, below the page (the page only shows what `may_download` allows), and
`snapshot_file` refuses any other name: a file name never comes from the user.
"""

from __future__ import annotations

from pathlib import Path

from target_monitor.access import audit

REPORTS = ("report.xlsx", "report.pdf", "progress.csv")
MANIFEST = "manifest.json"
FILES = (*REPORTS, MANIFEST)  # in the order the page offers them


def may_download(actor, name: str) -> bool:
    """May `actor` download the snapshot file `name` (one of FILES, or "comparison" for the
    revision and movement tables)?"""
    role = getattr(actor, "role", None)
    if role is None:
        return False
    if name in (*REPORTS, "comparison"):
        return "view_figures" in role.actions and role.all_units
    if name == MANIFEST:
        return role.code == "admin"
    return False


def _what(snapshot_id: str, name: str) -> str:
    return f"snapshot {snapshot_id}/{name}"


def snapshot_file(data_dir: Path, actor, snapshot, name: str) -> bytes:
    """The bytes of one of the snapshot's files for a download, with its audit line (what, how
    many bytes, and rows for the CSV). PermissionError (and a `refused` audit line) when the
    actor may not have it or `name` is not one of FILES."""
    if name not in FILES or not may_download(actor, name):
        audit.record(data_dir, actor, "refused", _what(snapshot.snapshot_id, name), "refused", action="download")
        raise PermissionError(f"{getattr(actor, 'user', None)} may not download {name}")
    data = (Path(snapshot.path) / name).read_bytes()
    detail: dict = {"file": name, "bytes": len(data)}
    if name.endswith(".csv"):
        import csv
        import io

        detail["rows"] = max(0, sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig", "replace")))) - 1)
    audit.record(data_dir, actor, "download", _what(snapshot.snapshot_id, name), **detail)
    return data


def table_download(data_dir: Path, actor, what: str, df, to_bytes) -> bytes:
    """A comparison table as a file (`to_bytes(df)`), with its audit line (what, rows, bytes);
    PermissionError (and a `refused` line) for a role without every unit's figures."""
    if not may_download(actor, "comparison"):
        audit.record(data_dir, actor, "refused", what, "refused", action="download")
        raise PermissionError(f"{getattr(actor, 'user', None)} may not download {what}")
    data = to_bytes(df)
    audit.record(data_dir, actor, "download", what, rows=len(df), bytes=len(data))
    return data
