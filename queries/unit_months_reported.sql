-- name: unit_months_reported
-- description: Which units have any record in which month of a year, up to the as-of date; shows units that have not reported.
-- grain: one row per unit per month with records
-- param: year INTEGER the calendar year
-- param: as_of DATE the last day counted
-- records: open month of $as_of
with closed_months as (
    select
        unit_key,
        cast(month(event_month) as integer) as month,
        event_count,
    from indicator_monthly
    where year(event_month) = $year
      and event_month < cast(date_trunc('month', $as_of + interval 1 day) as date)
),

open_month as (
    select
        k.unit_key,
        cast(month(e.event_on) as integer) as month,
        1 as event_count,
    from indicator_events as e
    join unit_keys as k on k.unit_code = e.unit_code
    where year(e.event_on) = $year
      and e.event_on >= cast(date_trunc('month', $as_of + interval 1 day) as date)
      and e.event_on <= $as_of
),

final as (
    select
        k.unit_code,
        m.month,
        sum(m.event_count) as event_count,
    from (select * from closed_months union all select * from open_month) as m
    join unit_keys as k on k.unit_key = m.unit_key
    group by k.unit_code, m.month
)

select * from final
order by unit_code, month
