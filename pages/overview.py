"""总览: the district headline per indicator, one card and one bullet chart each."""

import streamlit as st

from target_monitor import charts, ui
from target_monitor.i18n import status_label, unit_label
from target_monitor.submissions.status import overdue_sentence, overdue_units
from target_monitor.present import scope_of, is_missing, fmt_pct, fmt_target, fmt_value, fmt_yoy, headline, required_pace_text
from target_monitor.present import not_reported_text
from target_monitor.progress import parent_rows

f = ui.frame()
ctx, lang = f.ctx, f.lang
df = f.progress()
tp = float(df["time_progress_pct"].iloc[0])
indicators = ctx.registry.indicators
parents = {ind.name: parent_rows(df, ind.name) for ind in indicators}  # (own target, allocation sum) rows

st.title(f.t("overview_title", district=unit_label(f.parent, lang), year=f.year))
st.caption(f.t("time_progress_is", pct=f"{tp:.1f}"))
if not ctx.has_targets(f.year):
    st.info(f.t("no_targets_year", year=f.year))

sentences = []
for ind in indicators:
    own, alloc = parents[ind.name]
    sentences.append(headline(ind, own, f.as_of, lang, scope=scope_of(f.parent, lang), allocation_row=alloc))
st.markdown('<div class="tm-headline">' + "<br>".join(sentences) + "</div>", unsafe_allow_html=True)
not_reported = [f"{f.unit_names()[code]}（{not_reported_text(code, f.missing_months(), lang)}）" if lang == "zh"
                else f"{f.unit_names()[code]} ({not_reported_text(code, f.missing_months(), lang)})"
                for code in f.missing_months() if code in f.unit_names()]
if not_reported:  # the district's figures lack these months: say whose, beside the figures
    st.warning(f.t("overview_not_reported", names="、".join(not_reported) if lang == "zh" else ", ".join(not_reported)))
overdue_text = overdue_sentence(overdue_units(f.year, f.as_of, ctx=ctx), ctx.ref.units, lang, ctx.data_dir)
if overdue_text:  # 逾期: past the reporting deadline (submissions.yaml) with nothing reported
    st.warning(overdue_text)

colon = "：" if lang == "zh" else ": "
# the cards in rows of at most six (a card stays readable at 1366 wide), as even as can be
# (13 indicators: 5, 5, 3)
rows_of_cards = -(-len(indicators) // 6)
per_row = -(-len(indicators) // max(rows_of_cards, 1))
card_cols = [c for k in range(0, len(indicators), per_row) for c in st.columns(per_row)]
for col, ind in zip(card_cols, indicators):
    own, alloc = parents[ind.name]
    lines = []
    if not is_missing(own["target"]):
        lines.append(f'{f.t("own_target")}{colon}{fmt_target(ind, own["target"], own["comparator"], lang)}'
                     + ("" if ind.is_rate else f' · {f.t("completion")} {fmt_pct(own["completion_pct"])}'))
    if alloc is not None:
        lines.append(f'{f.t("allocation_sum")}{colon}{fmt_target(ind, alloc["target"], alloc["comparator"], lang)}'
                     f' · {f.t("completion")} {fmt_pct(alloc["completion_pct"])}')
    if not is_missing(own["yoy_change"]):
        lines.append(fmt_yoy(ind, own["yoy_change"], lang))
    if not ind.is_rate and not is_missing(own["required_monthly"]):
        lines.append(required_pace_text(ind, own, lang))
    with col:
        st.markdown(
            f'<div class="tm-card"><div class="lbl">{ind.label[lang]}</div>'
            f'<div class="big">{fmt_value(ind, own["actual"], lang)}</div>'
            f'<span class="tm-status" style="background:{charts.STATUS_COLOUR[own["status"]]}">'
            f'{status_label(own["status"], lang)}</span>'
            f'<div class="sub">{"<br>".join(lines)}</div></div>',
            unsafe_allow_html=True,
        )

st.divider()
for ind in indicators:
    own, alloc = parents[ind.name]
    if is_missing(own["target"]) and alloc is None:
        continue  # a bullet chart measures against a target
    st.markdown(f"**{ind.label[lang]}**")
    st.plotly_chart(f.bullet_chart(ind), key=f"bullet_{ind.name}",
                    config={"displayModeBar": False})

# download the whole progress table behind these figures
ui.download_buttons(df, f"progress_all_{f.as_of}", lang, key="overview_dl")
