"""The store on Delta tables: uploads add and correct by key, replacements are declared and
previewed, every import is a version and undo restores the exact bytes of every count and of
`progress`; the old file layout still reads and converts; the size cap is checked before reading."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seaweed import ON_SEAWEED, on_object_store
from target_monitor.cli import main
from target_monitor.ingest.versions import UndoError, list_imports, undo
from target_monitor.tables_delta import committed_files, latest_version, table_path

HEAD = "记录编号,街镇名称,身份证号,就业日期,人员类别,就业形式\n"
SHIPINGQIAO = "500107-03"
# the report: a July file for several units with one stray row dated 2020-06-30 for 石坪桥街道
STRAY = HEAD + ("NE-X-1,杨家坪街道,500107199001011234,2020-07-02,其他,单位就业\n"
                "NE-X-2,谢家湾街道,500107199001021234,2020-07-03,其他,单位就业\n"
                "NE-X-3,石坪桥街道,500107199001031234,2020-06-30,其他,灵活就业\n")
JUNE_ONE = HEAD + "NE-X-9,石坪桥街道,500107199001091234,2020-06-15,其他,灵活就业\n"


@pytest.fixture(params=["local", pytest.param("s3", marks=ON_SEAWEED)])
def d(request, tmp_path, demo_dir, monkeypatch) -> Path:
    """The demo's data directory, its tables on local disk or on SeaweedFS (the same tests pass on both)."""
    out = tmp_path / "data"
    shutil.copytree(demo_dir, out)
    if request.param == "s3":
        on_object_store(out, request.getfixturevalue("seaweedfs"), monkeypatch)
    return out


def extract_digests(d: Path) -> dict[str, str]:
    """A checksum of every extract: its committed rows, sorted (file names differ by version). Each row is
    the text of its values in column order (a null written apart from any text), computed column-wise
    by Arrow rather than row by row in Python."""
    import pyarrow.compute as pc

    out = {}
    for name in ("new_employment", "training", "loans", "graduates"):
        rows = []
        for f in committed_files(d, name).files:
            table = pq.ParquetFile(f).read()
            cols = [pc.fill_null(pc.cast(c, pa.string()), "\x00None") for c in table.columns]
            rows.append(pc.binary_join_element_wise(*cols, "\x1f") if cols else pa.array([], pa.string()))
        text = pa.chunked_array(rows, pa.string()) if rows else pa.chunked_array([], pa.string())
        ordered = pc.take(text, pc.sort_indices(text)).to_pylist()
        out[name] = hashlib.sha256("\n".join(ordered).encode()).hexdigest()
    return out


def progress_bytes(d: Path, capsys) -> bytes:
    capsys.readouterr()
    assert main(["progress", "--year", "2020", "--as-of", "2020-06-30", "--format", "csv", "--data-dir", str(d)]) == 0
    return capsys.readouterr().out.encode()


def june_count(d: Path, unit: str = SHIPINGQIAO) -> int:
    import duckdb

    files = [str(f) for f in committed_files(d, "new_employment").files if "year=2020/month=06" in f.as_posix()]
    return duckdb.connect().execute("select count(*) from read_parquet($f) where unit_code = $u", {"f": files, "u": unit}
                          ).fetchone()[0]


def ingest_cli(d: Path, tmp_path: Path, text: str, name: str, *args) -> int:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return main(["ingest", str(path), "--extract", "new_employment", "--data-dir", str(d), *args])


def test_the_stray_row_case_undeclared_declared_and_undone_exactly(d, tmp_path, capsys):
    before, progress0 = extract_digests(d), progress_bytes(d, capsys)
    assert june_count(d) == 440
    # no declaration: the stray row adds one record; 石坪桥's June is not replaced
    assert ingest_cli(d, tmp_path, STRAY, "july.csv") == 0
    out = capsys.readouterr().out
    assert f"{SHIPINGQIAO} 2020-06\t440\t441\t1\t0\t0" in out  # the change table, per unit-month
    assert "urban_new_employment: 440.0 → 441.0" in out  # each indicator's figure before -> after
    assert june_count(d) == 441
    after_stray, progress1 = extract_digests(d), progress_bytes(d, capsys)
    stray_id = f"new_employment@{latest_version(table_path(d, 'new_employment'))}"

    # declared July replacement: the June row is quarantined as outside the period, not applied
    version = latest_version(table_path(d, "new_employment"))
    assert ingest_cli(d, tmp_path, STRAY.replace("NE-X-", "NE-Y-"), "july2.csv", "--replace-period", "2020-07") == 0
    out = capsys.readouterr().out
    assert "不在申报期间 2020-07 内" in out and june_count(d) == 441
    undo(d, f"new_employment@{version + 1}")

    # a declared June replacement that leaves 石坪桥 1 record of 440: shown, held, nothing written
    version = latest_version(table_path(d, "new_employment"))
    digests = extract_digests(d)
    assert ingest_cli(d, tmp_path, JUNE_ONE, "june.csv", "--replace-period", "2020-06") == 2
    out = capsys.readouterr().out
    assert f"{SHIPINGQIAO} 2020-06\t441\t1\t1\t0\t441" in out and "警告" in out and "--yes" in out
    assert latest_version(table_path(d, "new_employment")) == version and extract_digests(d) == digests
    # confirmed: applied
    assert ingest_cli(d, tmp_path, JUNE_ONE, "june.csv", "--replace-period", "2020-06", "--yes") == 0
    assert june_count(d) == 1
    replace_id = f"new_employment@{latest_version(table_path(d, 'new_employment'))}"
    listed = {r["id"]: r for r in list_imports(d)}
    assert listed[replace_id]["removed"] == 441 and listed[replace_id]["added"] == 1
    assert listed[replace_id]["file"] == "june.csv" and listed[replace_id]["replace_months"] == ["2020-06"]

    # undo: exactly the state before it, then before the stray import: every extract and progress byte-equal
    capsys.readouterr()
    assert main(["imports", "undo", replace_id, "--data-dir", str(d)]) == 2  # without --yes: shown, not done
    assert june_count(d) == 1
    assert main(["imports", "undo", replace_id, "--yes", "--data-dir", str(d)]) == 0
    assert extract_digests(d) == after_stray and progress_bytes(d, capsys) == progress1
    assert main(["imports", "undo", stray_id, "--yes", "--data-dir", str(d)]) == 2  # later versions built on it
    assert "--cascade" in capsys.readouterr().err
    assert main(["imports", "undo", stray_id, "--yes", "--cascade", "--data-dir", str(d)]) == 0
    assert extract_digests(d) == before and progress_bytes(d, capsys) == progress0
    # an undo is itself a version that can be undone
    last = f"new_employment@{latest_version(table_path(d, 'new_employment'))}"
    undo(d, last)
    assert extract_digests(d) == after_stray


def test_undo_refuses_over_later_imports_and_names_them(d, tmp_path):
    assert ingest_cli(d, tmp_path, STRAY, "a.csv") == 0
    first = f"new_employment@{latest_version(table_path(d, 'new_employment'))}"
    assert ingest_cli(d, tmp_path, JUNE_ONE, "b.csv") == 0
    second = f"new_employment@{latest_version(table_path(d, 'new_employment'))}"
    with pytest.raises(UndoError) as exc:
        undo(d, first)
    assert exc.value.code == "later" and exc.value.details["later"] == [second]
    with pytest.raises(UndoError):
        undo(d, "new_employment@0")  # the demo's first version: nothing before it
    with pytest.raises(UndoError):
        undo(d, "nope@1")


def test_a_corrected_record_replaces_its_old_row_even_in_another_month(d, tmp_path):
    import duckdb

    files = [str(f) for f in committed_files(d, "new_employment").files]
    rid, unit = duckdb.connect().execute("select record_id, unit_code from read_parquet($f, hive_partitioning = true) "
                               "where year = 2020 and month = 5 order by record_id limit 1", {"f": files}).fetchone()
    total = duckdb.connect().execute("select count(*) from read_parquet($f)", {"f": files}).fetchone()[0]
    from target_monitor.paths import SHIPPED_REFERENCE_DIR
    from target_monitor.reference import load_units

    name = next(u.name for u in load_units(SHIPPED_REFERENCE_DIR) if u.code == unit)
    moved = HEAD + f"{rid},{name},500107199001011234,2020-06-03,其他,单位就业\n"
    assert ingest_cli(d, tmp_path, moved, "fix.csv") == 0
    files = [str(f) for f in committed_files(d, "new_employment").files]
    rows = duckdb.connect().execute("select employed_on from read_parquet($f) where record_id = $r", {"f": files, "r": rid}
                          ).fetchall()
    assert [str(r[0]) for r in rows] == ["2020-06-03"]  # one row, the corrected one
    assert duckdb.connect().execute("select count(*) from read_parquet($f)", {"f": files}).fetchone()[0] == total


def test_the_size_cap_is_checked_before_reading(tmp_path, monkeypatch, capsys):
    big = tmp_path / "huge.csv"
    with open(big, "wb") as fh:  # sparse: 60 MB on paper, nothing on disk
        fh.truncate(60 * 2**20)

    def never(*a, **k):
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", never)
    code = main(["ingest", str(big), "--extract", "loans", "--data-dir", str(tmp_path / "data")])
    assert code == 2
    assert "超过上限 50 MB" in capsys.readouterr().out


def test_the_old_layout_reads_and_converts(tmp_path, demo_dir, capsys):
    """A data directory written before the table format: read as it is, converted by store migrate."""
    from target_monitor.tables_delta import read_table

    d = tmp_path / "old"
    shutil.copytree(demo_dir, d)
    for name in ("new_employment", "training", "loans", "graduates"):
        table = read_table(demo_dir, name)
        shutil.rmtree(d / "extracts" / name)
        _write_legacy(d, name, table)
    assert latest_version(table_path(d, "loans")) is None
    progress_old = progress_bytes(d, capsys)
    assert main(["store", "migrate", "--data-dir", str(d)]) == 0
    assert "new_employment" in capsys.readouterr().out
    assert latest_version(table_path(d, "loans")) == 0
    assert progress_bytes(d, capsys) == progress_old
    assert extract_digests(d) == extract_digests(demo_dir)
    assert any(p.name.startswith(".loans.before-delta-") for p in (d / "extracts").iterdir())


def _write_legacy(d: Path, name: str, table) -> None:
    """year=YYYY/month=MM/part-0.parquet, as the store wrote before the table format."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from target_monitor.registry import load_registry

    ext = load_registry().extracts[name]
    days = table.column(ext.partition_date)
    ym = pc.add(pc.multiply(pc.year(days), 100), pc.month(days)).to_numpy()
    for key in sorted(set(ym.tolist())):
        folder = d / "extracts" / name / f"year={key // 100:04d}" / f"month={key % 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.filter(pa.array(ym == key)), folder / "part-0.parquet")


def test_a_snapshot_records_its_store_versions_and_rebuilds_from_them(d, tmp_path, capsys):
    from target_monitor.snapshots import build_snapshot
    from target_monitor.snapshots.frozen import read_manifest

    first = build_snapshot(d, "2020-06", exports=False)
    manifest = read_manifest(first.data_dir)
    assert manifest["inputs"]["store_versions"]["new_employment"] == latest_version(table_path(d, "new_employment"))
    # a later revision of June: the store moves on
    assert ingest_cli(d, tmp_path, JUNE_ONE, "june.csv", "--replace-period", "2020-06", "--yes") == 0
    capsys.readouterr()
    assert main(["snapshot", "--month", "2020-06", "--rebuild", "--no-pdf", "--data-dir", str(d)]) == 0
    again = read_manifest(d / "snapshots" / "2020-06-v2")
    assert again["rebuild_of"] == "2020-06" and again["inputs"]["store_versions"] == manifest["inputs"]["store_versions"]
    for name in ("facts.parquet", "progress.parquet", "monthly.parquet", "revisions.parquet"):
        assert (d / "snapshots" / "2020-06-v2" / name).read_bytes() == (first.data_dir / name).read_bytes(), name
    # a plain rebuild (--force) reads the revised store instead
    fresh = build_snapshot(d, "2020-06", force=True, exports=False)
    assert (fresh.data_dir / "facts.parquet").read_bytes() != (first.data_dir / "facts.parquet").read_bytes()


def test_store_compact_and_vacuum_are_commands_that_keep_every_number(d, capsys):
    import json

    from deltalake import write_deltalake

    from target_monitor.tables_delta import read_partition, store_options, table_uri, with_partitions

    # a second file in June (an append by another tool): two files to compact there
    june = read_partition(d, "loans", 2020, 6)
    uri, opts = table_uri(d, "loans"), store_options()
    write_deltalake(uri, with_partitions(june.slice(0, 0), "disbursed_on"), mode="append", storage_options=opts)
    write_deltalake(uri, with_partitions(june.slice(0, 1).set_column(
        0, "loan_id", pa.array(["LN-EXTRA"])), "disbursed_on"), mode="append", storage_options=opts)
    # another tool's commits: on object storage a reader sees them within LIST_TTL_S; this one asks now
    latest_version(table_path(d, "loans"), fresh=True)
    before, progress0 = extract_digests(d), progress_bytes(d, capsys)
    assert main(["store", "compact", "--data-dir", str(d)]) == 0
    out = capsys.readouterr().out
    assert "loans 2 个文件合并为 1 个" in out
    # the process that compacted reads its own commit at once (on object storage, not a listing kept
    # from before it)
    from target_monitor.tables_delta import open_table

    assert latest_version(table_path(d, "loans")) == open_table(d, "loans").version()
    assert extract_digests(d) == before and progress_bytes(d, capsys) == progress0
    files = {f for f in (d / "extracts" / "loans").rglob("*.parquet")}
    assert main(["store", "vacuum", "--keep-days", "0", "--data-dir", str(d)]) == 0
    left = {f for f in (d / "extracts" / "loans").rglob("*.parquet")}
    assert left < files and left == set(committed_files(d, "loans").files)  # only what no version needs went
    assert extract_digests(d) == before and progress_bytes(d, capsys) == progress0
    assert main(["store", "vacuum", "--keep-days", "-1", "--data-dir", str(d)]) == 2
    capsys.readouterr()
    assert main(["imports", "list", "--json", "--data-dir", str(d)]) == 0
    kinds = {r["kind"] for r in json.loads(capsys.readouterr().out)}
    assert {"demo", "compact"} <= kinds
