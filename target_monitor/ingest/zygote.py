"""A warm parent for the sandbox's child processes (a fork server).

Starting `python -m …` for every upload costs one to three seconds of interpreter start and
imports (pandas, pyarrow, the parsers) before the first byte is parsed; for a 200,000-row
Parquet file that is most of the time. The zygote is started once per server process, imports
the parsers once, and forks one child per upload. Each child is what the one-shot child was:
its own process with its own memory limit (RLIMIT_AS, set by the module's `_child` before it
reads the upload) and time limit (SIGKILL), stdin from /dev/null, stdout and stderr into
`child.log` in the upload's temporary folder, no STREAMLIT* variables in its environment. A
child that crashes, runs out of memory or is killed takes nothing else with it; the zygote
itself never reads an upload.

Protocol. The server holds one end of a SOCK_SEQPACKET socket pair with the zygote
(`python -c SERVE FD`, which calls `serve`). Per upload it makes a new socket pair, sends one
end with the request {module, folder, timeout_s, cwd, warm}. The zygote forks a *monitor* for
it, which forks the *worker* (it runs `module._child(folder)`), sends {"pid": N}, waits for the
worker at most timeout_s, kills it with SIGKILL after that, and sends the outcome:
{"status": "exit", "code": N}, {"status": "signal", "signal": N} or {"status": "timeout"}. If the
server goes away, the monitor kills its worker; if the server's end of the control socket
closes, the zygote exits.

Before forking, the zygote loads the reference data a request names (`warm`: units, rules and
header aliases of the data directory; trusted files, cached by their content), so that every
child starts with them in memory.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

PRELOAD = ("pyarrow", "pyarrow.compute", "pyarrow.ipc", "pyarrow.parquet", "pandas", "yaml", "python_calamine",
           "target_monitor.ingest.pipeline", "target_monitor.ingest.columnar", "target_monitor.ingest.sandbox",
           "target_monitor.targets_import")
SERVE = "import socket, sys; from target_monitor.ingest.zygote import serve; serve(socket.socket(fileno=int(sys.argv[1])))"
STARTUP_TIMEOUT_S = 300  # the first request waits for the imports (slow on a busy machine without .pyc files)
MARGIN_S = 30  # the monitor enforces the time limit; the server waits this much longer before it steps in

_lock = threading.Lock()
_state: dict = {"proc": None, "sock": None}


# --------------------------------------------------------------------------- server side


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT")}
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # no BLAS threads in a process that forks
    # A child lives for one upload and allocates many large temporary arrays: serve them from the
    # heap (no mmap, fresh zero pages and munmap for each) and keep what is freed. A third fewer
    # page faults, 10-15 ms of 90 for 200,000 rows. The heap counts against RLIMIT_AS all the same.
    env.setdefault("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=536870912")
    return env


def _start():
    try:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except OSError:  # no SOCK_SEQPACKET (macOS): the sandbox starts fresh interpreters
        return None
    try:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, str(theirs.fileno())],
                                pass_fds=(theirs.fileno(),), env=_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL)
    except OSError:
        ours.close()
        return None
    finally:
        theirs.close()
    _state.update(proc=proc, sock=ours)
    return ours


def _control():
    """The control socket of a running zygote (started on first use), or None."""
    with _lock:
        proc, sock = _state["proc"], _state["sock"]
        if proc is not None and proc.poll() is None:
            return sock
        _stop_locked()
        return _start()


def _stop_locked() -> None:
    proc, sock = _state["proc"], _state["sock"]
    _state.update(proc=None, sock=None)
    if sock is not None:
        sock.close()  # the zygote exits when its end closes
    if proc is not None:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stop() -> None:
    with _lock:
        _stop_locked()


atexit.register(stop)


def prestart() -> None:
    """Start the zygote now (it imports in the background), so the first upload does not wait."""
    if hasattr(os, "fork"):
        _control()


def run(module: str, folder: Path, timeout_s: float, warm: str | None = None) -> dict | None:
    """Run `module._child(folder)` in a forked child. The outcome ({"status": "exit", "code": N},
    {"status": "signal", "signal": N} or {"status": "timeout"}), or None when no zygote can run
    (the caller then starts a fresh interpreter)."""
    if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        return None
    request = json.dumps({"module": module, "folder": str(folder), "timeout_s": timeout_s, "cwd": os.getcwd(),
                          "warm": warm}).encode("utf-8")
    for _ in range(2):  # a zygote that died (killed, out of memory) is restarted once
        control = _control()
        if control is None:
            return None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with _lock:
                socket.send_fds(control, [request], [theirs.fileno()])
        except OSError:
            ours.close()
            stop()
            continue
        finally:
            theirs.close()
        with ours:
            ours.settimeout(STARTUP_TIMEOUT_S)
            try:
                hello = ours.recv(4096)
            except (TimeoutError, OSError):
                hello = b""
            if not hello:  # the zygote died before forking: start another
                stop()
                continue
            pid = json.loads(hello)["pid"]
            ours.settimeout(timeout_s + MARGIN_S)
            try:
                answer = ours.recv(4096)
            except (TimeoutError, OSError):
                answer = b""
            if answer:
                return json.loads(answer)
            try:  # the monitor is gone or hung: make sure the worker is too
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            return {"status": "signal", "signal": signal.SIGKILL}
    return None


# --------------------------------------------------------------------------- zygote side


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional parser is imported (and fails) in the child
            pass
    try:
        from target_monitor.registry import load_registry

        load_registry()
    except Exception:  # noqa: BLE001 - the child reports it
        pass


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's: it closes the socket, we follow
    _preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(control, 65536, 4)
        except InterruptedError:
            continue
        except OSError:
            return
        if not msg:
            for fd in fds:
                os.close(fd)
            return  # the server went away
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            continue
        req = json.loads(msg)
        if req.get("warm"):
            try:
                from target_monitor.ingest.pipeline import warm_reference

                warm_reference(Path(req["warm"]))
            except Exception:  # noqa: BLE001 - the child loads (and reports) it itself
                pass
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _monitor(req, fds[0])
            except BaseException:  # noqa: BLE001 - a monitor never returns into the zygote's loop
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])


def _monitor(req: dict, fd: int) -> None:
    """Fork the worker, wait for it at most timeout_s, report how it ended. The worker never
    outlives its monitor's watch: timeout, a server that went away, or any error here kill it."""
    conn = socket.socket(fileno=fd)
    pid = os.fork()
    if pid == 0:
        conn.close()
        _worker(req)
    outcome = None
    try:
        conn.sendall(json.dumps({"pid": pid}).encode())
        deadline = time.monotonic() + float(req["timeout_s"])
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        while outcome is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if pidfd is not None:
                ready, _, _ = select.select([pidfd, conn], [], [], remaining)
            else:
                ready, _, _ = select.select([conn], [], [], min(remaining, 0.01))
            if conn in ready:  # the server went away (or gave up): stop the worker
                break
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                outcome = _status(status)
    finally:
        if outcome is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(pid, 0)
            outcome = {"status": "timeout"}
    try:
        conn.sendall(json.dumps(outcome).encode())
    except OSError:
        pass


def _status(status: int) -> dict:
    if os.WIFSIGNALED(status):
        return {"status": "signal", "signal": os.WTERMSIG(status)}
    return {"status": "exit", "code": os.WEXITSTATUS(status)}


_OUT_OF_MEMORY = b"\nMemoryError\n"  # written by a child that ran out of memory (made before the limit)


def _worker(req: dict) -> None:
    code = 1
    try:
        folder = Path(req["folder"])
        os.chdir(req["cwd"])
        log = os.open(folder / "child.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        for key in [k for k in os.environ if k.startswith("STREAMLIT")]:
            del os.environ[key]
        import importlib

        sys.argv = [req["module"], str(folder)]
        code = importlib.import_module(req["module"])._child(folder)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except MemoryError:
        # at the address-space limit even formatting a traceback fails (the child then ended with
        # exit 1 and an empty log, reported as a crash): say it without allocating anything
        os.write(2, _OUT_OF_MEMORY)
        code = 1
    except BaseException:  # noqa: BLE001 - the log says what happened; the server reads it
        try:
            import traceback

            traceback.print_exc()
        except MemoryError:
            os.write(2, _OUT_OF_MEMORY)
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code or 0)
