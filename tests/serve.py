"""The dashboard as browser tests use it: a real `streamlit run app.py` on 127.0.0.1.

One helper for every browser test, so each gets a free port from the OS (never a fixed one a
leftover process could hold), the same Chromium flags, and the same clean shutdown.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=5) as r:
            return r.read() == b"ok"
    except OSError:
        return False


def streamlit_argv(port: int) -> list[str]:
    """`streamlit run app.py` headless on 127.0.0.1:`port` (browser tests and benchmarks/server.py)."""
    return [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
            "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]


def stop(proc: subprocess.Popen) -> None:
    """Stop a server: SIGTERM, and SIGKILL if it is still there after 30 s."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def streamlit_server(data_dir: Path, *, log: Path | None = None, start_timeout: float = 60) -> Iterator[str]:
    """Serve app.py over `data_dir`; yields the base URL once /_stcore/health answers."""
    port = free_port()
    env = {**os.environ, "TARGET_MONITOR_DATA": str(data_dir)}
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)  # a test run on its own has no artifacts folder yet
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(streamlit_argv(port), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + start_timeout
        while not healthy(url):
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"streamlit did not start on {url} within {start_timeout:.0f} s")
            time.sleep(0.25)
        yield url
    finally:
        stop(proc)
        if log:
            out.close()
