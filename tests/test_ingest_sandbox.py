"""Untrusted files are parsed in a child process with time and memory limits; the caller only
ever gets a report back, never a crash or a hang."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from make_fixtures import HEADERS, csv_bytes
from target_monitor.ingest.sandbox import parse_isolated


def _big_csv(n: int) -> bytes:
    """The header and n loans, byte for byte what csv_bytes writes for these rows (no cell needs
    quoting), joined in one pass: csv_bytes over 650,000 lists took 12 s of the tests' set-up."""
    row = ",".join(["LN-{:07d}", "杨家坪街道", "个人", "2020-03-02", "100000", "中国建设银行"]) + "\r\n"
    return csv_bytes([HEADERS["loans"]]) + "".join(map(row.format, range(n))).encode("utf-8")


def test_big_csv_is_what_csv_bytes_writes():
    rows = [[f"LN-{i:07d}", "杨家坪街道", "个人", "2020-03-02", "100000", "中国建设银行"] for i in range(1200)]
    assert _big_csv(1200) == csv_bytes([HEADERS["loans"], *rows])
    assert _big_csv(0) == csv_bytes([HEADERS["loans"]])


def test_a_parse_over_the_time_limit_is_stopped(tmp_path):
    data = _big_csv(400_000)  # ~22 MB: parsing it takes far longer than the limit below
    start = time.monotonic()
    parsed = parse_isolated(data, "slow.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20, timeout_s=2)
    elapsed = time.monotonic() - start
    assert parsed.report.status == "rejected"
    (p,) = parsed.report.problems
    assert p.code == "timeout" and "slow.csv" in p.reason_zh and "2 秒" in p.reason_zh
    assert elapsed < 10


def test_a_parse_over_the_memory_limit_is_stopped(tmp_path):
    # The same limit lets a small file through and stops a file that needs more memory (a child starts
    # at ~400 MB of address space: the interpreter and the parsers it inherits from the zygote; 50 rows
    # pass under 440 MB). The lower the limit, the sooner the hungry file reaches it: at 600 MB the
    # child parsed for a minute first, at 480 MB for 15 s.
    small = parse_isolated(_big_csv(50), "small.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20,
                           timeout_s=150, memory_mb=480)
    assert small.report.status == "preview" and small.report.accepted == 50
    parsed = parse_isolated(_big_csv(200_000), "hungry.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20,
                            timeout_s=150, memory_mb=480)
    assert parsed.report.status == "rejected"
    (p,) = parsed.report.problems
    assert p.code == "memory" and "hungry.csv" in p.reason_zh and "内存" in p.reason_zh


def test_size_cap_is_checked_before_parsing(tmp_path):
    parsed = parse_isolated(b"x" * 2000, "big.csv", "loans", None, None, tmp_path, max_bytes=1000)
    assert parsed.report.status == "rejected" and parsed.report.problems[0].code == "too_big"


def test_a_good_file_comes_back_through_the_child(tmp_path):
    data = _big_csv(50)
    parsed = parse_isolated(data, "ok.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20)
    assert parsed.report.status == "preview" and parsed.report.accepted == 50
    assert list(parsed.accepted["loan_id"][:2]) == ["LN-0000000", "LN-0000001"]


@pytest.mark.system  # a capacity check against the shipped 120 s limit: a timing threshold, which the default run never holds
def test_a_file_at_the_size_cap_parses_within_the_default_limits(tmp_path):
    from target_monitor.ingest import limits

    lim = limits(tmp_path)  # the shipped ingest_rules.yaml
    data = _big_csv(650_000)
    assert 40 * 2**20 < len(data) <= lim["max_bytes"]
    start = time.monotonic()
    parsed = parse_isolated(data, "cap.csv", "loans", None, None, tmp_path, max_bytes=lim["max_bytes"],
                            timeout_s=lim["timeout_s"], memory_mb=lim["memory_mb"])
    assert parsed.report.status == "preview", [p.reason_en for p in parsed.report.problems]
    assert parsed.report.accepted == 650_000
    print(f"{len(data) / 2**20:.0f} MB CSV parsed in the sandbox in {time.monotonic() - start:.1f} s")


def test_targets_tables_go_through_the_same_child_protocol(tmp_path):
    """A task breakdown table is untrusted too: size cap before parsing, time limit, a report."""
    from target_monitor.targets_import import _parse_isolated

    published = (Path(__file__).resolve().parents[1] / "data" / "reference" / "jiulongpo_2020_task_breakdown.csv").read_bytes()
    lim = {"max_bytes": 10_000_000, "memory_mb": 2048, "timeout_s": 60}
    ok = _parse_isolated(published, "t.csv", 2020, tmp_path, None, None, lim)
    assert ok.report.status != "rejected" and len(ok.targets) == 53
    big = _parse_isolated(published, "t.csv", 2020, tmp_path, None, None, {**lim, "max_bytes": 100})
    assert big.report.status == "rejected" and big.report.problems[0].code == "too_big"
    slow = _parse_isolated(published, "t.csv", 2020, tmp_path, None, None, {**lim, "timeout_s": 0.01})
    assert slow.report.status == "rejected" and slow.report.problems[0].code == "timeout"


def test_children_come_from_one_warm_zygote_that_is_restarted_when_it_dies(tmp_path):
    from target_monitor.ingest import zygote

    data = _big_csv(20)
    first = parse_isolated(data, "a.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20)
    proc = zygote._state["proc"]
    assert first.report.status == "preview" and proc is not None and proc.poll() is None
    again = parse_isolated(data, "b.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20)
    assert again.report.accepted == 20 and zygote._state["proc"] is proc  # the same zygote
    # children inherit the zygote's address space, which counts against their memory limit: keep it small
    status = Path(f"/proc/{proc.pid}/status")
    if status.exists():
        vm_size = int(next(ln for ln in status.read_text().splitlines() if ln.startswith("VmSize:")).split()[1])
        assert vm_size < 1024 * 1024, f"zygote VmSize {vm_size} kB"
    proc.kill()
    proc.wait()
    after = parse_isolated(data, "c.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20)
    assert after.report.status == "preview" and after.report.accepted == 20
    assert zygote._state["proc"] is not proc


def test_a_child_that_fails_is_reported_and_the_next_upload_works(tmp_path):
    from target_monitor.ingest.problems import Report
    from target_monitor.ingest.sandbox import run_child

    report = Report(file="broken.csv")
    out = run_child("target_monitor.ingest.sandbox", b"x,y\n1,2\n", {"file": "broken.csv"}, report, timeout_s=60,
                    max_bytes=1000, collect=lambda folder, payload: payload)
    assert out is None and report.status == "rejected"
    (p,) = report.problems
    assert p.code == "crashed" and "KeyError" in p.reason_en and "broken.csv" in p.reason_zh
    ok = parse_isolated(_big_csv(5), "ok.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20)
    assert ok.report.status == "preview" and ok.report.accepted == 5


def test_uploads_parsed_at_the_same_time_get_their_own_children(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    def parse(n: int):
        return parse_isolated(_big_csv(n), f"f{n}.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(parse, [3, 30, 300, 3000]))
    assert [(r.report.file, r.report.accepted) for r in results] == [("f3.csv", 3), ("f30.csv", 30),
                                                                     ("f300.csv", 300), ("f3000.csv", 3000)]


def test_without_a_zygote_the_child_is_a_fresh_interpreter(tmp_path, monkeypatch):
    from target_monitor.ingest import zygote

    monkeypatch.setattr(zygote, "run", lambda *a, **k: None)
    parsed = parse_isolated(_big_csv(7), "fresh.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20)
    assert parsed.report.status == "preview" and parsed.report.accepted == 7
    slow = parse_isolated(_big_csv(400_000), "slow.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20,
                          timeout_s=1)
    assert slow.report.status == "rejected" and slow.report.problems[0].code == "timeout"


def test_accepted_rows_come_back_as_arrow_in_the_canonical_schema(tmp_path):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from target_monitor.ingest.records import arrow_schema
    from target_monitor.registry import load_registry

    table = pa.table({"loan_id": ["L1", "L2"], "unit_code": ["500107-01", "杨家坪"], "borrower_type": ["个人", "个人"],
                      "disbursed_on": pa.array([date(2020, 3, 1), date(2020, 3, 2)], pa.date32()),
                      "amount_yuan": [1000.0, 2000.0], "bank": ["x", None]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    parsed = parse_isolated(buf.getvalue(), "l.parquet", "loans", None, None, tmp_path, max_bytes=50 * 2**20)
    assert parsed.report.status == "preview" and parsed.report.normalised[0].kind == "unit_alias"
    assert parsed.table.schema == arrow_schema(load_registry().extracts["loans"], row=True)
    assert parsed.table.column("unit_code").to_pylist() == ["500107-01", "500107-01"]
    assert list(parsed.accepted["_row"]) == [2, 3]  # the DataFrame view the page shows


def test_an_alias_added_to_units_csv_counts_for_the_next_upload(tmp_path):
    """Children start with the reference data the zygote loaded; a changed units.csv is seen at once."""
    import shutil

    from target_monitor.paths import SHIPPED_REFERENCE_DIR

    d = tmp_path / "data"
    shutil.copytree(SHIPPED_REFERENCE_DIR, d / "reference")
    data = csv_bytes([HEADERS["loans"], ["LN-1", "杨家坪片区", "个人", "2020-03-02", "100000", "中国建设银行"]])
    before = parse_isolated(data, "a.csv", "loans", None, None, d, max_bytes=50 * 2**20)
    assert (before.report.accepted, before.report.quarantined) == (0, 1)
    units = d / "reference" / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("杨家坪|杨家坪街道办事处", "杨家坪|杨家坪街道办事处|杨家坪片区"),
                     encoding="utf-8")
    after = parse_isolated(data, "a.csv", "loans", None, None, d, max_bytes=50 * 2**20)
    assert (after.report.accepted, after.report.quarantined) == (1, 0)
    assert after.table.column("unit_code").to_pylist() == ["500107-01"]


def test_a_server_that_goes_away_leaves_no_parse_running(tmp_path):
    """The worker is killed when the server's end of its socket closes (server killed, session gone)."""
    import json
    import os
    import socket

    from target_monitor.ingest import zygote

    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "upload.bin").write_bytes(_big_csv(400_000))  # parses for many seconds
    (folder / "request.json").write_text(json.dumps({"file": "slow.csv", "extract": "loans", "period": None,
                                                     "sheet": None, "data_dir": str(tmp_path), "max_bytes": 50 * 2**20,
                                                     "memory_mb": 4096, "today": None}), encoding="utf-8")
    control = zygote._control()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    request = {"module": "target_monitor.ingest.sandbox", "folder": str(folder), "timeout_s": 600, "cwd": os.getcwd(),
               "warm": None}
    with zygote._lock:
        socket.send_fds(control, [json.dumps(request).encode()], [theirs.fileno()])
    theirs.close()
    ours.settimeout(120)
    pid = json.loads(ours.recv(4096))["pid"]
    time.sleep(0.5)
    os.kill(pid, 0)  # parsing
    ours.close()  # the server goes away
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"worker {pid} still running after its server went away")
    assert not (folder / "result.json").exists()
