"""Snapshot reports: charts with nothing clipped, no empty chart, the workbook as published,
times in Beijing time, two builds byte-identical, and a 修订记录 sheet that names the revision."""

from __future__ import annotations

import io
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from target_monitor.snapshots import SnapshotContext, build_snapshot

EPOCH = "1593561600"  # 2020-07-01T00:00:00Z, 08:00 in Beijing
SHEET = "完成情况表"


@contextmanager
def _source_date_epoch(value: str):
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def _copy_demo(demo_dir: Path, dest: Path) -> Path:
    """The demo as generated: records, their aggregates (a build reads those, as in use) and inputs."""
    shutil.copytree(demo_dir, dest, ignore=shutil.ignore_patterns("snapshots", "logs"))
    return dest


@pytest.fixture(scope="session")
def first_build(demo_dir, built_once):
    """June 2020, full (xlsx, charts, PDF), built at EPOCH: the session's shared build (test_snapshots.full_june)."""
    from test_snapshots import EPOCH as SHARED_EPOCH, full_june

    assert SHARED_EPOCH == EPOCH
    return SnapshotContext(full_june(demo_dir, built_once) / "data" / "snapshots" / "2020-06")


def _content_box(png: Path) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
    """The bounding box of everything that is not the white background, and the image size."""
    img = Image.open(png).convert("L")
    ink = img.point(lambda v: 255 if v < 245 else 0)
    return ink.getbbox(), img.size


def _fits(png: Path, border: int = 3) -> bool:
    """Nothing drawn within `border` pixels of an edge: a label cut by the image edge would be."""
    box, (w, h) = _content_box(png)
    return box is not None and box[0] >= border and box[1] >= border and box[2] <= w - border \
        and box[3] <= h - border


# --- charts -------------------------------------------------------------------------------------


def test_every_chart_fits_its_image_and_none_is_empty(first_build):
    snap = first_build
    pngs = sorted((snap.data_dir / "charts").glob("*.png"))
    progress = snap.progress(2020, snap.snapshot.as_of)
    ranked = {ind.name for ind in snap.registry.indicators
              if progress[(progress["indicator"] == ind.name) & (progress["level"] == "child")]["rank"].notna().any()}
    # one chart per indicator with ranked units; 企业在职职工岗位技能培训 has no breakdown, so no chart
    assert {p.stem.split("_", 1)[1] for p in pngs} == ranked
    assert "enterprise_skill_training" not in ranked
    for png in pngs:
        assert _fits(png), png.name
        box, (w, _) = _content_box(png)
        assert box[0] < w * 0.05, png.name  # the unit names start at the left edge, not cut away


def test_long_unit_names_fit_in_both_languages(first_build, tmp_path):
    """Names far longer than the demo's, through the exports' own figures, rendered by kaleido;
    and the same chart with the old fixed 10 px margin is caught by the check."""
    import kaleido
    import plotly.io as pio

    from target_monitor.charts import ranked_bars

    snap = first_build
    progress = snap.progress(2020, snap.snapshot.as_of)
    kaleido.start_sync_server(headless=True, silence_warnings=True)  # one browser for the images
    try:
        for lang, name in (("zh", "urban_new_employment"), ("en", "graduate_employment_rate")):
            ind = snap.registry.get(name)  # the English rate chart has the longest title
            rows = progress[(progress["indicator"] == ind.name) & (progress["level"] == "child")]
            names = {c: f"重庆市九龙坡区{n}人民政府就业和社会保障服务中心" if lang == "zh"
                     else f"Employment and Social Security Service Centre of {c}"
                     for c, n in zip(rows["unit_code"], rows["unit_name"])}
            fig = ranked_bars(ind, rows, 50.0, lang, names)
            path = tmp_path / f"{lang}.png"
            path.write_bytes(pio.to_image(fig, format="png", width=1100, height=fig.layout.height, scale=1))
            assert _fits(path), lang
            assert fig.layout.margin.l > 300, lang  # measured from the longest name
        # the check can fail: the same chart laid out with a 10 px margin and no automargin is cut
        fig.update_layout(margin=dict(l=10))
        fig.update_yaxes(automargin=False)
        cut = tmp_path / "cut.png"
        cut.write_bytes(pio.to_image(fig, format="png", width=1100, height=fig.layout.height, scale=1))
        assert not _fits(cut)
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def test_chart_titles_say_what_is_ranked(first_build):
    from target_monitor.exports import report_for
    from target_monitor.exports.images import chart_figures

    titles = {ind.name: fig.layout.title.text for ind, fig in chart_figures(report_for(first_build, "zh"))}
    assert titles["graduate_employment_rate"] == "离校未就业高校毕业生就业率排名（与目标比较）"
    assert titles["urban_new_employment"] == "城镇新增就业完成率排名"
    assert not any("就业率完成率" in title for title in titles.values())


# --- the workbook -------------------------------------------------------------------------------


def _row_of(ws, name: str) -> int:
    return next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 2).value == name)


def test_workbook_prints_targets_as_published_and_times_in_beijing_time(first_build):
    wb = openpyxl.load_workbook(first_build.data_dir / "report.xlsx")
    ws = wb[SHEET]
    # loans (万元): a whole target prints 165, the actual keeps its two decimals
    r = _row_of(ws, "杨家坪街道")
    loans = 3 + 4 * 1
    assert ws.cell(r, loans).value == 165 and ws.cell(r, loans).number_format == "#,##0"
    assert ws.cell(r, loans + 1).number_format == "#,##0.00"
    # 区就业局's training target is printed as the breakdown table prints it, and stays a number
    r = _row_of(ws, "区就业局")
    training = 3 + 4 * 2
    assert ws.cell(r, training).value == 3000
    assert ws.cell(r, training).number_format == '0"(创业培训)"'
    # the 合计 row: the ≥95% standard of the graduate rate, and the loans' gap from unrounded totals
    r = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    rate = 3 + 4 * 4
    assert ws.cell(r, rate).value == 95 and "≥" in ws.cell(r, rate).number_format
    assert ws.cell(r, loans + 2).value == pytest.approx(999.6 / 2000 * 100)
    assert ws.cell(r, loans + 3).value == pytest.approx(999.6 / 2000 * 100 - 50.0)
    assert ws.cell(r, loans + 3).value < 0  # 49.98% is behind 50.0%, never "+0.0"
    notes = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("生成时间：2020-07-01 08:00（北京时间）" in n for n in notes), notes
    assert not any("UTC" in n for n in notes)


def test_pdf_prints_the_note_and_beijing_time(first_build):
    from pypdf import PdfReader

    reader = PdfReader(first_build.data_dir / "report.pdf")
    flat = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert "3000(创业培训)" in flat
    assert "2020-07-0108:00（北京时间）" in flat
    assert "就业率完成率排名" not in flat


def test_two_builds_from_the_same_inputs_are_byte_identical(first_build, demo_dir, tmp_path):
    """The shared build (another copy of the inputs, possibly another process) and one built here."""
    with _source_date_epoch(EPOCH):
        second = build_snapshot(_copy_demo(demo_dir, tmp_path / "data"), "2020-06")
    two_builds = [first_build, second]
    a, b = (s.data_dir for s in two_builds)
    assert a != b
    for name in ("report.xlsx", "report.pdf", "progress.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for png in (a / "charts").glob("*.png"):
        assert png.read_bytes() == (b / "charts" / png.name).read_bytes(), png.name
    assert two_builds[0].snapshot.created_at == "2020-07-01T00:00:00+00:00"


# --- the 修订记录 sheet of a snapshot built after a revision -----------------------------------


def _revise_june(data_dir: Path, unit_code: str, drop: int) -> None:
    """Re-submit June's new-employment file with `drop` fewer records for one unit, through the ingest
    API as a declared replacement of June (a new Delta commit; the old file stays but no longer counts)."""
    from target_monitor.ingest import ingest
    from target_monitor.tables_delta import read_partition

    table = read_partition(data_dir, "new_employment", 2020, 6).to_pandas()
    table = table.drop(columns=[c for c in ("year", "month") if c in table.columns])
    revised = table.drop(index=table.index[table["unit_code"] == unit_code][:drop])
    buf = io.BytesIO()
    revised.to_parquet(buf, index=False)
    report = ingest(buf.getvalue(), "june.parquet", data_dir=data_dir, extract="new_employment",
                    period="2020-06", replace=True, isolated=False)
    assert report.status not in ("rejected", "held", "noop") and report.accepted == len(revised), report


def test_revision_sheet_of_a_rebuilt_snapshot_lists_the_revision(first_build, tmp_path):
    # the first snapshot is the shared build's, in a private copy of its data directory (this test writes)
    data = tmp_path / "data"
    shutil.copytree(first_build.data_dir.parents[1], data, ignore=shutil.ignore_patterns("logs"))
    first = SnapshotContext(data / "snapshots" / "2020-06")
    first_sheet = openpyxl.load_workbook(first.data_dir / "report.xlsx")["修订记录"]
    assert first_sheet["A1"].value == "没有更早的快照可比较：这是第一份快照。"

    _revise_june(data, "500107-01", drop=25)
    second = build_snapshot(data, "2020-06", force=True, pdf=False)
    assert second.snapshot.snapshot_id == "2020-06-v2"
    ws = openpyxl.load_workbook(second.data_dir / "report.xlsx")["修订记录"]
    heading = ws["A1"].value
    assert "2020-06" in heading and "第一份快照" not in heading, heading
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4) if row[0].value]
    by_unit = {(r[0], r[3]): r for r in rows}
    yjp = by_unit[("杨家坪街道", 6)]
    assert yjp[1] == "城镇新增就业" and yjp[4] - yjp[5] == 25 and yjp[6] == -25
    assert set(by_unit) == {("杨家坪街道", 6), ("九龙坡区", 6)}
