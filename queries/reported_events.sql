-- name: reported_events
-- description: The view of the events that figures reported by units (当月 / 累计) add to their indicators: a figure counts only in a unit-month without records of that indicator (records win, so nothing is counted twice), dated at the month's last day; a 累计 figure counts as itself minus what was counted up to the month before (records, 当月 figures and the previous 累计 figure), so the year to date equals the latest 累计 figure. A rate that only units report (城镇登记失业率) is a standing figure: every figure counts as 累计 whatever its basis (itself minus the figure before), with den = 100 in the series' first month, so sum(num) / sum(den) up to any date is the latest figure reported by then, in percent.
-- grain: one row per unit per indicator per month counted from a report
with reported as (
    -- reported_figures: the reported extract restricted to cumulative indicators and reported rates (store.py)
    select
        indicator,
        unit_code,
        cast(year(report_month) as integer) as year,
        cast(month(report_month) as integer) as month,
        case when is_rate then '累计' else basis end as basis,
        value,
        is_rate,
    from reported_figures
),

rate_starts as (
    -- a reported rate's first month in the year: where its denominator (100, the figure is in %) is counted
    select indicator, unit_code, year, min(month) as month,
    from reported
    where is_rate
    group by indicator, unit_code, year
),

series as (
    select distinct indicator, unit_code, year from reported
),

records as (
    -- record_monthly: the records' monthly sums (from the aggregates when fresh)
    select
        r.indicator,
        r.unit_code,
        r.year,
        cast(month(r.event_month) as integer) as month,
        cast(sum(cast(r.num as decimal(38, 6))) as double) as num,
    from record_monthly as r
    semi join series as s
        on s.indicator = r.indicator and s.unit_code = r.unit_code and s.year = r.year
    where year(r.event_month) = r.year
    group by r.indicator, r.unit_code, r.year, month(r.event_month)
),

timeline as (
    -- one row per month of a series that has a report or records; records win a month
    select
        coalesce(p.indicator, r.indicator) as indicator,
        coalesce(p.unit_code, r.unit_code) as unit_code,
        coalesce(p.year, r.year) as year,
        coalesce(p.month, r.month) as month,
        r.num is null and p.basis = '累计' as is_anchor,
        r.num is null and p.basis = '当月' as is_monthly,
        p.value,
        case when r.num is not null then r.num when p.basis = '当月' then p.value else 0 end as added,
    from reported as p
    full outer join records as r
        on r.indicator = p.indicator and r.unit_code = p.unit_code and r.year = p.year and r.month = p.month
),

grouped as (
    -- group g = the months from the g-th counted 累计 figure up to the next one (g = 0: before the first)
    select
        *,
        sum(case when is_anchor then 1 else 0 end) over (
            partition by indicator, unit_code, year order by month rows between unbounded preceding and current row
        ) as g,
    from timeline
),

groups as (
    select
        indicator,
        unit_code,
        year,
        g,
        max(case when is_anchor then month end) as anchor_month,
        coalesce(max(case when is_anchor then value end), 0) as anchor_value,
        sum(case when is_anchor then 0 else added end) as added,
    from grouped
    group by indicator, unit_code, year, g
),

anchors as (
    -- counted through the month before the anchor = previous anchor + what was added after it
    select
        indicator,
        unit_code,
        year,
        anchor_month as month,
        anchor_value - coalesce(lag(anchor_value + added) over (
            partition by indicator, unit_code, year order by g
        ), 0) as num,
    from groups
),

final as (
    select indicator, unit_code, year, month, num from anchors where month is not null
    union all
    select indicator, unit_code, year, month, value as num from grouped where is_monthly
)

select
    f.indicator,
    f.unit_code,
    f.year,
    cast(last_day(make_date(f.year, f.month, 1)) as date) as event_on,
    cast(f.num as double) as num,
    -- the same decimal type as every other event's den (the aggregate files are concatenated)
    case when r.month is not null then 100.0 else 0.0 end as den,
from final as f
left join rate_starts as r
    on r.indicator = f.indicator and r.unit_code = f.unit_code and r.year = f.year and r.month = f.month
