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


# --- issue 6: analyst tools (SQL console, explorer, records, downloads) --------------------
TEXT.update({
    "page_console": ("SQL查询", "SQL console"),
    "page_explore": ("自助分析", "Explorer"),
    "page_records": ("明细记录", "Records"),
    "sql_empty": ("SQL为空：请输入一条 SELECT 查询。", "The SQL is empty: enter one SELECT query."),
    "sql_too_long": ("SQL过长（超过{limit}个字符）：请缩短查询。", "The SQL is longer than {limit} characters: shorten it."),
    "sql_syntax": ("SQL无法解析：{error}。请检查语法。", "The SQL cannot be parsed: {error}. Check the syntax."),
    "sql_multi": (
        "已拒绝：一次只能运行一条语句（这里有{n}条）。请只保留一条 SELECT 查询。",
        "Refused: only one statement may run at a time (found {n}). Keep a single SELECT query.",
    ),
    "sql_not_select": (
        "已拒绝：只允许只读的 SELECT（或 WITH … SELECT）查询，这是一条 {kind} 语句。请改写为 SELECT 查询。",
        "Refused: only read-only SELECT (or WITH … SELECT) queries may run; this is a {kind} statement. Rewrite it as a SELECT.",
    ),
    "sql_file_function": (
        "已拒绝：查询控制台不能读取文件、密钥或系统信息（{name}）。请查询左侧列出的视图。",
        "Refused: the console cannot read files, secrets or system information ({name}). Query the views listed in the schema browser.",
    ),
    "sql_table_function": (
        "已拒绝：不允许调用表函数 {name}（只允许 {allowed}）。请查询左侧列出的视图。",
        "Refused: the table function {name} is not allowed (only {allowed}). Query the views listed in the schema browser.",
    ),
    "sql_file_table": (
        "已拒绝：不能把文件 {name} 当作表读取。请查询左侧列出的视图。",
        "Refused: the file {name} cannot be read as a table. Query the views listed in the schema browser.",
    ),
    "sql_permission": (
        "已拒绝：查询控制台没有文件系统权限（{error}）。请只查询已列出的视图。",
        "Refused: the console has no file-system access ({error}). Query only the listed views.",
    ),
    "sql_timeout": (
        "查询超过{seconds}秒，已取消。请缩小范围（加 where 条件或 limit），或调高超时时间（最多30秒）。",
        "The query ran longer than {seconds} s and was cancelled. Narrow it (add a where clause or limit) or raise the timeout (at most 30 s).",
    ),
    "sql_failed": ("查询出错：{error}。请检查表名、列名和语法。", "The query failed: {error}. Check table names, column names and syntax."),
    "console_title": ("SQL查询（只读）", "SQL console (read-only)"),
    "console_intro": (
        "对下列视图运行只读 SELECT 查询。数据为 {year} 年、截至 {as_of}；人员标识已脱敏。每次查询都会记录日志。",
        "Run read-only SELECT queries over the views below. Data for {year}, as of {as_of}; person keys are masked. Every query is logged.",
    ),
    "console_sql": ("SQL语句", "SQL"),
    "console_run": ("运行查询", "Run query"),
    "console_timeout": ("超时（秒）", "Timeout (s)"),
    "console_max_rows": ("最多显示行数", "Rows shown at most"),
    "console_schema": ("视图与字段", "Views and columns"),
    "console_examples": ("示例查询", "Example queries"),
    "console_use_example": ("使用此示例", "Use this example"),
    "console_rows": ("共返回 {rows} 行，用时 {seconds} 秒。", "{rows} rows in {seconds} s."),
    "console_truncated": (
        "结果超过 {shown} 行，只显示前 {shown} 行；下载最多包含 {cap} 行。",
        "More than {shown} rows: only the first {shown} are shown; the download holds at most {cap} rows.",
    ),
    "console_download_capped": (
        "结果超过 {cap} 行，下载文件只包含前 {cap} 行。请加条件缩小结果。",
        "More than {cap} rows: the download holds only the first {cap}. Add conditions to narrow the result.",
    ),
    "col_column": ("字段", "Column"),
    "col_type": ("类型", "Type"),
    "col_description": ("说明", "Description"),
    "sql_example_progress": ("各街镇城镇新增就业完成进度", "New-employment progress by unit"),
    "sql_example_groups": ("各单位分月新增就业记录数", "New-employment records by unit and month"),
    "sql_example_loans": ("创业担保贷款按银行与借款人类型", "Loans by bank and borrower type"),
    "sql_example_targets": ("本年度目标任务", "This year's targets"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "download_csv_file": ("下载 CSV", "Download CSV"),
    "explore_title": ("自助分析", "Explorer"),
    "explore_indicator": ("指标", "Indicator"),
    "explore_level": ("单位层级", "Unit level"),
    "explore_units": ("单位（不选为全部）", "Units (none = all)"),
    "explore_rows": ("行维度", "Rows"),
    "explore_columns": ("列维度", "Columns"),
    "explore_none": ("（无）", "(none)"),
    "explore_any": ("全部", "All"),
    "explore_filter": ("筛选：{dim}", "Filter: {dim}"),
    "explore_total": ("合计", "Total"),
    "explore_measure": ("度量：{label}（{unit}），{period}", "Measure: {label} ({unit}), {period}"),
    "explore_period": ("{year}年1月1日至{as_of}", "1 Jan {year} to {as_of}"),
    "explore_empty": ("所选条件下没有记录。请放宽筛选条件。", "No records match these filters. Widen the filters."),
    "explore_same_dim": ("行维度和列维度不能相同，请换一个列维度。", "Rows and columns must differ: choose another column dimension."),
    "dim_unit_code": ("单位", "Unit"),
    "dim_month": ("月份", "Month"),
    "level_all": ("全部", "All"),
    "level_street": ("街道", "Subdistricts"),
    "level_town": ("镇", "Towns"),
    "level_department": ("部门", "Departments"),
    "level_district": ("区", "District"),
    "records_title": ("{unit} · 明细记录", "{unit} · records"),
    "records_extract": ("数据表", "Extract"),
    "records_search": ("按记录编号/任意字段查找", "Search any field"),
    "records_sort": ("排序字段", "Sort by"),
    "records_desc": ("倒序", "Descending"),
    "records_page": ("页码", "Page"),
    "records_page_size": ("每页条数", "Rows per page"),
    "records_count": ("共 {total} 条记录，第 {page}/{pages} 页（每页 {size} 条）。人员标识已脱敏。",
                      "{total} records, page {page} of {pages} ({size} per page). Person keys are masked."),
    "records_link": ("查看 {unit} 的明细记录", "See the records of {unit}"),
    "records_download_note": ("下载包含全部筛选结果（最多 {cap} 行）。", "The download holds every filtered record (at most {cap} rows)."),
    "drill_hint": ("点击表格中的一行，查看该单位详情。", "Click a row to open that unit's detail."),
    "cli_sql_bad_timeout": ("超时时间 {value} 秒超出范围：请用 5 到 30 秒之间的值。", "Timeout {value} s is out of range: use 5 to 30 seconds."),
    "cli_sql_truncated": ("结果超过 {cap} 行，只输出了前 {cap} 行。", "More than {cap} rows: only the first {cap} were written."),
})
