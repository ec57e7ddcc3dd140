"""Untrusted files are parsed in a child process with time and memory limits; the caller only
ever gets a report back, never a crash or a hang."""

from __future__ import annotations

import time
from pathlib import Path

from make_fixtures import HEADERS, csv_bytes
from target_monitor.ingest.sandbox import parse_isolated


def _big_csv(n: int) -> bytes:
    rows = [[f"LN-{i:07d}", "杨家坪街道", "个人", "2020-03-02", "100000", "中国建设银行"] for i in range(n)]
    return csv_bytes([HEADERS["loans"], *rows])


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
    # The same limit lets a small file through and stops a file that needs more memory.
    small = parse_isolated(_big_csv(50), "small.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20,
                           timeout_s=150, memory_mb=700)
    assert small.report.status == "preview" and small.report.accepted == 50
    parsed = parse_isolated(_big_csv(200_000), "hungry.csv", "loans", None, None, tmp_path, max_bytes=50 * 2**20,
                            timeout_s=150, memory_mb=700)
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
