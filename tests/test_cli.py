"""`target-monitor` as scheduled jobs use it: contract columns, exit codes, one-line errors."""

import csv
import io
import json
import subprocess
import sys

import pytest

from target_monitor.cli import main
from target_monitor.progress import CONTRACT_COLUMNS


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_progress_csv_has_the_contract_columns(demo_dir, capsys):
    code, out, err = run(capsys, "progress", "--year", "2020", "--as-of", "2020-06-30", "--format", "csv",
                         "--data-dir", str(demo_dir))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    # 14 units x 13 indicators + district: 13 own rows and 3 allocation sums
    assert len(rows) == 14 * 13 + 13 + 3
    yjp = next(r for r in rows if r["unit_name"] == "杨家坪街道" and r["indicator"] == "urban_new_employment")
    assert yjp["target"] == "3500.0" and yjp["time_progress_pct"] == "50.0"


def test_progress_json_matches_the_pages_function(demo_dir, demo_ctx, capsys):
    from datetime import date

    code, out, _ = run(capsys, "progress", "--as-of", "2020-06-30", "--format", "json", "--data-dir", str(demo_dir),
                       "--indicator", "guarantee_loans")
    assert code == 0
    records = json.loads(out)
    assert {r["indicator"] for r in records} == {"guarantee_loans"}
    df = demo_ctx.progress(2020, date(2020, 6, 30))
    ref = df[df["indicator"] == "guarantee_loans"].reset_index(drop=True)
    assert [r["actual"] for r in records] == list(ref["actual"])
    assert [r["status"] for r in records] == list(ref["status"])


def test_default_as_of_is_latest_day_with_data(demo_dir, capsys):
    code, out, _ = run(capsys, "progress", "--format", "csv", "--data-dir", str(demo_dir))
    assert code == 0
    assert {r["time_progress_pct"] for r in csv.DictReader(io.StringIO(out))} == {"50.0"}


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--indicator", "jobs"], "未知指标：jobs"),
        (["--year", "2020", "--as-of", "2021-01-05"], "不在 2020 年内"),
        (["--as-of", "2020-13-01"], "无法识别的日期"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(demo_dir, capsys, argv, needle):
    code, out, err = run(capsys, "progress", "--data-dir", str(demo_dir), *argv)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_empty_data_dir(tmp_path, capsys):
    code, _, err = run(capsys, "progress", "--data-dir", str(tmp_path))
    assert code == 2 and "没有抽取数据" in err and "target-monitor demo" in err
    code, _, err = run(capsys, "--lang", "en", "progress", "--data-dir", str(tmp_path / "nope"))
    assert code == 2 and "does not exist" in err


# `target-monitor demo` refusing real data without --force, and generating with it: tests/test_demo.py
# (test_demo_command_refuses_real_data_then_replaces_old_output_with_another_seeds_rows), where
# that one generation also proves another seed's rows and the old output replaced


def test_console_script_entry_point(demo_dir):
    """The installed `target-monitor` command, as cron would call it."""
    proc = subprocess.run(
        [sys.executable, "-m", "target_monitor.cli", "progress", "--format", "csv", "--data-dir", str(demo_dir)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(",".join(CONTRACT_COLUMNS))
