"""Submissions (报送/审核) on the demo: a clerk's July file counts nowhere until reviewer@demo
approves it; returned, it stays out with its reason; every step is in the audit trail."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

from target_monitor.access import audit
from target_monitor.cli import main

from make_fixtures import HEADERS, csv_bytes

YANGJIAPING = "500107-01"
CLERK = "clerk.yangjiaping@demo"
REVIEWER = "reviewer@demo"
ROWS = 37  # July records of 杨家坪街道 in the file


def _july(n: int = ROWS) -> bytes:
    return csv_bytes([HEADERS["new_employment"]] + [
        [f"NE2020-07S{i:04d}", "杨家坪街道", f"50010719900101{i:04d}", f"2020-07-{i % 28 + 1:02d}", "高校毕业生",
         "单位就业"] for i in range(n)])


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def _progress(data, as_of: str) -> list[dict]:
    code, out, err = _run("progress", "--as-of", as_of, "--format", "json", "--data-dir", data)
    assert code == 0, err
    return json.loads(out)


def _actual(rows, unit=YANGJIAPING, indicator="urban_new_employment") -> float:
    return next(r["actual"] for r in rows if r["unit_code"] == unit and r["indicator"] == indicator)


def _list(data, *extra) -> list[dict]:
    code, out, err = _run("submissions", "list", "--json", "--data-dir", data, *extra)
    assert code == 0, err
    return json.loads(out)


def test_submit_return_resubmit_approve(data, tmp_path):
    july = tmp_path / "杨家坪_2020-07.csv"
    july.write_bytes(_july())
    before = _progress(data, "2020-06-30")
    imports_before = _run("imports", "list", "--json", "--data-dir", data)[1]

    # submitted: the id on stdout, nothing in the store, no figure moves, July is past the data
    code, out, err = _run("submit", july, "--unit", YANGJIAPING, "--period", "2020-07", "--as", CLERK,
                          "--note", "7月台账", "--data-dir", data)
    assert code == 0, err
    first = out.strip()
    assert first.startswith("S") and "\n" not in first
    assert _progress(data, "2020-06-30") == before
    assert _run("imports", "list", "--json", "--data-dir", data)[1] == imports_before
    assert _run("progress", "--as-of", "2020-07-28", "--data-dir", data)[0] == 2
    [sub] = _list(data)
    assert (sub["id"], sub["status"], sub["unit"], sub["period"], sub["accepted"], sub["note"]) == (
        first, "submitted", YANGJIAPING, "2020-07", ROWS, "7月台账")

    # a second submission while one waits is refused; so is a clerk reviewing
    assert _run("submit", july, "--unit", YANGJIAPING, "--period", "2020-07", "--as", CLERK, "--data-dir", data)[0] == 2
    code, out, err = _run("review", first, "--approve", "--as", CLERK, "--data-dir", data)
    assert code == 2 and len(err.strip().splitlines()) == 1

    # returned: stays out, with its reason
    code, out, err = _run("review", first, "--return", "就业日期有误，请核对", "--as", REVIEWER, "--data-dir", data)
    assert code == 0, err
    [sub] = _list(data)
    assert (sub["status"], sub["return_reason"], sub["reviewed_by"]) == ("returned", "就业日期有误，请核对", REVIEWER)
    assert _progress(data, "2020-06-30") == before
    assert _run("progress", "--as-of", "2020-07-28", "--data-dir", data)[0] == 2
    # a returned submission cannot be approved any more (wrong state)
    code, out, err = _run("review", first, "--approve", "--as", REVIEWER, "--data-dir", data)
    assert code == 2 and first in err and len(err.strip().splitlines()) == 1

    # resubmitted (supersedes the returned one) and approved: progress includes it
    code, out, err = _run("submit", july, "--unit", YANGJIAPING, "--period", "2020-07", "--as", CLERK,
                          "--data-dir", data)
    assert code == 0, err
    second = out.strip()
    assert _list(data, "--status", "submitted")[0]["supersedes"] == first
    code, out, err = _run("review", second, "--approve", "--as", REVIEWER, "--json", "--data-dir", data)
    assert code == 0, err
    approved = json.loads(out)
    assert approved["status"] == "approved" and approved["import_id"].startswith("new_employment@")
    after = _progress(data, "2020-07-28")
    assert _actual(after) == _actual(before) + ROWS
    # other units did not move
    assert _actual(after, "500107-02") == _actual(before, "500107-02")

    # each state in the list; the store version is marked as a submission and can be undone
    states = {s["id"]: s for s in _list(data)}
    assert (states[first]["status"], states[first]["superseded_by"]) == ("returned", second)
    assert states[second]["status"] == "approved"
    assert [s["id"] for s in _list(data, "--status", "returned")] == [first]
    versions = json.loads(_run("imports", "list", "--json", "--data-dir", data)[1])
    v = next(r for r in versions if r["id"] == approved["import_id"])
    assert v["kind"] == "submission" and v["who"] == CLERK
    assert (v["added"], v["replaced"], v["removed"]) == (ROWS, 0, 0)
    code, out, err = _run("imports", "undo", approved["import_id"], "--yes", "--data-dir", data)
    assert code == 0, err
    assert _progress(data, "2020-06-30") == before

    # every step in the audit trail
    trail = audit.read(data)
    steps = [(r["user"], r["action"], r["object"], r["outcome"]) for r in trail.to_dict("records")
             if r["action"] in ("submit", "review")]
    assert (CLERK, "submit", first, "ok") in steps
    assert (CLERK, "submit", second, "ok") in steps
    assert (REVIEWER, "review", first, "ok") in steps
    assert (REVIEWER, "review", second, "ok") in steps
    assert (REVIEWER, "review", first, "refused") in steps  # approve after return
    assert any(s[:2] == (CLERK, "submit") and s[3] == "refused" for s in steps)  # the second while pending
    refused = trail[(trail["user"] == CLERK) & (trail["action"] == "refused")]
    assert "review" in set(refused["object"])  # the clerk's review attempt


def test_clerk_cannot_submit_for_another_unit(data, tmp_path):
    july = tmp_path / "july.csv"
    july.write_bytes(_july(5))
    code, out, err = _run("submit", july, "--unit", "500107-02", "--period", "2020-07", "--as", CLERK,
                          "--data-dir", data)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and YANGJIAPING in err
    assert _list(data) == []
    line = audit.read(data, action="submit").iloc[-1]
    assert (line["user"], line["outcome"]) == (CLERK, "refused")


def test_bad_file_and_bad_arguments_exit_2(data, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes("不是台账\n1,2,3\n".encode("utf-8"))
    code, _, err = _run("submit", bad, "--unit", YANGJIAPING, "--period", "2020-07", "--as", CLERK, "--data-dir", data)
    assert code == 2 and len(err.strip().splitlines()) == 1
    july = tmp_path / "july.csv"
    july.write_bytes(_july(3))
    assert _run("submit", july, "--unit", YANGJIAPING, "--period", "2020-13", "--as", CLERK, "--data-dir", data)[0] == 2
    assert _run("submit", tmp_path / "nope.csv", "--unit", YANGJIAPING, "--period", "2020-07", "--as", CLERK,
                "--data-dir", data)[0] == 2
    assert _run("review", "S20200101T000000000-abcdef", "--approve", "--as", REVIEWER, "--data-dir", data)[0] == 2
    assert _run("submissions", "list", "--status", "pending", "--data-dir", data)[0] == 2
    # another unit's rows in the clerk's file: refused, nothing kept
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(csv_bytes([HEADERS["new_employment"],
                                 ["NE-X1", "杨家坪街道", "500107199001010001", "2020-07-02", "高校毕业生", "单位就业"],
                                 ["NE-X2", "谢家湾街道", "500107199001010002", "2020-07-03", "高校毕业生", "单位就业"]]))
    code, _, err = _run("submit", mixed, "--unit", YANGJIAPING, "--period", "2020-07", "--as", CLERK,
                        "--data-dir", data)
    assert code == 2 and "500107-02" in err
    assert _list(data) == []


def test_rows_outside_the_period_are_quarantined(data, tmp_path):
    f = tmp_path / "july.csv"
    rows = [HEADERS["new_employment"],
            ["NE-Q1", "杨家坪街道", "500107199001010001", "2020-07-02", "高校毕业生", "单位就业"],
            ["NE-Q2", "杨家坪街道", "500107199001010002", "2020-06-03", "高校毕业生", "单位就业"]]
    f.write_bytes(csv_bytes(rows))
    code, out, err = _run("submit", f, "--unit", YANGJIAPING, "--period", "2020-07", "--as", CLERK, "--json",
                          "--data-dir", data)
    assert code == 0, err
    sub = json.loads(out)
    assert (sub["accepted"], sub["quarantined"], len(sub["quarantine"])) == (1, 1, 1)


def test_clerk_lists_only_its_own_unit(data, tmp_path):
    f = tmp_path / "july.csv"
    f.write_bytes(_july(2))
    assert _run("submit", f, "--unit", YANGJIAPING, "--period", "2020-07", "--data-dir", data)[0] == 0  # operator
    other = tmp_path / "xjw.csv"
    other.write_bytes(csv_bytes([HEADERS["new_employment"],
                                 ["NE-W1", "谢家湾街道", "500107199001010009", "2020-07-02", "高校毕业生", "单位就业"]]))
    assert _run("submit", other, "--unit", "500107-02", "--period", "2020-07", "--data-dir", data)[0] == 0
    assert len(_list(data)) == 2
    code, out, _ = _run("submissions", "list", "--json", "--as", CLERK, "--data-dir", data)
    assert code == 0 and [s["unit"] for s in json.loads(out)] == [YANGJIAPING]


def test_two_reviewers_at_once_apply_it_once(data):
    from concurrent.futures import ThreadPoolExecutor

    from target_monitor import access, submissions

    config = access.load_access(data)
    clerk, reviewer = access.actor_for_user(CLERK, config), access.actor_for_user(REVIEWER, config)
    sub = submissions.submit(data, clerk, _july(4), "july.csv", unit=YANGJIAPING, period="2020-07", isolated=False)

    def approve(_):
        try:
            return submissions.review(data, reviewer, sub["id"], approve=True, isolated=False)["status"]
        except submissions.SubmissionError as exc:
            return exc.code

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(approve, range(2)))
    assert outcomes == ["approved", "wrong_state"]
    versions = json.loads(_run("imports", "list", "--json", "--data-dir", data)[1])
    assert [v["kind"] for v in versions].count("submission") == 1


def test_english_refusal(data, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes("不是台账\n1,2,3\n".encode("utf-8"))
    code, _, err = _run("--lang", "en", "submit", bad, "--unit", YANGJIAPING, "--period", "2020-07", "--as", CLERK,
                        "--data-dir", data)
    assert code == 2 and "cannot be submitted" in err
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in err.replace("不是台账", "")), err
