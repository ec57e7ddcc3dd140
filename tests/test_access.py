"""Access: roles and default deny, actors from access.yaml and OIDC claims, the scope in every
read path (a clerk must never get another unit's records), the CLI's --as, the audit trail."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from target_monitor import access, records
from target_monitor.access import audit
from target_monitor.cli import main

YANGJIAPING = "500107-01"
CLERK = "clerk.yangjiaping@demo"


@pytest.fixture(scope="module")
def config(demo_dir):
    return access.load_access(demo_dir)


@pytest.fixture(scope="module")
def clerk(config):
    return access.actor_for_user(CLERK, config)


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# --- roles and allowed() ------------------------------------------------------------------------


def test_every_demo_role_has_a_user(config):
    roles = {access.actor_for_user(u, config).role_code for u in config.users}
    assert roles == set(access.ROLES)


def test_default_deny():
    assert not access.allowed(None, "page:overview")
    nobody = access.Actor("x@y", None)
    assert not access.allowed(nobody, "view_figures")
    assert not access.allowed(access.local_operator(), "no_such_action")


@pytest.mark.parametrize("user, pages", [
    ("admin@demo", set(access.ALL_PAGES)),
    ("leader@demo", {"overview", "compare", "trend", "unit", "meeting", "ranking", "scores", "briefing", "snapshots",
                     "reporting", "duban"}),
    ("analyst@demo", {"overview", "compare", "trend", "unit", "meeting", "ranking", "scores", "briefing",
                      "records", "explore", "console", "snapshots", "duban"}),
    ("reviewer@demo", {"overview", "compare", "trend", "unit", "ranking", "records", "data", "submissions",
                       "reporting", "duban"}),
    # snapshots: the clerk's own unit's pack only (pages/snapshots.py)
    (CLERK, {"unit", "records", "data", "compare", "ranking", "submissions", "reporting", "duban", "snapshots"}),
    ("leader.yangjiaping@demo", {"unit", "submissions", "reporting"}),
])
def test_pages_per_role(config, user, pages):
    assert set(access.actor_for_user(user, config).pages()) == pages


def test_clerk_uploads_for_its_own_unit_only(clerk):
    assert access.allowed(clerk, "upload", "unit:" + YANGJIAPING)
    assert not access.allowed(clerk, "upload", "unit:500107-02")
    assert not access.allowed(clerk, "import_targets")
    assert not access.allowed(clerk, "page:console")


def test_clerks_without_other_units(demo_dir, tmp_path):
    ref = tmp_path / "reference"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "reference", ref)
    text = (ref / "access.yaml").read_text(encoding="utf-8").replace("clerks_see_other_units: true",
                                                                     "clerks_see_other_units: false")
    (ref / "access.yaml").write_text(text, encoding="utf-8")
    cfg = access.load_access(tmp_path)
    c = access.actor_for_user(CLERK, cfg)
    assert "compare" not in c.pages() and "ranking" not in c.pages()
    from target_monitor.reference import load_reference

    scope = c.scope(load_reference(ref).units)
    assert scope.figure_units == {YANGJIAPING}


def test_unknown_role_in_access_yaml_fails_closed(tmp_path):
    ref = tmp_path / "reference"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "reference", ref)
    (ref / "access.yaml").write_text("users:\n  a@b: {role: superuser}\n", encoding="utf-8")
    with pytest.raises(access.AccessConfigError, match="superuser"):
        access.load_access(tmp_path)


def test_own_reference_without_access_yaml_has_no_demo_users(tmp_path):
    ref = tmp_path / "reference"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "reference", ref)
    (ref / "access.yaml").unlink()
    assert access.load_access(tmp_path).users == {}


# --- actors from OIDC claims --------------------------------------------------------------------


def test_actor_from_claims(config):
    a = access.actor_from_claims({"email": "Admin@Demo", "sub": "1"}, config)
    assert a.role_code == "admin"
    # not listed: role and unit from the configured claims (Chinese role names too)
    c = access.actor_from_claims({"email": "new@x", "roles": ["街镇填报员"], "unit": "500107-02"}, config)
    assert (c.role_code, c.unit) == ("clerk", "500107-02")
    # several roles: the widest
    w = access.actor_from_claims({"email": "w@x", "roles": "analyst,leader"}, config)
    assert w.role_code == "leader"
    assert access.actor_from_claims({"email": "stranger@x"}, config).role is None


def test_groups_claim(demo_dir, tmp_path):
    ref = tmp_path / "reference"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "reference", ref)
    (ref / "access.yaml").write_text("groups:\n  就业局分析组: {role: 分析员}\n", encoding="utf-8")
    cfg = access.load_access(tmp_path)
    a = access.actor_from_claims({"email": "g@x", "groups": ["/就业局分析组"]}, cfg)
    assert a.role_code == "analyst"


# --- the scope in every read path ---------------------------------------------------------------


def _clerk_scope(demo_ctx, clerk):
    return clerk.scope(demo_ctx.ref.units)


def test_no_scope_reads_nothing(demo_ctx):
    with access.using(None):
        assert demo_ctx.store.query("data_bounds").empty
        with demo_ctx.store.cursor() as cur:
            assert cur.execute("select count(*) from ext_new_employment").fetchone()[0] == 0
            assert cur.execute("select count(*) from indicator_events").fetchone()[0] == 0
    with demo_ctx.store.cursor() as cur:  # the operator (conftest) sees every record
        assert cur.execute("select count(distinct unit_code) from ext_new_employment").fetchone()[0] > 1


def test_record_cursor_holds_only_the_clerks_units(demo_ctx, clerk):
    with access.using(_clerk_scope(demo_ctx, clerk)):
        with demo_ctx.store.cursor() as cur:
            for ext in demo_ctx.registry.extracts:
                codes = {r[0] for r in cur.execute(f"select distinct unit_code from ext_{ext}").fetchall()}
                assert codes <= {YANGJIAPING}, ext
            codes = {r[0] for r in cur.execute("select distinct unit_code from indicator_events").fetchall()}
            assert codes == {YANGJIAPING}


def test_record_list_and_download_of_another_unit_are_empty(demo_ctx, clerk):
    q = records.RecordQuery("new_employment", ("500107-02",), 2020, date(2020, 6, 30))
    with access.using(_clerk_scope(demo_ctx, clerk)):
        assert records.record_count(demo_ctx.store, demo_ctx.registry, q) == 0
        assert records.all_records(demo_ctx.store, demo_ctx.registry, q).empty
        assert records.record_page(demo_ctx.store, demo_ctx.registry, q, 1, 50).empty
        own = records.RecordQuery("new_employment", (YANGJIAPING,), 2020, date(2020, 6, 30))
        assert records.record_count(demo_ctx.store, demo_ctx.registry, own) > 0
    assert records.record_count(demo_ctx.store, demo_ctx.registry, q) > 0  # the operator sees them


def test_explorer_records_path_is_scoped(demo_ctx, clerk):
    from target_monitor.explore import UNIT, PivotSpec, records_pivot_long

    spec = PivotSpec(indicator="urban_new_employment", year=2020, as_of=date(2020, 6, 30), rows=UNIT,
                     units=("500107-02", YANGJIAPING))
    with access.using(_clerk_scope(demo_ctx, clerk)):
        long = records_pivot_long(demo_ctx.store, demo_ctx.registry, spec)
    cells = long[~long["total_r"].astype(bool)] if "total_r" in long else long
    assert set(cells["r"].dropna()) <= {YANGJIAPING}


def test_explorer_aggregate_path_is_scoped(demo_ctx, clerk):
    from target_monitor.explore import MONTH, UNIT, PivotSpec, dimension_values, pivot_long, pivot_params, \
        records_pivot_long

    reg, store = demo_ctx.registry, demo_ctx.store
    spec = PivotSpec(indicator="urban_new_employment", year=2020, as_of=date(2020, 6, 30), rows=UNIT, columns=MONTH)
    assert pivot_params(reg, spec) is not None  # answered from the monthly aggregates, not the records
    everyone = pivot_long(store, reg, spec)
    assert everyone["r"].nunique() > 2
    with access.using(_clerk_scope(demo_ctx, clerk)):
        long = pivot_long(store, reg, spec)
        from_records = records_pivot_long(store, reg, spec)
        offered = dimension_values(store, reg, reg.get("urban_new_employment"), UNIT)
    cells = long[~long["total_r"].astype(bool)]
    assert set(cells["r"]) == {YANGJIAPING}
    own = everyone[(everyone["r"] == YANGJIAPING) & everyone["total_c"].astype(bool)]["value"].iloc[0]
    grand = long[long["total_r"].astype(bool) & long["total_c"].astype(bool)]["value"].iloc[0]
    assert grand == own > 0  # the district total shown to the clerk is its own unit's
    assert from_records.sort_values(["r", "c"]).reset_index(drop=True)["value"].tolist() == \
        long.sort_values(["r", "c"]).reset_index(drop=True)["value"].tolist()
    assert offered == [YANGJIAPING]
    asked = PivotSpec(**{**spec.__dict__, "units": ("500107-02",)})  # another unit by name: nothing
    with access.using(_clerk_scope(demo_ctx, clerk)):
        other = pivot_long(store, reg, asked)
    assert other["total_r"].astype(bool).all() and other["records"].sum() == 0  # only an empty grand total
    with access.using(None):  # no scope: nothing (fail closed)
        assert pivot_long(store, reg, spec)["records"].sum() == 0


def test_figures_can_be_limited_to_own_units(demo_ctx):
    scope = access.Scope(frozenset({YANGJIAPING}), frozenset({YANGJIAPING}))
    with access.using(scope):
        table = demo_ctx.progress(2020, date(2020, 6, 30))
    assert set(table["unit_code"]) == {YANGJIAPING}


def test_console_views_are_built_from_the_scope(demo_ctx, clerk):
    from target_monitor.sandbox import Sandbox

    with access.using(_clerk_scope(demo_ctx, clerk)):
        sb = Sandbox(demo_ctx, 2020, date(2020, 6, 30))
    try:
        for ext in demo_ctx.registry.extracts:
            codes = set(sb.run(f"select distinct unit_code from ext_{ext}").frame["unit_code"])
            assert codes <= {YANGJIAPING}, ext
        assert set(sb.run("select distinct unit_code from indicator_events").frame["unit_code"]) == {YANGJIAPING}
    finally:
        sb.close()


# --- the CLI: --as USER --------------------------------------------------------------------------


def test_cli_sql_as_clerk_prints_only_its_unit(data):
    code, out, err = _run("sql", "select distinct unit_code from ext_new_employment", "--as", CLERK,
                          "--data-dir", str(data))
    assert code == 0, err
    assert pd.read_csv(io.StringIO(out), dtype=str)["unit_code"].tolist() == [YANGJIAPING]
    line = audit.read(data, action="console_query").iloc[-1]
    assert (line["user"], line["role"], line["outcome"]) == (CLERK, "clerk", "ok")
    assert "select distinct unit_code" in line["detail"]


def test_cli_progress_as_clerk(data):
    code, out, err = _run("progress", "--format", "csv", "--as", CLERK, "--data-dir", str(data))
    assert code == 0, err
    assert set(pd.read_csv(io.StringIO(out), dtype=str)["unit_code"]) == {YANGJIAPING}
    line = audit.read(data, action="download").iloc[-1]  # what was printed, and how many rows
    assert (line["user"], line["role"], line["object"]) == (CLERK, "clerk", "progress 2020-06-30")
    assert json.loads(line["detail"])["rows"] == len(pd.read_csv(io.StringIO(out))) > 0
    code, out, _ = _run("progress", "--format", "csv", "--data-dir", str(data))  # the operator: unchanged
    assert len(set(pd.read_csv(io.StringIO(out), dtype=str)["unit_code"])) == 15


def test_cli_refused_command_is_one_line_exit_2(data, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("x\n", encoding="utf-8")
    code, out, err = _run("targets", "import", str(f), "--year", "2020", "--as", "leader@demo", "--data-dir", str(data))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "leader@demo" in err and "targets import" in err
    line = audit.read(data, action="refused").iloc[-1]
    assert (line["user"], line["object"], line["outcome"]) == ("leader@demo", "targets import", "refused")
    code, _, err = _run("sql", "select 1", "--as", "nobody@demo", "--data-dir", str(data))
    assert code == 2 and "nobody@demo" in err
    code, _, err = _run("snapshot", "--month", "2020-06", "--as", CLERK, "--data-dir", str(data))
    assert code == 2


def test_cli_scope_does_not_outlive_the_command(data, demo_ctx):
    _run("progress", "--format", "csv", "--as", CLERK, "--data-dir", str(data))
    assert access.current() is access.EVERYTHING


def test_cli_audit_command(data):
    _run("sql", "select 1 as one", "--data-dir", str(data))
    _run("progress", "--as", "nobody@demo", "--data-dir", str(data))
    code, out, err = _run("audit", "--json", "--action", "console_query", "--data-dir", str(data))
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines and all(x["action"] == "console_query" for x in lines)
    assert {"time_utc", "time_beijing", "user", "role", "unit", "action", "object", "outcome"} <= set(lines[0])
    code, out, _ = _run("audit", "--json", "--user", "nobody@demo", "--data-dir", str(data))
    assert [json.loads(x)["outcome"] for x in out.splitlines()] == ["refused"]
    code, _, err = _run("audit", "--action", "bogus", "--data-dir", str(data))
    assert code == 2 and "bogus" in err


def test_a_refusal_may_name_the_action_it_refused(tmp_path):
    """The data page's refused upload records action="upload" as a detail (a TypeError before)."""
    line = audit.record(tmp_path, access.local_operator(), "refused", "x.csv", "refused", action="upload", units=["b"])
    assert (line["action"], line["detail"]) == ("refused", {"action": "upload", "units": ["b"]})


def test_audit_is_append_only(tmp_path):
    a = access.local_operator()
    first = audit.record(tmp_path, a, "download", "records x", rows=3)
    before = audit.audit_path(tmp_path).read_bytes()
    audit.record(tmp_path, a, "logout")
    after = audit.audit_path(tmp_path).read_bytes()
    assert after.startswith(before)
    assert first["time_beijing"].endswith("+08:00") and first["time_utc"].endswith("+00:00")
    assert audit.read(tmp_path, action="download")["detail"].iloc[0] == json.dumps({"rows": 3})


def test_clerk_upload_of_another_units_rows_is_refused(clerk):
    class Parsed:  # what outside_units reads of ingest.Parsed: the accepted rows
        accepted = pd.DataFrame({"unit_code": [YANGJIAPING, "500107-02", "500107-02"]})

    assert access.outside_units(Parsed(), clerk) == ["500107-02"]
    Parsed.accepted = pd.DataFrame({"unit_code": [YANGJIAPING]})
    assert access.outside_units(Parsed(), clerk) == []
    assert access.outside_units(Parsed(), access.local_operator()) == []
    assert access.outside_units(Parsed(), None) == [YANGJIAPING]  # no actor: nothing may be uploaded
