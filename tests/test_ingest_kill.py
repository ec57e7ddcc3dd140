"""kill -9 at random points during an ingest: the store is always at the old or the new state.

A child process ingests a three-month file over an existing store; it is killed (SIGKILL) at a
random moment between finishing its imports and finishing its work, at least 20 times. After
each kill `recover()` runs (as every ingest and the data page do first), and then every visible
Parquet file must be readable, the rows must equal exactly the old or exactly the new state, and
the upload history must agree with which state it is.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq

import warm
from make_fixtures import HEADERS, csv_bytes
from target_monitor.ingest import ingest, storage
from target_monitor.ingest.versions import list_imports

REPO = Path(__file__).resolve().parents[1]
KILLS = 22  # at least this many runs must be killed before they finish
MAX_RUNS = 45
DRIVER = """
import sys
from pathlib import Path
from target_monitor.ingest import ingest
data = Path(sys.argv[2]).read_bytes()
print("ready", flush=True)
r = ingest(data, "multi.csv", data_dir=Path(sys.argv[1]), extract="loans", isolated=False, who="kill-test")
print("done", r.status, flush=True)
"""
UNITS = ["杨家坪街道", "谢家湾街道", "石坪桥街道", "九龙镇", "华岩镇", "西彭镇", "陶家镇"]


def _rows(prefix: str, n: int, months=(1, 2, 3), seed=1) -> list[list]:
    rng = random.Random(seed)
    return [[f"{prefix}-{i:05d}", rng.choice(UNITS), "个人", f"2020-{rng.choice(months):02d}-{rng.randint(1, 28):02d}",
             str(rng.choice([50000, 100000, 200000])), "中国建设银行"] for i in range(n)]


def state(d: Path) -> str:
    """A digest of every row the dashboard would read (each committed file must be complete)."""
    from target_monitor.tables_delta import committed_files

    rows = []
    for f in committed_files(d, "loans").files:
        rows.extend(tuple(map(str, r.values())) for r in pq.ParquetFile(f).read().to_pylist())
    return hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()


def test_kill_minus_9_leaves_old_or_new_state(tmp_path):
    template = tmp_path / "template"
    old = csv_bytes([HEADERS["loans"], *_rows("OLD", 1500, months=(1, 2, 3, 4), seed=1)])
    new = csv_bytes([HEADERS["loans"], *_rows("NEW", 4000, seed=2)])
    assert ingest(old, "old.csv", data_dir=template, extract="loans", isolated=False).status == "taken"
    old_state = state(template)
    new_file = tmp_path / "multi.csv"
    new_file.write_bytes(new)
    new_sha = hashlib.sha256(new).hexdigest()

    def run(d: Path, kill_after: float | None) -> tuple[int, float]:
        shutil.copytree(template, d)
        # the writer is a process of its own, forked from a warm one that has done the imports
        # (tests/warm.py); its stdout is a FIFO so that "ready" is read the moment it is written
        fifo = tmp_path / f"{d.name}.out"
        os.mkfifo(fifo)
        proc = warm.start(code=DRIVER, args=[d, new_file], cwd=REPO, stdout=fifo)
        with open(fifo, encoding="utf-8") as out:
            assert out.readline().strip() == "ready", proc.stderr_path.read_text()
            start = time.monotonic()
            if kill_after is not None:
                time.sleep(kill_after)
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:  # it finished first (the warm process has reaped it): a run not killed
                    pass
            code = proc.wait(timeout=120)
        return code, time.monotonic() - start

    # calibration: how long the work takes once the child is ready
    code, work = run(tmp_path / "calibrate", None)
    assert code == 0
    new_state = state(tmp_path / "calibrate")
    assert new_state != old_state

    rng = random.Random(7)
    seen = {"old": 0, "new": 0}
    killed = 0
    i = -1
    while killed < KILLS and i < MAX_RUNS:
        i += 1
        d = tmp_path / f"k{i}"
        code, _ = run(d, rng.uniform(0, work * 0.9))
        killed += code == -signal.SIGKILL
        storage.recover(d)
        now = state(d)
        assert now in (old_state, new_state), f"kill {i}: store is neither old nor new"
        taken = [h for h in list_imports(d) if h["sha256"] == new_sha and h["kind"] == "import"]
        if now == new_state:
            seen["new"] += 1
            assert len(taken) == 1, f"kill {i}: new rows but no import record"
        else:
            seen["old"] += 1
            assert not taken, f"kill {i}: an import is recorded but the rows are old"
        if i % 10:
            shutil.rmtree(d)
        # and the next ingest still works from there
        if i % 10 == 0:
            assert ingest(new, "again.csv", data_dir=d, extract="loans", isolated=False).status in ("taken", "noop")
            assert state(d) == new_state
    assert killed >= 20, f"only {killed} of {i + 1} runs were killed before finishing"
    print(f"kill test: {killed} kills, work {work:.2f}s, ended old {seen['old']}, new {seen['new']}")
