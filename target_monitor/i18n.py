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


# issue 4: meeting mode, ranking and flags, assessment scores, the drafted briefing (通报)
TEXT.update({
    # briefing
    "page_briefing": ("通报", "Briefing"),
    "brief_title": ("关于{district}{year}年就业目标任务完成情况的通报", "{district} {year}: progress on employment targets (briefing)"),
    "brief_subtitle": ("（数据截至{date}，序时进度{tp}%，全年剩余{months}个月）",
                       "(Data as of {date}; time progress {tp}%; {months} months left in the year)"),
    "brief_demo_note": ("【演示数据，非真实统计】", " [Demo data, not real statistics]"),
    "brief_h_overall": ("一、总体情况", "1. Overall"),
    "brief_h_units": ("二、各单位完成情况", "2. Units"),
    "brief_h_reporting": ("三、数据报送情况", "3. Reporting"),
    "brief_h_next": ("四、下一步要求", "4. Next steps"),
    "brief_yoy_up": ("同比增长{value}%", "up {value}% on the same period last year"),
    "brief_yoy_down": ("同比下降{value}%", "down {value}% on the same period last year"),
    "brief_yoy_flat": ("与上年同期持平", "level with the same period last year"),
    "brief_yoy_rate_up": ("比上年同期提高{value}个百分点", "{value} pp higher than the same period last year"),
    "brief_yoy_rate_down": ("比上年同期降低{value}个百分点", "{value} pp lower than the same period last year"),
    "brief_units_lead": ("{label}：", "{label}: "),
    "brief_units_done": ("已完成全年目标任务的有{names}（{n}个）", "annual target reached by {names} ({n})"),
    "brief_units_ahead": ("快于序时进度的有{names}（{n}个）", "ahead of the time schedule: {names} ({n})"),
    "brief_units_behind": ("慢于序时进度的有{names}（{n}个）", "behind the time schedule: {names} ({n})"),
    "brief_units_behind_none": ("没有慢于序时进度的单位", "no unit is behind the time schedule"),
    "brief_units_met": ("达到目标的有{names}（{n}个）", "target met by {names} ({n})"),
    "brief_units_met_none": ("没有达到目标的单位", "no unit meets the target"),
    "brief_units_not_met": ("未达到目标的有{names}（{n}个）", "target not met by {names} ({n})"),
    "brief_all_reported": ("截至{m}月，各单位均已按月报送数据。", "Every unit has sent its records for every month through month {m}."),
    "brief_not_reported_item": ("{unit}{months}", "{unit} ({months})"),
    "brief_not_reported": ("以下单位有月份无报送数据：{items}", "Months without records: {items}"),
    "brief_not_reported_this_month": ("其中{m}月未报送的有{names}", "of which no records for month {m}: {names}"),
    "brief_please_report": ("请相关单位尽快核实补报", "the units concerned should check and report as soon as possible"),
    "brief_laggard_lead": ("{label}进度滞后的单位要加快进度：", "{label}, units behind the time schedule must speed up: "),
    "brief_laggard_item": ("{unit}完成{completion}%，慢于序时进度{gap}个百分点，{pace}",
                           "{unit} at {completion}%, {gap} pp behind, {pace}"),
    "brief_no_laggards": ("各单位各项任务均不慢于序时进度，请保持工作力度。",
                          "No unit is behind the time schedule on any task; keep up the pace."),
    "brief_copy": ("复制全文", "Copy the text"),
    "brief_copied": ("已复制", "Copied"),
    "brief_download_txt": ("下载文本（.txt）", "Download text (.txt)"),
    "brief_download_docx": ("下载Word文档（.docx）", "Download Word document (.docx)"),
    "brief_caption": ("根据与大屏相同的数据自动生成，发文前请核对并按需修改。",
                      "Drafted from the same numbers as the screen; check and edit before sending."),
    # meeting mode
    "page_meeting": ("会议模式", "Meeting mode"),
    "meeting_view_headline": ("全区目标任务完成情况", "District progress against targets"),
    "meeting_view_ranking": ("各单位排名", "Units ranked"),
    "meeting_view_behind": ("进度滞后单位及所需进度", "Units behind pace and the pace they need"),
    "meeting_view_trend": ("月度累计与序时进度线", "Cumulative progress against the pace line"),
    "meeting_view_scores": ("考核评分", "Assessment scores"),
    "meeting_paused": ("‖ 已暂停", "‖ Paused"),
    "meeting_rotating": ("⟳ 每{s}秒自动切换", "⟳ Next view every {s} s"),
    "meeting_prev": ("◀ 上一页", "◀ Previous"),
    "meeting_next": ("下一页 ▶", "Next ▶"),
    "meeting_pause": ("‖ 暂停", "‖ Pause"),
    "meeting_resume": ("▶ 继续轮播", "▶ Resume"),
    "meeting_settings": ("⚙ 设置", "⚙ Set up"),
    "meeting_views_choose": ("显示的页面（按选择顺序轮播）", "Views shown (rotated in the order chosen)"),
    "meeting_interval": ("切换间隔（秒）", "Interval (seconds)"),
    "meeting_link_note": ("设置保存在网址中：收藏此网址即可在下次会议直接打开。",
                          "The set-up is kept in the URL: bookmark it to open the same meeting next time."),
    "meeting_overall_rank": ("综合排名", "Overall"),
    "meeting_flags": ("旗标", "Flags"),
    "meeting_rank_n": ("第{n}", "#{n}"),
    "meeting_change_note": ("↑↓：与上月末相比名次变化", "↑↓: places gained or lost since the previous month end"),
    "flag_red": ("红", "red"),
    "flag_yellow": ("黄", "yellow"),
    "meeting_gap_pp": ("慢{gap}个百分点", "−{gap} pp"),
    "meeting_mark_pace": ("序时进度", "Pace"),
    "meeting_more_behind": ("另有{n}个单位略慢于序时，详见通报", "{n} more slightly behind: see the briefing"),
    "meeting_none_behind": ("没有慢于序时进度的单位", "No unit is behind pace"),
    "meeting_n_behind": ("{n}个单位滞后", "{n} behind"),
    "meeting_legend_this_year": ("今年累计", "This year, cumulative"),
    "meeting_legend_last_year": ("上年同期累计", "Last year, cumulative"),
    "meeting_trend_note": ("全区数据；横轴为月份。序时进度线：全年目标按月平均分摊（比率指标为目标线）。",
                           "District figures by month. Pace line: the annual target spread evenly by month (rates: the target)."),
    "meeting_place": ("名次", "Place"),
    "meeting_no_views": ("没有可显示的页面。", "No view to show."),
    # ranking page
    "page_ranking": ("排名与旗标", "Ranking and flags"),
    "ranking_title": ("各单位排名、名次变化与旗标", "Units ranked, change since last month end, flags"),
    "ranking_caption": ("名次变化与{prev}（上月末）相比；综合排名为各指标名次的平均值（名次越小越好），仅含参加全部排名指标的单位。",
                        "Change compared with {prev} (previous month end). Overall rank: the mean of a unit's ranks (lower is better), for units ranked on every indicator."),
    "ranking_no_previous": ("1月份没有上月末可比，不显示名次变化。", "In January there is no previous month end: no rank change."),
    "ranking_change": ("名次变化", "Change"),
    "ranking_mean_rank": ("平均名次", "Mean rank"),
    "ranking_flag_rules": ("旗标规则（data/reference/flags.yaml）", "Flag rules (data/reference/flags.yaml)"),
    "config_error": ("配置文件有误：{error}", "Configuration error: {error}"),
    # assessment scores
    "page_scores": ("考核评分", "Assessment scores"),
    "scores_title": ("目标任务考核评分", "Assessment scores"),
    "score_total": ("总分", "Total"),
    "score_all_done": ("完成全部任务", "All tasks done"),
    "score_advanced": ("先进", "Advanced"),
    "score_advanced_n": ("先进第{n}名", "Advanced #{n}"),
    "score_advanced_list": ("先进单位（前{n}名）：{names}", "Advanced units (top {n}): {names}"),
    "score_no_advanced": ("暂无先进单位：需总分达到{min}分以上且完成全部年度任务和专项任务。",
                          "No advanced unit yet: a total of at least {min} and every annual and special task completed are required."),
    "score_basis_annual": ("计分口径：按全年目标任务计算完成比例（年终考核口径，年中得分偏低属正常）。",
                           "Basis: completion of the annual target (the year-end rule; mid-year scores are low by design)."),
    "score_basis_time_progress": ("计分口径：按序时进度折算完成比例（年中预评分，仅供参考）。",
                                  "Basis: completion against the time schedule (a mid-year preview, for reference)."),
    "score_basis_choice": ("计分口径", "Scoring basis"),
    "score_basis_opt_annual": ("全年目标（年终考核）", "Annual target (year-end rule)"),
    "score_basis_opt_time_progress": ("按序时进度（年中预评分）", "Against the time schedule (mid-year preview)"),
    "score_not_assessed": ("不参评（缺少计分指标的目标）：{names}", "Not assessed (no target for a scored task): {names}"),
    "score_work_missing": ("以下单位有工作项未录入（按0分计）：{names}", "Work items not entered (scored 0): {names}"),
    "score_method": ("计分方法", "Method"),
    "score_method_text": (
        "满分{total:g}分。年度任务和专项任务：完成目标任务得满分，超额或未完成按比例加减分（权重 × 完成率，完成率取一位小数）；"
        "比率指标达标得满分，未达标按比例计分。其它工作任务按录入的是/否计分。先进：总分≥{min:g}分且完成全部年度和专项任务，"
        "同分按专项任务完成比例排序，取前{n}名。权重和上限见 data/reference/scoring.yaml。",
        "{total:g} points. Annual and special tasks: full points at 100%, pro rata above or below (weight × completion, "
        "completion to one decimal); rates score full when met and pro rata below. Other work items score by the yes/no inputs. "
        "Advanced: total ≥ {min:g} and every annual and special task completed; ties by the special-task ratio; the top {n}. "
        "Weights and caps: data/reference/scoring.yaml."),
    "work_items_title": ("其它工作任务录入", "Other work items (manual input)"),
    "work_items_help": ("是/否项勾选表示已完成；“缺少项数”填缺少的计划或总结份数。保存后写入 {path}。",
                        "Tick a yes/no item when done; for “missing parts” enter how many are missing. Saved to {path}."),
    "work_items_missing_parts": ("{label}（缺少项数）", "{label} (missing parts)"),
    "work_items_save": ("保存录入", "Save inputs"),
    "work_items_saved": ("已保存：{path}", "Saved: {path}"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
})
