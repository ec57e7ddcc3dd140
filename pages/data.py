"""数据管理: upload extracts and task breakdown tables, see what was wrong, confirm, history."""

from datetime import date

import streamlit as st

from target_monitor import access, column_maps_ui, ui
from target_monitor.i18n import dimension_value, t
from target_monitor.ingest import analyse, confirm, limits, preview, views, zygote
from target_monitor.ingest.storage import recover
from target_monitor.paths import reference_dir
from target_monitor.reference import load_reference
from target_monitor.registry import BASES, load_registry
from target_monitor.targets_import import import_targets

f = ui.frame_optional()  # this page also works before the data directory holds any extract
lang = f.lang if f else ui.current_lang()
data_dir = ui.data_dir()
registry = load_registry()
if data_dir.is_dir():
    recover(data_dir)  # finish or undo a write interrupted by a crash
zygote.prestart()  # the sandbox's warm parent imports the parsers while the user picks files
ref = load_reference(reference_dir(data_dir))
cap_mb = limits(data_dir)["max_bytes"] // 2**20
ui.localise_uploaders(lang, cap_mb)  # the uploader's own "Upload · 200MB per file" in the UI's language

st.title(t("data_title", lang))
actor = ui.current_actor()
may_upload = access.allowed(actor, "upload")
tab_upload, tab_history, tab_targets = st.tabs([t("data_tab_upload", lang), t("data_tab_history", lang),
                                                t("data_tab_targets", lang)])

with tab_upload:
    files = st.file_uploader(t("data_upload_label", lang), accept_multiple_files=True, key="data_files",
                             help=t("data_upload_help", lang, cap=cap_mb))
    extracts = ["", *registry.extracts]
    c1, c2, c3, c4, c5 = st.columns(5)
    chosen = c1.selectbox(t("data_extract", lang), extracts, key="data_extract",
                          format_func=lambda n: registry.extracts[n].label[lang] if n else t("data_extract_auto", lang))
    period = c2.text_input(t("data_period", lang), key="data_period").strip() or None
    # figures reported by units: 当月 or 累计 (declared; a header that says otherwise rejects the file)
    basis = c3.selectbox(t("rp_basis_label", lang), ["", *BASES], key="data_basis",
                         format_func=lambda b: dimension_value(b, lang) if b else t("rp_basis_header", lang),
                         help=t("rp_basis_help", lang),
                         disabled=bool(chosen) and not registry.extracts[chosen].is_reported) or None
    sheet = c4.text_input(t("data_sheet", lang), key="data_sheet").strip() or None
    if actor is not None and actor.source != "local":  # the uploader is the logged-in user, never typed
        who = actor.user
        c5.text_input(t("data_who", lang), value=who, disabled=True, key="data_who_login")
    else:
        who = c5.text_input(t("data_who", lang), key="data_who").strip() or None
    if not may_upload:
        st.info(t("access_upload_none", lang))
    # a whole unit-month is replaced only when declared (else records are added and corrected by key)
    replace = st.checkbox(t("ingest_replace_choice", lang), key="data_replace", disabled=not period,
                          help=t("ingest_replace_help", lang, period=period or "-") if period
                          else t("ingest_replace_needs_period", lang)) and bool(period)
    if st.button(t("data_check", lang), key="data_check", type="primary", disabled=not files or not may_upload):
        results = []
        bar = st.progress(0.0)
        for i, up in enumerate(files):
            bar.progress(i / len(files), text=t("data_checking", lang, file=up.name))
            data = up.getvalue()
            with st.spinner(t("data_checking", lang, file=up.name)):
                parsed = analyse(data, up.name, data_dir=data_dir, extract=chosen or None, period=period,
                                 sheet=sheet, basis=basis)
                parsed = column_maps_ui.apply_remembered(parsed, data, up.name, data_dir, period, sheet, basis)
            refused = access.outside_units(parsed, actor)
            if refused:  # a clerk uploads for its own unit only: the file is not taken
                st.error(t("access_upload_refused", lang, unit="、".join(refused), own=actor.unit))
                ui.audit_event("refused", up.name, "refused", action="upload", units=refused)
                continue
            ui.audit_event("upload", up.name, parsed.report.status, rows=parsed.report.rows_read,
                           sha256=parsed.report.sha256)
            if parsed.report.status == "rejected":  # kept as received and listed in the history right away
                confirm(parsed, data, data_dir=data_dir, who=who, declared_period=period, sheet=sheet)
            results.append((up.name, data, parsed))
        bar.progress(1.0)
        st.session_state["data_results"] = results
        st.session_state["data_previews"] = [
            preview(p, data_dir=data_dir, declared_period=period, replace=replace) for _, _, p in results]
        st.session_state.pop("data_done", None)
    results = st.session_state.get("data_results") or []
    if not results:
        st.info(t("data_nothing", lang))
    previews = st.session_state.get("data_previews") or [None] * len(results)
    shrinking = []
    for (name, _, parsed), change in zip(results, previews):
        report = parsed.report
        with st.container(border=True):
            if report.status == "rejected":  # say why in plain text, not only in the table below
                st.error("\n\n".join([views.summary(report, lang), *views.rejection_lines(report, lang)]))
                # a required column named some other way: let the uploader say which one it is
                column_maps_ui.mapping_step(name, parsed, results, data_dir, period, sheet, basis, lang)
            else:
                st.success(views.summary(report, lang))
                if report.message_zh:  # e.g. checked again with the mapping remembered for this source
                    st.info(report.message_en if lang == "en" else report.message_zh)
            if report.extract:
                st.caption(t("data_extract_detected", lang, name=registry.extracts[report.extract].label[lang])
                           + f" · {t('col_period', lang)} {report.period or '-'} · SHA-256 {report.sha256[:16]}…")
            mapping = views.mapping_table(report, registry, lang)
            if not mapping.empty:
                st.markdown(f"**{t('data_mapping', lang)}**")
                st.dataframe(mapping, hide_index=True, placeholder="—", width="stretch")
            preview = views.preview_frame(parsed.accepted, ref)
            if not preview.empty:
                st.markdown(f"**{t('data_preview', lang)}**")
                st.dataframe(preview, hide_index=True, placeholder="—", width="stretch")
            problems = views.problems_table(report, lang)
            if not problems.empty:
                st.markdown(f"**{t('data_problems', lang)}**")
                st.dataframe(problems, hide_index=True, placeholder="—", width="stretch")
            normalised = views.normalised_table(report, lang)
            if not normalised.empty:
                st.markdown(f"**{t('data_normalised', lang)}**")
                st.dataframe(normalised, hide_index=True, placeholder="—", width="stretch")
            if change is not None and report.status != "rejected" and report.extract:
                # what confirming would change, before anything is written
                st.markdown(f"**{t('changes_title', lang)}**")
                if replace:
                    units = sorted({c["unit_code"] for c in change["changes"]})
                    st.info(t("ingest_replace_units", lang, period=period, units="、".join(
                        u.name for u in ref.units if u.code in units) or "-"))
                frame = views.changes_frame(change["changes"], ref, lang)
                if frame.empty:
                    st.caption(t("changes_none", lang))
                else:
                    st.caption(t("changes_caption", lang))
                    st.dataframe(frame, hide_index=True, placeholder="—", width="stretch")
                figs = views.figures_frame(change["figures"], ref, registry, lang)
                if not figs.empty:
                    st.markdown(f"**{t('figures_title', lang)}**")
                    st.dataframe(figs, hide_index=True, placeholder="—", width="stretch")
                if change["shrinking"]:
                    st.error(views.shrink_text(change["shrinking"], change["share"], ref, lang))
                    shrinking += change["shrinking"]
    takeable = [(n, d, p) for n, d, p in results if p.report.status != "rejected"]
    if takeable and not st.session_state.get("data_done"):
        needs_ok = any(p.report.warnings for _, _, p in takeable)
        ok = st.checkbox(t("data_warnings_confirm", lang), key="data_warn_ok") if needs_ok else True
        if shrinking:  # a unit-month losing more than the configured share: ticked, or nothing is written
            ok = st.checkbox(t("shrink_confirm", lang), key="data_shrink_ok") and ok
        if st.button(t("data_confirm", lang), key="data_confirm", type="primary", disabled=not ok):
            bar = st.progress(0.0)
            done = []
            for i, (name, data, parsed) in enumerate(takeable):
                bar.progress(i / len(takeable), text=t("data_writing", lang, file=name))
                done.append(confirm(parsed, data, data_dir=data_dir, who=who, declared_period=period, sheet=sheet,
                                    replace=replace))
                ui.audit_event("import", name, done[-1].status, accepted=done[-1].accepted,
                               quarantined=done[-1].quarantined, sha256=done[-1].sha256)
            bar.progress(1.0)
            st.session_state["data_done"] = done
    for report in st.session_state.get("data_done") or []:
        (st.error if report.status == "rejected" else st.success)(views.summary(report, lang))
        if report.status == "taken" and report.version is not None:
            st.caption(t("ingest_cli_version", lang, id=f"{report.extract}@{report.version}"))
        message = report.message_en if lang == "en" else report.message_zh
        if message:
            st.info(message)
        lines = views.revisions_lines(report.revisions, ref, lang, registry)
        if lines:
            st.markdown(f"**{t('data_revisions', lang)}**")
            st.markdown("\n".join(f"- {line}" for line in lines))
    if st.session_state.get("data_done"):
        st.success(t("data_done", lang))

with tab_history:
    history = views.history_table(data_dir, lang, registry)
    if history.empty:
        st.info(t("data_history_empty", lang))
    else:
        st.dataframe(history, hide_index=True, placeholder="—", width="stretch")
    if f is not None and f.snapshot is None and f.ctx.store.has_reports:
        st.markdown(f"**{t('rp_checks_title', lang)}**")
        st.caption(t("rp_checks_caption", lang))
        falls = views.reported_falls_table(f.ctx, f.year, registry, lang)
        if falls.empty:
            st.info(t("rp_checks_none", lang))
        else:
            st.warning(t("rp_checks_title", lang))
            st.dataframe(falls, hide_index=True, placeholder="—", width="stretch")
    # every import is a version of its extract's table: list them, undo one with a confirmation
    from target_monitor.ingest.versions import UndoError, list_imports, undo

    st.markdown(f"**{t('undo_title', lang)}**")
    st.caption(t("imports_tab_caption", lang))
    versions = list_imports(data_dir) if data_dir.is_dir() else []
    if versions and not access.allowed(actor, "undo_import"):
        st.dataframe(views.imports_frame(versions, registry, lang), hide_index=True, placeholder="—", width="stretch")
    elif versions:
        st.dataframe(views.imports_frame(versions, registry, lang), hide_index=True, placeholder="—", width="stretch")
        undoable = [v["id"] for v in versions if v["kind"] in ("import", "undo") and not v["undone_by"]]
        pick = st.selectbox(t("undo_select", lang), ["", *undoable], key="undo_pick")
        if pick:
            entry = next(v for v in versions if v["id"] == pick)
            st.info(t("undo_preview", lang, id=pick, file=entry["file"] or "—", who=entry["who"] or "—",
                      time=entry["time"], extract=entry["extract"], to=entry["version"] - 1))
            cascade = st.checkbox(t("undo_cascade_choice", lang), key="undo_cascade")
            sure = st.checkbox(t("undo_confirm", lang), key="undo_sure")
            if st.button(t("undo_button", lang), key="undo_go", type="primary", disabled=not sure):
                try:
                    res = undo(data_dir, pick, cascade=cascade, who=who or "")
                    ui.audit_event("undo", pick, "ok", new_version=res.get("id"), cascade=cascade)
                    st.success(t("undo_done", lang, **res))
                except UndoError as exc:
                    ui.audit_event("undo", pick, "refused", reason=exc.code)
                    details = dict(exc.details)
                    if "later" in details:
                        details["later"] = ", ".join(details["later"])
                    st.error(t("undo_e_" + exc.code, lang, **details))
    else:
        st.info(t("imports_none", lang))
    for i, (label, fname, body) in enumerate(views.quarantine_downloads(data_dir)):
        st.download_button(f"{t('data_download_quarantine', lang)}：{label}", body, file_name=fname,
                           mime="text/csv", key=f"q_{i}")

with tab_targets:
    if not access.allowed(actor, "import_targets"):
        st.info(t("access_targets_none", lang))
        st.stop()
    up = st.file_uploader(t("data_targets_label", lang), key="targets_file")
    c1, c2, c3 = st.columns(3)
    year = int(c1.number_input(t("data_targets_year", lang), 2000, 2100, value=f.year if f else date.today().year,
                               key="targets_year"))
    effective = c2.date_input(t("data_targets_effective", lang), value=None, key="targets_effective",
                              format="YYYY-MM-DD")
    source = c3.text_input(t("data_targets_source", lang), key="targets_source").strip() or None
    if up is not None and st.button(t("data_check", lang), key="targets_check"):
        st.session_state["targets_preview"] = (up.name, up.getvalue(), import_targets(
            up.getvalue(), up.name, year=year, data_dir=data_dir, effective_from=effective, source=source))
        st.session_state.pop("targets_done", None)
    pending = st.session_state.get("targets_preview")
    if pending:
        name, data, result = pending
        report = result.report
        if report.status == "rejected":
            st.error("\n\n".join([views.summary(report, lang), *views.rejection_lines(report, lang)]))
        else:
            st.success(views.summary(report, lang))
        problems = views.problems_table(report, lang)
        if not problems.empty:
            st.dataframe(problems, hide_index=True, placeholder="—", width="stretch")
        table = views.compare_table(result.compare, ref, registry, lang)
        if not table.empty:
            st.markdown(f"**{t('data_targets_compare', lang)}**")
            st.dataframe(table, hide_index=True, placeholder="—", width="stretch")
        if report.status != "rejected" and not st.session_state.get("targets_done"):
            if st.button(t("data_targets_confirm", lang), key="targets_confirm", type="primary"):
                done = import_targets(data, name, year=year, data_dir=data_dir, effective_from=effective,
                                      source=source, write=True, who=actor.user if actor else None)
                ui.audit_event("target_import", name, done.report.status, year=year, changed=done.changed)
                st.session_state["targets_done"] = done.report
                ref = load_reference(reference_dir(data_dir))
    if st.session_state.get("targets_done"):
        st.success(views.summary(st.session_state["targets_done"], lang))
    versions = views.versions_table(ref, registry, year, lang)
    if not versions.empty:
        st.markdown(f"**{t('data_targets_versions', lang)}**")
        st.dataframe(versions, hide_index=True, placeholder="—", width="stretch")
