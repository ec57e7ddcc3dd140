"""The bad-input corpus (tests/make_fixtures.py): every file's outcome class, its messages, and
rows read = accepted + quarantined + skipped, on every fixture."""

from __future__ import annotations

import hashlib
import re
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path

import pytest

from make_fixtures import BAD_INPUT_CASES, TODAY, build
from target_monitor.ingest.pipeline import parse_upload
from target_monitor.targets_import import import_targets

REPO = Path(__file__).resolve().parents[1]
BAD_INPUT_DOC = [REPO.parent / "shared" / "design" / "BAD_INPUT.md", Path("/work/shared/design/BAD_INPUT.md")]


@lru_cache(maxsize=1)
def corpus() -> tuple[Path, list[dict]]:
    out = Path(tempfile.mkdtemp(prefix="tm-corpus-"))
    return out, build(out)


def _ids():
    return [f"{i:02d}-{e['file']}" + (f"[{e['sheet']}]" if e["sheet"] else "") for i, e in enumerate(corpus()[1])]


def _run(entry: dict, data_dir: Path):
    out, _ = corpus()
    data = (out / entry["file"]).read_bytes()
    if entry["kind"] == "targets":
        result = import_targets(data, entry["file"], year=entry["year"], data_dir=data_dir, isolated=False)
        return result.report
    parsed = parse_upload(data, entry["file"], entry["extract"], entry["period"], entry["sheet"], data_dir,
                          today=date.fromisoformat(TODAY), max_bytes=entry["max_bytes"] or 50 * 2**20,
                          basis=entry.get("basis"))
    return parsed.report


def test_corpus_is_large_and_deterministic(tmp_path):
    out, entries = corpus()
    files = {e["file"] for e in entries}
    assert len(files) >= 60
    again = build(tmp_path)
    assert again == entries
    for name in files:
        assert hashlib.sha256((out / name).read_bytes()).digest() == hashlib.sha256((tmp_path / name).read_bytes()).digest(), name


def test_every_row_of_bad_input_md_is_covered():
    covered = {e["case"] for e in corpus()[1]}
    assert set(BAD_INPUT_CASES) <= covered, set(BAD_INPUT_CASES) - covered
    doc = next((p for p in BAD_INPUT_DOC if p.exists()), None)
    if doc is None:
        pytest.skip("BAD_INPUT.md is not next to the repository")
    rows = re.findall(r"^\| (?!case |---)(.+?) \|", doc.read_text(encoding="utf-8"), flags=re.M)
    assert sorted(rows) == sorted(BAD_INPUT_CASES)


@pytest.mark.parametrize("index", range(len(corpus()[1])), ids=_ids())
def test_fixture_outcome_and_messages(index, tmp_path):
    entry = corpus()[1][index]
    report = _run(entry, tmp_path / "data")
    status = "taken" if report.status == "preview" else report.status
    problems = {p.code for p in report.problems}
    warnings = {p.code for p in report.warnings}
    assert status == entry["expect"], [p.reason_zh for p in report.problems]
    assert set(entry["codes"]) <= problems, (problems, [p.reason_zh for p in report.problems])
    assert set(entry["warn"]) <= warnings, warnings
    if entry["expect"] == "taken":
        assert not [p for p in report.problems if p.level == "R"]
    else:
        assert any(p.level == "R" for p in report.problems)
    text = "\n".join(p.reason_zh for p in [*report.problems, *report.warnings])
    for needle in entry["contains"]:
        assert needle in text, (needle, text)
    # the count identity, on every fixture
    assert report.rows_read == report.accepted + report.quarantined + report.skipped
    assert report.skipped == sum(report.skipped_by_rule.values())
    if entry["counts"]:
        assert {k: getattr(report, k) for k in entry["counts"]} == entry["counts"]
    assert set(entry["normalised"]) <= {n.kind for n in report.normalised}
    # every message names the file, says what to do, and exists in both languages
    for p in [*report.problems, *report.warnings]:
        assert p.reason_zh and p.reason_en and p.fix and p.fix_en, p
        assert p.reason_zh != p.code and "{" not in p.reason_zh + p.reason_en, p
        if p.code not in ("t_alloc_mismatch",):
            assert entry["file"] in p.reason_zh and entry["file"] in p.reason_en, p
        if p.level == "Q":  # a row problem names the row, the column and the raw value
            assert p.row and p.column and f"第 {p.row} 行" in p.reason_zh and p.column in p.reason_zh
            assert p.raw_value in p.reason_zh
