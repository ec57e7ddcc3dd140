"""Submissions beyond the file: the in-app form (checked as the ingest checks, submitted as a 月报表),
drafts (草稿), two review levels from submissions.yaml, the deadline rule and the 报送情况 statuses."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from datetime import date

import pytest

from target_monitor import access, submissions
from target_monitor.access import audit
from target_monitor.cli import main
from target_monitor.paths import SHIPPED_REFERENCE_DIR
from target_monitor.submissions import status
from target_monitor.submissions.config import ConfigError, load_config

YJP, TAOJIA = "500107-01", "500107-13"
NE, LOANS = "urban_new_employment", "guarantee_loans"


@pytest.fixture
def data(demo_dir, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("logs"))
    return d


def _actor(data, user):
    return access.actor_for_user(user, access.load_access(data))


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def _actual(data, as_of, unit=YJP, indicator=NE):
    code, out, err = _run("progress", "--as-of", as_of, "--format", "json", "--data-dir", data)
    assert code == 0, err
    return next(r["actual"] for r in json.loads(out) if r["unit_code"] == unit and r["indicator"] == indicator)


def test_form_lines_are_checked_with_messages_naming_line_indicator_and_what_to_do(data):
    clerk = _actor(data, "clerk.yangjiaping@demo")
    june_ytd = _actual(data, "2020-06-30")
    lines = [{"indicator": NE, "basis": "累计", "value": str(int(june_ytd) - 1)},   # falls below June's 累计
             {"indicator": LOANS, "basis": "当月", "value": "十二点五x"},
             {"indicator": "vocational_training", "basis": "当月", "value": "3.5"},
             {"indicator": "enterprise_skill_training", "basis": "当月", "value": "-2"}]
    with pytest.raises(submissions.SubmissionError) as exc:
        submissions.submit_form(data, clerk, unit=YJP, period="2020-07", lines=lines)
    got = {p["code"]: p for p in exc.value.details["problems"]}
    assert set(got) == {"falls", "not_number", "not_whole", "negative"}
    assert got["falls"]["line"] == 1 and got["falls"]["before"] == f"{june_ytd:g}" and got["falls"]["prev_month"] == 6
    from target_monitor.submissions_ui import _error

    text = _error(exc.value, "zh")
    assert "第1行 城镇新增就业（累计）" in text and "累计数不能减少" in text and "6月底" in text
    assert "第2行 发放创业担保贷款：“十二点五x”不是数字" in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in _error(exc.value, "en").replace("当月", "").replace("累计", "")
                   .replace("十二点五x", ""))
    assert submissions.list_submissions(data) == []  # nothing kept
    with pytest.raises(submissions.SubmissionError) as exc:  # an empty form
        submissions.submit_form(data, clerk, unit=YJP, period="2020-07", lines=[{"indicator": NE, "basis": "当月",
                                                                                 "value": ""}])
    assert exc.value.details["problems"][0]["code"] == "empty"
    # another unit: refused before anything is read
    with pytest.raises(submissions.SubmissionError) as exc:
        submissions.save_draft(data, clerk, unit="500107-02", period="2020-07", form=lines)
    assert exc.value.code == "not_your_unit"


def test_draft_edited_then_submitted_counts_only_once_approved(data):
    clerk, reviewer = _actor(data, "clerk.yangjiaping@demo"), _actor(data, "reviewer@demo")
    june_ytd = _actual(data, "2020-06-30")
    draft = submissions.save_draft(data, clerk, unit=YJP, period="2020-07", note="7月",
                                   form=[{"indicator": NE, "basis": "当月", "value": "40"}])
    assert draft["status"] == "draft"
    # a draft is nobody's to review and counts nowhere; it is in the clerk's list
    assert submissions.awaiting(data, reviewer) == []
    assert [s["status"] for s in submissions.list_submissions(data)] == ["draft"]
    draft = submissions.save_draft(data, clerk, unit=YJP, period="2020-07", draft_id=draft["id"],
                                   form=[{"indicator": NE, "basis": "累计", "value": str(int(june_ytd) + 55)},
                                         {"indicator": LOANS, "basis": "当月", "value": "12.5"}])
    sub = submissions.submit_draft(data, clerk, draft["id"])
    assert (sub["id"], sub["status"], sub["accepted"], sub["extract"]) == (draft["id"], "submitted", 2,
                                                                            "reported_monthly")
    assert [h["step"] for h in sub["history"]] == ["draft_saved", "draft_saved", "submitted"]
    with pytest.raises(submissions.SubmissionError):  # submitted: no longer a draft to edit
        submissions.save_draft(data, clerk, unit=YJP, period="2020-07", draft_id=sub["id"], form=[])
    done = submissions.review(data, reviewer, sub["id"], approve=True)
    assert done["status"] == "approved" and done["import_id"].startswith("reported_monthly@")
    assert _actual(data, "2020-07-31") == int(june_ytd) + 55  # the 累计 anchors July's year to date
    steps = [json.loads(d).get("step") for d in audit.read(data)["detail"] if d]
    assert {"draft", "approve"} <= set(steps)


def _two_levels(data):
    ref = data / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, ref)
    (ref / "submissions.yaml").write_text(
        "review_levels:\n  - {role: unit_leader}\n  - {role: reviewer, zh: 区就业局审核, en: District review}\n"
        "deadline: {day_of_next_month: 10}\n", encoding="utf-8")


def test_two_review_levels_unit_leader_then_district(data, tmp_path):
    _two_levels(data)
    assert [lv.role for lv in load_config(data).levels] == ["unit_leader", "reviewer"]
    csv = tmp_path / "yjp.csv"
    csv.write_text("单位,月份,指标,当月\n杨家坪街道,2020-07,城镇新增就业,30\n", encoding="utf-8")
    code, out, err = _run("submit", csv, "--unit", YJP, "--period", "2020-07", "--as", "clerk.yangjiaping@demo",
                          "--data-dir", data)
    assert code == 0, err
    sid = out.strip()
    # the district cannot decide the unit leader's level, another unit's leader cannot either
    code, _, err = _run("review", sid, "--approve", "--as", "reviewer@demo", "--data-dir", data)
    assert code == 2 and "第1级" in err
    code, out, err = _run("review", sid, "--approve", "--as", "leader.yangjiaping@demo", "--data-dir", data)
    assert code == 0 and "第2级" in out, err
    sub = submissions.get(data, sid)
    assert (sub["status"], sub["level"], sub["import_id"]) == ("submitted", 2, "")
    assert _run("progress", "--as-of", "2020-07-31", "--data-dir", data)[0] == 2  # still counts nowhere
    code, _, err = _run("review", sid, "--approve", "--as", "leader.yangjiaping@demo", "--data-dir", data)
    assert code == 2
    code, out, err = _run("review", sid, "--approve", "--as", "reviewer@demo", "--json", "--data-dir", data)
    assert code == 0, err
    assert json.loads(out)["status"] == "approved"
    trail = audit.read(data, action="review")
    ok = trail[trail["outcome"] == "ok"]
    assert [json.loads(d)["level"] for d in ok["detail"]] == [1, 2] and set(trail["outcome"]) == {"ok", "refused"}


def test_a_bad_submissions_yaml_is_named(data):
    ref = data / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, ref)
    (ref / "submissions.yaml").write_text("review_levels:\n  - {role: boss}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="review_levels\\[1\\].role"):
        load_config(data)


def test_status_matrix_and_overdue_units(data):
    # the demo: every unit has data January–June except 陶家镇 in May (its deadline, 5 June, has passed)
    assert status.overdue_units(2020, date(2020, 6, 30), data_dir=data) == [{"unit": TAOJIA, "months": [5]}]
    assert status.overdue_units(2020, date(2020, 6, 6), data_dir=data) == [{"unit": TAOJIA, "months": [5]}]
    assert status.overdue_units(2020, date(2020, 6, 5), data_dir=data) == []  # the 5th itself is on time
    clerk, reviewer = _actor(data, "clerk.taojia@demo"), _actor(data, "reviewer@demo")
    sub = submissions.submit_form(data, clerk, unit=TAOJIA, period="2020-05",
                                  lines=[{"indicator": NE, "basis": "当月", "value": "80"}])
    df = status.month_status(data, 2020, date(2020, 7, 6))
    cell = df.set_index(["unit_code", "month"])["status"]
    assert cell[(TAOJIA, 5)] == "pending" and cell[(YJP, 6)] == "approved"
    assert cell[(YJP, 7)] == "unreported" and cell[(YJP, 8)] == ""  # July not yet due on 6 July; August not begun
    assert len(df) == 14 * 12
    submissions.review(data, reviewer, sub["id"], reason="数字有误")
    assert status.month_status(data, 2020, date(2020, 6, 1)).set_index(["unit_code", "month"])["status"][
        (TAOJIA, 5)] == "returned"
    assert status.overdue_units(2020, date(2020, 8, 6), data_dir=data) == [
        {"unit": c, "months": [5, 7] if c == TAOJIA else [7]} for c in
        [u for u in status.month_status(data, 2020, date(2020, 8, 6))["unit_code"].unique()]]
    text = status.overdue_sentence(status.overdue_units(2020, date(2020, 6, 30), data_dir=data),
                                   __import__("target_monitor.reference", fromlist=["x"]).load_reference(
                                       SHIPPED_REFERENCE_DIR).units, "zh", data)
    assert text == "逾期未报送（每月5日前报送上月数据）：陶家镇（5月）。"
