"""通报: the drafted briefing from the same numbers as the screen; copy, .txt and .docx."""

import json

import streamlit as st

from target_monitor import ui
from target_monitor.briefing import build_briefing
from target_monitor.followup.notes import current, month_of
from target_monitor.submissions.status import overdue_sentence, overdue_units

f = ui.frame()
ctx, lang = f.ctx, f.lang
brief = build_briefing(ctx.registry, ctx.ref.units, f.progress(), f.missing_months(), f.year, f.as_of, lang,
                       is_demo=ctx.is_demo, overdue_text=overdue_sentence(  # 逾期: past the reporting deadline
                           overdue_units(f.year, f.as_of, ctx=ctx), ctx.ref.units, lang, ctx.data_dir),
                       notes=list(current(ctx.data_dir, month_of(f.as_of)).values()))
text = brief.to_text()

st.title(f.t("page_briefing"))
st.caption(f.t("brief_caption"))
c1, c2, c3 = st.columns(3)
with c1:
    # a real button that copies the whole text (execCommand works inside the component's iframe,
    # where the async clipboard API may be blocked)
    st.iframe(
        f"""<textarea id="src" style="position:absolute;left:-9999px">{text.replace("<", "&lt;")}</textarea>
<button id="b" style="font-size:16px;padding:8px 18px;border:1px solid #888;border-radius:8px;background:#fff;cursor:pointer;
 font-family:'Noto Sans CJK SC',sans-serif">{f.t("brief_copy")}</button>
<script>
const b = document.getElementById('b');
b.onclick = async () => {{
  const t = document.getElementById('src');
  let ok = false;
  try {{ await navigator.clipboard.writeText({json.dumps(text)}); ok = true; }} catch (e) {{}}
  if (!ok) {{ t.select(); ok = document.execCommand('copy'); }}
  b.textContent = ok ? '✔ {f.t("brief_copied")}' : '✖';
}};
</script>""",
        height=52,
    )
c2.download_button(f.t("brief_download_txt"), text.encode("utf-8"), file_name=f"briefing_{f.as_of}.txt",
                   mime="text/plain", key="brief_txt")
c3.download_button(f.t("brief_download_docx"), brief.to_docx(), file_name=f"briefing_{f.as_of}.docx",
                   mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", key="brief_docx")

st.markdown(f"### {brief.title}")
st.markdown(brief.subtitle)
for heading, paragraphs in brief.sections:
    st.markdown(f"**{heading}**")
    for para in paragraphs:
        st.markdown(para)
