"""The same tests on SeaweedFS: a parameter that runs a test against the object store.

    @pytest.fixture(params=["local", pytest.param("s3", marks=ON_SEAWEED)])
    def d(request, ...):
        if request.param == "s3":
            on_object_store(d, request.getfixturevalue("seaweedfs"), monkeypatch, prefix=...)

The `seaweedfs` fixture (tests/conftest.py) starts one real SeaweedFS; ON_SEAWEED puts every test
that uses it on the same xdist worker, so it starts once per session.
"""

from __future__ import annotations

import uuid

import pytest

SEAWEED_BUCKET = "target-monitor-tests"
ON_SEAWEED = (pytest.mark.xdist_group("seaweedfs"),)  # one server for the session, on one worker


def on_object_store(data_dir, server, monkeypatch, prefix: str | None = None) -> str:
    """Move the data directory's extract tables to the object store under `prefix` (default a new
    one) and point this process at it (TARGET_MONITOR_STORE and the AWS variables). Returns the
    store's s3:// location."""
    from target_monitor.objectstore import copy_tables

    prefix = prefix or f"t{uuid.uuid4().hex[:12]}"
    env = server.env(SEAWEED_BUCKET, prefix)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    copy_tables(data_dir)
    return env["TARGET_MONITOR_STORE"]
