"""Parse an untrusted file in a child process with memory and time limits.

The server (Streamlit) and the CLI never parse an uploaded file in their own process: a crafted
workbook that makes a parser allocate 20 GB or loop forever kills only the child, and the
uploader gets a message (`timeout`, `memory`, `crashed`) while the server keeps serving.

Protocol: the parent writes the upload to a temporary folder, has `_child(<folder>)` run in a
child process, and reads back `result.json` (the report and the quarantined rows) and
`accepted.arrow` (the accepted rows, Arrow IPC in the canonical schema plus `_row`, checked
against that schema when read). Nothing is unpickled. The child is forked from a warm parent
(`zygote.py`: the imports are done once per server, not once per upload); where no zygote can
run, it is a fresh `python -m target_monitor.ingest.sandbox <folder>` as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc  # noqa: F401 - pa.ipc

from target_monitor.ingest import zygote
from target_monitor.ingest.problems import Problem, Report
from target_monitor.ingest.records import Parsed, arrow_schema
from target_monitor.registry import load_registry

DEFAULT_TIMEOUT_S = 120
DEFAULT_MEMORY_MB = 4096
ACCEPTED = "accepted.arrow"


def _limit(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_child(module: str, data: bytes, request: dict, report: Report, *, timeout_s: float, max_bytes: int,
              collect, warm: str | None = None):
    """Parse untrusted bytes in `module._child(FOLDER)` in a child process under memory and time limits.

    The one protocol for every untrusted upload (extracts and task breakdown tables): the size
    cap is checked before anything touches the bytes; the child reads `upload.bin` and
    `request.json` and writes `result.json` (see `write_result`). Returns `collect(folder,
    payload)`, or None after recording why the file was rejected in `report`. `warm` names a data
    directory whose reference data the zygote loads before forking.
    """
    file = report.file
    if len(data) > max_bytes:
        report.status = "rejected"
        report.problems.append(Problem.make("R", "too_big", file=file, size_mb=round(len(data) / 2**20, 1),
                                            cap_mb=round(max_bytes / 2**20)))
        return None
    with tempfile.TemporaryDirectory(prefix="tm-parse-", dir=_scratch(len(data))) as tmp:
        folder = Path(tmp)
        (folder / "upload.bin").write_bytes(data)
        (folder / "request.json").write_text(json.dumps(request), encoding="utf-8")
        outcome = zygote.run(module, folder, timeout_s, warm=warm)
        if outcome is None:
            outcome, err = _run_fresh(module, folder, timeout_s)
        else:
            log = folder / "child.log"
            err = log.read_bytes().decode("utf-8", "replace") if log.exists() else ""
        if outcome["status"] == "timeout":
            report.status = "rejected"
            report.problems.append(Problem.make("R", "timeout", file=file, seconds=int(timeout_s)))
            return None
        code = outcome["code"] if outcome["status"] == "exit" else -int(outcome["signal"])
        result = folder / "result.json"
        if code != 0 or not result.exists():
            report.status = "rejected"
            if any(sign in err for sign in _OUT_OF_MEMORY) or code in (-9, 137):
                report.problems.append(Problem.make("R", "memory", file=file))
            else:
                last = (err.strip().splitlines() or [f"exit {code}"])[-1][:200]
                report.problems.append(Problem.make("R", "crashed", file=file, detail=last))
            return None
        return collect(folder, json.loads(result.read_text(encoding="utf-8")))


# what a child at its address-space limit leaves in its log: Python's MemoryError (Arrow's and
# NumPy's subclass it), DuckDB's OutOfMemoryException, a C++ bad_alloc, a failed mmap or thread
_OUT_OF_MEMORY = ("MemoryError", "OutOfMemory", "bad_alloc", "Cannot allocate memory", "out of memory")

SHM = Path("/dev/shm")


def _scratch(size: int) -> str | None:
    """Where the upload and the child's answer are exchanged: memory (/dev/shm) when it has room
    to spare (the accepted rows as Arrow can be many times the upload), else the temp directory."""
    try:
        st = os.statvfs(SHM)
    except OSError:
        return None
    free = st.f_bavail * st.f_frsize
    return str(SHM) if os.access(SHM, os.W_OK) and free >= max(2 * 2**30, 64 * size) else None


def _run_fresh(module: str, folder: Path, timeout_s: float) -> tuple[dict, str]:
    """The child as a fresh interpreter (where fork is not available or the zygote cannot start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT")}
    try:
        proc = subprocess.run([sys.executable, "-m", module, str(folder)],
                              capture_output=True, timeout=timeout_s, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"status": "timeout"}, ""
    return {"status": "exit", "code": proc.returncode}, proc.stderr.decode("utf-8", "replace")


def write_result(folder: Path, payload: dict) -> None:
    """The child's answer, written atomically so the parent never reads half of it."""
    tmp = folder / ".result.json.tmp"
    tmp.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, folder / "result.json")


def parse_isolated(data: bytes, file: str, extract: str | None, period: str | None, sheet: str | None,
                   data_dir: Path, *, max_bytes: int, timeout_s: float = DEFAULT_TIMEOUT_S,
                   memory_mb: int = DEFAULT_MEMORY_MB, today: str | None = None,
                   basis: str | None = None, column_map: dict[str, str] | None = None) -> Parsed:
    report = Report(file=file, size_bytes=len(data), period=period or "", basis=basis or "")

    def collect(folder: Path, payload: dict) -> Parsed:
        parsed = Parsed(report=Report.from_json(payload["report"]), source_headers=payload["source_headers"])
        parsed.quarantine = [
            {"row": q["row"], "cells": q["cells"], "problems": [Problem(**p) for p in q["problems"]]}
            for q in payload["quarantine"]
        ]
        acc = folder / ACCEPTED
        if acc.exists():
            try:
                parsed.table = read_accepted(acc, parsed.report.extract)
            except (ValueError, KeyError, OSError, pa.ArrowException) as exc:  # not what our child writes
                return Parsed(report=_crashed(report, f"accepted rows: {type(exc).__name__}"))
        return parsed

    request = {"file": file, "extract": extract, "period": period, "sheet": sheet, "data_dir": str(data_dir),
               "max_bytes": max_bytes, "memory_mb": memory_mb, "today": today, "basis": basis,
               "column_map": column_map or {}}
    parsed = run_child("target_monitor.ingest.sandbox", data, request, report, timeout_s=timeout_s,
                       max_bytes=max_bytes, collect=collect, warm=str(Path(data_dir).absolute()))
    return parsed if parsed is not None else Parsed(report=report)


def _crashed(report: Report, detail: str) -> Report:
    report.status = "rejected"
    report.problems.append(Problem.make("R", "crashed", file=report.file, detail=detail))
    return report


def write_accepted(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def read_accepted(path: Path, extract: str) -> pa.Table:
    """The child's accepted rows: exactly the canonical schema plus `_row`, and valid Arrow."""
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()  # no copy; the mapping outlives the folder
    expected = arrow_schema(load_registry().extracts[extract], row=True)
    if not table.schema.equals(expected):
        raise ValueError(f"accepted rows: schema {table.schema} is not {expected}")
    table.validate(full=True)
    return table


def _child(folder: Path) -> int:
    req = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    _limit(int(req["memory_mb"]))
    from datetime import date

    from target_monitor.ingest.pipeline import parse_upload

    data = (folder / "upload.bin").read_bytes()
    today = date.fromisoformat(req["today"]) if req.get("today") else None
    parsed = parse_upload(data, req["file"], req["extract"], req["period"], req["sheet"], Path(req["data_dir"]),
                          today=today, max_bytes=int(req["max_bytes"]), basis=req.get("basis"),
                          column_map=req.get("column_map") or None)
    if parsed.report.status != "rejected" and parsed.report.extract:
        table = parsed.accepted_table(load_registry().extracts[parsed.report.extract])
        if table is not None:
            write_accepted(folder / ACCEPTED, table)
    payload = {
        "report": asdict(parsed.report),
        "source_headers": parsed.source_headers,
        "quarantine": [{"row": q["row"], "cells": q["cells"], "problems": [asdict(p) for p in q["problems"]]}
                       for q in parsed.quarantine],
    }
    write_result(folder, payload)
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1])))
