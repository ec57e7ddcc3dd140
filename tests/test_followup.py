"""情况说明 and 督办 (target_monitor/followup): who may write, what is required, the items' life
(立项 → 反馈 → 销号, re-opened, 约谈), the audit lines, and the 通报 quoting a note.

Tiny inline progress rows and a temporary data directory; the demo's progress table (read only)
for the 通报."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from target_monitor.access import ROLES, Actor
from target_monitor.access import audit
from target_monitor.briefing import build_briefing
from target_monitor.followup import FollowupConfig, FollowupError, duban, notes
from target_monitor.followup.config import FollowupConfigError, parse_config

TAOJIA, TONGGUANYI = "500107-13", "500107-12"
CLERK = Actor("clerk.taojia@demo", ROLES["clerk"], unit=TAOJIA, source="cli")
OTHER_CLERK = Actor("clerk.tongguanyi@demo", ROLES["clerk"], unit=TONGGUANYI, source="cli")
REVIEWER = Actor("reviewer@demo", ROLES["reviewer"], source="cli")
CONFIG = FollowupConfig()
GOLDEN = Path(__file__).parent / "golden" / "briefing_2020-06-30.txt"


def _rows(statuses: dict[tuple[str, str], str]) -> pd.DataFrame:
    return pd.DataFrame([{"unit_code": u, "indicator": i, "status": s, "level": "child", "target_basis": "own",
                          "sort_order": int(u[-2:])} for (u, i), s in statuses.items()])


def test_a_clerk_writes_for_its_own_unit_only_and_every_step_is_audited(tmp_path):
    n = notes.add_note(tmp_path, CLERK, unit=TAOJIA, indicator="urban_new_employment", month="2020-06",
                       text="受疫情影响，6月\n企业复工推迟。", config=CONFIG)
    assert n["text"] == "受疫情影响，6月 企业复工推迟。"  # one paragraph
    with pytest.raises(FollowupError) as exc:
        notes.add_note(tmp_path, OTHER_CLERK, unit=TAOJIA, indicator="urban_new_employment", month="2020-06",
                       text="x", config=CONFIG)
    assert exc.value.code == "not_your_unit"
    with pytest.raises(FollowupError) as exc:  # a reviewer replies; it does not write the unit's note
        notes.add_note(tmp_path, REVIEWER, unit=TAOJIA, indicator="urban_new_employment", month="2020-06",
                       text="x", config=CONFIG)
    assert exc.value.code == "not_your_unit"
    for bad, code in (("  ", "empty_text"), ("长" * 501, "too_long")):
        with pytest.raises(FollowupError) as exc:
            notes.add_note(tmp_path, CLERK, unit=TAOJIA, indicator="urban_new_employment", month="2020-06",
                           text=bad, config=CONFIG)
        assert exc.value.code == code
    with pytest.raises(FollowupError) as exc:
        notes.add_reply(tmp_path, CLERK, n["id"], "自己回复", config=CONFIG)
    assert exc.value.code == "not_reviewer"
    notes.add_reply(tmp_path, REVIEWER, n["id"], "请7月底前报送整改措施", config=CONFIG)
    got = notes.notes_for(tmp_path, month="2020-06")
    assert [x["text"] for x in got] == ["受疫情影响，6月 企业复工推迟。"]
    assert [r["text"] for r in got[0]["replies"]] == ["请7月底前报送整改措施"]
    trail = audit.read(tmp_path, action="note")
    assert list(trail["outcome"]) == ["ok", "refused", "refused", "refused", "refused", "refused", "ok"]
    assert list(trail["user"])[:2] == [CLERK.user, OTHER_CLERK.user]


def test_red_without_a_note_is_missing_and_the_latest_note_counts(tmp_path):
    progress = _rows({(TAOJIA, "a"): "far_behind", (TAOJIA, "b"): "ahead", (TONGGUANYI, "a"): "far_behind",
                      (TONGGUANYI, "r"): "not_met"})
    assert notes.missing(progress, {}, CONFIG) == [(TAOJIA, "a"), (TONGGUANYI, "a"), (TONGGUANYI, "r")]
    for text in ("第一稿", "第二稿"):
        notes.add_note(tmp_path, CLERK, unit=TAOJIA, indicator="a", month="2020-06", text=text, config=CONFIG)
    notes.add_note(tmp_path, CLERK, unit=TAOJIA, indicator="b", month="2020-05", text="上月", config=CONFIG)
    cur = notes.current(tmp_path, "2020-06")
    assert {k: v["text"] for k, v in cur.items()} == {(TAOJIA, "a"): "第二稿"}
    assert notes.missing(progress, cur, CONFIG) == [(TONGGUANYI, "a"), (TONGGUANYI, "r")]
    # a scheme with its own colours: "red" needs a note only where followup.yaml says so
    own = _rows({(TAOJIA, "a"): "red", (TAOJIA, "b"): "yellow"})
    assert notes.missing(own, {}, parse_config({"notes": {"required_for": ["red"]}})) == [(TAOJIA, "a")]


def test_duban_opens_is_answered_closed_reopened_and_escalated(tmp_path):
    cfg = FollowupConfig(due_days=15, escalate_after_months=2)
    may = _rows({(TAOJIA, "a"): "far_behind", (TAOJIA, "b"): "ahead"})
    new = duban.open_for_month(tmp_path, REVIEWER, may, "2020-05", cfg)
    assert [(e["event"], e["item"], e["due_on"]) for e in new] == [("open", f"D:{TAOJIA}:a", "2020-06-15")]
    assert duban.open_for_month(tmp_path, REVIEWER, may, "2020-05", cfg) == []  # idempotent
    iid = f"D:{TAOJIA}:a"
    with pytest.raises(FollowupError) as exc:  # 销号 needs the unit's 反馈 first
        duban.close(tmp_path, REVIEWER, iid, config=cfg)
    assert exc.value.code == "wrong_state"
    with pytest.raises(FollowupError) as exc:
        duban.feedback(tmp_path, OTHER_CLERK, iid, "不是我", config=cfg)
    assert exc.value.code == "not_your_unit"
    duban.feedback(tmp_path, CLERK, iid, "已制定帮扶计划", config=cfg)
    with pytest.raises(FollowupError) as exc:
        duban.close(tmp_path, CLERK, iid, config=cfg)
    assert exc.value.code == "not_reviewer"
    duban.close(tmp_path, REVIEWER, iid, "同意销号", config=cfg)
    (item,) = duban.items(tmp_path)
    assert (item["state"], item["feedback"], item["closed_by"]) == ("closed", "已制定帮扶计划", REVIEWER.user)
    # red again at the next month end: reopened, and red two month ends running -> 约谈
    new = duban.open_for_month(tmp_path, REVIEWER, may, "2020-06", cfg)
    assert [e["event"] for e in new] == ["reopen", "escalate"]
    assert new[1]["months"] == 2 and new[1]["text"] == cfg.escalation_text("zh")
    (item,) = duban.items(tmp_path)
    assert (item["state"], item["round"], item["due_on"], item["escalated"]) == ("open", 2, "2020-07-15", True)
    assert [e["event"] for e in item["history"]] == ["open", "feedback", "close", "reopen", "escalate"]
    assert duban.is_overdue(item, date(2020, 7, 16)) and not duban.is_overdue(item, date(2020, 7, 15))
    # still red in July while open: marked, not escalated twice; a clerk's scope sees its own unit only
    new = duban.open_for_month(tmp_path, REVIEWER, may, "2020-07", cfg)
    assert [e["event"] for e in new] == ["red"]
    assert duban.items(tmp_path, units={TONGGUANYI}) == []
    with pytest.raises(FollowupError):
        duban.open_for_month(tmp_path, CLERK, may, "2020-08", cfg)
    steps = audit.read(tmp_path, action="duban")
    assert (steps["outcome"] == "refused").sum() == 4 and (steps["outcome"] == "ok").sum() == 6


def test_a_bad_followup_yaml_says_which_key():
    with pytest.raises(FollowupConfigError, match="duban.due_days"):
        parse_config({"duban": {"due_days": "15天"}})
    with pytest.raises(FollowupConfigError, match="notes.required_for"):
        parse_config({"notes": {"required_for": "red"}})


@pytest.fixture(scope="module")
def demo_progress(demo_ctx):
    as_of = date(2020, 6, 30)
    return demo_ctx.progress(2020, as_of), demo_ctx.missing_months(2020, as_of)


def test_the_briefing_quotes_the_notes_and_is_unchanged_without(demo_ctx, demo_progress):
    progress, missing = demo_progress

    def brief(notes_):
        return build_briefing(demo_ctx.registry, demo_ctx.ref.units, progress, missing, 2020, date(2020, 6, 30),
                              "zh", is_demo=True, notes=notes_).to_text()

    golden = GOLDEN.read_text(encoding="utf-8")
    assert brief(None) == golden and brief([]) == golden
    quoted = [{"unit": TAOJIA, "indicator": "vocational_training", "text": "培训机构停课两个月，7月起恢复开班"},
              {"unit": TAOJIA, "indicator": "urban_new_employment", "text": "受疫情影响，6月辖区企业复工推迟。"},
              {"unit": TONGGUANYI, "indicator": "urban_new_employment", "text": "受疫情影响，6月……"}]
    lines = ["有关单位的情况说明：",
             "铜罐驿镇（城镇新增就业）：受疫情影响，6月……",
             "陶家镇（城镇新增就业）：受疫情影响，6月辖区企业复工推迟。",
             "陶家镇（职业培训）：培训机构停课两个月，7月起恢复开班。"]
    # exactly these lines, at the end of 二、各单位完成情况, and nothing else changed
    head, rest = golden.split("\n三、", 1)
    assert brief(quoted) == head.rstrip("\n") + "\n" + "\n".join(lines) + "\n\n三、" + rest
