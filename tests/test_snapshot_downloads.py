"""A snapshot's files are downloaded by role (the reports by roles that see every unit's figures,
the manifest by the 管理员) and every download, or refusal, leaves an audit line."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from target_monitor import access
from target_monitor.access import audit
from target_monitor.snapshots import build_snapshot, find_snapshot
from target_monitor.snapshots.downloads import FILES, MANIFEST, REPORTS, may_download, snapshot_file, table_download


@pytest.fixture(scope="session")
def snap(demo_dir, built_once, tmp_path_factory):
    """June 2020 with its CSV and Excel report (no PDF: the charts are not what is tested here), built
    once for the session and copied once per worker (the downloads write audit lines)."""
    def build(folder):
        d = folder / "data"
        shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("logs", "snapshots"))
        build_snapshot(d, "2020-06", pdf=False)

    shared = built_once("snapshot_downloads", build)
    d = tmp_path_factory.mktemp("snapdl") / "data"
    shutil.copytree(shared / "data", d, ignore=shutil.ignore_patterns("logs"))
    return d, find_snapshot(d, "2020-06")


@pytest.fixture(scope="session")
def users(snap):
    config = access.load_access(snap[0])
    return {u: access.actor_for_user(u, config) for u in
            ("admin@demo", "leader@demo", "analyst@demo", "reviewer@demo", "clerk.yangjiaping@demo")}


def test_who_may_download_what(users):
    allowed = {u: {n for n in (*FILES, "comparison") if may_download(a, n)} for u, a in users.items()}
    assert allowed["admin@demo"] == {*FILES, "comparison"}
    for user in ("leader@demo", "analyst@demo", "reviewer@demo"):  # every unit's figures, not the server's files
        assert allowed[user] == {*REPORTS, "comparison"}, user
    assert allowed["clerk.yangjiaping@demo"] == set()  # the district's report is not a unit clerk's
    assert not any(may_download(None, n) for n in FILES)  # no actor: nothing (fail closed)
    assert not may_download(users["admin@demo"], "facts.parquet")  # the frozen tables are never offered


def test_every_download_leaves_an_audit_line(snap, users):
    data, info = snap
    leader = users["leader@demo"]
    body = snapshot_file(data, leader, info, "progress.csv")
    assert body == (info.path / "progress.csv").read_bytes()
    line = audit.read(data, action="download").iloc[-1]
    detail = json.loads(line["detail"])
    assert (line["user"], line["role"], line["object"]) == ("leader@demo", "leader", "snapshot 2020-06/progress.csv")
    assert detail["bytes"] == len(body)
    assert detail["rows"] == len(pd.read_csv(info.path / "progress.csv")) > 0

    snapshot_file(data, leader, info, "report.xlsx")
    assert json.loads(audit.read(data, action="download").iloc[-1]["detail"])["bytes"] == \
        (info.path / "report.xlsx").stat().st_size

    table = pd.DataFrame({"unit_code": ["500107-01", "500107-02"], "actual": [1, 2]})
    out = table_download(data, leader, "snapshot movement 2020-06 live", table, lambda df: df.to_csv().encode())
    line = audit.read(data, action="download").iloc[-1]
    assert line["object"] == "snapshot movement 2020-06 live"
    assert json.loads(line["detail"]) == {"rows": 2, "bytes": len(out)}


@pytest.mark.parametrize("user, name", [("clerk.yangjiaping@demo", "progress.csv"),
                                        ("clerk.yangjiaping@demo", "report.xlsx"),
                                        ("leader@demo", MANIFEST),
                                        ("admin@demo", "../../reference/access.yaml")])
def test_a_refused_download_gives_nothing_and_is_recorded(snap, users, user, name):
    data, info = snap
    before = len(audit.read(data, action="refused"))
    with pytest.raises(PermissionError):
        snapshot_file(data, users[user], info, name)
    refused = audit.read(data, action="refused")
    assert len(refused) == before + 1
    last = refused.iloc[-1]
    assert (last["user"], last["object"], last["outcome"]) == (user, f"snapshot 2020-06/{name}", "refused")
    assert audit.read(data, user=user, action="download").empty or \
        f"2020-06/{name}" not in set(audit.read(data, user=user, action="download")["object"])
