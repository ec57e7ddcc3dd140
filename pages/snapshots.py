"""月度快照: build a month-end snapshot, list and download them, open one, compare two."""

import streamlit as st

from target_monitor import access, ui
from target_monitor.exports import to_csv_bytes
from target_monitor.snapshots import SnapshotError, SnapshotExists, build_snapshot, list_snapshots
from target_monitor.snapshots import downloads as snap_downloads
from target_monitor.snapshots.views import compare_sources, movement_display, revisions_display, snapshot_list

f = ui.frame()
lang = f.lang
data_dir = ui.data_dir()  # snapshots always belong to the live data directory
st.title(f.t("snap_title"))
actor = ui.current_actor()
if actor is not None and actor.role is not None and not actor.role.all_units:
    # a unit clerk: its own unit's pack of each snapshot, never the district's whole report
    from target_monitor.followup_ui import clerk_packs

    clerk_packs(actor, list_snapshots(data_dir), f.ctx.ref.units, lang, ui.audit_event)
    st.stop()
st.caption(f.t("snap_intro"))

# --- build ---------------------------------------------------------------------------------------
st.subheader(f.t("snap_build_header"))
live = ui.context(data_dir)
months = [f"{y}-{m:02d}" for y in reversed(live.years()) for m in range(live.latest_day(y).month, 0, -1)]
c1, c2, c3 = st.columns([2, 2, 2])
month = c1.selectbox(f.t("snap_month"), months, key="snap_month")
force = c2.checkbox(f.t("snap_force"), key="snap_force", help=f.t("snap_force_help"))
c3.write("")
may_build = access.allowed(ui.current_actor(), "build_snapshot")  # 管理员 and 领导
if c3.button(f.t("snap_build_button"), type="primary", key="snap_build", disabled=not may_build):
    bar = st.progress(0.0, text=f.t("snap_step_check"))
    try:
        snap = build_snapshot(data_dir, month, force=force, lang=lang,
                              step=lambda fraction, key: bar.progress(min(fraction, 1.0), text=f.t(key)))
        st.success(f.t("snap_built", id=snap.snapshot.snapshot_id, path=snap.data_dir))
        ui.audit_event("snapshot_build", snap.snapshot.snapshot_id)
    except SnapshotExists as exc:
        bar.empty()
        ui.audit_event("snapshot_build", month, "failed", reason="exists")
        st.warning(f.t("snap_exists_ui", month=month, existing=str(exc)))
    except SnapshotError as exc:
        bar.empty()
        code, _, detail = str(exc).partition("|")
        key = {"no_data_month": "cli_snap_no_data_month", "changed_during_build": "cli_snap_changed"}.get(code)
        st.error(f.t(key, month=month, path=data_dir, latest=detail) if key else str(exc))

# --- list, open, download ------------------------------------------------------------------------
st.subheader(f.t("snap_list_header"))
snaps = list_snapshots(data_dir)
if not snaps:
    st.info(f.t("snap_none"))
    st.stop()
st.dataframe(snapshot_list(snaps, lang), hide_index=True, placeholder="—", width="stretch")

ids = [s.snapshot_id for s in snaps]
chosen_id = st.selectbox(f.t("snap_choose"), ids, key="snap_chosen")
chosen = snaps[ids.index(chosen_id)]
b1, b2 = st.columns([1, 3])
if f.snapshot is not None and f.snapshot.snapshot_id == chosen_id:
    b1.button(f.t("snap_opened"), disabled=True, key="snap_open_disabled")
elif b1.button(f.t("snap_open"), key="snap_open"):
    ui.open_snapshot(chosen_id)
    st.rerun()
downloads = [
    ("snap_download_xlsx", "report.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("snap_download_pdf", "report.pdf", "application/pdf"),
    ("snap_download_csv", "progress.csv", "text/csv"),
    ("snap_download_manifest", "manifest.json", "application/json"),
]
actor = ui.current_actor()
# only the files the role may have (snapshots/downloads.py); each download leaves an audit line,
# written when the file is fetched (by Streamlit's media handler: actor and folder go with it)
offered = [d for d in downloads if snap_downloads.may_download(actor, d[1])]
for col, (key, name, mime) in zip(st.columns(max(1, len(offered))), offered):
    path = chosen.path / name
    if path.exists():
        col.download_button(f.t(key),
                            lambda name=name, snap=chosen: snap_downloads.snapshot_file(data_dir, actor, snap, name),
                            file_name=f"{chosen_id}_{name}", mime=mime, key=f"dl_{name}", on_click="ignore")
    else:
        col.caption(f.t("snap_file_missing", name=name))

# --- compare -------------------------------------------------------------------------------------
st.subheader(f.t("snap_compare_header"))
LIVE = "__live__"
k1, k2 = st.columns(2)
old_id = k1.selectbox(f.t("snap_compare_old"), ids, index=min(1, len(ids) - 1), key="snap_cmp_old")
new_id = k2.selectbox(f.t("snap_compare_new"), [LIVE] + ids, key="snap_cmp_new",
                      format_func=lambda i: f.t("snap_live_option") if i == LIVE else i)
old_ctx = ui.snapshot_context(snaps[ids.index(old_id)])
new_ctx = live if new_id == LIVE else ui.snapshot_context(snaps[ids.index(new_id)])
revs, moves = compare_sources(old_ctx, new_ctx)

st.markdown(f"**{f.t('snap_revisions_header', n=len(revs))}**")
if revs.empty:
    st.caption(f.t("snap_no_revisions"))
else:
    table = revisions_display(revs, old_ctx, lang)
    st.dataframe(table, hide_index=True, placeholder="—", width="stretch")
    if snap_downloads.may_download(actor, "comparison"):
        st.download_button(f.t("download_csv"),
                           lambda table=table: snap_downloads.table_download(
                               data_dir, actor, f"snapshot revisions {old_id} {new_id}", table, to_csv_bytes),
                           file_name=f"revisions_{old_id}_{new_id}.csv", mime="text/csv", key="dl_revisions",
                           on_click="ignore")

st.markdown(f"**{f.t('snap_movement_header')}**")
changed_only = st.checkbox(f.t("snap_changed_only"), value=True, key="snap_changed_only")
table = movement_display(moves, old_ctx, lang, changed_only=changed_only)
st.dataframe(table, hide_index=True, placeholder="—", width="stretch")
if snap_downloads.may_download(actor, "comparison"):
    st.download_button(f.t("download_csv"),
                       lambda table=table: snap_downloads.table_download(
                           data_dir, actor, f"snapshot movement {old_id} {new_id}", table, to_csv_bytes),
                       file_name=f"movement_{old_id}_{new_id}.csv", mime="text/csv", key="dl_movement",
                       on_click="ignore")
