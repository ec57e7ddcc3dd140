-- name: actuals_as_of
-- description: Actual of every indicator for every unit that has records, from 1 January (or the cohort's start) to the as-of date: closed months from the monthly aggregate, the as-of month from the raw rows.
-- grain: one row per unit per indicator
-- param: year INTEGER the target year (for rates: the cohort year)
-- param: as_of DATE the last day counted
with closed_months as (
    select
        unit_key,
        indicator,
        num,
        den,
        event_count,
        last_event_on,
    from indicator_monthly
    where year = $year
      and event_month < cast(date_trunc('month', $as_of) as date)
),

open_month as (
    -- the month in progress is cut at the as-of day, so it is read from the records
    select
        k.unit_key,
        e.indicator,
        e.num,
        e.den,
        1 as event_count,
        e.event_on as last_event_on,
    from indicator_events as e
    join unit_keys as k on k.unit_code = e.unit_code
    where e.year = $year
      and e.event_on >= cast(date_trunc('month', $as_of) as date)
      and e.event_on <= $as_of
),

summed as (
    select
        unit_key,
        indicator,
        sum(num) as numerator,
        sum(den) as denominator,
        sum(event_count) as event_count,
        max(last_event_on) as last_event_on,
    from (select * from closed_months union all select * from open_month)
    group by unit_key, indicator
),

final as (
    select
        k.unit_code,
        s.indicator,
        s.numerator,
        s.denominator,
        s.event_count,
        s.last_event_on,
    from summed as s
    join unit_keys as k on k.unit_key = s.unit_key
)

select * from final
order by unit_code, indicator
