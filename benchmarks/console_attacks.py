"""How long a hostile query takes to be refused: `target-monitor sql` from its start to its exit.

    uv run python -m benchmarks.console_attacks [--data-dir DIR] [--runs 3] [--timeout 5]

Each query of the memory and resource attacks is run `runs` times as the operator would run it (a
fresh `python -m target_monitor.cli sql ... --timeout T` process), beside the baseline `select 1`
through the same command in the same run. Prints per query the median and maximum wall time, the
CPU time of the command and its child, the exit codes, and the median as a ratio of the baseline;
the last line is the slowest median against the bound the product promises (timeout + 2 s).
Measure on a quiet machine: the load average is printed first, and a busy machine's wall times are
mostly waiting for a core. No timing threshold is held here: the tests check the exit codes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ATTACKS = [
    "select count(*) from unnest(generate_series(1, 2000000000))",
    "select length(repeat('x', 4294967295))",
    "select len(list_concat(range(400000000), range(400000000)))",
    "select md5(repeat('ab', 1500000000))",
    "select length(string_agg(repeat('x', 1000000), '')) from range(100000)",
    "select len(array_agg(repeat('x', 1000))) from range(100000000)",
    "with recursive r(s) as (select 'x' union all select s || s from r where length(s) < 10000000000) "
    "select max(length(s)) from r",
]
BASELINE = "select 1"


def run_once(sql: str, data_dir: Path, timeout: float) -> tuple[float, float, int]:
    """(wall s, CPU s of the command and its children, exit code) of one `target-monitor sql`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "target_monitor.cli", "sql", sql, "--timeout", f"{timeout:g}",
                           "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, proc.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, help="a data directory (default: the demo, generated into a temp dir)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=5.0, help="the console's query timeout, seconds")
    args = ap.parse_args(argv)

    data_dir = args.data_dir
    if data_dir is None:
        from target_monitor.demo import generate_demo

        data_dir = Path(tempfile.mkdtemp(prefix="tm-attacks-")) / "data"
        generate_demo(data_dir)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.runs} runs; "
          f"timeout {args.timeout:g} s; bound {args.timeout + 2:g} s from the command's start")
    results = {}
    for sql in [BASELINE, *ATTACKS]:
        runs = [run_once(sql, data_dir, args.timeout) for _ in range(args.runs)]
        results[sql] = runs
    base = statistics.median(w for w, _, _ in results[BASELINE])
    print(f"{'median s':>9} {'max s':>7} {'CPU s':>6} {'exit':>6} {'×base':>6}  query")
    slowest = 0.0
    for sql, runs in results.items():
        walls = [w for w, _, _ in runs]
        med = statistics.median(walls)
        codes = ",".join(sorted({str(c) for _, _, c in runs}))
        cpu = statistics.median(c for _, c, _ in runs)
        print(f"{med:9.2f} {max(walls):7.2f} {cpu:6.2f} {codes:>6} {med / base:6.1f}  {sql[:90]}")
        if sql != BASELINE:
            slowest = max(slowest, med)
    print(f"slowest attack median {slowest:.2f} s, bound {args.timeout + 2:g} s, baseline {base:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
