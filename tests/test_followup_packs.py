"""The report pack per unit (`snapshot --per-unit`) and the follow-up state frozen with a snapshot.

One snapshot build (no PDF: the PDF's row is the same HTML as the report's, compared as text) for the
session, copied once per worker: the tests write notes, which the shared folders must not hold."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import openpyxl
import pytest

from target_monitor.access import ROLES, Actor
from target_monitor.cli import main
from target_monitor.followup import duban, notes

TAOJIA = "500107-13"
CLERK = Actor("clerk.taojia@demo", ROLES["clerk"], unit=TAOJIA, source="cli")
NOTE = "受疫情影响，6月辖区企业复工推迟，新增就业登记减少。"


@pytest.fixture(scope="session")
def shared_packs(demo_dir, built_once) -> Path:
    """The demo with 陶家镇's note and June 2020's snapshot with its per-unit packs (--no-pdf), built once
    for the session: `<folder>/data`, `<folder>/printed.txt` (what the build command printed) and
    `<folder>/built_in.txt` (the data directory it was built in, before built_once moved it)."""
    import shutil

    def build(folder: Path) -> None:
        d = folder / "data"
        shutil.copytree(demo_dir, d, ignore=shutil.ignore_patterns("logs", "snapshots"))
        notes.add_note(d, CLERK, unit=TAOJIA, indicator="urban_new_employment", month="2020-06", text=NOTE)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["snapshot", "--month", "2020-06", "--per-unit", "--no-pdf", "--data-dir", str(d)]) == 0
        (folder / "printed.txt").write_text(out.getvalue(), encoding="utf-8")
        (folder / "built_in.txt").write_text(str(d), encoding="utf-8")  # built_once renames the folder after

    return built_once("followup_packs", build)


@pytest.fixture(scope="session")
def built(shared_packs, tmp_path_factory):
    """This worker's copy of the shared build (the tests write notes and close items, which the shared
    folder must not hold): the data directory and its snapshot."""
    import shutil

    d = tmp_path_factory.mktemp("packs") / "data"
    shutil.copytree(shared_packs / "data", d, ignore=shutil.ignore_patterns("logs"))
    return d, d / "snapshots" / "2020-06"


def test_the_command_says_where_the_packs_are(shared_packs):
    snap = Path((shared_packs / "built_in.txt").read_text(encoding="utf-8")) / "snapshots" / "2020-06"
    assert (shared_packs / "data" / "snapshots" / "2020-06" / "units").is_dir()  # where the command built it
    first, second = (shared_packs / "printed.txt").read_text(encoding="utf-8").splitlines()
    assert first.startswith(f"快照已生成：{snap}（截至2020-06-30，")  # the line as before
    assert second == f"分单位报告包：14个单位，在 {snap / 'units'}"


def _official_row(ws, name: str) -> list:
    for row in ws.iter_rows(min_row=5):
        if row[1].value == name:
            return [(c.value, c.number_format) for c in row[2:]]
    raise AssertionError(f"{name} not in the official sheet")


def test_every_unit_has_a_pack_sealed_with_the_snapshot(built):
    from target_monitor.snapshots.frozen import read_manifest

    _, snap = built
    packs = sorted(p.name for p in (snap / "units").iterdir())
    assert len(packs) == 14 and TAOJIA in packs
    outputs = read_manifest(snap)["outputs"]
    assert all(f"units/{c}/{c}.xlsx" in outputs for c in packs)


def test_the_packs_figures_are_the_snapshots_table_row(built):
    _, snap = built
    report = openpyxl.load_workbook(snap / "report.xlsx").worksheets[0]
    pack = openpyxl.load_workbook(snap / "units" / TAOJIA / f"{TAOJIA}.xlsx")
    row = [(c.value, c.number_format) for c in pack.worksheets[0][5][2:]]
    assert pack.worksheets[0]["B5"].value == "陶家镇"
    assert row == _official_row(report, "陶家镇")  # value and format, cell by cell
    # its paragraph, rank and status, note and open items
    texts = [c.value for r in pack.worksheets[0].iter_rows() for c in r if isinstance(c.value, str)]
    assert any(s.startswith("陶家镇：城镇新增就业") and "排第12名（共13个单位）" in s for s in texts)
    assert "第12名 / 13" in texts
    assert [r[1].value for r in pack["情况说明"].iter_rows(min_row=2)] == [NOTE]
    assert sorted(r[0].value for r in pack["未销号督办事项"].iter_rows(min_row=2)) == ["发放创业担保贷款", "城镇新增就业", "职业培训"]


def test_the_pdf_row_is_the_reports_row(built):
    from target_monitor.exports import report_for
    from target_monitor.exports.pdf import table_html
    from target_monitor.snapshots import SnapshotContext
    from target_monitor.snapshots.per_unit import pack_html, unit_paragraph

    _, snap = built
    r = report_for(SnapshotContext(snap), "zh")
    html = pack_html(r, TAOJIA, unit_paragraph(r, TAOJIA), [], [], [])
    start = html.index('<td class="name">陶家镇</td>')
    row = html[start:html.index("</tr>", start)]
    assert row in table_html(r) and row.count("<td") == 1 + 4 * len(r.registry.indicators)


def test_the_snapshot_freezes_notes_and_items_and_quotes_the_note(built):
    d, snap = built
    brief = openpyxl.load_workbook(snap / "report.xlsx")["通报"]
    assert f"陶家镇（城镇新增就业）：{NOTE}" in [c.value for r in brief.iter_rows() for c in r]
    notes.add_note(d, CLERK, unit=TAOJIA, indicator="urban_new_employment", month="2020-06", text="后来写的")
    assert notes.current(snap, "2020-06")[(TAOJIA, "urban_new_employment")]["text"] == NOTE
    assert notes.current(d, "2020-06")[(TAOJIA, "urban_new_employment")]["text"] == "后来写的"
    opened = {it["id"] for it in duban.items(snap)}
    assert f"D:{TAOJIA}:urban_new_employment" in opened and len(opened) == 6  # the six far-behind lights
    assert {it["id"] for it in duban.items(d)} == opened


def _clerk_snapshots(data_dir: str, user: str) -> None:
    """The 月度快照 page's body for a clerk (the frame's login is OIDC; here the actor is set)."""
    from pathlib import Path

    from target_monitor import access
    from target_monitor.followup_ui import clerk_packs
    from target_monitor.paths import reference_dir
    from target_monitor.reference import load_reference
    from target_monitor.snapshots import list_snapshots

    actor = access.actor_for_user(user, access.load_access(Path(data_dir)))
    units = load_reference(reference_dir(Path(data_dir))).units
    access.set_current(actor.scope(units))
    clerk_packs(actor, list_snapshots(Path(data_dir)), units, "zh", lambda *a, **k: None)


@pytest.mark.parametrize("user, unit", [("clerk.taojia@demo", TAOJIA), ("clerk.yangjiaping@demo", "500107-01")])
def test_a_clerk_is_offered_its_own_pack_only(built, user, unit):
    from streamlit.testing.v1 import AppTest

    d, _ = built
    at = AppTest.from_function(_clerk_snapshots, args=(str(d), user), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["下载本单位报告包（XLSX）"]  # --no-pdf: the workbook alone
    assert [b.proto.url.split("/")[-1] or b.proto.label for b in buttons]  # served, not hidden
    names = [m.value for m in at.markdown]
    assert names == [{"500107-13": "**陶家镇**", "500107-01": "**杨家坪街道**"}[unit]]


def test_the_note_and_duban_commands(built, capsys):
    import json

    from target_monitor.access import audit

    d, _ = built
    dd = ["--data-dir", str(d)]
    clerk, reviewer = ["--as", "clerk.taojia@demo"], ["--as", "reviewer@demo"]
    capsys.readouterr()
    assert main(["note", "add", "--unit", "500107-12", "--indicator", "urban_new_employment", "--month", "2020-06",
                 "--text", "代写", *dd, *clerk]) == 2
    assert "只能为本单位填写" in capsys.readouterr().err
    assert main(["note", "add", "--unit", TAOJIA, "--indicator", "no_such", "--month", "2020-06", "--text", "x",
                 *dd, *clerk]) == 2
    assert "没有指标 no_such" in capsys.readouterr().err
    assert main(["duban", "list", "--json", *dd, *clerk]) == 0
    mine = json.loads(capsys.readouterr().out)
    assert {it["unit"] for it in mine} == {TAOJIA} and len(mine) == 3
    iid = f"D:{TAOJIA}:guarantee_loans"
    assert main(["duban", "close", iid, *dd, *reviewer]) == 2  # no feedback yet
    assert "先反馈，再销号" in capsys.readouterr().err
    assert main(["duban", "feedback", iid, "--text", "已走访12家企业", *dd, *clerk]) == 0
    assert main(["duban", "close", iid, *dd, *clerk]) == 2  # 销号 is the reviewers'
    assert main(["duban", "close", iid, "--text", "同意", *dd, *reviewer]) == 0
    assert main(["duban", "open", "--month", "2020-06", *dd, *reviewer]) == 0  # the build opened them already
    assert "新立项0项，重新立项0项，约谈0项。" in capsys.readouterr().out
    assert main(["duban", "open", "--month", "2020-06", *dd, *clerk]) == 2
    steps = audit.read(d, action="duban")
    assert list(steps[steps["object"] == iid]["outcome"]) == ["refused", "ok", "refused", "ok"]
