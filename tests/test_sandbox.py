"""The SQL sandbox: what it refuses, what it answers, and that a timeout really cancels.

The must-block corpus lists statements an analyst (or someone curious) might try; each must be
refused with a message, and none may touch the file system. The must-pass corpus lists realistic
analyst questions, with answers checked against the app's own store and the Parquet files read
independently (pyarrow), or against known facts of the deterministic demo.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as pads
import pytest

from target_monitor.sandbox import Sandbox, SqlError, clamp_timeout, EXAMPLES


@pytest.fixture(scope="module")
def sandbox(demo_ctx, tmp_path_factory):
    sb = Sandbox(demo_ctx, log_path=tmp_path_factory.mktemp("sqllog") / "sql.jsonl")
    yield sb
    sb.close()


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


# --- must block ----------------------------------------------------------------------------

MUST_BLOCK = [
    # reading files
    "select * from read_csv('/etc/passwd')",
    "select * from read_csv_auto('/etc/passwd')",
    "select * from read_csv(['/etc/passwd', '/etc/hosts'])",
    "from read_csv('/etc/passwd')",
    "select * from (select * from read_csv('/etc/passwd'))",
    "select (select count(*) from read_text('/etc/hostname')) as n",
    "select 1 where exists (select * from glob('/'))",
    "select * from read_parquet('/tmp/elsewhere/*.parquet')",
    "select * from read_parquet('{data}/extracts/new_employment/**/*.parquet')",  # raw person keys
    "select * from read_json('/etc/x.json')",
    "select * from read_text('/etc/hostname')",
    "select * from read_blob('/etc/hostname')",
    "select * from glob('/*')",
    "select * from glob('{data}/**')",
    "select * from '/etc/passwd'",
    "select * from 'targets.csv'",
    "select * from sniff_csv('/etc/passwd')",
    "select * from parquet_metadata('{data}/extracts/loans/year=2020/month=01/part-0.parquet')",
    "describe select * from read_csv('/etc/passwd')",
    # writing files
    "copy (select 1) to '/tmp/out.csv'",
    "copy ext_loans to '{data}/extracts/loans/evil.parquet' (format parquet)",
    "copy (select * from units) to '{data}/extracts/units.csv'",
    "copy units from '/etc/passwd'",
    "export database '{data}/extracts/export'",
    "import database '/tmp/export'",
    # other databases, extensions
    "attach '/tmp/other.db' as other",
    "attach ':memory:' as scratch",
    "detach memory",
    "use memory",
    "install httpfs",
    "load httpfs",
    "force install httpfs",
    # settings
    "set enable_external_access = true",
    "set threads = 8",
    "set allowed_directories = ['/']",
    "reset memory_limit",
    "pragma database_size",
    "pragma enable_profiling",
    # writes to the catalog
    "create table t as select 1",
    "create temp table t as select 1",
    "create temporary table t (a int)",
    "create view v as select 1",
    "create or replace temp view progress as select 1",
    "create macro m(x) as x",
    "create sequence s",
    "insert into units (unit_code) values ('x')",
    "update targets set value = 0",
    "delete from targets",
    "drop table targets",
    "drop view monthly",
    "alter table units rename to u",
    "truncate targets",
    "checkpoint",
    "vacuum",
    "begin transaction",
    "explain analyze select 1",
    # several statements in one string
    "select 1; drop table targets",
    "select 1; select 2",
    "select * from units;\ncopy units to '/tmp/u.csv'",
    # table functions and CALL
    "call read_csv('/etc/passwd')",
    "call pragma_table_info('units')",
    "select * from query('drop table targets')",
    "select * from query_table('targets')",
    "select * from duckdb_settings()",
    # secrets
    "select * from duckdb_secrets()",
    "create secret s (type s3, key_id 'a', secret 'b')",
    "create persistent secret s (type s3, key_id 'a', secret 'b')",
    "select * from which_secret('s3://bucket/x', 's3')",
    "drop secret s",
    # nothing to run
    "",
    "   ",
    "-- only a comment",
]


@pytest.mark.parametrize("sql", MUST_BLOCK)
def test_must_block(sandbox, demo_dir, sql):
    before = _files(demo_dir)
    sql = sql.replace("{data}", str(demo_dir))
    with pytest.raises(SqlError) as info:
        sandbox.run(sql)
    exc = info.value
    assert exc.status in ("refused", "failed")
    zh, en = exc.text("zh"), exc.text("en")
    assert zh and en and zh != en
    assert "请" in zh  # every message says what to do
    assert _files(demo_dir) == before  # nothing was written into the data folder
    assert sandbox.run("select count(*) as n from units").frame["n"].iloc[0] == 15  # still usable


def test_corpus_sizes():
    assert len(MUST_BLOCK) >= 40
    assert len(MUST_PASS) >= 20


def test_data_folder_cannot_be_written_even_past_the_statement_check(sandbox, demo_dir):
    """The settings guard on their own: the raw connection (no statement check) cannot write or reconfigure."""
    before = _files(demo_dir)
    cur = sandbox.con.cursor()
    for sql in (
        f"copy (select 1) to '{demo_dir}/extracts/evil.csv'",
        f"copy (select 1) to '{demo_dir}/evil.csv'",
        f"export database '{demo_dir}/extracts/dump'",
        f"select * from read_parquet('{demo_dir}/extracts/loans/**/*.parquet')",
    ):
        with pytest.raises(duckdb.PermissionException):
            cur.execute(sql)
    for sql in ("set enable_external_access = true", "set allowed_directories = ['/']", "set threads = 4",
                "set memory_limit = '64GB'", "reset lock_configuration"):
        with pytest.raises(duckdb.Error, match="locked"):
            cur.execute(sql)
    settings = dict(cur.execute(
        "select name, value from duckdb_settings() where name in "
        "('enable_external_access', 'lock_configuration', 'allowed_directories', 'threads', 'temp_directory')"
    ).fetchall())
    assert settings == {"enable_external_access": "false", "lock_configuration": "true", "allowed_directories": "[]",
                        "threads": "1", "temp_directory": ""}
    assert _files(demo_dir) == before


def test_endless_queries_time_out_and_the_sandbox_stays_usable(sandbox):
    endless = [
        "select count(*) from range(100000000000) a, range(100000000) b",
        "with recursive r(n) as (select 1 union all select n + 1 from r where n > 0) select max(n) from r",
    ]
    for sql in endless:
        started = time.perf_counter()
        with pytest.raises(SqlError) as info:
            sandbox.run(sql, timeout=5)
        elapsed = time.perf_counter() - started
        assert info.value.status in ("timeout", "failed")  # the recursive one may hit the memory cap first
        if info.value.status == "timeout":
            assert 5 <= elapsed < 6, elapsed  # cancelled within 1 s of the deadline
            assert "5" in info.value.text("zh") and "取消" in info.value.text("zh")
        else:
            assert elapsed < 6
        assert sandbox.run("select 42 as answer").frame["answer"].iloc[0] == 42


def test_timeout_is_clamped_to_5_to_30_seconds():
    assert clamp_timeout(None) == 10
    assert clamp_timeout(1) == 5
    assert clamp_timeout(120) == 30
    assert clamp_timeout(12) == 12


def test_row_caps_and_truncation(sandbox):
    r = sandbox.run("select * from ext_new_employment", max_rows=1000)
    assert r.rows == 1000 and r.truncated
    r = sandbox.run("select * from units", max_rows=1000)
    assert r.rows == 15 and not r.truncated
    r = sandbox.run("select * from range(200000)", max_rows=10**9)  # never more than the download cap
    assert r.rows == 100_000 and r.truncated


def test_every_query_is_logged(demo_ctx, tmp_path):
    log = tmp_path / "log.jsonl"
    sb = Sandbox(demo_ctx, log_path=log)
    sb.run("select * from units")
    with pytest.raises(SqlError):
        sb.run("drop table units")
    sb.close()
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["status"] for e in entries] == ["ok", "refused"]
    assert entries[0]["rows"] == 15 and entries[1]["rows"] == 0
    for e in entries:
        assert set(e) >= {"time", "sql_hash", "duration_ms", "rows", "status"}
        assert len(e["sql_hash"]) == 16 and "units" not in json.dumps(e)  # the hash, not the text


def test_person_keys_are_masked(sandbox, demo_dir):
    keys = sandbox.run("select person_key from ext_new_employment limit 50").frame["person_key"]
    raw = pads.dataset(demo_dir / "extracts" / "new_employment", partitioning="hive").to_table(
        columns=["person_key"]).column("person_key").to_pylist()
    assert all(len(k) == 18 and k[6:14] == "********" for k in keys)
    assert not set(keys) & set(raw)


def test_schema_browser_documents_every_view_and_column(sandbox):
    names = {v.name for v in sandbox.views}
    assert {"ext_new_employment", "ext_training", "ext_loans", "ext_graduates", "indicator_events", "monthly",
            "targets", "units", "indicators", "progress"} <= names
    for view in sandbox.views:
        assert view.description.get("zh") and view.description.get("en"), view.name
        assert view.columns, view.name
        for col, typ, desc in view.columns:
            assert typ != "?", (view.name, col)
            assert desc.get("zh") and desc.get("en"), (view.name, col)
        # the documented columns are the real ones
        real = list(sandbox.run(f"select * from {view.name} limit 0").frame.columns)  # noqa: S608 (test)
        assert real == [c for c, _, _ in view.columns]


@pytest.mark.parametrize("key,sql", EXAMPLES)
def test_examples_run(sandbox, key, sql):
    r = sandbox.run(sql)
    assert r.rows > 0


# --- must pass: realistic questions with answers checked independently ----------------------


def _parquet(demo_dir: Path, extract: str) -> pd.DataFrame:
    return pads.dataset(demo_dir / "extracts" / extract, partitioning="hive").to_table().to_pandas()


def _progress(demo_ctx):
    return demo_ctx.progress(2020, pd.Timestamp("2020-06-30").date())


def check_units(df, ctx, d):
    assert df["n"].tolist() == [15]


def check_unit_types(df, ctx, d):
    assert dict(zip(df["unit_type"], df["n"])) == {"department": 1, "district": 1, "street": 8, "town": 5}


def check_ne_2020(df, ctx, d):
    raw = _parquet(d, "new_employment")
    assert df["n"].iloc[0] == (pd.to_datetime(raw["employed_on"]).dt.year == 2020).sum() == 21083


def check_alloc_vs_own(df, ctx, d):
    assert df.set_index("basis")["total"].to_dict() == {"allocation": 41000.0, "own": 31000.0}


def check_far_behind(df, ctx, d):
    assert set(df["unit_name"]) == {"铜罐驿镇", "陶家镇"}


def check_taojia_may(df, ctx, d):
    assert df["n"].iloc[0] == 0  # 陶家镇 sent nothing in May 2020


def check_progress_matches_app(df, ctx, d):
    p = _progress(ctx)
    p = p[(p["level"] == "child") & (p["indicator"] == "urban_new_employment")]
    expect = p.set_index("unit_code")["actual"].astype(float).to_dict()
    assert df.set_index("unit_code")["actual"].to_dict() == expect


def check_loans_by_bank(df, ctx, d):
    raw = _parquet(d, "loans")
    raw = raw[pd.to_datetime(raw["disbursed_on"]).dt.year == 2020]
    expect = raw.groupby(["bank", "borrower_type"])["amount_yuan"].sum()
    got = df.set_index(["bank", "borrower_type"])["amount_yuan"]
    assert got.sort_index().round(2).tolist() == expect.sort_index().round(2).tolist()


def check_small_firm_share(df, ctx, d):
    raw = _parquet(d, "loans")
    share = raw.loc[raw["borrower_type"] == "小微企业", "amount_yuan"].sum() / raw["amount_yuan"].sum() * 100
    assert df["share_pct"].iloc[0] == pytest.approx(share, abs=0.01)


def check_groups_xipeng_may(df, ctx, d):
    raw = _parquet(d, "new_employment")
    on = pd.to_datetime(raw["employed_on"])
    sel = raw[(raw["unit_code"] == "500107-11") & (on.dt.year == 2020) & (on.dt.month == 5)]
    assert dict(zip(df["group"], df["n"])) == sel["group"].value_counts().to_dict()


def check_training_types(df, ctx, d):
    raw = _parquet(d, "training")
    raw = raw[pd.to_datetime(raw["completed_on"]).dt.year == 2020]
    assert dict(zip(df["training_type"], df["n"])) == raw["training_type"].value_counts().to_dict()


def check_monthly_matches_events(df, ctx, d):
    assert df["a"].iloc[0] == pytest.approx(df["b"].iloc[0], rel=1e-12)


def check_graduate_rate(df, ctx, d):
    p = _progress(ctx)
    own = p[(p["unit_code"] == "500107") & (p["indicator"] == "graduate_employment_rate") & (p["target_basis"] == "own")]
    assert df["rate"].iloc[0] == pytest.approx(float(own["actual"].iloc[0]), abs=0.05)


def check_time_progress(df, ctx, d):
    assert df["tp"].tolist() == [50.0]


def check_window_rank(df, ctx, d):
    assert df["rnk"].tolist() == list(range(1, len(df) + 1))
    assert df["completion_pct"].is_monotonic_decreasing


def check_yoy(df, ctx, d):
    raw = _parquet(d, "new_employment")
    on = pd.to_datetime(raw["employed_on"])
    h1 = (on.dt.month <= 6)
    assert df.set_index("y")["n"].to_dict() == {2019: int((h1 & (on.dt.year == 2019)).sum()),
                                                2020: int((h1 & (on.dt.year == 2020)).sum())}


def check_targets_2020(df, ctx, d):
    t = ctx.ref.targets
    assert df["n"].iloc[0] == int((t["year"] == 2020).sum())


def check_indicators(df, ctx, d):
    assert df["indicator"].tolist() == list(ctx.registry.names)


def check_unit_children(df, ctx, d):
    assert df["n"].iloc[0] == len(ctx.ref.units.children("500107"))


def check_describe(df, ctx, d):
    assert "person_key" in df["column_name"].tolist()


def check_show_tables(df, ctx, d):
    assert {"units", "targets", "progress", "monthly"} <= set(df["name"])


def check_cte_chain(df, ctx, d):
    assert len(df) == 3 and df["completion_pct"].is_monotonic_increasing


def check_distinct_banks(df, ctx, d):
    assert df["n"].iloc[0] == _parquet(d, "loans")["bank"].nunique()


def check_generate_series(df, ctx, d):
    assert len(df) == 12 and df["n"].sum() == 21083


def check_trailing_semicolon(df, ctx, d):
    assert df["n"].iloc[0] == 15


MUST_PASS = [
    ("select count(*) as n from units", check_units),
    ("select unit_type, count(*) as n from units group by unit_type order by unit_type", check_unit_types),
    ("select count(*) as n from ext_new_employment where year(employed_on) = 2020", check_ne_2020),
    ("select case when unit_code = '500107' then 'own' else 'allocation' end as basis, sum(value) as total\n"
     "from targets where year = 2020 and indicator = 'urban_new_employment' group by basis", check_alloc_vs_own),
    ("select unit_name from progress where level = 'child' and indicator = 'urban_new_employment'\n"
     "and status = 'far_behind'", check_far_behind),
    ("select count(*) as n from monthly where unit_code = '500107-13' and year = 2020 and month = 5", check_taojia_may),
    ("select unit_code, actual from progress where level = 'child' and indicator = 'urban_new_employment'",
     check_progress_matches_app),
    ("select bank, borrower_type, sum(amount_yuan) as amount_yuan from ext_loans\n"
     "where year(disbursed_on) = 2020 group by bank, borrower_type", check_loans_by_bank),
    ("select round(100 * sum(amount_yuan) filter (where borrower_type = '小微企业') / sum(amount_yuan), 4) as share_pct\n"
     "from ext_loans", check_small_firm_share),
    ("select \"group\", count(*) as n from ext_new_employment\n"
     "where unit_code = '500107-11' and employed_on between '2020-05-01' and '2020-05-31' group by \"group\"",
     check_groups_xipeng_may),
    ("with t as (select * from ext_training where year(completed_on) = 2020)\n"
     "select training_type, count(*) as n from t group by training_type", check_training_types),
    ("select (select sum(numerator) from monthly) as a, (select sum(num) from indicator_events) as b",
     check_monthly_matches_events),
    ("select round(100.0 * count(*) filter (where employed_on <= date '2020-06-30') / count(*), 1) as rate\n"
     "from ext_graduates where cohort_year = 2020 and registered_on <= date '2020-06-30'", check_graduate_rate),
    ("select distinct time_progress_pct as tp from progress", check_time_progress),
    ("select unit_name, completion_pct, rank() over (order by completion_pct desc) as rnk from progress\n"
     "where level = 'child' and indicator = 'guarantee_loans' and completion_pct is not null\n"
     "order by rnk, unit_name", check_window_rank),
    ("select year(employed_on) as y, count(*) as n from ext_new_employment\n"
     "where month(employed_on) <= 6 group by y order by y", check_yoy),
    ("select count(*) as n from targets where year = 2020", check_targets_2020),
    ("select i.indicator from indicators i", check_indicators),
    ("select count(*) as n from units where parent_code = '500107'", check_unit_children),
    ("describe ext_new_employment", check_describe),
    ("show tables", check_show_tables),
    ("with p as (\n  select unit_name, completion_pct from progress\n"
     "  where level = 'child' and indicator = 'urban_new_employment'\n),\n"
     "final as (select * from p order by completion_pct limit 3)\nselect * from final order by completion_pct",
     check_cte_chain),
    ("from ext_loans select count(distinct bank) as n", check_distinct_banks),
    ("select g.m, count(e.record_id) as n from generate_series(1, 12) as g(m)\n"
     "left join ext_new_employment e on month(e.employed_on) = g.m and year(e.employed_on) = 2020\n"
     "group by g.m order by g.m", check_generate_series),
    ("select count(*) as n from units;", check_trailing_semicolon),
]


@pytest.mark.parametrize("sql,check", MUST_PASS, ids=[c.__name__ for _, c in MUST_PASS])
def test_must_pass(sandbox, demo_ctx, demo_dir, sql, check):
    result = sandbox.run(sql)
    assert not result.truncated
    check(result.frame, demo_ctx, demo_dir)


def test_a_timeout_cancels_only_its_own_query(sandbox):
    """Two sessions at once: one query times out, the other (running meanwhile) is not interrupted."""
    import threading

    outcome = {}

    def endless():
        try:
            sandbox.run("select count(*) from range(100000000000) a, range(100000000) b", timeout=5)
        except SqlError as exc:
            outcome["status"] = exc.status

    worker = threading.Thread(target=endless)
    worker.start()
    answers = []
    deadline = time.perf_counter() + 4.5
    while time.perf_counter() < deadline:
        answers.append(int(sandbox.run("select count(*) as n from ext_loans").frame["n"].iloc[0]))
        time.sleep(0.5)
    worker.join(timeout=10)
    assert outcome == {"status": "timeout"}
    assert answers and set(answers) == {144}
