"""The 数据管理 page's mapping step (Streamlit): choose which column of the file is the unit, the
date…, when a required column cannot be matched; the choice is remembered per source
(`ingest.column_maps`). Kept out of pages/data.py so the page only calls two functions."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from target_monitor.i18n import t
from target_monitor.ingest import analyse, column_maps
from target_monitor.registry import load_registry


def apply_remembered(parsed, data: bytes, name: str, data_dir: Path, period, sheet, basis):
    """A file rejected for an unmatched column is checked again with the mapping chosen earlier
    for the same source (same extract and headers), if there is one."""
    hit = column_maps.unmatched(parsed.report)
    if hit is None:
        return parsed
    mapping = column_maps.remembered(data_dir, parsed.report.extract, hit[1])
    if not mapping:
        return parsed
    again = analyse(data, name, data_dir=data_dir, extract=parsed.report.extract, period=period, sheet=sheet,
                    basis=basis, column_map=mapping)
    again.report.message_zh = t("map_applied", "zh", pairs=_pairs(mapping))
    again.report.message_en = t("map_applied", "en", pairs=_pairs(mapping))
    return again


def _pairs(mapping: dict[str, str]) -> str:
    return "、".join(f"{raw}→{col}" for raw, col in mapping.items())


def mapping_step(name: str, parsed, results: list, data_dir: Path, period, sheet, basis, lang: str) -> None:
    """Selectboxes for the missing columns and a button that checks the file again with them."""
    hit = column_maps.unmatched(parsed.report)
    if hit is None:
        return
    missing, headers = hit
    ext = load_registry().extracts[parsed.report.extract]
    st.markdown(f"**{t('map_title', lang)}**")
    st.caption(t("map_help", lang))
    choice: dict[str, str] = {}
    cols = st.columns(len(missing))
    for col, canonical in zip(cols, missing):
        picked = col.selectbox(
            t("map_which", lang, column=ext.column(canonical).description[lang]), ["", *headers],
            key=f"map_{name}_{canonical}", format_func=lambda h: h or t("map_none", lang))
        if picked:
            choice[picked] = canonical
    if st.button(t("map_apply", lang), key=f"map_apply_{name}", disabled=len(choice) < len(missing)):
        data = next(d for n, d, _ in results if n == name)
        again = analyse(data, name, data_dir=data_dir, extract=parsed.report.extract, period=period, sheet=sheet,
                        basis=basis, column_map=choice)
        if again.report.status != "rejected":  # remembered only once it works
            column_maps.remember(data_dir, parsed.report.extract, headers, choice)
        st.session_state["data_results"] = [(n, d, again if n == name else p) for n, d, p in results]
        st.rerun()
