"""The SQL console cannot hurt the server: every query runs in a child process with an
address-space limit and a hard kill at the timeout plus one second (sandbox.IsolatedSandbox).

Each hostile statement must end within timeout + 2 s with a clear refusal (exit 2 from the
CLI), the process playing the server must not grow, and the next query must work. A watchdog
kills the test's process tree if it ever holds more than 3 GB, so a regression fails the test
instead of taking the machine (a console query once reached 23 GB of a 24 GB machine).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import redirect_stderr, redirect_stdout

import pytest

from target_monitor.cli import main
from target_monitor.sandbox import IsolatedSandbox, SqlError, child_memory_mb

TIMEOUT_S = 5.0
LIMIT_S = TIMEOUT_S + 2.0
WATCHDOG_BYTES = 3 * 2**30
SERVER_CAP_MB = 600

# resource attacks: huge series and lists, strings, aggregates, cross joins of the record views,
# deep and exploding recursion
ATTACKS = [
    "select count(*) from unnest(generate_series(1, 2000000000))",
    "select length(repeat('x', 4294967295))",
    "select generate_series(1, 3000000000)",
    "select range(0, 2000000000)",
    "select list_sort(range(500000000))",
    "select len(list(range)) from range(600000000)",
    "select length(string_agg(repeat('x', 1000000), '')) from range(100000)",
    "select length(string_agg(cast(range as varchar), ',')) from range(2000000000)",
    "select length(lpad('x', 2000000000, 'y'))",
    "select length(rpad('', 2000000000, 'y'))",
    "select md5(repeat('ab', 1500000000))",
    "select length(repeat(repeat('x', 100000000), 100))",
    "select len(string_split(repeat('a,', 1000000000), ','))",
    "select length(regexp_replace(repeat('a', 300000000), 'a', 'bbbbbbbbbb', 'g'))",
    "select length(to_json(list(range))) from range(300000000)",
    "select len(array_agg(repeat('x', 1000))) from range(100000000)",
    "select sum(a.range * b.range) from range(100000) a, range(100000) b",
    "select count(distinct a.person_key || b.person_key) from ext_new_employment a, ext_new_employment b",
    "select max(length(a.person_key || b.person_key)) from ext_new_employment a cross join ext_training b",
    "select sum(hash(range)) from range(20000000000)",
    "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
    "with recursive r(s) as (select 'x' union all select s || s from r where length(s) < 10000000000) "
    "select max(length(s)) from r",
    "with recursive r(l) as (select [1] union all select l || l from r where len(l) < 10000000000) "
    "select max(len(l)) from r",
    "select count(*) from (select unnest(range(1000000000)))",
    "select len(list_concat(range(400000000), range(400000000)))",
    "select x from (select repeat('x', 100000) as x from range(1000000)) order by x",
]
# reveal the server's settings and paths: refused before running
CATALOGUE = [
    "select current_setting('memory_limit')",
    "select * from duckdb_settings()",
    "select * from sqlite_master",
    "select * from duckdb_tables",
    "select getenv('HOME')",
]


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
    out, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


@pytest.fixture(scope="module")
def watchdog():
    """Samples this process tree's memory; kills the descendants above 3 GB (and says so)."""
    state = {"peak": 0, "killed": False, "stop": False}

    me = os.getpid()
    # processes this worker already ran (under xdist: an app server for the browser tests, a warm
    # process for CLI tests) count with what they grow by from here, not with what they held before
    before = {k: _rss(k) for k in _descendants(me)}

    def watch():
        while not state["stop"]:
            kids = _descendants(me)
            total = _rss(me) + sum(max(0, _rss(k) - before.get(k, 0)) for k in kids)
            state["peak"] = max(state["peak"], total)
            if total > WATCHDOG_BYTES:
                state["killed"] = True
                for k in kids:
                    try:
                        os.kill(k, signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    yield state
    state["stop"] = True
    thread.join(1)
    assert not state["killed"], f"the process tree went over {WATCHDOG_BYTES // 2**30} GB"


@pytest.fixture(scope="module")
def console(demo_ctx, watchdog):
    from target_monitor.ingest import zygote

    zygote.prestart()
    sb = IsolatedSandbox(demo_ctx, 2020)
    sb.run("select 1", timeout=TIMEOUT_S)  # the warm parent has imported
    return sb


def test_at_least_22_attacks():
    assert len(ATTACKS) + len(CATALOGUE) >= 22 + 2 and len(ATTACKS) >= 22


@pytest.mark.parametrize("sql", ATTACKS)
def test_resource_attack_ends_in_time_and_the_server_does_not_grow(console, watchdog, sql):
    before = _rss(os.getpid())
    started = time.monotonic()
    with pytest.raises(SqlError) as err:
        console.run(sql, timeout=TIMEOUT_S)
    took = time.monotonic() - started
    assert took <= LIMIT_S, f"{took:.1f} s"
    assert err.value.status in ("timeout", "failed")
    assert err.value.key in ("sql_timeout", "sql_memory"), err.value.key
    assert err.value.text("zh") and err.value.text("en")
    after = _rss(os.getpid())
    assert after - before < 50 * 2**20, f"the server grew by {(after - before) / 2**20:.0f} MB"
    assert after < SERVER_CAP_MB * 2**20
    assert console.run("select count(*) as n from units", timeout=TIMEOUT_S).frame["n"].iloc[0] == 15


@pytest.mark.parametrize("sql", CATALOGUE)
def test_settings_and_catalogue_are_refused(console, sql):
    with pytest.raises(SqlError) as err:
        console.run(sql, timeout=TIMEOUT_S)
    assert err.value.status == "refused"


@pytest.mark.parametrize("sql", ATTACKS[:2])
def test_cli_attack_is_exit_2_with_one_line(demo_dir, watchdog, sql):
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["sql", sql, "--timeout", "5", "--data-dir", str(demo_dir)])
    assert code == 2 and out.getvalue() == ""
    assert len(err.getvalue().strip().splitlines()) == 1
    assert time.monotonic() - started <= LIMIT_S + 3  # + opening the data and building the views once


# the memory attacks as a person runs them: `target-monitor sql` from a fresh interpreter, timed
# from the command's start (its own start and building the views included), as the issue states it
CLI_ATTACKS = [
    "select count(*) from unnest(generate_series(1, 2000000000))",
    "select length(repeat('x', 4294967295))",
    "select len(list_concat(range(400000000), range(400000000)))",
    "select md5(repeat('ab', 1500000000))",
]


@pytest.mark.parametrize("sql", CLI_ATTACKS)
def test_cli_memory_attack_ends_within_timeout_plus_2_s_from_the_start(demo_dir, watchdog, sql):
    import resource

    assert sql in ATTACKS
    load = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "target_monitor.cli", "sql", sql, "--timeout", f"{TIMEOUT_S:g}",
                           "--data-dir", str(demo_dir)], capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [SqlError("failed", "sql_memory", mb=child_memory_mb()).text("zh")]
    said = f"{took:.1f} s wall, {cpu:.1f} s CPU, load average {load:.1f} on {os.cpu_count()} cores"
    if load <= 2 * (os.cpu_count() or 1):
        assert took <= LIMIT_S, said
    else:  # oversubscribed (a shared machine): the wall time is mostly waiting for a core; the
        # command's own work (its process and the query's child) must still fit in the bound
        assert cpu <= LIMIT_S, said
    from target_monitor.access import audit
    from target_monitor.sandbox import sql_hash

    trail = audit.read(demo_dir, action="console_query")  # the attack is in the audit trail
    assert "failed" in set(trail[trail["object"] == sql_hash(sql)]["outcome"])
