"""The one table of user-facing text. Chinese first; English follows every key.

Code is English; everything a person reads goes through `t(key, lang, **values)`. Indicator
and extract labels live in the registry (queries/indicators.yaml), unit names in units.csv.
`tests/test_i18n.py` fails when a key lacks a language or a page uses an unknown key.
"""

from __future__ import annotations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

TEXT: dict[str, tuple[str, str]] = {
    # frame
    "app_title": ("就业目标任务监测", "Employment target monitor"),
    "demo_badge": ("演示数据", "Demo data"),
    "demo_note": (
        "当前为演示数据（按固定随机种子生成，非真实统计），仅供演示使用。",
        "Demo data (generated with a fixed seed, not real statistics), for demonstration only.",
    ),
    "real_badge": ("正式数据", "Live data"),
    "data_as_of": ("数据截至 {date}", "Data as of {date}"),
    "language": ("语言 / Language", "Language / 语言"),
    "year": ("年度", "Year"),
    "as_of": ("统计截至日期", "As-of date"),
    "as_of_help": (
        "默认为最新有数据的日期；可选本年度内任一天。",
        "Defaults to the latest day with data; any day of the year can be chosen.",
    ),
    "generating_demo": ("首次启动：正在生成演示数据……", "First start: generating demo data…"),
    "no_data": (
        "数据目录 {path} 中没有抽取数据。请运行 `uv run target-monitor demo` 生成演示数据，或导入数据后刷新。",
        "No extracts in data directory {path}. Run `uv run target-monitor demo` for demo data, or import data and reload.",
    ),
    "no_targets_year": (
        "{year}年没有任务分解表，只显示完成数，不计算完成率和状态。",
        "There is no task breakdown table for {year}: actuals only, no completion or status.",
    ),
    "time_progress_is": ("序时进度 {pct}%", "Time progress {pct}%"),
    # pages
    "page_overview": ("总览", "Overview"),
    "page_compare": ("镇街对比", "Unit comparison"),
    "page_trend": ("趋势", "Trends"),
    "page_unit": ("镇街详情", "Unit detail"),
    "overview_title": ("{district}{year}年就业目标任务完成情况", "{district} {year}: progress on employment targets"),
    "compare_title": ("各单位目标任务完成情况对比", "Progress of every unit against its targets"),
    "trend_title": ("月度趋势与序时进度", "Monthly trend against the pace line"),
    "unit_title": ("{unit}目标任务完成情况", "{unit}: progress on its targets"),
    # cards and tables
    "target": ("目标", "Target"),
    "own_target": ("全区目标", "District target"),
    "allocation_sum": ("分解合计", "Sum of allocations"),
    "actual": ("完成", "Actual"),
    "completion": ("完成率", "Completion"),
    "time_progress": ("序时进度", "Time progress"),
    "gap": ("与序时进度差（百分点）", "Gap to pace (pp)"),
    "gap_short": ("差（百分点）", "Gap (pp)"),
    "gap_to_target": ("与目标差（百分点）", "Margin to target (pp)"),
    "status": ("状态", "Status"),
    "rank": ("排名", "Rank"),
    "rank_of": ("第{rank}名（共{n}个）", "No. {rank} of {n}"),
    "projected": ("预计全年", "Projected year-end"),
    "projection_method": ("推算方法", "Projection method"),
    "required_monthly": ("月均需完成", "Needed per month"),
    "yoy": ("同比", "YoY"),
    "yoy_pct": ("同比{sign}{value}%", "{sign}{value}% YoY"),
    "yoy_pp": ("同比{sign}{value}个百分点", "{sign}{value} pp YoY"),
    "last_year_same_period": ("上年同期", "Same period last year"),
    "seq_no": ("序号", "No."),
    "unit_name": ("街镇名称", "Unit"),
    "unit": ("单位", "Unit"),
    "indicator": ("指标", "Indicator"),
    "total_row": ("合计", "Total"),
    "district_own_row": ("全区目标（工作要点）", "District's own target (work plan)"),
    "note": ("备注", "Note"),
    "published_as": ("原文：{label}", "Published as: {label}"),
    "sort_by": ("排序依据", "Sort by"),
    "sort_official": ("按任务分解表顺序", "Order of the breakdown table"),
    "ranked_chart_title": ("{label}完成率排名", "{label}: completion ranking"),
    "bullet_title": ("{label}", "{label}"),
    "legend_pace": ("序时进度", "Time progress"),
    "legend_target": ("目标", "Target"),
    "legend_actual": ("完成", "Actual"),
    "legend_monthly": ("当月", "Month"),
    "legend_cumulative": ("累计", "Cumulative"),
    "legend_pace_line": ("序时进度线", "Pace line to target"),
    "legend_last_year": ("上年累计", "Last year cumulative"),
    "month_n": ("{m}月", "M{m}"),
    "choose_indicator": ("指标", "Indicator"),
    "choose_units": ("单位（可多选）", "Units (several allowed)"),
    "choose_unit": ("选择单位", "Choose a unit"),
    "download_csv": ("下载表格（CSV）", "Download table (CSV)"),
    "status_legend": ("状态说明", "Status legend"),
    "siblings_rank": ("在{n}个单位中的排名", "Rank among {n} units"),
    "no_target_short": ("无目标", "No target"),
    "missing_months": ("{months}无报送数据", "No records for {months}"),
    "remaining_pace": ("剩余{months}个月，月均需完成{value}{unit}", "{months} months left: {value} {unit} needed per month"),
    "already_done": ("已完成全年目标任务", "Annual target reached"),
    "units_behind_title": ("滞后单位", "Units behind pace"),
    "none": ("无", "None"),
    # statuses (never shown by colour alone: symbol + word)
    "status_done": ("已完成", "Completed"),
    "status_ahead": ("快于序时", "Ahead of pace"),
    "status_slightly_behind": ("略慢于序时", "Slightly behind"),
    "status_far_behind": ("明显滞后", "Far behind"),
    "status_met": ("达标", "Met"),
    "status_not_met": ("未达标", "Not met"),
    "status_no_target": ("无目标", "No target"),
    "status_no_data": ("暂无数据", "No data"),
    # projection methods
    "method_unit_profile": ("按本单位上年月度进度推算", "From the unit's monthly profile last year"),
    "method_parent_profile": ("按全区上年月度进度推算", "From the district's monthly profile last year"),
    "method_linear": ("按时间线性推算", "Linear in time"),
    # headline sentences (official phrasing)
    "date_md": ("{m}月{d}日", "{d} {mon}"),
    "headline_cumulative": (
        "截至{date}，{scope}{label}{actual}{unit}，完成全年目标任务的{completion}%，{pace}",
        "As of {date}, {scope} {label}: {actual} {unit}, {completion}% of the annual target, {pace}",
    ),
    "headline_allocation": (
        "占各单位分解任务合计（{target}{unit}）的{completion}%",
        "{completion}% of the sum of allocations ({target} {unit})",
    ),
    "headline_no_target": ("截至{date}，{scope}{label}{actual}{unit}", "As of {date}, {scope} {label}: {actual} {unit}"),
    "headline_rate": (
        "截至{date}，{scope}{label}为{actual}%，{cmp}",
        "As of {date}, {scope} {label} is {actual}%, {cmp}",
    ),
    "pace_ahead": ("快于序时进度{gap}个百分点", "{gap} pp ahead of the time schedule"),
    "pace_behind": ("慢于序时进度{gap}个百分点", "{gap} pp behind the time schedule"),
    "pace_even": ("与序时进度持平", "level with the time schedule"),
    "pace_done": ("已超额完成全年目标任务", "the annual target is already exceeded"),
    "rate_above": ("高于目标（{op}{target}%）{gap}个百分点", "{gap} pp above the target ({op}{target}%)"),
    "rate_below": ("低于目标（{op}{target}%）{gap}个百分点", "{gap} pp short of the target ({op}{target}%)"),
    "rate_equal": ("达到目标（{op}{target}%）", "meeting the target ({op}{target}%)"),
    "scope_district": ("全区", "the district's"),
    "scope_unit": ("{unit}", "{unit}'s"),
    # CLI messages
    "cli_bad_indicator": ("未知指标：{name}。可用指标：{known}", "Unknown indicator: {name}. Known: {known}"),
    "cli_bad_as_of": (
        "统计截至日期 {as_of} 不在 {year} 年内，请选择 {year}-01-01 至 {year}-12-31 之间的日期。",
        "As-of date {as_of} is outside {year}; choose a date from {year}-01-01 to {year}-12-31.",
    ),
    "cli_bad_date": ("无法识别的日期：{value}，请使用 YYYY-MM-DD 格式。", "Cannot read date {value}; use YYYY-MM-DD."),
    "cli_no_data": (
        "数据目录 {path} 中没有抽取数据（extracts/）。请先运行 target-monitor demo --data-dir {path}，或导入数据。",
        "No extracts in data directory {path}. Run target-monitor demo --data-dir {path} first, or import data.",
    ),
    "cli_bad_data_dir": ("数据目录不存在：{path}", "Data directory does not exist: {path}"),
    "cli_demo_done": ("演示数据已生成：{path}（{rows}行，截至{through}）", "Demo data written to {path} ({rows} rows, through {through})"),
    "cli_internal": ("内部错误：{error}。请把这行信息报告给维护人员。", "Internal error: {error}. Please report this line."),
}

STATUS_SYMBOL = {
    "done": "✔",
    "ahead": "▲",
    "slightly_behind": "▽",
    "far_behind": "✖",
    "met": "✔",
    "not_met": "✖",
    "no_target": "–",
    "no_data": "?",
}

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The text for `key` in `lang`, with {placeholders} filled."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def status_label(status: str, lang: str = DEFAULT_LANG, *, symbol: bool = True) -> str:
    word = t("status_" + status, lang)
    return f"{STATUS_SYMBOL[status]} {word}" if symbol else word


def unit_label(unit, lang: str) -> str:
    """A unit's display name in the UI language (units.csv carries name and name_en)."""
    return unit.name_en if lang == "en" else unit.name


# --- issue 5: monthly snapshots and exports ----------------------------------------------------
TEXT.update({
    "date_long": ("{y}年{m}月{d}日", "{d} {mon} {y}"),
    # Excel / PDF report
    "xl_title": ("{district}{year}年就业创业工作任务完成情况表（截至{date}）",
                 "{district} {year}: progress on employment and entrepreneurship targets (as of {date})"),
    "xl_subtitle": ("序时进度 {pct}%　　快照：{snap}", "Time progress {pct}%    Snapshot: {snap}"),
    "xl_live": ("实时数据（非快照）", "live data (not a snapshot)"),
    "xl_rate_status": ("达标情况", "Status"),
    "xl_gap_pace": ("与序时进度差（百分点）", "Gap to pace (pp)"),
    "xl_group": ("{label}（{unit}）", "{label} ({unit})"),
    "xl_legend": ("图例：", "Legend:"),
    "xl_footnote_asof": ("数据截至{date}（最新记录日期 {through}）。快照编号：{snap}，生成时间：{created}。",
                         "Data as of {date} (latest record {through}). Snapshot: {snap}, created {created}."),
    "xl_footnote_method": (
        "序时进度按月计算为{pct}%。完成率＝完成÷目标；与序时进度差＝完成率－序时进度（百分点）。"
        "毕业生就业率不按序时折算，与目标差＝就业率－目标（百分点）。“合计”为各单位分解任务之和，"
        "“全区目标（工作要点）”为全区自身目标，两者分列。",
        "Time progress (by month) is {pct}%. Completion = actual ÷ target; gap to pace = completion − time "
        "progress (pp). The graduate employment rate is never pro-rated; its margin = rate − target (pp). "
        "'Total' is the sum of the units' allocations; the district's own target is shown on its own row.",
    ),
    "xl_footnote_source": ("目标来源：{sources}", "Targets: {sources}"),
    "xl_page_footer": ("&C第 &P 页，共 &N 页", "&CPage &P of &N"),
    "xl_sheet_table": ("完成情况表", "Progress table"),
    "xl_sheet_trend": ("趋势", "Trends"),
    "xl_sheet_rank": ("排名", "Ranks"),
    "xl_sheet_brief": ("通报", "Briefing"),
    "xl_sheet_revisions": ("修订记录", "Revisions"),
    "xl_sheet_data": ("数据", "Data"),
    "xl_month": ("月份", "Month"),
    "xl_rank_score": ("{label}（%）", "{label} (%)"),
    "xl_rank_rank": ("{label}·排名", "{label} · rank"),
    "rev_none_earlier": ("没有更早的快照可比较：这是第一份快照。", "No earlier snapshot to compare with: this is the first."),
    "rev_no_change": ("与快照 {snap} 相比，两者都覆盖的期间没有数据修订。",
                      "Compared with snapshot {snap}: no revisions to the periods both cover."),
    "rev_heading": ("与快照 {snap} 相比，两者都覆盖的期间共有{n}处数据修订（单位×指标×月份）：",
                    "Compared with snapshot {snap}: {n} revised values (unit × indicator × month):"),
    "rev_old": ("原值", "Old"),
    "rev_new": ("新值", "New"),
    "rev_change": ("变化", "Change"),
    # briefing (foundation wording; the meeting issue's 通报 replaces it)
    "brief_intro": ("截至{date}，序时进度为{pct}%。", "As of {date}, time progress is {pct}%."),
    "brief_behind": ("{label}：明显滞后或未达标的单位{n}个：{names}。",
                     "{label}: {n} unit(s) far behind or not meeting the target: {names}."),
    "brief_slightly": ("{label}：略慢于序时进度的单位{n}个：{names}。",
                       "{label}: {n} unit(s) slightly behind pace: {names}."),
    "brief_pace": ("{label}：全区{text}。", "{label} (district): {text}."),
    "pdf_cover_sub": ("月度快照 {snap}　·　生成于 {created}", "Monthly snapshot {snap} · created {created}"),
    "pdf_headlines": ("主要指标完成情况", "Headline figures"),
    "pdf_table": ("任务完成情况表", "Progress table"),
    "pdf_charts": ("各指标完成情况图", "Charts by indicator"),
    "pdf_briefing": ("情况通报", "Briefing"),
    # build steps (progress bar)
    "snap_step_check": ("检查数据……", "Checking the data…"),
    "snap_step_hash": ("计算输入文件的 SHA-256……", "Hashing the input files…"),
    "snap_step_freeze": ("冻结汇总数据、目标和指标登记表……", "Freezing the facts, targets and registry…"),
    "snap_step_progress": ("根据冻结数据计算完成情况……", "Computing progress from the frozen data…"),
    "snap_step_revisions": ("与上一份快照比较……", "Comparing with the previous snapshot…"),
    "snap_step_csv": ("导出 CSV……", "Writing CSV…"),
    "snap_step_xlsx": ("导出 Excel……", "Writing Excel…"),
    "snap_step_charts": ("绘制图表（PNG）……", "Rendering charts (PNG)…"),
    "snap_step_pdf": ("生成 PDF……", "Writing PDF…"),
    "snap_step_seal": ("写入清单并设为只读……", "Writing the manifest, making files read-only…"),
    "snap_step_done": ("完成", "Done"),
    # CLI
    "cli_snap_done": ("快照已生成：{path}（截至{as_of}，{n}个文件）", "Snapshot written: {path} (as of {as_of}, {n} files)"),
    "cli_snap_exists": (
        "{month} 已有快照 {existing}（{path}），快照不可修改。如需按当前数据重新生成，请加 --force（原快照保留在旁）。",
        "{month} already has snapshot {existing} ({path}); snapshots are immutable. Add --force to build a new "
        "version from today's data (the earlier one is kept).",
    ),
    "cli_snap_bad_month": ("无法识别的月份：{value}，请使用 YYYY-MM 格式，例如 2020-06。",
                           "Cannot read month {value}; use YYYY-MM, e.g. 2020-06."),
    "cli_snap_no_data_month": (
        "{month} 没有数据（数据目录 {path} 的最新记录日期为 {latest}）。请选择有数据的月份，或先导入该月数据。",
        "No data for {month} (latest record in {path}: {latest}). Choose a month with data, or import it first.",
    ),
    "cli_snap_changed": ("生成快照期间抽取数据发生了变化（可能正在导入）。请稍后重试。",
                         "The extracts changed while the snapshot was being built (an import running?). Retry later."),
    # 月度快照 page and the snapshot banner
    "page_snapshots": ("月度快照", "Monthly snapshots"),
    "snap_title": ("月度快照", "Monthly snapshots"),
    "snap_intro": (
        "快照在月末冻结当月报告：汇总数据、目标、指标登记表和计算结果一并保存，之后数据修订也不会改变快照中的数字。",
        "A snapshot freezes the month-end report: aggregated facts, targets, registry and results are kept together, "
        "so later revisions of the data never change its numbers.",
    ),
    "snap_build_header": ("生成快照", "Build a snapshot"),
    "snap_month": ("月份（截至月末）", "Month (as of its last day)"),
    "snap_force": ("该月已有快照时重新生成", "Build again if the month has one"),
    "snap_force_help": ("按当前数据生成新版本（如 2020-06-v2），原快照保留不变。",
                        "Builds a new version (e.g. 2020-06-v2) from today's data; the earlier one is kept unchanged."),
    "snap_build_button": ("生成快照", "Build snapshot"),
    "snap_built": ("快照 {id} 已生成：{path}", "Snapshot {id} written: {path}"),
    "snap_exists_ui": ("{month} 已有快照 {existing}，快照不可修改。如需按当前数据重新生成，请勾选“该月已有快照时重新生成”（原快照保留）。",
                       "{month} already has snapshot {existing}; snapshots are immutable. Tick 'Build again' to build a "
                       "new version (the earlier one is kept)."),
    "snap_list_header": ("已有快照", "Snapshots"),
    "snap_none": ("还没有快照。选择月份后点击“生成快照”。", "No snapshots yet. Choose a month and click 'Build snapshot'."),
    "snap_col_id": ("快照编号", "Snapshot"),
    "snap_col_as_of": ("数据截至", "As of"),
    "snap_col_created": ("生成时间", "Created"),
    "snap_col_compared": ("比较对象", "Compared with"),
    "snap_col_revisions": ("修订数", "Revisions"),
    "snap_col_intact": ("文件校验", "Files"),
    "snap_intact_yes": ("✔ 与清单一致", "✔ match the manifest"),
    "snap_intact_no": ("✖ 文件被改动", "✖ files changed"),
    "snap_choose": ("选择快照", "Choose a snapshot"),
    "snap_open": ("在看板中打开", "Open in the dashboard"),
    "snap_opened": ("正在查看", "Being viewed"),
    "snap_download_xlsx": ("下载 Excel", "Download Excel"),
    "snap_download_pdf": ("下载 PDF", "Download PDF"),
    "snap_download_csv": ("下载 CSV", "Download CSV"),
    "snap_download_manifest": ("下载清单（manifest）", "Download manifest"),
    "snap_file_missing": ("无 {name}", "No {name}"),
    "snap_compare_header": ("比较快照", "Compare snapshots"),
    "snap_compare_old": ("较早的快照", "Earlier snapshot"),
    "snap_compare_new": ("较新的快照或当前数据", "Later snapshot or today's data"),
    "snap_live_option": ("当前数据（同一截至日期）", "Today's data (same as-of date)"),
    "snap_revisions_header": ("数据修订（同一期间前后数值不同）：{n}处", "Revisions (same period, different values): {n}"),
    "snap_no_revisions": ("两者都覆盖的期间没有数据修订。", "No revisions to the periods both cover."),
    "snap_movement_header": ("完成情况变动", "Movement between the two"),
    "snap_changed_only": ("只显示有变化的行", "Only rows that changed"),
    "snap_period": ("期间", "Period"),
    "snap_period_value": ("{y}年{m}月", "{y}-{m:02d}"),
    "snap_old_actual": ("原完成", "Old actual"),
    "snap_new_actual": ("新完成", "New actual"),
    "snap_old_completion": ("原完成率（%）", "Old completion (%)"),
    "snap_new_completion": ("新完成率（%）", "New completion (%)"),
    "snap_old_status": ("原状态", "Old status"),
    "snap_new_status": ("新状态", "New status"),
    "snap_old_rank": ("原排名", "Old rank"),
    "snap_new_rank": ("新排名", "New rank"),
    "snap_banner": ("正在查看月度快照 {id}（数据截至 {date}，生成于 {created}）。各页面显示该快照冻结的数据，不随之后的数据修订变化。",
                    "Viewing monthly snapshot {id} (data as of {date}, created {created}). Every page shows its frozen "
                    "data; later revisions do not change it."),
    "snap_sidebar": ("正在查看快照 {id}（截至 {date}），数据已冻结。", "Viewing snapshot {id} (as of {date}): frozen data."),
    "snap_leave": ("返回当前数据", "Back to today's data"),
    "snap_as_of_help": ("查看快照时日期固定为快照的截至日期。", "While a snapshot is open the date is the snapshot's as-of date."),
    "snap_not_found_ui": ("找不到快照 {id}，已显示当前数据。", "Snapshot {id} not found; showing today's data."),
})
