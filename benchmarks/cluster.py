"""Several app replicas behind nginx, many sessions at once, an import in the middle.

    uv run python -m benchmarks.cluster --replicas 2 --sessions 20 --tier district --store local

Starts, all on 127.0.0.1 with free ports: (for `--store s3`, SeaweedFS through the object
store's launcher,) N replicas (`streamlit run app.py`, one shared data directory, one shared
cookie secret) and nginx with the configuration in deploy/nginx/ (WebSocket proxying, cookie
affinity). Then, for `--duration` seconds:

- S protocol-level sessions (benchmarks/protocol.py: Streamlit's WebSocket protocol, no browser)
  through nginx, each taking the proxy's affinity cookie first as a browser would, and running
  a scripted mix with 0.5–2 s between actions: overview, 镇街对比 (compare), an as-of change
  (the sidebar's date widget), 镇街详情 (unit), 明细记录 (records), 会议模式 (meeting);
- `--browsers` real headless Chromium browsers (Playwright, Debian's /usr/bin/chromium) through
  nginx, visiting overview, compare and the meeting screen until their content is visible;
- half-way through, an import: one unit's corrected month (`target-monitor ingest
  --replace-period`, the CLI a clerk's upload goes through) into the shared store; then one
  watcher session per replica (straight to its port, no proxy) reruns the overview until the
  data version it draws is the new one: the time until every replica shows the new version.

Prints per action p50/p95/max (ms) and errors, which replica served how many sessions (from
nginx's log), each replica's peak resident memory (VmHWM), the version times, and as its last
line `p95 X ms, errors N, sessions S, replicas N` (X: the p95 over every protocol-level action).
Nothing here asserts a time. Everything stops at the end (or on an error): replicas, nginx,
browsers, the store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.serve import CHROMIUM, CHROMIUM_ARGS, REPO, free_port, healthy, stop, streamlit_argv

NGINX_TEMPLATE = REPO / "deploy" / "nginx" / "target-monitor.conf.template"
ACTIONS = ("overview", "compare", "as_of", "unit", "records", "meeting")
BROWSER_PAGES = {  # url path -> selectors that show the page has rendered
    "": [".tm-headline", "[data-testid='stPlotlyChart'] .main-svg"],
    "compare": ["[data-testid='stDataFrame']", "[data-testid='stPlotlyChart'] .main-svg"],
    "meeting": [".mt-stage", "[data-testid='mt-position']"],
}


def say(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ nginx


def render_nginx(listen: str, upstreams: list[str], access_log: str, server_name: str = "_",
                 secure_cookie: bool = False, template: Path = NGINX_TEMPLATE) -> str:
    """deploy/nginx's template with its ${NAME} placeholders filled (nginx's own $variables stay)."""
    values = {
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "UPSTREAM_SERVERS": "\n".join(f"    server {u} max_fails=1 fail_timeout=5s;" for u in upstreams),
        "ACCESS_LOG": access_log,
        "COOKIE_SECURE": "; Secure" if secure_cookie else "",
    }
    out = []
    for line in template.read_text().splitlines(keepends=True):
        if not line.lstrip().startswith("#"):  # comments may name the placeholders
            missing = set(re.findall(r"\$\{([A-Z_]+)\}", line)) - set(values)
            if missing:
                raise ValueError(f"{template}: no value for {sorted(missing)}")
            line = re.sub(r"\$\{([A-Z_]+)\}", lambda m: values[m.group(1)], line)
        out.append(line)
    return "".join(out)


def nginx_main_conf(workdir: Path, site_conf: Path) -> str:
    """A self-contained nginx.conf around the site (what Debian's /etc/nginx/nginx.conf provides
    in production): everything under `workdir`, in the foreground, one worker."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # root's workers would run as nobody
    tmp = workdir / "nginx-tmp"
    return (f"{user}worker_processes 1;\ndaemon off;\npid {workdir}/nginx.pid;\nerror_log {workdir}/nginx-error.log warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            + "".join(f"  {k}_temp_path {tmp}/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + "  log_format tm_upstream '$msec $status \"$request\" route=$tm_route_key upstream=$upstream_addr "
              "$request_time';\n"
            + f"  include {site_conf};\n}}\n")


@contextmanager
def nginx(workdir: Path, upstreams: list[str], port: int | None = None):
    """nginx on 127.0.0.1:`port` in front of `upstreams`; yields (base URL, its access log)."""
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(exe).exists():
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx; .ci/run installs it)")
    port = port or free_port()
    (workdir / "nginx-tmp").mkdir(parents=True, exist_ok=True)
    access_log = workdir / "nginx-access.log"
    site = workdir / "target-monitor.conf"
    site.write_text(render_nginx(f"127.0.0.1:{port}", upstreams, str(access_log)))
    main = workdir / "nginx.conf"
    main.write_text(nginx_main_conf(workdir, site))
    check = subprocess.run([exe, "-t", "-p", str(workdir), "-c", str(main)], capture_output=True, text=True)
    if check.returncode:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
    proc = subprocess.Popen([exe, "-p", str(workdir), "-c", str(main)], stdout=subprocess.DEVNULL,
                            stderr=open(workdir / "nginx-stderr.log", "w"))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 15
        while not healthy(url):
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"nginx did not answer on {url}: {(workdir / 'nginx-error.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield url, access_log
    finally:
        stop(proc)


# ------------------------------------------------------------------ replicas


@dataclass
class Replica:
    port: int
    proc: subprocess.Popen
    cpus: str | None = None
    env: dict | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time the replica has used so far (/proc/<pid>/stat)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        from benchmarks.server import proc_status

        return proc_status(self.proc.pid).get("VmHWM", 0) / 1024


def replica_env(data_dir: Path, cookie_secret: str, extra: dict | None = None) -> dict:
    """What every replica shares: the data (or store), and the cookie secret (Streamlit signs its
    XSRF and login cookies with it: a browser moved to another replica keeps both valid)."""
    return {**os.environ, "TARGET_MONITOR_DATA": str(data_dir), "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,
            **(extra or {})}


def start_replica(port: int, env: dict, log: Path, cpus: str | None = None) -> Replica:
    argv = streamlit_argv(port)
    if cpus:  # pinned to these cores (taskset execs streamlit: the same pid)
        argv = ["taskset", "-c", cpus, *argv]
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT)
    return Replica(port, proc, cpus, env, log)


def restart(r: Replica) -> Replica:
    """The same replica again (port, cores, environment), as systemd's Restart= would start it."""
    if r.proc.poll() is None:
        stop(r.proc)
    r.proc = start_replica(r.port, r.env, r.log, r.cpus).proc  # in place: whoever holds it stops the new one
    return r


def wait_healthy(replicas: list[Replica], timeout: float = 120) -> None:
    deadline = time.time() + timeout
    for r in replicas:
        while not healthy(r.url):
            if time.time() > deadline or r.proc.poll() is not None:
                raise RuntimeError(f"replica on {r.url} did not start within {timeout:.0f} s")
            time.sleep(0.1)


@contextmanager
def replicas(n: int, data_dir: Path, workdir: Path, cpus: list[str] | None = None, env_extra: dict | None = None):
    env = replica_env(data_dir, secrets.token_hex(32), env_extra)
    started: list[Replica] = []
    try:
        for i in range(n):
            started.append(start_replica(free_port(), env, workdir / f"replica{i}.log",
                                         cpus[i % len(cpus)] if cpus else None))
        wait_healthy(started)
        yield started
    finally:
        for r in started:
            if r.proc.poll() is None:
                stop(r.proc)


@contextmanager
def object_store(kind: str, workdir: Path):
    """The store the replicas read: local disk (nothing to start), or S3 on SeaweedFS started by
    the object store's own launcher; yields the environment the replicas need."""
    if kind == "local":
        yield {}
        return
    try:  # the S3 store and its SeaweedFS launcher live with the store, not here
        from target_monitor.objectstore import start_seaweedfs
    except ImportError as exc:
        raise SystemExit(f"--store s3 needs target_monitor.objectstore (the S3 store): {exc}") from None
    server = start_seaweedfs(workdir / "seaweedfs")
    try:
        server.create_bucket("target-monitor-bench")
        yield server.env("target-monitor-bench", "cluster")
    finally:
        server.stop()


# ------------------------------------------------------------------ the data


def tier_data(tier: str, data_dir: Path | None, workdir: Path) -> Path:
    """A copy of the tier's data (generated once into benchmarks/data/<tier>, aggregates fresh)
    that the import may write to: hard links, as the store never rewrites a file in place."""
    from benchmarks.generate import generate
    from target_monitor.aggregates import is_fresh, refresh

    source = data_dir or (REPO / "benchmarks" / "data" / tier)
    if not (source / "extracts").is_dir():
        say(f"generating the {tier} tier into {source}")
        generate(tier, source)
    if not is_fresh(source):
        say("refreshing the aggregates")
        refresh(source, full=True)
    copy = workdir / "data"
    subprocess.run(["cp", "-al", str(source), str(copy)], check=True)
    return copy


@dataclass
class Plan:
    """What the sessions ask for: units and dates that exist in the data."""

    units: list[str]
    as_of: list[str]  # month ends to switch between
    year: int


def plan_for(data_dir: Path) -> Plan:
    import calendar
    from datetime import date

    from target_monitor.context import Context

    ctx = Context(data_dir)
    year = ctx.default_year()
    last = ctx.default_as_of(year)
    ends = [date(year, m, calendar.monthrange(year, m)[1]) for m in range(1, last.month)]
    leaves = [u.code for u in ctx.ref.units if u.parent_code and not ctx.ref.units.children(u.code)][:50]
    return Plan(units=leaves, as_of=[d.isoformat() for d in ends[-3:] or [last]] + [last.isoformat()], year=year)


def import_file(data_dir: Path, workdir: Path) -> tuple[Path, str]:
    """One unit's corrected month (its records of the last full month, one fewer), as a clerk would
    send it: a Parquet file and the month it replaces."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from target_monitor.tables_delta import committed_files

    files = committed_files(data_dir, "new_employment").files
    months = sorted({(p.parent.parent.name, p.parent.name) for p in files if p.parent.name.startswith("month=")})
    ym = months[-2] if len(months) > 1 else months[-1]
    part = [p for p in files if (p.parent.parent.name, p.parent.name) == ym]
    table = pq.read_table(part[0]) if len(part) == 1 else pq.ParquetDataset(part).read()
    codes = pc.cast(table.column("unit_code"), "string")
    unit = pc.min(codes).as_py()
    mine = table.filter(pc.equal(codes, unit))
    path = workdir / f"correction_{unit}.parquet"
    pq.write_table(mine.slice(1), path)
    return path, f"{ym[0][5:]}-{ym[1][6:]}"


def run_import(data_dir: Path, path: Path, period: str) -> dict:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-m", "target_monitor.cli", "ingest", str(path), "--extract",
                          "new_employment", "--replace-period", period, "--yes", "--data-dir", str(data_dir)],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    return {"seconds": time.time() - t0, "ended": time.time(), "exit": out.returncode,
            "output": (out.stdout + out.stderr)[-1500:]}


# ------------------------------------------------------------------ sessions


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    versions_seen: dict[int, set] = field(default_factory=dict)

    def ok(self, action: str, seconds: float) -> None:
        self.times.setdefault(action, []).append(seconds * 1000)

    def fail(self, action: str, message: str) -> None:
        self.errors[action] = self.errors.get(action, 0) + 1
        if len(self.messages) < 20:
            self.messages.append(f"{action}: {message}")


async def one_session(i: int, url: str, plan: Plan, stop_at: float, tally: Tally, think: tuple[float, float],
                      seed: int, min_actions: int = 0) -> None:
    """A session until `stop_at`, and until it has run `min_actions` actions (never more than 60 s
    past `stop_at`)."""
    from benchmarks.protocol import Session, first_cookie

    rng = random.Random(seed * 1000 + i)
    await asyncio.sleep(rng.uniform(0, think[1]))  # staggered arrivals
    order = list(ACTIONS)
    k = rng.randrange(len(order))
    s = None
    done = 0
    while time.time() < stop_at or (done < min_actions and time.time() < stop_at + 60):
        done += 1
        action = order[k % len(order)]
        k += 1
        try:
            if s is None:
                cookie = await asyncio.get_running_loop().run_in_executor(None, first_cookie, url)
                s = Session(url, cookie)
                await s.connect()
                first = await s.run("")  # the page a browser opens first
                tally.versions_seen.setdefault(i, set()).add(first.version)
            if action == "overview":
                r = await s.run("")
            elif action == "compare":
                r = await s.run("compare")
            elif action == "as_of":
                wid = s.widget_id("as_of_")
                if wid is None:
                    await s.run("")
                    wid = s.widget_id("as_of_")
                r = await s.run("", widget_values={wid: [rng.choice(plan.as_of)]})
            elif action == "unit":
                r = await s.run("unit", query=f"unit={rng.choice(plan.units)}")
            elif action == "records":
                r = await s.run("records", query=f"unit={rng.choice(plan.units)}")
            else:
                r = await s.run("meeting")
            tally.ok(action, r.seconds)
            if r.version:
                tally.versions_seen.setdefault(i, set()).add(r.version)
        except Exception as exc:  # RunFailed, a dropped connection, a refused one
            tally.fail(action, f"{type(exc).__name__}: {exc}"[:300])
            if s is not None:
                try:
                    await s.close()
                except Exception:
                    pass
            s = None
        await asyncio.sleep(rng.uniform(*think))
    if s is not None:
        await s.close()


async def watch_version(replica_url: str, new_version: str, since: float, timeout: float = 60) -> float | None:
    """Seconds from `since` until a run on this replica draws `new_version` (None: not within timeout)."""
    from benchmarks.protocol import Session

    s = Session(replica_url)
    await s.connect()
    try:
        while time.time() - since < timeout:
            r = await s.run("")
            if r.version == new_version:
                return time.time() - since
            await asyncio.sleep(0.1)
        return None
    finally:
        await s.close()


async def warm_up(urls: list[str], page: str = "") -> list[float]:
    """Seconds until each replica has run `page` once (a readiness check's first request)."""
    from benchmarks.protocol import Session

    async def one(url: str) -> float:
        t0 = time.time()
        s = Session(url, timeout=120)
        await s.connect()
        try:
            await s.run(page)
        finally:
            await s.close()
        return time.time() - t0

    return list(await asyncio.gather(*(one(u) for u in urls)))


# ------------------------------------------------------------------ browsers


def browser_loop(url: str, stop_at: float, tally: Tally, index: int, timeout_s: float = 120) -> None:
    from playwright.sync_api import sync_playwright

    from benchmarks.server import _POLL_JS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            page = context.new_page()
            paths = list(BROWSER_PAGES)
            k = index
            while k == index or time.time() < stop_at:  # one visit at least, however late the browser started
                path = paths[k % len(paths)]
                k += 1
                name = f"browser {path or 'overview'}"
                since = time.time()
                try:
                    page.goto(f"{url}/{path}", wait_until="commit")
                    got = page.wait_for_function(_POLL_JS, arg=[BROWSER_PAGES[path]], polling=25,
                                                 timeout=timeout_s * 1000).json_value()
                    if "error" in got:
                        tally.fail(name, got["error"][:300])
                    else:
                        tally.ok(name, max(got["marks"].values()) / 1000 - since)
                except Exception as exc:
                    tally.fail(name, f"{type(exc).__name__}: {exc}"[:300])
                time.sleep(1.0)
            page.goto("about:blank")
        finally:
            browser.close()


# ------------------------------------------------------------------ the run


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))]


def affinity(access_log: Path, upstreams: dict[str, int]) -> dict:
    """From nginx's log: requests per replica, and whether any affinity key reached two replicas."""
    by_key: dict[str, set] = {}
    per_replica = {i: 0 for i in upstreams.values()}
    for line in access_log.read_text().splitlines():
        m = re.search(r"route=(\S+) upstream=(.+) \S+$", line)
        if not m or m.group(2) == "-":
            continue
        ups = m.group(2).split(",")[-1].strip()  # after a failover nginx lists every try
        if ups in upstreams:
            per_replica[upstreams[ups]] += 1
            by_key.setdefault(m.group(1), set()).add(ups)
    cookies = {i: sum(upstreams.get(next(iter(v))) == i for v in by_key.values() if len(v) == 1) for i in per_replica}
    return {"requests": per_replica, "cookies": cookies, "keys": len(by_key),
            "keys_on_two_replicas": sum(len(v) > 1 for v in by_key.values())}


def run_cluster(n_replicas: int = 2, sessions: int = 10, tier: str = "district", store: str = "local",
                browsers: int = 3, duration: float = 60, data_dir: Path | None = None, cpus: list[str] | None = None,
                think: tuple[float, float] = (0.5, 2.0), seed: int = 1, workdir: Path | None = None,
                min_actions: int = 0) -> dict:
    t_start = time.time()
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tm_cluster_")))
        workdir.mkdir(parents=True, exist_ok=True)
        store_env = stack.enter_context(object_store(store, workdir))
        data = tier_data(tier, data_dir, workdir)
        if store_env:  # S3: the tier's tables go to the bucket; the local folders become the read cache
            from target_monitor.objectstore import copy_tables

            saved = {k: os.environ.get(k) for k in store_env}
            os.environ.update(store_env)  # this process plans and imports against the same store
            stack.callback(lambda: [os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
                                    for k, v in saved.items()])
            copy_tables(data)
        plan = plan_for(data)
        say(f"starting {n_replicas} replicas and nginx")
        t0 = time.time()
        reps = stack.enter_context(replicas(n_replicas, data, workdir, cpus, store_env))
        url, access_log = stack.enter_context(nginx(workdir, [f"127.0.0.1:{r.port}" for r in reps]))
        started_s = time.time() - t0
        # each replica's first run (imports on first connection, caches filled), as a readiness
        # check would do before a replica takes traffic: timed on its own, not in the figures
        warm = asyncio.run(warm_up([r.url for r in reps]))
        from target_monitor.store import data_version

        old_version = data_version(data)
        path, period = import_file(data, workdir)
        tally = Tally()
        stop_at = time.time() + duration
        threads = [threading.Thread(target=browser_loop, args=(url, stop_at, tally, i), daemon=True)
                   for i in range(browsers)]
        for th in threads:
            th.start()
        result: dict = {}

        async def drive():
            tasks = [asyncio.create_task(one_session(i, url, plan, stop_at, tally, think, seed, min_actions))
                     for i in range(sessions)]
            await asyncio.sleep(max(0.0, stop_at - duration / 2 - time.time()))
            say("import")
            load_at_import = os.getloadavg()[0]
            imp = await asyncio.get_running_loop().run_in_executor(None, run_import, data, path, period)
            new_version = data_version(data)
            imp.update(load=load_at_import, changed=new_version != old_version)
            watch = await asyncio.gather(*(watch_version(r.url, new_version, imp["ended"]) for r in reps),
                                         return_exceptions=True)
            result["import"] = imp
            result["version_s"] = [w if isinstance(w, float) else None for w in watch]
            result["new_version"], result["old_version"] = new_version, old_version
            await asyncio.gather(*tasks)

        say(f"{sessions} sessions and {browsers} browsers for {duration:.0f} s")
        load_before = os.getloadavg()[0]
        cpu_before = [r.cpu_seconds() for r in reps]
        asyncio.run(drive())
        for th in threads:
            th.join(timeout=max(5.0, stop_at + 150 - time.time()))
            if th.is_alive():
                tally.fail("browser", "still running 150 s after the end")
        load_after = os.getloadavg()[0]
        cpu_used = [r.cpu_seconds() - c for r, c in zip(reps, cpu_before)]
        upstream_index = {f"127.0.0.1:{r.port}": i for i, r in enumerate(reps)}
        result.update({
            "replicas": n_replicas, "sessions": sessions, "browsers": browsers, "tier": tier, "store": store,
            "duration_s": duration, "cpus": cpus, "start_s": started_s, "warm_up_s": warm, "plan_as_of": plan.as_of,
            "load": {"before": load_before, "after": load_after},
            "peak_rss_mb": [r.peak_rss_mb() for r in reps],
            # the replicas' CPU time during the load (the import's own process not included): a
            # server cost per action that a busy machine's waiting does not inflate
            "cpu_s": cpu_used,
            "affinity": affinity(access_log, upstream_index),
            "actions": {a: {"n": len(v), "p50": statistics.median(v), "p95": pct(v, 0.95), "max": max(v)}
                        for a, v in sorted(tally.times.items())},
            "errors": dict(tally.errors), "error_messages": tally.messages,
            "sessions_saw_new": sum(result.get("new_version") in v for v in tally.versions_seen.values()),
        })
        proto = [t for a, v in tally.times.items() if not a.startswith("browser") for t in v]
        result["p95_ms"] = pct(proto, 0.95) if proto else float("nan")
        served = len(proto) + sum(len(v) for a, v in tally.times.items() if a.startswith("browser"))
        result["cpu_ms_per_action"] = 1000 * sum(cpu_used) / served if served else float("nan")
        result["errors_total"] = sum(tally.errors.values()) + (0 if result.get("import", {}).get("exit") == 0 else 1) \
            + sum(v is None for v in result.get("version_s", [None]))
        result["wall_s"] = time.time() - t_start
    return result


def report(r: dict) -> list[str]:
    lines = [f"{r['replicas']} replicas, {r['sessions']} protocol sessions, {r['browsers']} browsers, tier {r['tier']}, "
             f"store {r['store']}, {r['duration_s']:.0f} s" + (f", cores {r['cpus']}" if r["cpus"] else "")
             + f"; started in {r['start_s']:.1f} s, first page on each "
               f"{', '.join(f'{w:.1f}' for w in r['warm_up_s'])} s; load average {r['load']['before']:.2f} before, "
               f"{r['load']['after']:.2f} after",
             "", "| action | n | p50 ms | p95 ms | max ms | errors |", "|---|---:|---:|---:|---:|---:|"]
    for a, s in r["actions"].items():
        lines.append(f"| {a} | {s['n']} | {s['p50']:.0f} | {s['p95']:.0f} | {s['max']:.0f} | {r['errors'].get(a, 0)} |")
    for a, n in r["errors"].items():
        if a not in r["actions"]:
            lines.append(f"| {a} | 0 | – | – | – | {n} |")
    lines.append("")
    for i, mb in enumerate(r["peak_rss_mb"]):
        lines.append(f"replica {i}: peak resident memory {mb:.0f} MB, {r['affinity']['requests'].get(i, 0)} "
                     f"requests through nginx from {r['affinity']['cookies'].get(i, 0)} affinity cookies")
    lines.append(f"replicas' CPU time during the load: {', '.join(f'{c:.1f}' for c in r['cpu_s'])} s; "
                 f"{r['cpu_ms_per_action']:.0f} ms of server CPU per action (first runs, watchers and the "
                 "version's cold caches included)")
    lines.append(f"affinity: {r['affinity']['keys']} cookies, {r['affinity']['keys_on_two_replicas']} reached two replicas")
    imp = r.get("import", {})
    lines.append(f"import: exit {imp.get('exit')}, {imp.get('seconds', 0):.1f} s (load {imp.get('load', 0):.2f}); "
                 f"version {r.get('old_version')} -> {r.get('new_version')}")
    shown = ", ".join("not within 60 s" if v is None else f"{v:.2f} s" for v in r.get("version_s", []))
    lines.append(f"new version shown by each replica after the import's commit: {shown}; "
                 f"{r['sessions_saw_new']} of {r['sessions']} sessions drew it before the end")
    for m in r["error_messages"]:
        lines.append(f"error: {m}")
    lines.append(f"p95 {r['p95_ms']:.0f} ms, errors {r['errors_total']}, sessions {r['sessions']}, replicas {r['replicas']}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--tier", choices=["district", "city", "province", "national"], default="district")
    ap.add_argument("--store", choices=["local", "s3"], default="local")
    ap.add_argument("--browsers", type=int, default=3, help="real headless Chromium browsers (default 3)")
    ap.add_argument("--duration", type=float, default=60, help="seconds of load (default 60; the whole run ≤3 min)")
    ap.add_argument("--data-dir", type=Path, help="the tier's data (default benchmarks/data/<tier>); never written")
    ap.add_argument("--cpus", help="taskset core lists, one per replica in turn, e.g. '0' (all on core 0) or '0;1'")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-actions", type=int, default=0,
                    help="each session runs at least this many actions (6: the whole mix), up to 60 s longer")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    a = ap.parse_args(argv)
    if a.duration > 150:
        ap.error("--duration above 150 s would take the run past 3 minutes")
    cpus = a.cpus.split(";") if a.cpus else None
    r = run_cluster(a.replicas, a.sessions, a.tier, a.store, a.browsers, a.duration, a.data_dir, cpus, seed=a.seed,
                    min_actions=a.min_actions)
    if a.json:
        a.json.write_text(json.dumps(r, indent=1, default=str))
    print("\n".join(report(r)), flush=True)
    return 0 if r["errors_total"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
