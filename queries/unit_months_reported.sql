-- name: unit_months_reported
-- description: Which units have any record in which month of a year, up to the as-of date; shows units that have not reported.
-- grain: one row per unit per month with records
-- param: year INTEGER the calendar year
-- param: as_of DATE the last day counted
with events as (
    select
        unit_code,
        cast(month(event_on) as integer) as month,
    from indicator_events
    where year(event_on) = $year
      and event_on <= $as_of
),

final as (
    select
        unit_code,
        month,
        count(*) as event_count,
    from events
    group by unit_code, month
)

select * from final
order by unit_code, month
