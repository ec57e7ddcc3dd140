"""Fault injection at every step of a commit: the writer is killed (os._exit, as kill -9: no
cleanup runs) before, between and after each file write and each metadata write, and then

- `progress` and a count over each extract give exactly the old state or exactly the new one
  (a reader never sees anything else);
- the next import works with no manual recovery, and lands on top of whichever state it found.

The steps a commit takes (storage.commit), each a kill point here:
    plan:before            nothing written yet
    raw:before / raw:after           the upload's bytes kept under raw/
    quarantine:after                 the quarantine CSV
    staged:1                         the first data file is being placed (its staging name `…#1`)
    file:1 … file:4                  the k-th data file of the new version is in place
    log-staged                       the commit's log entry written under its staging name `N.json#1`
    log                              linked as `N.json`: the commit point has passed
    log-cleaned                      the staging name removed
The steps inside delta-rs are observed by a thread of the writer process itself, which ends the
process as soon as it sees the step's file; `strace` (attached to the writer, a fork of tests/warm.py's
warm process, before its first step) holds every rename, link and unlink 0.1 s before and after the
call so that each step is caught before the next one starts (deterministic; without strace the test
still runs, with the watched steps asserted only as "old or new").
    history:before / history:after   the upload record under uploads/
    aggregates:before / aggregates:after   the aggregates' refresh
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import warm
from make_fixtures import HEADERS, csv_bytes
from target_monitor.ingest import ingest

REPO = Path(__file__).resolve().parents[1]
UNITS = ["杨家坪街道", "谢家湾街道", "石坪桥街道", "九龙镇"]
POINTS = ["plan:before", "raw:before", "raw:after", "quarantine:after", "staged:1", "file:1", "file:2", "file:3",
          "file:4", "log-staged", "log", "log-cleaned", "history:before", "history:after", "aggregates:before",
          "aggregates:after"]
OLD_AT = {"plan:before", "raw:before", "raw:after", "quarantine:after", "staged:1", "file:1", "file:2", "file:3",
          "file:4", "log-staged"}
STRACE = shutil.which("strace")
HOLD = ["-f", "-qq", "-o", "/dev/null", "-e", "trace=rename,renameat,renameat2,link,linkat,unlink,unlinkat",
        "-e", "inject=rename,renameat,renameat2,link,linkat,unlink,unlinkat:delay_enter=100000:delay_exit=100000"]

DRIVER = r'''
import os, re, sys, threading, time
from pathlib import Path
from target_monitor.ingest import ingest, storage

d, src, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if sys.argv[4:] == ["traced"]:  # wait until strace has attached (it holds every step from here on)
    while not re.search(r"^TracerPid:\s*[1-9]", Path("/proc/self/status").read_text(), re.M):
        time.sleep(0.005)
kind, _, when = point.partition(":")
die = lambda: os._exit(137)  # as kill -9: no finally, no atexit, nothing flushed by Python

def wrap(name):
    real = getattr(storage, name)
    def hooked(*a, **k):
        if when == "before":
            die()
        out = real(*a, **k)
        die()
    setattr(storage, name, hooked)

hooks = {"plan": "plan", "raw": "save_raw", "quarantine": "write_quarantine", "history": "write_history",
         "aggregates": "_refresh_aggregates"}
if kind in hooks:
    wrap(hooks[kind])
else:
    root = d / "extracts" / "loans"
    seen = {p for p in root.rglob("*")}
    def watch():
        while True:
            new = [p for p in root.rglob("*") if p not in seen]
            data = [p for p in new if "_delta_log" not in p.parts and p.suffix == ".parquet"]
            staged = [p for p in new if "_delta_log" not in p.parts and ".parquet#" in p.name]
            logs = [p for p in new if "_delta_log" in p.parts]
            entry = [p for p in logs if re.fullmatch(r"\d{20}\.json", p.name)]
            log_staged = [p for p in logs if re.fullmatch(r"\d{20}\.json#\d+", p.name) and p.exists()]
            if kind == "staged" and len(staged) >= int(when):
                die()
            if kind == "file" and len(data) >= int(when):
                die()
            if kind == "log-staged" and log_staged and not entry:
                die()
            if kind == "log" and entry:
                die()
            if kind == "log-cleaned" and entry and not log_staged:
                die()
    threading.Thread(target=watch, daemon=True).start()
r = ingest(src.read_bytes(), src.name, data_dir=d, extract="loans", isolated=False, who="kill-test")
print("done", r.status, flush=True)
'''


def _rows(prefix: str, n: int, months: tuple, seed: int) -> list[list]:
    import random

    rng = random.Random(seed)
    return [[f"{prefix}-{i:05d}", rng.choice(UNITS), "个人", f"2020-{rng.choice(months):02d}-{rng.randint(1, 28):02d}",
             str(rng.choice([50000, 100000, 200000])), "中国建设银行"] for i in range(n)]


def observe(d: Path) -> tuple[str, str]:
    """(a digest of the count over each extract, the progress table) as a fresh reader sees them."""
    from target_monitor.context import Context
    from target_monitor.store import Store

    store = Store(d, aggregates=False)
    with store.con.cursor() as cur:
        counts = [cur.execute(f"select count(*), sum(hash(t)) from ext_{n} as t").fetchone()
                  for n in ("new_employment", "training", "loans", "graduates")]
    store.close()
    progress = Context(d).progress(2020, date(2020, 4, 30)).to_csv(index=False)
    return hashlib.sha256(repr(counts).encode()).hexdigest(), progress


def _run_under_strace(d: Path, src: Path, point: str) -> subprocess.CompletedProcess:
    """The driver forked from the warm process (its imports done), strace attached to it (`-p`, every
    thread it starts followed) before it takes its first step: the driver waits for its TracerPid."""
    run = warm.start(code=DRIVER, args=(d, src, point, "traced"), cwd=REPO)
    tracer = subprocess.Popen([STRACE, *HOLD, "-p", str(run.pid)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        code = run.wait(300)
    finally:
        try:
            _, trace_err = tracer.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            tracer.kill()
            _, trace_err = tracer.communicate()
    out = run.stdout_path.read_text(encoding="utf-8", errors="replace")
    err = run.stderr_path.read_text(encoding="utf-8", errors="replace") + trace_err
    run.stdout_path.unlink(missing_ok=True)
    run.stderr_path.unlink(missing_ok=True)
    return subprocess.CompletedProcess(["strace", "-p", str(run.pid)], code, out, err)


@pytest.fixture(scope="session")
def setup(built_once, tmp_path_factory):
    """The old state (`template`), the new file and the old and new states as a reader sees them: built once
    for the session (built_once), the states kept as JSON; each test copies the template."""
    import json

    def build(folder: Path) -> None:
        template = folder / "template"
        old = csv_bytes([HEADERS["loans"], *_rows("OLD", 400, (1, 2, 3, 4), 1)])
        # the new file corrects 100 old loans and adds 300 over three months: three data files
        new = csv_bytes([HEADERS["loans"], *_rows("OLD", 100, (1, 2, 3), 3), *_rows("NEW", 300, (1, 2, 3), 2)])
        assert ingest(old, "old.csv", data_dir=template, extract="loans", isolated=False).status == "taken"
        (folder / "new.csv").write_bytes(new)
        done = folder / "done"
        shutil.copytree(template, done)
        assert ingest(new, "new.csv", data_dir=done, extract="loans", isolated=False).status == "taken"
        (folder / "states.json").write_text(json.dumps([observe(template), observe(done)]))

    shared = built_once("table_kill", build)
    old_state, new_state = (tuple(s) for s in json.loads((shared / "states.json").read_text()))
    return tmp_path_factory.mktemp("kill"), shared / "template", shared / "new.csv", old_state, new_state


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_every_step_leaves_old_or_new_and_the_next_import_works(setup, point):
    base, template, src, old_state, new_state = setup
    assert old_state != new_state
    d = base / point.replace(":", "-")
    shutil.copytree(template, d)
    watched = ":" not in point or point.split(":")[0] in ("staged", "file")
    if watched and STRACE:  # strace attaches to the writer and holds its own file steps
        proc = _run_under_strace(d, src, point)
    else:  # a process of its own, forked from a warm one that has done the imports (tests/warm.py)
        proc = warm.run_code(DRIVER, d, src, point, cwd=REPO, timeout=300)
    deterministic = not watched or STRACE
    if deterministic:
        assert proc.returncode == 137, f"{point}: the writer was not stopped there ({proc.returncode}) {proc.stderr[-1500:]}"
    seen = observe(d)
    assert seen in (old_state, new_state), f"{point}: a state that is neither old nor new"
    if deterministic:
        assert seen == (old_state if point in OLD_AT else new_state), point
    # the next import, with no recovery step: it works and lands on what was there
    again = ingest(src.read_bytes(), "again.csv", data_dir=d, extract="loans", isolated=False)
    assert again.status in ("taken", "noop")
    assert observe(d) == new_state  # the same file again: by key, the same rows whatever the state was
    extra = csv_bytes([HEADERS["loans"], *_rows("MORE", 5, (4,), 9)])
    assert ingest(extra, "more.csv", data_dir=d, extract="loans", isolated=False).status == "taken"
    files = [f for f in (d / "extracts" / "loans").rglob("*.parquet") if "_delta_log" not in f.parts]
    for f in files:  # even an unreferenced file left by the kill is a whole Parquet file or ignored
        try:
            pq.ParquetFile(f)
        except Exception:  # noqa: BLE001 - a torn file no version lists: vacuum removes it
            from target_monitor.tables_delta import committed_files

            assert f not in committed_files(d, "loans").files
