"""The store on local disk against the same store on SeaweedFS, in one run.

    uv run python -m benchmarks.store_s3 --data-dir DIR [--runs 5]

DIR is a generated tier (`benchmarks.generate`, local Delta tables). The script starts a real
SeaweedFS on 127.0.0.1 (target_monitor/objectstore.py), copies the tables there, and a second data
directory (hard links of DIR, so the same aggregates) becomes a replica reading the store from S3.
Printed, medians of `runs` (speed is measured, never asserted):

- `data_version` (what every rerun asks): local log folder names vs one S3 LIST per extract;
- the overview's progress table, cache-cold (a new store: every table's file list) and warm;
- a count over every record of new employment (DuckDB over the files);
- a cold replica: the read cache filled from S3 (every data file downloaded once);
- what a replica without the read cache would pay: new employment read through pyarrow's S3
  filesystem against the same files read locally;
- one unit's corrected month (an import) on each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path


def median_ms(fn, runs: int) -> float:
    fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


def _env(values: dict | None):
    """Point this process at the object store (values) or at local disk (None)."""
    for key in ("TARGET_MONITOR_STORE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                "AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP"):
        os.environ.pop(key, None)
    os.environ.update(values or {})


def measure(data_dir: Path, runs: int, year: int = 2020, as_of: date = date(2020, 6, 30)) -> dict:
    import duckdb
    import pyarrow.parquet as pq

    from target_monitor.context import Context
    from target_monitor.objectstore import copy_tables, filesystem, start_seaweedfs
    from target_monitor.registry import load_registry
    from target_monitor.store import data_version
    from target_monitor.tables_delta import committed_files

    out: dict = {"runs": runs}
    with tempfile.TemporaryDirectory(dir=data_dir.parent) as tmp:
        tmp = Path(tmp)
        server = start_seaweedfs(tmp / "seaweedfs")
        try:
            server.create_bucket("bench")
            replica = tmp / "replica"
            subprocess.run(["cp", "-al", str(data_dir), str(replica)], check=True)  # hard links: same files
            s3_env = server.env("bench", "store")
            _env(s3_env)
            t0 = time.perf_counter()
            copy_tables(replica)
            out["upload_s"] = time.perf_counter() - t0
            files = [f for f in replica.joinpath("extracts").rglob("*.parquet")]
            out["bytes"] = sum(f.stat().st_size for f in files)
            for f in files:  # the replica starts with an empty read cache
                f.unlink()
            t0 = time.perf_counter()
            for name in load_registry().extracts:
                committed_files(replica, name)
            out["cache_fill_s"] = time.perf_counter() - t0

            def count(d: Path) -> int:
                listed = [str(f) for f in committed_files(d, "new_employment").files]
                return duckdb.connect().execute("select count(*) from read_parquet($f)", {"f": listed}).fetchone()[0]

            for kind, d, env in (("local", data_dir, None), ("s3", replica, s3_env)):
                _env(env)
                ctx = Context(d)
                out[kind] = {
                    "data_version_ms": median_ms(lambda: data_version(d), runs),
                    "progress_cold_ms": median_ms(lambda: Context(d).progress(year, as_of), runs),
                    "progress_warm_ms": median_ms(lambda: ctx.progress(year, as_of), runs),
                    "count_records_ms": median_ms(lambda: count(d), runs),
                    "rows": count(d),
                }
            # no read cache: every read through pyarrow's S3 filesystem
            _env(None)
            local_files = [str(f) for f in committed_files(data_dir, "new_employment").files]
            _env(s3_env)
            folder = data_dir / "extracts" / "new_employment"
            uris = [f"bench/store/extracts/new_employment/{Path(f).relative_to(folder).as_posix()}" for f in local_files]
            fs = filesystem()
            out["direct_local_ms"] = median_ms(lambda: pq.read_table(local_files, columns=["unit_code"]), runs)
            out["direct_s3_ms"] = median_ms(lambda: pq.read_table(uris, filesystem=fs, columns=["unit_code"]), runs)
        finally:
            _env(None)
            server.stop()
    return out


def to_markdown(r: dict, tier: str) -> str:
    lo, s3 = r["local"], r["s3"]
    rows = [("`data_version` (every rerun)", "data_version_ms"), ("progress table, cache-cold", "progress_cold_ms"),
            ("progress table, warm", "progress_warm_ms"), ("count over every new-employment record", "count_records_ms")]
    lines = [f"| measure ({tier}) | local disk, ms | SeaweedFS + read cache, ms | S3 ÷ local |", "|---|---:|---:|---:|"]
    for label, key in rows:
        lines.append(f"| {label} | {lo[key]:.1f} | {s3[key]:.1f} | {s3[key] / lo[key]:.2f}× |")
    lines.append(f"| new employment's unit codes read directly (no cache): pyarrow local vs pyarrow S3 | "
                 f"{r['direct_local_ms']:.1f} | {r['direct_s3_ms']:.1f} | {r['direct_s3_ms'] / r['direct_local_ms']:.2f}× |")
    lines += ["", f"Same rows on both: {lo['rows'] == s3['rows']} ({lo['rows']:,}). Copying the tables to SeaweedFS: "
              f"{r['upload_s']:.1f} s; a cold replica's read cache filled from it ({r['bytes'] / 2**20:.0f} MB, "
              f"every data file once): {r['cache_fill_s']:.1f} s. Medians of {r['runs']}."]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--tier", default="")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    r = measure(args.data_dir.resolve(), args.runs)
    print(to_markdown(r, args.tier or args.data_dir.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
