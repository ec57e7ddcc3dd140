"""The product in a child process without paying for its imports each time.

A test that runs `python -m target_monitor.cli …` (or a driver script) in a child process spends
about 3 s of CPU importing pandas, pyarrow, DuckDB and delta-rs before the first line runs. Here one
warm process per xdist worker imports them once and forks a child per run: each run is still its
own process (its own exit code, stdout and stderr, environment and working directory, killable
with SIGKILL mid-run), it only starts with the imports already done. `run_module` and
`run_code` return what `subprocess.run(..., capture_output=True, text=True)` returns.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ZYGOTE = r'''
import json, os, runpy, sys, traceback
import target_monitor.cli  # noqa: F401 - what every child would import first
from target_monitor.ingest import ingest  # noqa: F401

replies = sys.stdout
for line in sys.stdin:
    req = json.loads(line)
    rid = req["id"]
    pid = os.fork()
    if pid == 0:  # the run: a process of its own, started from the warm imports
        code = 1
        try:
            os.setpgid(0, 0)
            os.chdir(req["cwd"])
            os.environ.clear()
            os.environ.update(req["env"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.dup2(err, 2)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False, errors="backslashreplace")
            try:
                if "module" in req:  # python -m module args…
                    sys.argv = [req["module"], *req["args"]]
                    sys.modules.pop(req["module"], None)  # run afresh as __main__, as -m does (its imports stay warm)
                    runpy.run_module(req["module"], run_name="__main__", alter_sys=True)
                else:  # python -c code args…
                    sys.argv = ["-c", *req["args"]]
                    exec(compile(req["code"], "<string>", "exec"), {"__name__": "__main__"})
                code = 0
            except SystemExit as exc:
                if exc.code is None or isinstance(exc.code, int):
                    code = exc.code or 0
                else:
                    print(exc.code, file=sys.stderr)
                    code = 1
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    replies.write(json.dumps({"id": rid, "pid": pid}) + "\n")
    replies.flush()
    _, status = os.waitpid(pid, 0)
    replies.write(json.dumps({"id": rid, "returncode": os.waitstatus_to_exitcode(status)}) + "\n")
    replies.flush()
'''

_zygote: subprocess.Popen | None = None
_scratch = Path(tempfile.mkdtemp(prefix="warm-"))


def _stop() -> None:
    if _zygote is not None and _zygote.poll() is None:
        _zygote.stdin.close()
        try:
            _zygote.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _zygote.kill()


def _warm() -> subprocess.Popen:
    global _zygote
    if _zygote is None or _zygote.poll() is not None:
        _zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE], cwd=REPO, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        _pending.clear()
        _unclaimed.clear()
        atexit.register(_stop)
    return _zygote


_pending = bytearray()  # bytes read from the warm process and not yet a whole reply
_unclaimed: dict[tuple[int, str], dict] = {}  # replies read that belong to another run
_ids = iter(range(1, 1 << 62))


def _reply(rid: int, key: str, timeout: float | None) -> dict:
    """Run `rid`'s reply carrying `key` ("pid" or "returncode"), read without Python's buffering so
    that a reply already read never hides behind select(). Replies are tagged with their run: a
    run a test abandoned (an assertion failed before its wait) leaves its exit reply behind, and
    the next run must not take it for its own."""
    if (rid, key) in _unclaimed:
        return _unclaimed.pop((rid, key))
    z = _warm()
    fd = z.stdout.fileno()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        while b"\n" not in _pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the warm process ended (exit {z.wait()})")
            _pending.extend(chunk)
        line, _, rest = bytes(_pending).partition(b"\n")
        _pending[:] = rest
        reply = json.loads(line)
        got = (reply["id"], "pid" if "pid" in reply else "returncode")
        if got == (rid, key):
            return reply
        _unclaimed[got] = reply


class Run:
    """A started run: `pid` (kill it as any process), `wait()` for its exit code."""

    def __init__(self, request: dict, stdout: Path, stderr: Path):
        self.stdout_path, self.stderr_path = stdout, stderr
        z = _warm()
        self.id = next(_ids)
        z.stdin.write(json.dumps({**request, "id": self.id}) + "\n")
        z.stdin.flush()
        # no time limit: the first run waits for the warm process's imports (a minute on a loaded
        # machine); a warm process that dies ends the wait (end of file)
        self.pid = _reply(self.id, "pid", None)["pid"]
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            try:
                self.returncode = _reply(self.id, "returncode", timeout)["returncode"]
            except TimeoutError:
                os.killpg(self.pid, signal.SIGKILL)
                _reply(self.id, "returncode", None)
                raise subprocess.TimeoutExpired("warm run", timeout) from None
        return self.returncode


def start(*, module: str | None = None, code: str | None = None, args=(), cwd: Path = REPO,
          env: dict | None = None, stdout: Path | None = None, stderr: Path | None = None) -> Run:
    """Start `python -m module args…` or `python -c code args…` as a fork of the warm process.
    stdout/stderr: files (or FIFOs) to write to; by default fresh files in a scratch folder."""
    fd, out = tempfile.mkstemp(dir=_scratch)
    os.close(fd)
    fd, err = tempfile.mkstemp(dir=_scratch)
    os.close(fd)
    request = {"args": [str(a) for a in args], "cwd": str(cwd), "env": dict(os.environ if env is None else env),
               "stdout": str(stdout or out), "stderr": str(stderr or err)}
    request.update({"module": module} if module else {"code": code})
    return Run(request, Path(stdout or out), Path(stderr or err))


def _completed(run: Run, argv: list, timeout: float | None) -> subprocess.CompletedProcess:
    code = run.wait(timeout)
    out = run.stdout_path.read_text(encoding="utf-8", errors="replace")
    err = run.stderr_path.read_text(encoding="utf-8", errors="replace")
    run.stdout_path.unlink(missing_ok=True)
    run.stderr_path.unlink(missing_ok=True)
    return subprocess.CompletedProcess(argv, code, out, err)


def run_module(module: str, *args, cwd: Path = REPO, timeout: float | None = 300) -> subprocess.CompletedProcess:
    """As `subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)`."""
    return _completed(start(module=module, args=args, cwd=cwd), [sys.executable, "-m", module, *map(str, args)],
                      timeout)


def run_code(code: str, *args, cwd: Path = REPO, timeout: float | None = 300) -> subprocess.CompletedProcess:
    """As `subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)`."""
    return _completed(start(code=code, args=args, cwd=cwd), [sys.executable, "-c", code, *map(str, args)], timeout)
