"""Two writers at once: both imports land in order, or one is told to retry (请重试, exit 2) and
wrote nothing; never a lost write. On local disk the writers' lock orders them; on the object
store two machines (two data directories, one store) meet only in the table's commit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from seaweed import ON_SEAWEED, SEAWEED_BUCKET

from target_monitor.cli import main
from target_monitor.ingest import storage
from target_monitor.tables_delta import committed_files

HEAD = "记录编号,街镇名称,身份证号,就业日期,人员类别,就业形式\n"
FIRST = HEAD + "NE-W-0,杨家坪街道,500107199001011234,2020-06-01,其他,单位就业\n"
A = HEAD + "NE-W-A,谢家湾街道,500107199001021234,2020-06-02,其他,单位就业\n"
B = HEAD + "NE-W-B,石坪桥街道,500107199001031234,2020-06-03,其他,灵活就业\n"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["local", pytest.param("s3", marks=ON_SEAWEED)])
def store(request, tmp_path, monkeypatch) -> dict:
    """The environment of a writer process: local disk, or a fresh prefix of the SeaweedFS store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TARGET_MONITOR_STORE"))}
    if request.param == "s3":
        server = request.getfixturevalue("seaweedfs")
        extra = server.env(SEAWEED_BUCKET, f"w{uuid.uuid4().hex[:12]}")
        env.update(extra)
        for key, value in extra.items():
            monkeypatch.setenv(key, value)
    return {"kind": request.param, "env": env}


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# an import in a process of its own (what a second clerk or machine runs), parsed in that process
# (the CLI would also start the sandbox's zygote: a second interpreter per process, doubling the cost)
CHILD = """
import json, sys
from pathlib import Path
from target_monitor.ingest import ingest
path, data_dir = Path(sys.argv[1]), Path(sys.argv[2])
r = ingest(path.read_bytes(), path.name, data_dir=data_dir, extract="new_employment", isolated=False)
print(json.dumps({"status": r.status, "message": r.message_zh}, ensure_ascii=False))
"""


def _ingest_proc(path: Path, data_dir: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(data_dir)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _records(data_dir: Path) -> set[str]:
    import duckdb

    files = [str(f) for f in committed_files(data_dir, "new_employment").files]
    return {r[0] for r in duckdb.connect().execute("select record_id from read_parquet($f)", {"f": files}).fetchall()}


def test_two_imports_at_once_both_land_or_one_is_told_to_retry(store, tmp_path):
    """Two processes import into the same month at the same moment (on the object store from two
    data directories: two machines)."""
    first, a, b = _file(tmp_path, "first.csv", FIRST), _file(tmp_path, "a.csv", A), _file(tmp_path, "b.csv", B)
    dir_a = tmp_path / "a"
    dir_b = dir_a if store["kind"] == "local" else tmp_path / "b"
    assert main(["ingest", str(first), "--extract", "new_employment", "--data-dir", str(dir_a)]) == 0
    procs = [_ingest_proc(a, dir_a, store["env"]), _ingest_proc(b, dir_b, store["env"])]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    results = [json.loads(out.strip().splitlines()[-1]) for out in outs]
    statuses = [r["status"] for r in results]
    assert set(statuses) <= {"taken", "conflict"}, outs
    landed = _records(dir_a)
    for r, rid in zip(results, ("NE-W-A", "NE-W-B")):
        if r["status"] == "taken":
            assert rid in landed, outs  # a success is never lost
        else:
            assert "请重试" in r["message"] and rid not in landed, outs  # a conflict wrote nothing
    assert statuses.count("conflict") <= 1 and "NE-W-0" in landed
    if store["kind"] == "local":
        assert statuses == ["taken", "taken"]  # one machine: the writers' lock orders them


def test_a_commit_that_lost_the_race_is_a_conflict_and_the_retry_lands(store, tmp_path, monkeypatch, capsys):
    """Deterministic: another writer commits to the month between this import's plan and its commit."""
    if store["kind"] == "local":
        pytest.skip("on one machine the writers' lock keeps the other writer out (the test above)")
    first, a, b = _file(tmp_path, "first.csv", FIRST), _file(tmp_path, "a.csv", A), _file(tmp_path, "b.csv", B)
    mine, other = tmp_path / "mine", tmp_path / "other"
    assert main(["ingest", str(first), "--extract", "new_employment", "--data-dir", str(mine)]) == 0
    real = storage._write_plan
    once = []

    def after_the_other_machine(*args, **kwargs):
        if not once:  # the other machine (its own data directory and lock) commits first
            once.append(1)
            assert main(["ingest", str(b), "--extract", "new_employment", "--data-dir", str(other)]) == 0
        return real(*args, **kwargs)

    monkeypatch.setattr(storage, "_write_plan", after_the_other_machine)
    capsys.readouterr()
    assert main(["ingest", str(a), "--extract", "new_employment", "--data-dir", str(mine)]) == 2
    out = capsys.readouterr().out
    assert "请重试" in out  # the message says what happened and what to do
    assert _records(mine) == {"NE-W-0", "NE-W-B"}  # the other machine's row kept; nothing of this one
    assert storage.history(mine)[0]["status"] == "conflict"
    monkeypatch.setattr(storage, "_write_plan", real)
    assert main(["ingest", str(a), "--extract", "new_employment", "--data-dir", str(mine)]) == 0  # the retry
    assert _records(mine) == _records(other) == {"NE-W-0", "NE-W-A", "NE-W-B"}
