"""`target-monitor sql`: exit 0 with rows, exit 2 with one line when refused or failed."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd

from target_monitor.cli import main


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_sql_csv(demo_dir):
    code, out, err = _run("sql", "select unit_code, name from units order by sort_order", "--data-dir", str(demo_dir))
    assert code == 0, err
    df = pd.read_csv(io.StringIO(out), dtype=str)
    assert list(df.columns) == ["unit_code", "name"] and len(df) == 15
    assert df["name"].iloc[0] == "九龙坡区"


def test_sql_json(demo_dir):
    code, out, _ = _run("sql", "select count(*) as n from ext_loans", "--format", "json", "--data-dir", str(demo_dir))
    assert code == 0
    assert json.loads(out) == [{"n": 144}]


def test_sql_refused_is_exit_2_with_one_line(demo_dir):
    for sql in ("drop table units", "select 1; select 2", f"copy units to '{demo_dir}/x.csv'",
                "select * from read_csv('/etc/passwd')", "select * from no_such_view"):
        code, out, err = _run("sql", sql, "--data-dir", str(demo_dir))
        assert code == 2, sql
        assert out == ""
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (demo_dir / "x.csv").exists()


def test_sql_english_message(demo_dir):
    code, _, err = _run("--lang", "en", "sql", "delete from targets", "--data-dir", str(demo_dir))
    assert code == 2 and "Refused" in err and "SELECT" in err


def test_sql_timeout_out_of_range(demo_dir):
    code, _, err = _run("sql", "select 1", "--timeout", "60", "--data-dir", str(demo_dir))
    assert code == 2 and "5" in err and "30" in err


def test_sql_csv_output_is_neutralised(demo_dir):
    code, out, _ = _run("sql", "select '=HYPERLINK(\"http://x\")' as v", "--data-dir", str(demo_dir))
    assert code == 0
    assert pd.read_csv(io.StringIO(out))["v"].iloc[0].startswith("'=")
