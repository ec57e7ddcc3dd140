"""The 镇街对比 compact table: one column per indicator, narrow enough for 1366 wide."""

from __future__ import annotations

from datetime import date

import pytest

from target_monitor.tables import compact_table, official_table, style_compact


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compact_table_one_column_per_indicator(demo_ctx, lang):
    progress = demo_ctx.progress(2020, date(2020, 6, 30))
    table, columns, notes = compact_table(progress, demo_ctx.registry, demo_ctx.ref.units, lang)
    full, _ = official_table(progress, demo_ctx.registry, demo_ctx.ref.units, lang)
    assert len(table) == len(full)  # every unit, the 合计 row and the district's own row
    # one column per indicator the units were allocated; the district-only year-end rate is a note
    children = progress[progress["level"] == "child"]
    with_targets = set(children.loc[children["target"].notna(), "indicator"])
    allocated = [i.name for i in demo_ctx.registry.indicators if i.name in with_targets]
    assert "graduate_year_end_rate" not in allocated and "urban_new_employment" in allocated
    assert len(table.columns) == 2 + len(allocated)
    assert list(columns.values()) == allocated
    assert any("只有区级目标" in n or "district target only" in n for n in notes), notes
    first = table.iloc[0]
    assert first[list(columns)[0]] == "▲ 57.8% · 2022/3500"  # 杨家坪街道, new jobs
    by_name = {v: k for k, v in columns.items()}
    # its graduate rate against its own ≥95% standard, judged at year end (◷ mid-year)
    assert first[by_name["graduate_employment_rate"]] == "◷ 97.4% / ≥95%"
    assert table.attrs["status"][0][list(columns)[0]] == "ahead"
    # the notes leave the table (they would widen it) and keep the published annotation
    sep = "：" if lang == "zh" else ": "
    assert any(n.endswith(f"{sep}创业培训" if lang == "zh" else f"{sep}Entrepreneurship training") for n in notes), notes
    if lang == "en":
        assert not any(c in "".join(notes) for c in "：；（）"), notes
        assert not any("\u4e00" <= c <= "\u9fff" for c in "".join(notes)), notes  # no Chinese in the English UI
    assert "—" not in first.tolist()[:2]
    # every cell is text no longer than a narrow column holds
    longest = max(len(str(v)) for c in columns for v in table[c])
    assert longest <= 24, longest
    html = style_compact(table, columns).to_html()
    assert "background-color: #0072B2" in html  # ahead, in its colour (the symbol stays in the text)


def test_compact_table_follows_the_sort(demo_ctx):
    progress = demo_ctx.progress(2020, date(2020, 6, 30))
    table, _, _ = compact_table(progress, demo_ctx.registry, demo_ctx.ref.units, "zh", sort_by="urban_new_employment")
    assert table.iloc[0]["街镇名称"] == "西彭镇"  # first on new jobs
