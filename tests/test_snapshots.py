"""Monthly snapshots: immutable folders, manifests, reproducible numbers, revisions."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from target_monitor.cli import main
from target_monitor.context import Context
from target_monitor.snapshots import (
    SnapshotContext, SnapshotExists, build_snapshot, find_snapshot, list_snapshots, revisions, verify_snapshot,
)
from target_monitor.snapshots.build import sha256_file
from target_monitor.store import parquet_files

REPO = Path(__file__).resolve().parents[1]
JUNE = date(2020, 6, 30)
NUMBERS = ["target", "actual", "completion_pct", "time_progress_pct", "gap_pp", "projected_year_end",
           "required_monthly"]


def _copy_demo(demo_dir: Path, dest: Path) -> Path:
    """The demo as generated: records, their aggregates (a build reads those, as in use) and inputs."""
    shutil.copytree(demo_dir, dest, ignore=shutil.ignore_patterns("snapshots", "logs"))
    return dest


@pytest.fixture
def data(demo_dir, tmp_path) -> Path:
    """A private copy of the demo extracts (tests here revise data and write snapshots)."""
    return _copy_demo(demo_dir, tmp_path / "data")


EPOCH = "1593561600"  # 2020-07-01T00:00:00Z: the recorded time of the shared build (SOURCE_DATE_EPOCH)


def full_june(demo_dir: Path, built_once) -> Path:
    """One full snapshot (with xlsx, PNG charts and PDF) of June 2020 from a copy of the demo's extracts,
    built once per session for every module that reads it (here and test_report_layout.py) at a pinned
    time: `<folder>/data` (its snapshot in `snapshots/2020-06`) and `<folder>/steps.json`, the progress
    bar's steps. Read-only: copy it for a test that writes."""
    import os

    def build(folder: Path) -> None:
        d = _copy_demo(demo_dir, folder / "data")
        steps = []
        old = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = EPOCH
        try:
            build_snapshot(d, "2020-06", step=lambda f, key: steps.append((f, key)))
        finally:
            if old is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = old
        (folder / "steps.json").write_text(json.dumps(steps))

    return built_once("full_june_snapshot", build)


@pytest.fixture(scope="session")
def built(demo_dir, built_once):
    """The shared full snapshot of June 2020 (full_june): its data directory, context and build steps."""
    folder = full_june(demo_dir, built_once)
    d = folder / "data"
    steps = [tuple(s) for s in json.loads((folder / "steps.json").read_text())]
    return d, SnapshotContext(d / "snapshots" / "2020-06"), steps


def _cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    finally:
        sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def _cli_progress(data_dir: Path, as_of: str = "2020-06-30") -> pd.DataFrame:
    code, out, err = _cli("progress", "--as-of", as_of, "--format", "csv", "--data-dir", str(data_dir))
    assert code == 0, err
    return pd.read_csv(io.StringIO(out), dtype={"unit_code": str})


def _revise_june(data_dir: Path, unit_code: str = "500107-01", drop: int = 25) -> int:
    """Re-submit June's new-employment file with `drop` fewer records for one unit (one commit)."""
    import pyarrow as pa

    from target_monitor.tables_delta import read_partition, rewrite_partition

    table = read_partition(data_dir, "new_employment", 2020, 6)
    mine = set(table.to_pandas().index[table.to_pandas()["unit_code"] == unit_code][:drop])
    assert len(mine) == drop
    keep = pa.array([i not in mine for i in range(table.num_rows)])
    rewrite_partition(data_dir, "new_employment", 2020, 6, table.filter(keep), "employed_on")
    return drop


# --- the folder and its manifest ---------------------------------------------------------------


def test_snapshot_folder_holds_manifest_facts_progress_and_exports(built):
    d, snap, steps = built
    folder = d / "snapshots" / "2020-06"
    assert snap.data_dir == folder.resolve()
    for name in ("manifest.json", "facts.parquet", "progress.parquet", "monthly.parquet", "revisions.parquet",
                 "progress.csv", "report.xlsx", "report.pdf", "inputs/reference/targets.csv",
                 "inputs/reference/units.csv", "inputs/indicators.yaml"):
        assert (folder / name).is_file(), name
    # one chart per indicator with ranked units (the demo's in-service training has no breakdown)
    progress = snap.progress(2020, snap.snapshot.as_of)
    children = progress[progress["level"] == "child"]
    ranked = {ind.name for ind in snap.registry.indicators
              if children[children["indicator"] == ind.name]["rank"].notna().any()}
    assert "enterprise_skill_training" not in ranked and len(ranked) >= 4
    assert {p.stem.split("_", 1)[1] for p in (folder / "charts").glob("*.png")} == ranked
    # the progress bar moves forward only and ends at 1
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_manifest_hashes_every_input_and_output(built):
    d, snap, _ = built
    m = json.loads((snap.data_dir / "manifest.json").read_text(encoding="utf-8"))
    assert m["as_of"] == "2020-06-30" and m["month"] == "2020-06" and m["snapshot_id"] == "2020-06"
    assert m["created_at"].endswith("+00:00")
    assert m["code_version"]["package"] and len(m["code_version"]["queries_sha256"]) == 64
    files = parquet_files(d)
    assert sorted(m["inputs"]["extracts"]) == sorted(str(p.relative_to(d)) for p in files)
    some = files[len(files) // 2]
    assert m["inputs"]["extracts"][str(some.relative_to(d))]["sha256"] == sha256_file(some)
    assert m["inputs"]["reference"]["targets.csv"] == sha256_file(REPO / "data" / "reference" / "targets.csv")
    assert m["inputs"]["registry"]["sha256"] == sha256_file(REPO / "queries" / "indicators.yaml")
    assert "report.xlsx" in m["outputs"] and "facts.parquet" in m["outputs"]
    assert verify_snapshot(snap.data_dir) == []


def test_snapshot_files_are_read_only(built):
    _, snap, _ = built
    for p in snap.data_dir.rglob("*"):
        if p.is_file():
            assert not (p.stat().st_mode & 0o222), p


def test_frozen_progress_matches_cli_progress_for_the_same_as_of(built, tmp_path):
    d, snap, _ = built
    # the CLI writes an audit line into its data directory: run it on a copy of the snapshot's inputs
    mine = tmp_path / "data"
    shutil.copytree(d, mine, ignore=shutil.ignore_patterns("snapshots", "logs"))
    cli = _cli_progress(mine)
    frozen = snap.progress(2020, JUNE)
    keys = ["unit_code", "indicator", "target_basis"]
    both = cli.merge(frozen, on=keys, suffixes=("_cli", "_snap"), how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    for col in NUMBERS:
        a, b = both[f"{col}_cli"].astype(float), both[f"{col}_snap"].astype(float)
        assert ((a == b) | (a.isna() & b.isna())).all(), col
    assert (both["status_cli"] == both["status_snap"]).all()


def test_rebuild_from_frozen_inputs_gives_identical_numbers(built, tmp_path):
    d, snap, _ = built
    # the snapshot is self-contained: copy it away from its data directory (no extracts there)
    copy = tmp_path / "2020-06"
    shutil.copytree(snap.data_dir, copy)
    ctx = SnapshotContext(copy)
    rebuilt = ctx.rebuild_progress()
    frozen = pd.read_parquet(copy / "progress.parquet")
    roundtrip = io.BytesIO()
    rebuilt.to_parquet(roundtrip, index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(roundtrip), frozen, check_exact=True)
    monthly = ctx.rebuild_monthly()
    pd.testing.assert_frame_equal(monthly.reset_index(drop=True),
                                  pd.read_parquet(copy / "monthly.parquet"), check_exact=True)


# --- immutability, --force, errors -------------------------------------------------------------


def test_second_run_refuses_and_force_keeps_the_earlier_one(data):
    code, out, err = _cli("snapshot", "--month", "2020-06", "--no-pdf", "--data-dir", str(data))
    assert code == 0, err
    assert "2020-06" in out
    first = data / "snapshots" / "2020-06"
    before = {p.name: sha256_file(p) for p in first.iterdir() if p.is_file()}

    code, out, err = _cli("snapshot", "--month", "2020-06", "--data-dir", str(data))
    assert code == 2 and "--force" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

    code, out, err = _cli("snapshot", "--month", "2020-06", "--force", "--no-pdf", "--data-dir", str(data))
    assert code == 0, err
    assert [s.snapshot_id for s in list_snapshots(data)] == ["2020-06-v2", "2020-06"]
    assert {p.name: sha256_file(p) for p in first.iterdir() if p.is_file()} == before
    assert find_snapshot(data, "2020-06-v2").manifest["supersedes"] == "2020-06"
    with pytest.raises(SnapshotExists):
        build_snapshot(data, "2020-06", exports=False)


@pytest.mark.parametrize("month, fragment", [("2020-13", "YYYY-MM"), ("June", "YYYY-MM"), ("2021-03", "没有数据")])
def test_bad_month_is_one_line_exit_2(data, month, fragment):
    code, out, err = _cli("snapshot", "--month", month, "--data-dir", str(data))
    assert code == 2
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not (data / "snapshots").exists() or not list_snapshots(data)


def test_failed_build_leaves_no_half_snapshot(data, monkeypatch):
    import target_monitor.exports as exports

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "write_exports", boom)
    with pytest.raises(RuntimeError):
        build_snapshot(data, "2020-06")
    assert list((data / "snapshots").iterdir()) == []


# --- revisions ---------------------------------------------------------------------------------


def test_revising_june_leaves_the_snapshot_unchanged_and_is_reported(data):
    first = build_snapshot(data, "2020-06", exports=False)
    frozen_before = first.progress(2020, JUNE)
    live_before = Context(data).progress(2020, JUNE)

    dropped = _revise_june(data, "500107-01", drop=25)

    live_after = Context(data).progress(2020, JUNE)
    key = (live_after["unit_code"] == "500107-01") & (live_after["indicator"] == "urban_new_employment")
    assert live_after.loc[key, "actual"].iloc[0] == live_before.loc[key, "actual"].iloc[0] - dropped

    reopened = SnapshotContext(first.data_dir)  # what the dashboard opens months later
    pd.testing.assert_frame_equal(reopened.progress(2020, JUNE), frozen_before)
    pd.testing.assert_frame_equal(reopened.rebuild_progress(), frozen_before, check_exact=True)
    assert verify_snapshot(first.data_dir) == []

    second = build_snapshot(data, "2020-06", force=True, exports=False)
    assert second.snapshot.snapshot_id == "2020-06-v2"
    revs = second.revisions()
    assert set(revs["compared_with"]) == {"2020-06"}
    june = revs[(revs["unit_code"] == "500107-01") & (revs["indicator"] == "urban_new_employment")
                & (revs["month"] == 6)]
    assert len(june) == 1
    assert june["old_value"].iloc[0] - june["new_value"].iloc[0] == dropped
    # the district total for June moved by the same amount; besides, exactly the figures counted from the
    # same records that moved (the dropped people who were also 失业人员 or 就业困难人员), nothing else
    moved = live_before.merge(live_after, on=["unit_code", "indicator"])
    moved = moved[moved["actual_x"].fillna(-1) != moved["actual_y"].fillna(-1)]
    assert set(zip(revs["unit_code"], revs["indicator"], revs["month"])) == {
        (u, i, 6) for u, i in zip(moved["unit_code"], moved["indicator"])}
    assert {("500107-01", "urban_new_employment"), ("500107", "urban_new_employment")} <= set(
        zip(moved["unit_code"], moved["indicator"]))
    assert set(moved["unit_code"]) == {"500107-01", "500107"}

    # the same comparison between the two frozen folders, as the page does it
    again = revisions(first.monthly(2020, JUNE), second.monthly(2020, JUNE), JUNE)
    pd.testing.assert_frame_equal(again, revs.drop(columns=["compared_with"]))


def test_revisions_ignore_float_noise_and_report_one_sided_rows():
    old = pd.DataFrame({"unit_code": ["a", "a"], "indicator": ["x", "x"], "year": [2020, 2020], "month": [1, 2],
                        "value": [1.0, 2.0], "cumulative": [1.0, 3.0]})
    new = old.copy()
    new.loc[0, "value"] = 1.0 + 1e-12
    assert revisions(old, new, date(2020, 2, 29)).empty
    new.loc[1, "value"] = 5.0
    extra = pd.DataFrame({"unit_code": ["b"], "indicator": ["x"], "year": [2020], "month": [1], "value": [7.0],
                          "cumulative": [7.0]})
    out = revisions(old, pd.concat([new, extra]), date(2020, 2, 29))
    assert list(zip(out["unit_code"], out["month"], out["old_value"].fillna(-1), out["new_value"])) == [
        ("a", 2, 2.0, 5.0), ("b", 1, -1, 7.0)]
    # a month after the earlier report's as-of date is movement, not a revision
    assert revisions(old, new, date(2020, 1, 31)).empty


def test_cli_snapshot_runs_as_a_console_script(data):
    """The entry point a scheduled job calls (subprocess: real argv, real exit code)."""
    proc = subprocess.run(["target-monitor", "snapshot", "--month", "2020-05", "--no-pdf", "--data-dir", str(data)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    snap = find_snapshot(data, "2020-05")
    assert snap.as_of == date(2020, 5, 31)
    assert (snap.path / "report.xlsx").exists() and not (snap.path / "report.pdf").exists()


# --- PDF and PNG --------------------------------------------------------------------------------


def test_pdf_has_headlines_table_and_embedded_chinese_fonts(built):
    from pypdf import PdfReader

    from target_monitor.exports.briefing import headline_sentences

    _, snap, _ = built
    reader = PdfReader(snap.data_dir / "report.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    flat = "".join(text.split())
    for sentence in headline_sentences(snap.progress(2020, JUNE), snap.registry, JUNE, "zh"):
        assert "".join(sentence.split()) in flat, sentence
    assert "九龙坡区2020年就业创业工作任务完成情况表（截至2020年6月30日）" in flat
    assert "铜罐驿镇" in flat and "合计" in flat and "情况通报" in flat
    # every font is embedded (a reader without Chinese fonts shows the same glyphs)
    fonts = []
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            desc = font.get("/FontDescriptor") or (font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
                                                   if "/DescendantFonts" in font else None)
            desc = desc.get_object()
            fonts.append((str(font["/BaseFont"]), any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))))
    assert any("CJK" in name for name, _ in fonts)
    assert all(embedded for _, embedded in fonts), fonts
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    assert abs(float(reader.pages[0].mediabox.width) - 841.89) < 1  # A4: 297 mm


def test_png_charts_are_real_images(built):
    _, snap, _ = built
    for png in (snap.data_dir / "charts").glob("*.png"):
        head = png.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(head[16:20], "big")
        assert width >= 1100


def test_two_builds_of_one_month_at_once_give_one_snapshot(data):
    from concurrent.futures import ThreadPoolExecutor

    def build(_):
        try:
            return build_snapshot(data, "2020-06", exports=False).snapshot.snapshot_id
        except SnapshotExists:
            return "refused"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(build, range(2)))
    assert results == ["2020-06", "refused"]
    assert [p.name for p in (data / "snapshots").iterdir()] == ["2020-06"]  # no leftover temp folder
    assert verify_snapshot(data / "snapshots" / "2020-06") == []
