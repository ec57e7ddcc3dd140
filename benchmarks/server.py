"""A real server: `streamlit run app.py` over a tier's data, its pages opened in headless Chromium.

    uv run python -m benchmarks.run --tier national --data-dir /tmp/rp/national --server-only [--starts 3]

What AppTest cannot show (the goals: server memory ≤1 GB, first page after start ≤2 s). Each
measurement is one fresh browser profile (an empty HTTP cache) and a fresh server:
- the time from launching `streamlit run app.py` (Popen) until /_stcore/health answers, and
  until the overview's content (its headline and first bullet chart) is visible in a browser
  that asks for it as soon as the server is healthy: the first page after a fresh start
  (Python's imports, the first script run, the front end's JavaScript and the charts);
- each page's time in the browser, from the request until its content is visible and until
  its script run is over: first visit after the start (Streamlit's caches cold, except what the
  overview already filled, as for a user) and a second visit (warm). Every visit is a new page
  load, so a new session;
- the server process's peak resident memory (`VmHWM` of /proc/<pid>/status of the Python
  process running streamlit) after every visit, its resident memory at the end (`VmRSS`), and
  any child process's memory on its own (pages should start none);
- then the server is restarted on the same port and the same browser (its HTTP cache now
  holds Streamlit's JavaScript) opens the overview again: the first page after a restart for a
  user who has used the dashboard before.

Times are medians over `starts`, memory the maximum. A page whose content does not show (an
exception on the page, nothing rendered within the timeout) raises: a failure never becomes a
number.

Python's bytecode: without .pyc files (uv installs none unless asked, and PYTHONDONTWRITEBYTECODE
stops Python from writing them) every start compiles streamlit, pandas, plotly … from source,
~2.5 s on this machine. `bytecode=DIR` compiles the environment once into DIR
(PYTHONPYCACHEPREFIX) and runs the server with it, as an installation with compiled bytecode
(`pip install`, `uv sync --compile-bytecode`) would.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from tests.serve import CHROMIUM, CHROMIUM_ARGS, REPO, free_port, healthy, stop, streamlit_argv

# page file -> URL path (app.py's st.Page url_path); the first page after start is "/", the overview
PAGE_PATHS = {
    "overview.py": "overview",
    "compare.py": "compare",
    "trend.py": "trend",
    "unit_detail.py": "unit",
    "explore.py": "explore",
}
CHART = "[data-testid='stPlotlyChart'] .main-svg"
DATAFRAME = "[data-testid='stDataFrame']"
# what shows a page has rendered: every selector has a visible element (the first: the page's text)
CONTENT = {
    "overview.py": [".tm-headline", CHART],  # the headline sentences and the first bullet chart
    "compare.py": [DATAFRAME, CHART],  # the task breakdown table and the ranked bars
    "trend.py": ["h1", CHART],  # the root's trend chart
    "unit_detail.py": [DATAFRAME, CHART],  # the unit's table and its first trend chart
    "explore.py": [DATAFRAME, CHART],  # the pivot and its chart (an empty pivot shows neither)
}

# Polled in the page every 25 ms: notes (Date.now()) when each selector first shows a visible element
# and when the script run is over; done when both. An exception on the page ends it at once.
_POLL_JS = """([selectors]) => {
  const b = (window.__bench = window.__bench || {marks: {}, seenRunning: false});
  const now = Date.now();
  const error = document.querySelector("[data-testid='stException']");
  if (error) return {error: error.innerText.slice(0, 800)};
  const visible = (s) => Array.from(document.querySelectorAll(s)).some((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
  });
  for (const s of selectors) if (!(s in b.marks) && visible(s)) b.marks[s] = now;
  const content = selectors.every((s) => s in b.marks);
  const app = document.querySelector("[data-testid='stApp']");
  const state = app && app.getAttribute("data-test-script-state");
  if (state === "running") b.seenRunning = true;
  if (b.runOver === undefined && state === "notRunning" && (b.seenRunning || content)) b.runOver = now;
  return content && b.runOver !== undefined ? {marks: b.marks, runOver: b.runOver} : false;
}"""


class PageFailed(RuntimeError):
    pass


def proc_status(pid: int) -> dict[str, int]:
    """The Vm* lines of /proc/<pid>/status, in kB (VmHWM: peak resident, VmRSS: resident now)."""
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key.startswith("Vm") and value.strip().endswith("kB"):
                out[key] = int(value.split()[0])
    return out


def descendants(pid: int) -> list[int]:
    """Every descendant of `pid` (/proc/<pid>/task/*/children, recursively)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [g for c in found for g in descendants(c)]


def child_memory(pid: int) -> list[dict]:
    out = []
    for child in descendants(pid):
        try:
            status = proc_status(child)
            cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # gone meanwhile
        out.append({"pid": child, "cmdline": cmd[:200], "peak_rss_mb": status.get("VmHWM", 0) / 1024,
                    "rss_mb": status.get("VmRSS", 0) / 1024})
    return out


def has_bytecode() -> bool:
    """Whether the environment's packages have compiled bytecode next to them (streamlit's, as a sample)."""
    import streamlit

    return any((Path(streamlit.__file__).parent / "__pycache__").glob(f"*.{sys.implementation.cache_tag}.pyc"))


def compile_bytecode(prefix: Path) -> float:
    """Compile site-packages and the project into `prefix` (PYTHONPYCACHEPREFIX); seconds taken
    (nothing to do when it is up to date)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", sysconfig.get_paths()["purelib"],
                    str(REPO / "target_monitor"), str(REPO / "app.py"), str(REPO / "pages")],
                   env=env, check=False, stdout=subprocess.DEVNULL)  # a few test files of packages do not compile
    return time.perf_counter() - t0


def _wait(page, name: str, since: float, timeout_s: float) -> dict:
    """Seconds from `since` (time.time()) until each content selector first showed, all of them
    (`content_s`), and the script run was over (`run_over_s`)."""
    try:
        got = page.wait_for_function(_POLL_JS, arg=[CONTENT[name]], polling=25, timeout=timeout_s * 1000).json_value()
    except Exception as exc:  # Playwright's TimeoutError
        raise PageFailed(f"{name}: {CONTENT[name]} not all shown, or the script run not over, within "
                         f"{timeout_s:.0f} s ({page.url})") from exc
    if "error" in got:
        raise PageFailed(f"{name}: exception on the page: {got['error']}")
    marks = {s: got["marks"][s] / 1000 - since for s in CONTENT[name]}
    return {"text_s": marks[CONTENT[name][0]], "content_s": max(marks.values()),
            "run_over_s": got["runOver"] / 1000 - since}


def _visit(page, url: str, name: str, timeout_s: float) -> dict:
    since = time.time()
    page.goto(f"{url}/{PAGE_PATHS[name]}", wait_until="commit")
    return _wait(page, name, since, timeout_s)


def one_start(page, data_dir: Path, pages: list[str], port: int, *, env: dict, timeout_s: float = 300,
              log_dir: Path | None = None) -> dict:
    """Start a fresh server on `port`, open the overview ("/") as soon as it is healthy, then
    every other page of `pages` (first visits) and every page again (second visits)."""
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="bench_server_", suffix=".log", dir=log_dir)[1])
    r: dict = {"load_before": os.getloadavg()[0]}
    page.goto("about:blank")
    with open(log, "w") as out:
        t0 = time.time()
        proc = subprocess.Popen(streamlit_argv(port), cwd=REPO, env={**env, "TARGET_MONITOR_DATA": str(data_dir)},
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            while not healthy(url):
                if time.time() - t0 > timeout_s or proc.poll() is not None:
                    raise RuntimeError(f"streamlit did not start on {url} within {timeout_s:.0f} s; log: {log}")
                time.sleep(0.05)
            r["health_s"] = time.time() - t0
            asked = time.time()
            page.goto(url + "/", wait_until="commit")  # the default page: the overview
            first = _wait(page, "overview.py", t0, timeout_s)
            r["first_page"] = first  # from Popen
            r["peak_rss_mb_after_first_page"] = proc_status(proc.pid)["VmHWM"] / 1024
            shift = asked - t0
            visits = {"overview.py": [{k: v - shift for k, v in first.items()}]}
            for name in pages[1:]:
                visits[name] = [_visit(page, url, name, timeout_s)]
            if len(pages) > 1:
                for name in pages:
                    visits[name].append(_visit(page, url, name, timeout_s))
            page.goto("about:blank")  # no reconnect to a restarted server
            status = proc_status(proc.pid)
            r.update(peak_rss_mb=status["VmHWM"] / 1024, rss_mb=status["VmRSS"] / 1024,
                     children=child_memory(proc.pid), visits=sum(len(v) for v in visits.values()), pages=visits)
        except PageFailed as exc:
            out.flush()
            raise PageFailed(f"{exc}\n--- server log ({log}) ---\n{log.read_text(errors='replace')[-3000:]}") from exc
        finally:
            stop(proc)
    log.unlink()  # kept when something failed (the error names it)
    return r


def server_times(data_dir: Path, starts: int = 1, pages: list[str] | None = None, *, bytecode: Path | None = None,
                 restart: bool = True, timeout_s: float = 300, log_dir: Path | None = None, say=None) -> dict:
    """`starts` × (a fresh browser profile, a fresh server, every page twice; then, with `restart`,
    the server restarted and the overview opened again in the same browser). The server's log
    goes to a temporary file in `log_dir` (default: the system's), kept when a start fails.

    Times in the result are medians over the starts (pages in ms), memory the maximum; the
    first page's samples are kept (`*_all`)."""
    from playwright.sync_api import sync_playwright

    pages = pages or list(PAGE_PATHS)
    assert pages[0] == "overview.py", "the first page after start is the overview"
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is not installed (Debian's chromium)")
    env = dict(os.environ)
    compiled = None
    if bytecode is not None:
        compiled = compile_bytecode(Path(bytecode))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    runs, restarts = [], []
    with sync_playwright() as p:
        for i in range(starts):
            with tempfile.TemporaryDirectory(prefix="bench_chromium_") as profile:
                browser = p.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport={"width": 1600, "height": 1000})
                try:
                    page = browser.pages[0] if browser.pages else browser.new_page()
                    port = free_port()
                    if say:
                        say(f"server: fresh start {i + 1} of {starts}")
                    runs.append(one_start(page, Path(data_dir), pages, port, env=env, timeout_s=timeout_s,
                                          log_dir=log_dir))
                    if restart:
                        if say:
                            say(f"server: restart {i + 1} of {starts} (browser cache warm)")
                        restarts.append(one_start(page, Path(data_dir), pages[:1], port, env=env,
                                                  timeout_s=timeout_s, log_dir=log_dir))
                finally:
                    browser.close()

    def med(values):
        return statistics.median(values)

    peak = max(runs, key=lambda r: r["peak_rss_mb"])
    out = {
        "starts": starts,
        "bytecode": (f"compiled into {bytecode} (PYTHONPYCACHEPREFIX; compileall {compiled:.1f} s)" if compiled
                     is not None else "in the environment" if has_bytecode() else
                     "none: every start compiles the packages from source"),
        "health_s": med([r["health_s"] for r in runs]),
        "health_s_all": [r["health_s"] for r in runs],
        "first_page_s": med([r["first_page"]["content_s"] for r in runs]),
        "first_page_s_all": [r["first_page"]["content_s"] for r in runs],
        "first_page_text_s": med([r["first_page"]["text_s"] for r in runs]),
        "first_page_run_over_s": med([r["first_page"]["run_over_s"] for r in runs]),
        # page -> (first visit content, second visit content, first visit run over, second visit run over), ms
        "pages_ms": {name: tuple(med([r["pages"][name][v][k] for r in runs]) * 1000
                                 for k, v in (("content_s", 0), ("content_s", -1), ("run_over_s", 0),
                                              ("run_over_s", -1)))
                     for name in pages},
        "peak_rss_mb": peak["peak_rss_mb"],
        "peak_rss_mb_all": [r["peak_rss_mb"] for r in runs],
        "peak_rss_mb_after_first_page": max(r["peak_rss_mb_after_first_page"] for r in runs),
        "rss_mb": peak["rss_mb"],
        "children": peak["children"],
        "visits": peak["visits"],
        "pages": len(pages),
        "load_before": [r["load_before"] for r in runs + restarts],
    }
    if restarts:
        out.update({
            "restart_health_s": med([r["health_s"] for r in restarts]),
            "restart_first_page_s": med([r["first_page"]["content_s"] for r in restarts]),
            "restart_first_page_s_all": [r["first_page"]["content_s"] for r in restarts],
            "restart_first_page_text_s": med([r["first_page"]["text_s"] for r in restarts]),
            "restart_peak_rss_mb_after_first_page": max(r["peak_rss_mb_after_first_page"] for r in restarts),
        })
    return out


def to_markdown(s: dict) -> list[str]:
    """The server's lines for run.to_markdown."""
    def each(key):
        values = s.get(key + "_all", [])
        return "" if len(values) < 2 else f" (each: {', '.join(f'{v:.2f}' for v in values)})"

    kids = "; ".join(f"`{c['cmdline'][:60]}` {c['peak_rss_mb']:.0f} MB" for c in s["children"])
    lines = [
        f"Server (`streamlit run app.py`, fresh start, median of {s['starts']}; Python bytecode: {s['bytecode']}): "
        f"healthy after {s['health_s']:.2f} s{each('health_s')}; overview shown after {s['first_page_s']:.2f} s"
        f"{each('first_page_s')} (its headline after {s['first_page_text_s']:.2f} s, script run over after "
        f"{s['first_page_run_over_s']:.2f} s; a fresh browser profile); peak resident memory "
        f"{s['peak_rss_mb']:.0f} MB (VmHWM; {s['peak_rss_mb_after_first_page']:.0f} MB after the first page) "
        f"after serving {s['pages']} pages ({s['visits']} page loads), {s['rss_mb']:.0f} MB resident at the end; "
        + (f"child processes (peak): {kids}." if kids else "no child processes."),
    ]
    if "restart_first_page_s" in s:
        lines[0] += (f" Restarted, with the browser's cache warm: healthy after {s['restart_health_s']:.2f} s, "
                     f"overview shown after {s['restart_first_page_s']:.2f} s{each('restart_first_page_s')} "
                     f"(headline after {s['restart_first_page_text_s']:.2f} s).")
    lines[0] += f" Load average (1 min) before each start: {', '.join(f'{v:.2f}' for v in s['load_before'])}."
    lines += ["", "| page in the browser | first visit: content shown ms | second visit: content shown ms "
              "| first visit: script run over ms | second visit: script run over ms |", "|---|---:|---:|---:|---:|"]
    for name, (cold, warm, cold_done, warm_done) in s["pages_ms"].items():
        lines.append(f"| `{name}` | {cold:.0f} | {warm:.0f} | {cold_done:.0f} | {warm_done:.0f} |")
    return lines
