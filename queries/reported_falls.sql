-- name: reported_falls
-- description: Reported 累计 (year-to-date) figures lower than an earlier month's 累计 figure of the same unit, indicator and year: a year-to-date figure must not fall. Listed on the 数据管理 page.
-- grain: one row per falling reported figure
-- param: year INTEGER the year checked
with cumulative as (
    select
        unit_code,
        indicator,
        report_month,
        value,
        max(value) over earlier as earlier_max,
        arg_max(report_month, value) over earlier as earlier_month,
    from reported_figures
    where basis = '累计'
      and year(report_month) = $year
    window earlier as (
        partition by unit_code, indicator
        order by report_month
        rows between unbounded preceding and 1 preceding
    )
),

final as (
    select
        unit_code,
        indicator,
        report_month,
        value,
        earlier_month,
        earlier_max as earlier_value,
    from cumulative
    where value < earlier_max
)

select * from final
order by unit_code, indicator, report_month
