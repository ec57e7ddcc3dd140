"""The aggregate layer: same numbers as the raw rows, incremental, and safe when stale."""

import shutil
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
import pytest

from target_monitor.tables_delta import read_partition, rewrite_partition
from target_monitor.aggregates import aggregates_dir, is_fresh, refresh
from target_monitor.cli import main
from target_monitor.context import Context
from target_monitor.store import Store


@pytest.fixture
def data(tmp_path, demo_dir):
    shutil.copytree(demo_dir / "extracts", tmp_path / "extracts")
    shutil.copytree(demo_dir / "aggregates", tmp_path / "aggregates")
    return tmp_path


def _monthly(store: Store) -> pd.DataFrame:
    with store.con.cursor() as cur:
        df = cur.execute(
            "select k.unit_code, m.indicator, m.year, m.event_month, sum(m.num) as num, sum(m.den) as den, "
            "sum(m.event_count) as event_count from indicator_monthly m join unit_keys k using (unit_key) "
            "group by all").df()
    return df.sort_values(["unit_code", "indicator", "year", "event_month"]).reset_index(drop=True)


def _raw_monthly(data_dir) -> pd.DataFrame:
    store = Store(data_dir, aggregates=False)  # the same view computed from the records
    assert not store.uses_aggregates
    return _monthly(store)


def test_demo_ships_with_fresh_aggregates_the_store_uses(demo_dir):
    assert is_fresh(demo_dir)
    assert Store(demo_dir).uses_aggregates


def test_aggregate_totals_equal_raw_totals_for_every_unit_and_month(data):
    agg = _monthly(Store(data))
    raw = _raw_monthly(data)
    assert len(agg) == len(raw) > 1000
    pd.testing.assert_frame_equal(agg, raw, check_exact=False, rtol=1e-9, check_dtype=False)


@pytest.fixture(scope="module")
def raw_ctx(demo_dir):
    """The session's demo counted from the records only (Store(aggregates=False): the views a store
    without aggregates builds); read-only, so one per worker serves every as-of date."""
    ctx = Context(demo_dir, aggregates=False)
    assert not ctx.store.uses_aggregates
    return ctx


@pytest.mark.spread  # raw_ctx is cheap to make once per worker: the dates need not wait for one worker
@pytest.mark.parametrize("as_of", [date(2020, 6, 30), date(2020, 6, 15), date(2020, 2, 29), date(2020, 1, 1),
                                   date(2019, 12, 31), date(2019, 7, 20)])
def test_progress_is_identical_from_aggregates_and_from_records(demo_ctx, raw_ctx, as_of):
    assert demo_ctx.store.uses_aggregates
    figures = (demo_ctx.progress(as_of.year, as_of), demo_ctx.monthly(as_of.year, as_of),
               demo_ctx.missing_months(as_of.year, as_of))
    pd.testing.assert_frame_equal(figures[0], raw_ctx.progress(as_of.year, as_of))
    pd.testing.assert_frame_equal(figures[1], raw_ctx.monthly(as_of.year, as_of))
    assert figures[2] == raw_ctx.missing_months(as_of.year, as_of)


def test_a_store_whose_aggregates_vanish_falls_back_to_records(data):
    store_ctx = Context(data)
    before = store_ctx.progress(2020, date(2020, 6, 30))
    shutil.rmtree(aggregates_dir(data))
    pd.testing.assert_frame_equal(store_ctx.progress(2020, date(2020, 6, 30)), before)
    assert not store_ctx.store.uses_aggregates


def test_refresh_is_incremental_and_a_stale_store_falls_back_to_records(data):
    table = read_partition(data, "loans", 2020, 3)
    # a corrected March file: one loan fewer
    rewrite_partition(data, "loans", 2020, 3, table.slice(1), "disbursed_on")
    assert not is_fresh(data)
    stale = Context(data)
    assert not stale.store.uses_aggregates  # never reads aggregates that no longer match
    expected = stale.progress(2020, date(2020, 6, 30))
    report = refresh(data)
    assert report.rebuilt == ["loans/year=2020/month=03"] and report.unchanged > 50
    assert is_fresh(data)
    fresh = Context(data)
    assert fresh.store.uses_aggregates
    pd.testing.assert_frame_equal(fresh.progress(2020, date(2020, 6, 30)), expected)


def test_a_removed_partition_is_removed_from_the_aggregates(data):
    empty = read_partition(data, "training", 2019, 1).slice(0, 0)
    rewrite_partition(data, "training", 2019, 1, empty, "completed_on")
    report = refresh(data)
    assert report.removed == ["training/year=2019/month=01"]
    assert not (aggregates_dir(data) / "indicator_monthly" / "training" / "year=2019" / "month=01").exists()
    pd.testing.assert_frame_equal(_monthly(Store(data)), _raw_monthly(data), check_exact=False, rtol=1e-9,
                                  check_dtype=False)


def test_readers_read_one_sorted_compact_file_per_source_year(data):
    from target_monitor.aggregates import read_manifest

    compact = aggregates_dir(data) / "compact"
    assert read_manifest(data)["compact"] == ["year=2019.parquet", "year=2020.parquet"]
    table = pq.ParquetFile(compact / "year=2020.parquet").read().to_pandas()
    order = ["year", "event_month", "indicator", "unit_key"]
    assert table[order].equals(table[order].sort_values(order).reset_index(drop=True))  # row groups skip by year
    parts = pd.concat([pq.ParquetFile(p).read().to_pandas()
                       for p in (aggregates_dir(data) / "indicator_monthly").glob("*/year=2020/*/part-0.parquet")])
    key = ["indicator", "unit_key", "year", "event_month"]
    assert not table.duplicated(key).any() and parts.duplicated(key).any()  # rows of one key merged
    for col in ("num", "den", "event_count"):
        assert float(table[col].astype(float).sum()) == pytest.approx(float(parts[col].astype(float).sum()), rel=1e-12)
    # a compact file gone: not fresh (the store counts from the records), and a refresh puts it back
    (compact / "year=2019.parquet").unlink()
    assert not is_fresh(data) and not Store(data).uses_aggregates
    assert refresh(data).rebuilt == []
    assert is_fresh(data) and (compact / "year=2019.parquet").exists()
    pd.testing.assert_frame_equal(_monthly(Store(data)), _raw_monthly(data), check_exact=False, rtol=1e-9,
                                  check_dtype=False)
    # beside each compact file, its share of data_bounds: the same bounds as from every record
    assert (aggregates_dir(data) / "bounds" / "year=2019.parquet").exists()
    pd.testing.assert_frame_equal(Store(data).query("data_bounds"), Store(data, aggregates=False).query("data_bounds"))


def test_cli_refresh_and_unit_keys_are_integers_never_renumbered_by_a_full_refresh(data, capsys):
    """One full refresh (through the CLI) for both: the command's output and exit codes, and the
    unit keys, integers, the same after the full rebuild."""
    keys_before = pq.read_table(aggregates_dir(data) / "unit_keys.parquet").to_pandas()
    assert str(keys_before["unit_key"].dtype) == "int32"
    assert main(["aggregates", "refresh", "--data-dir", str(data), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"rebuilt": 0' in out and '"unchanged":' in out
    assert main(["aggregates", "refresh", "--full", "--data-dir", str(data)]) == 0
    assert "汇总数据已更新" in capsys.readouterr().out
    keys_after = pq.read_table(aggregates_dir(data) / "unit_keys.parquet").to_pandas()
    pd.testing.assert_frame_equal(keys_before, keys_after)
    assert main(["aggregates", "refresh", "--data-dir", str(data / "nope")]) == 2


def test_ingest_keeps_the_aggregates_fresh(data, tmp_path):
    """A corrected month ingested through the CLI: aggregates rebuilt for that partition only."""
    import pyarrow.parquet as pq_

    from target_monitor.aggregates import read_manifest

    before = read_manifest(data)["partitions"]
    src = tmp_path / "loans_2020_03.parquet"
    pq_.write_table(read_partition(data, "loans", 2020, 3), src)
    code = main(["ingest", str(src), "--extract", "loans", "--period", "2020-03", "--data-dir", str(data), "--json"])
    assert code == 0
    assert is_fresh(data)
    after = read_manifest(data)["partitions"]
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed <= {"loans/year=2020/month=03"}
    assert Store(data).uses_aggregates


# --- per-dimension aggregates (the explorer's) ---------------------------------------------------


def _dimension_monthly(store: Store) -> pd.DataFrame:
    with store.con.cursor() as cur:
        df = cur.execute(
            "select m.indicator, m.dimension, m.value, m.dimension2, m.value2, k.unit_code, m.year, m.event_month, "
            "m.record_month, sum(m.num) as num, sum(m.den) as den, sum(m.records) as records "
            "from indicator_dimension_monthly m join unit_keys k using (unit_key) group by all").df()
    keys = ["indicator", "dimension", "value", "dimension2", "value2", "unit_code", "year", "event_month",
            "record_month"]
    return df.sort_values(keys, na_position="first").reset_index(drop=True)


def _expected_from_records(data_dir, registry) -> pd.DataFrame:
    """The per-dimension monthly sums computed with pandas straight from the Parquet extracts."""
    import pyarrow.dataset as pads

    frames = []
    for ind in registry.record_indicators:  # figures units report have no records to recount
        raw = pads.dataset(data_dir / "extracts" / ind.extract, partitioning="hive").to_table().to_pandas()
        for col, accepted in ind.filter.items():
            raw = raw[raw[col].isin(accepted)]
        if ind.kind == "cumulative":
            day = pd.to_datetime(raw[ind.date_column])
            raw = raw[day.notna()]
            day = day[day.notna()]
            num = 1.0 if ind.measure == "count" else raw[ind.column].astype(float) * ind.scale
            events = [pd.DataFrame({"unit_code": raw["unit_code"], "year": day.dt.year, "event_on": day,
                                    "record_on": day, "num": num, "den": 0.0, "records": 1})]
        else:
            reg = pd.to_datetime(raw[ind.denominator_date_column])
            raw, reg = raw[reg.notna()], reg[reg.notna()]
            ok = pd.to_datetime(raw[ind.numerator_date_column])
            succeeded = ok.notna()
            events = [pd.DataFrame({"unit_code": raw["unit_code"], "year": raw[ind.year_column], "event_on": reg,
                                    "record_on": reg, "num": 0.0, "den": 1.0, "records": 1}),
                      pd.DataFrame({"unit_code": raw["unit_code"][succeeded], "year": raw[ind.year_column][succeeded],
                                    "event_on": ok[succeeded].where(ok[succeeded] > reg[succeeded], reg[succeeded]),
                                    "record_on": reg[succeeded], "num": 1.0, "den": 0.0, "records": 0})]
        for e in events:
            for col in ind.dimensions:
                e[col] = raw.loc[e.index, col].astype(str)
        e = pd.concat(events)
        e["event_month"] = e["event_on"].dt.to_period("M").dt.to_timestamp()
        e["record_month"] = e["record_on"].dt.to_period("M").dt.to_timestamp()
        dims = list(ind.dimensions)
        sets = [(None, None), *[(d, None) for d in dims], *[(a, b) for i, a in enumerate(dims) for b in dims[i + 1:]]]
        for a, b in sets:
            by = [c for c in (a, b) if c] + ["unit_code", "year", "event_month", "record_month"]
            g = e.groupby(by, as_index=False)[["num", "den", "records"]].sum()
            g["indicator"], g["dimension"], g["dimension2"] = ind.name, a, b
            g["value"] = g[a] if a else None
            g["value2"] = g[b] if b else None
            frames.append(g.drop(columns=[c for c in (a, b) if c]))
    df = pd.concat(frames, ignore_index=True)
    keys = ["indicator", "dimension", "value", "dimension2", "value2", "unit_code", "year", "event_month",
            "record_month"]
    return df[[*keys, "num", "den", "records"]].sort_values(keys, na_position="first").reset_index(drop=True)


def test_dimension_aggregate_totals_equal_raw_totals_for_every_unit_month_and_value(data):
    """Every indicator × dimension (and pair, and none) × value × unit × month: the aggregate files,
    the raw-path view and pandas over the extracts agree."""
    store = Store(data)
    assert store.uses_aggregates
    agg = _dimension_monthly(store)
    raw = _dimension_monthly(Store(data, aggregates=False))
    expected = _expected_from_records(data, store.registry)
    assert len(agg) == len(raw) == len(expected) > 5000
    assert set(zip(agg["indicator"], agg["dimension"].fillna(""), agg["dimension2"].fillna(""))) >= {
        ("urban_new_employment", "group", ""), ("urban_new_employment", "form", ""),
        ("urban_new_employment", "group", "form"), ("guarantee_loans", "borrower_type", "bank"),
        ("vocational_training", "training_type", ""), ("graduate_employment_rate", "", "")}
    pd.testing.assert_frame_equal(_comparable(agg), _comparable(raw), check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(_comparable(agg), _comparable(expected), check_exact=False, rtol=1e-9)


def _comparable(df: pd.DataFrame) -> pd.DataFrame:
    """One dtype per column (NULL dimension names and values as ''), sorted by the keys."""
    text = ["indicator", "dimension", "value", "dimension2", "value2", "unit_code"]
    out = df.astype({"year": "int64", "num": "float64", "den": "float64", "records": "int64"})
    out[text] = out[text].fillna("").astype(str)
    for col in ("event_month", "record_month"):
        out[col] = pd.to_datetime(out[col])
    keys = [*text, "year", "event_month", "record_month"]
    return out.sort_values(keys).reset_index(drop=True)


def test_dimension_sums_add_up_to_the_indicator_monthly_sums(data):
    """Each dimension (and pair) splits the unit × indicator × month figures without losing any."""
    store = Store(data)
    dims = _dimension_monthly(store)
    monthly = _monthly(store).set_index(["unit_code", "indicator", "year", "event_month"])[["num", "den"]]
    for (_, a, b), part in dims.fillna({"dimension": "", "dimension2": ""}).groupby(
            ["indicator", "dimension", "dimension2"]):
        sums = part.groupby(["unit_code", "indicator", "year", "event_month"])[["num", "den"]].sum()
        pd.testing.assert_frame_equal(sums, monthly.loc[sums.index], check_exact=False, rtol=1e-9)
        ind = part["indicator"].iloc[0]
        assert len(sums) == (monthly.index.get_level_values("indicator") == ind).sum(), (ind, a, b)


def test_incremental_refresh_rebuilds_only_the_touched_partitions_dimension_aggregates(data):
    dim_root = aggregates_dir(data) / "indicator_dimension_monthly"
    before = {p: p.stat().st_mtime_ns for p in dim_root.glob("*/*/*/part-0.parquet")}
    assert len(before) > 50
    table = read_partition(data, "loans", 2020, 3)
    dropped = table.slice(0, 1).to_pandas()
    rewrite_partition(data, "loans", 2020, 3, table.slice(1), "disbursed_on")  # a corrected March file: one loan fewer
    stale = _dimension_monthly(Store(data))  # stale: computed from the records
    report = refresh(data)
    assert report.rebuilt == ["loans/year=2020/month=03"] and report.dimension_rows > 0
    after = {p: p.stat().st_mtime_ns for p in dim_root.glob("*/*/*/part-0.parquet")}
    changed = {p.parent.relative_to(dim_root).as_posix() for p in after if after[p] != before.get(p)}
    assert changed == {"loans/year=2020/month=03"}
    fresh = Store(data)
    assert fresh.uses_aggregates
    pd.testing.assert_frame_equal(_dimension_monthly(fresh), stale, check_exact=False, rtol=1e-9, check_dtype=False)
    bank = dropped["bank"].iloc[0]
    rows = pq.read_table(dim_root / "loans" / "year=2020" / "month=03" / "part-0.parquet").to_pandas()
    by_bank = rows[(rows["dimension"] == "bank") & rows["dimension2"].isna() & (rows["value"] == bank)]
    assert by_bank["records"].sum() == (table.to_pandas()["bank"] == bank).sum() - 1


def test_aggregates_of_an_older_format_are_not_used(data):
    """Aggregates written before the per-dimension files existed count as stale (and are rebuilt)."""
    import json

    manifest = aggregates_dir(data) / "manifest.json"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    doc["format"] = 1
    manifest.write_text(json.dumps(doc), encoding="utf-8")
    shutil.rmtree(aggregates_dir(data) / "indicator_dimension_monthly")
    assert not is_fresh(data) and not Store(data).uses_aggregates
    report = refresh(data)
    assert report.unchanged == 0 and is_fresh(data) and Store(data).uses_aggregates
    assert (aggregates_dir(data) / "indicator_dimension_monthly" / "loans" / "year=2020" / "month=03").is_dir()


# --- aggregates computed while ingest writes the partition ----------------------------------------


def _aggregate_files(data) -> dict:
    root = aggregates_dir(data)
    out = {}
    for kind in ("indicator_monthly", "indicator_dimension_monthly"):
        for path in sorted((root / kind).glob("*/*/*/part-0.parquet")):
            df = pq.ParquetFile(path).read().to_pandas()
            out[f"{kind}/{path.parent.relative_to(root / kind).as_posix()}"] = \
                df.sort_values(list(df.columns)).reset_index(drop=True)
    return out


def _corrected_loans(data) -> bytes:
    """A corrected March file for 华岩镇: its loans with the amount doubled and one more loan, from
    a bank the unit had none from (the other units' March loans stay)."""
    from make_fixtures import HEADERS, csv_bytes

    rows = read_partition(data, "loans", 2020, 3).to_pandas()
    mine = rows[rows["unit_code"] == "500107-10"]
    assert len(mine) >= 1 and rows["unit_code"].nunique() > 1
    body = [HEADERS["loans"]]
    for r in mine.itertuples():
        body.append([r.loan_id, "华岩镇", r.borrower_type, str(r.disbursed_on), str(2 * r.amount_yuan), r.bank])
    body.append(["LN-NEW-1", "华岩镇", "个人", "2020-03-31", "80000", "重庆农村商业银行"])
    return csv_bytes(body)


def test_aggregates_computed_from_the_written_table_equal_a_full_refresh(data, monkeypatch):
    """Ingest computes a partition's aggregates from the table it writes (on a thread, while the
    file is written) instead of reading the file back: the files must be exactly what a full
    refresh from the Parquet files writes."""
    import target_monitor.aggregates as aggregates
    from target_monitor.ingest import ingest

    sources = []
    real = aggregates._build_partition

    def spy(con, registry, extract, source, keys):
        sources.append((extract, type(source).__name__))
        return real(con, registry, extract, source, keys)

    monkeypatch.setattr(aggregates, "_build_partition", spy)
    report = ingest(_corrected_loans(data), "loans_fix.csv", data_dir=data, extract="loans", period="2020-03",
                    isolated=False)
    assert report.status == "taken" and report.revisions
    assert sources == [("loans", "Table")]  # from the table, and the files were not read back
    assert is_fresh(data)
    after_ingest = _aggregate_files(data)
    refresh(data, full=True)
    full = _aggregate_files(data)
    assert after_ingest.keys() == full.keys()
    for name in full:
        pd.testing.assert_frame_equal(after_ingest[name], full[name], check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(_monthly(Store(data)), _raw_monthly(data), check_exact=False, rtol=1e-9,
                                  check_dtype=False)


def test_when_the_aggregates_ahead_fail_the_refresh_reads_the_files(data, monkeypatch):
    import target_monitor.aggregates as aggregates
    from target_monitor.ingest import ingest

    def broken(*args, **kwargs):
        raise MemoryError("no room for the aggregates ahead")

    monkeypatch.setattr(aggregates, "precompute", broken)
    report = ingest(_corrected_loans(data), "loans_fix.csv", data_dir=data, extract="loans", period="2020-03",
                    isolated=False)
    assert report.status == "taken"
    assert is_fresh(data)
    pd.testing.assert_frame_equal(_monthly(Store(data)), _raw_monthly(data), check_exact=False, rtol=1e-9,
                                  check_dtype=False)
